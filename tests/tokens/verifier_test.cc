#include "jwtguard/verifier.h"

#include <gtest/gtest.h>

#include "jose/base64url.h"
#include "testing/fixtures.h"
#include "testing/rfc_vectors.h"

namespace jwtguard {
namespace {

using std::chrono::seconds;
using testing::private_key_for;

constexpr std::int64_t kExp = 1'700'000'000;
constexpr std::int64_t kLeeway = 30;

Timestamp at(std::int64_t s) { return from_unix_seconds(s); }

class VerifierTest : public ::testing::Test {
 protected:
  const Key& key_ = private_key_for(Algorithm::kHS256);

  std::string token(std::string_view payload) {
    return *sign_jws(key_, Algorithm::kHS256, payload);
  }
  Verifier verifier(VerifyOptions options = {}) {
    return *Verifier::create(KeySet(key_), std::move(options));
  }
  static VerifyOptions with_leeway(std::int64_t s) {
    VerifyOptions options;
    options.claims.leeway = seconds(s);
    return options;
  }
};

// --- Exact time boundaries ----------------------------------------------------

TEST_F(VerifierTest, ExpBoundariesWithoutLeeway) {
  const std::string t = token(R"({"exp":1700000000})");
  const Verifier v = verifier();
  EXPECT_OK(v.verify(t, at(kExp - 1)));
  EXPECT_OK(v.verify(t, at(kExp) - std::chrono::microseconds(1)));
  EXPECT_ERRC(v.verify(t, at(kExp)), Errc::kExpired);
  EXPECT_ERRC(v.verify(t, at(kExp + 1)), Errc::kExpired);
}

TEST_F(VerifierTest, ExpBoundariesWithLeeway) {
  const std::string t = token(R"({"exp":1700000000})");
  const Verifier v = verifier(with_leeway(kLeeway));
  EXPECT_OK(v.verify(t, at(kExp - 1)));
  EXPECT_OK(v.verify(t, at(kExp)));
  EXPECT_OK(v.verify(t, at(kExp + kLeeway - 1)));
  EXPECT_ERRC(v.verify(t, at(kExp + kLeeway)), Errc::kExpired);
  EXPECT_ERRC(v.verify(t, at(kExp + kLeeway + 1)), Errc::kExpired);
}

TEST_F(VerifierTest, FractionalExpIsHonouredToTheMicrosecond) {
  const std::string t = token(R"({"exp":1700000000.5})");
  const Verifier v = verifier();
  EXPECT_OK(v.verify(t, at(kExp) + std::chrono::milliseconds(499)));
  EXPECT_ERRC(v.verify(t, at(kExp) + std::chrono::milliseconds(500)), Errc::kExpired);
}

TEST_F(VerifierTest, NbfBoundaries) {
  const std::string t = token(R"({"exp":1800000000,"nbf":1700000000})");
  const Verifier strict = verifier();
  EXPECT_ERRC(strict.verify(t, at(kExp - 1)), Errc::kNotYetValid);
  EXPECT_OK(strict.verify(t, at(kExp)));
  const Verifier lenient = verifier(with_leeway(kLeeway));
  EXPECT_ERRC(lenient.verify(t, at(kExp - kLeeway - 1)), Errc::kNotYetValid);
  EXPECT_OK(lenient.verify(t, at(kExp - kLeeway)));
}

TEST_F(VerifierTest, IatInTheFutureBoundaries) {
  const std::string t = token(R"({"exp":1800000000,"iat":1700000000})");
  const Verifier strict = verifier();
  EXPECT_ERRC(strict.verify(t, at(kExp - 1)), Errc::kIssuedInFuture);
  EXPECT_OK(strict.verify(t, at(kExp)));
  const Verifier lenient = verifier(with_leeway(kLeeway));
  EXPECT_ERRC(lenient.verify(t, at(kExp - kLeeway - 1)), Errc::kIssuedInFuture);
  EXPECT_OK(lenient.verify(t, at(kExp - kLeeway)));
}

// jwtguard's own iat carries milliseconds (to order tokens against a user's
// cutoff); the future check looks at whole seconds only.
TEST_F(VerifierTest, FractionalIatIsCheckedInWholeSeconds) {
  const std::string t = token(R"({"exp":1800000000,"iat":1700000000.999})");
  const Verifier strict = verifier();
  EXPECT_OK(strict.verify(t, from_unix_seconds(1'700'000'000)));
  EXPECT_ERRC(strict.verify(t, from_unix_seconds(1'700'000'000) - std::chrono::microseconds(1)),
              Errc::kIssuedInFuture);
}

TEST_F(VerifierTest, Rfc7515A1ClaimsCheckAgainstItsOwnTime) {
  const Verifier v = *Verifier::create(KeySet(*Key::from_jwk(testing::rfc::kA1Jwk)));
  auto verified = v.verify(testing::rfc::kA1Jws, at(testing::rfc::kRfc7515Exp - 1));
  ASSERT_OK(verified);
  EXPECT_EQ(verified->claims.iss, "joe");
  EXPECT_NE(verified->claims.payload_json.find("is_root"), std::string::npos);
  EXPECT_ERRC(v.verify(testing::rfc::kA1Jws, at(testing::rfc::kRfc7515Exp)), Errc::kExpired);
}

// --- Required claims ----------------------------------------------------------

TEST_F(VerifierTest, ExpIsRequiredUnlessTheCallerOptsOut) {
  const std::string t = token(R"({"sub":"alice"})");
  auto missing = verifier().verify(t, at(kExp));
  EXPECT_ERRC(missing, Errc::kMissingClaim);
  EXPECT_EQ(missing.error().message(), "Token is missing the \"exp\" claim");
  VerifyOptions options;
  options.claims.require_exp = false;
  EXPECT_OK(verifier(options).verify(t, at(kExp)));
}

TEST_F(VerifierTest, RequiredClaims) {
  VerifyOptions options;
  options.claims.required = {"jti", "sub"};
  const Verifier v = verifier(options);
  EXPECT_OK(v.verify(token(R"({"exp":1800000000,"jti":"j","sub":"s"})"), at(kExp)));
  EXPECT_ERRC(v.verify(token(R"({"exp":1800000000,"sub":"s"})"), at(kExp)), Errc::kMissingClaim);
  options.claims.required = {"favourite_colour"};
  EXPECT_ERRC(Verifier::create(KeySet(key_), options), Errc::kInvalidArgument);
}

// --- Issuer and audience ------------------------------------------------------

TEST_F(VerifierTest, Issuer) {
  VerifyOptions options;
  options.claims.issuer = "https://auth.example";
  const Verifier v = verifier(options);
  EXPECT_OK(v.verify(token(R"({"exp":1800000000,"iss":"https://auth.example"})"), at(kExp)));
  EXPECT_ERRC(v.verify(token(R"({"exp":1800000000,"iss":"https://evil.example"})"), at(kExp)),
              Errc::kWrongIssuer);
  EXPECT_ERRC(v.verify(token(R"({"exp":1800000000})"), at(kExp)), Errc::kMissingClaim);
  // Not checked when not configured.
  EXPECT_OK(verifier().verify(token(R"({"exp":1800000000,"iss":"anyone"})"), at(kExp)));
}

TEST_F(VerifierTest, AudienceAsStringOrArray) {
  VerifyOptions options;
  options.claims.audience = {"api", "admin"};
  const Verifier v = verifier(options);
  EXPECT_OK(v.verify(token(R"({"exp":1800000000,"aud":"api"})"), at(kExp)));
  EXPECT_OK(v.verify(token(R"({"exp":1800000000,"aud":["other","admin"]})"), at(kExp)));
  EXPECT_ERRC(v.verify(token(R"({"exp":1800000000,"aud":"other"})"), at(kExp)),
              Errc::kWrongAudience);
  EXPECT_ERRC(v.verify(token(R"({"exp":1800000000,"aud":[]})"), at(kExp)), Errc::kWrongAudience);
  EXPECT_ERRC(v.verify(token(R"({"exp":1800000000})"), at(kExp)), Errc::kMissingClaim);
  EXPECT_ERRC(v.verify(token(R"({"exp":1800000000,"aud":5})"), at(kExp)), Errc::kBadClaim);
  EXPECT_ERRC(v.verify(token(R"({"exp":1800000000,"aud":["api",5]})"), at(kExp)), Errc::kBadClaim);
}

TEST_F(VerifierTest, TokenWithAudienceIsRefusedWhenNoneIsExpected) {
  EXPECT_ERRC(verifier().verify(token(R"({"exp":1800000000,"aud":"api"})"), at(kExp)),
              Errc::kWrongAudience);
}

// --- Payload shape ------------------------------------------------------------

TEST_F(VerifierTest, PayloadMustBeAJsonObject) {
  const Verifier v = verifier();
  EXPECT_ERRC(v.verify(token("[1,2]"), at(kExp)), Errc::kNotAnObject);
  EXPECT_ERRC(v.verify(token("\"exp\""), at(kExp)), Errc::kNotAnObject);
  EXPECT_ERRC(v.verify(token("12"), at(kExp)), Errc::kNotAnObject);
  EXPECT_ERRC(v.verify(token("not json"), at(kExp)), Errc::kBadJson);
  EXPECT_ERRC(v.verify(token(""), at(kExp)), Errc::kBadJson);
  EXPECT_ERRC(v.verify(token(R"({"exp":1800000000,"exp":1})"), at(kExp)), Errc::kDuplicateMember);
  EXPECT_ERRC(v.verify(token("{\"sub\":\"\xff\",\"exp\":1800000000}"), at(kExp)), Errc::kBadJson);
}

TEST_F(VerifierTest, DistinctNamesThatShareABloomBucketAreNotDuplicates) {
  // "ab" and "b_" hash alike in the duplicate check's prefilter (3*'a'+'b' ==
  // 3*'b'+'_'), which must then fall back to comparing the names themselves.
  EXPECT_OK(verifier().verify(token(R"({"exp":1800000000,"ab":1,"b_":2})"), at(kExp)));
  EXPECT_ERRC(verifier().verify(token(R"({"exp":1800000000,"ab":1,"b_":2,"ab":3})"), at(kExp)),
              Errc::kDuplicateMember);
}

TEST_F(VerifierTest, ClaimsOfTheWrongTypeAreRefused) {
  const Verifier v = verifier();
  EXPECT_ERRC(v.verify(token(R"({"exp":"1800000000"})"), at(kExp)), Errc::kBadClaim);
  EXPECT_ERRC(v.verify(token(R"({"exp":true})"), at(kExp)), Errc::kBadClaim);
  EXPECT_ERRC(v.verify(token(R"({"exp":1800000000,"sub":42})"), at(kExp)), Errc::kBadClaim);
  EXPECT_ERRC(v.verify(token(R"({"exp":1800000000,"jti":null})"), at(kExp)), Errc::kBadClaim);
  EXPECT_ERRC(v.verify(token(R"({"exp":1800000000,"fresh":"yes"})"), at(kExp)), Errc::kBadClaim);
  EXPECT_ERRC(v.verify(token(R"({"exp":1800000000,"nbf":{}})"), at(kExp)), Errc::kBadClaim);
}

TEST_F(VerifierTest, HugeAndNegativeNumbersAreRefused) {
  const Verifier v = verifier();
  EXPECT_ERRC(v.verify(token(R"({"exp":1e300})"), at(kExp)), Errc::kBadClaim);
  EXPECT_ERRC(v.verify(token(R"({"exp":-1})"), at(kExp)), Errc::kBadClaim);
  EXPECT_ERRC(v.verify(token(R"({"exp":9223372036854775807})"), at(kExp)), Errc::kBadClaim);
  EXPECT_ERRC(v.verify(token(R"({"exp":18446744073709551615})"), at(kExp)), Errc::kBadClaim);
  // Beyond any binary64 or 64-bit integer: not representable, refused as JSON.
  EXPECT_ERRC(v.verify(token(R"({"exp":1e400})"), at(kExp)), Errc::kBadJson);
  EXPECT_ERRC(v.verify(token(R"({"exp":1800000000,"n":123456789012345678901234567890})"), at(kExp)),
              Errc::kBadJson);
}

TEST_F(VerifierTest, NestedJsonBombInThePayloadIsRefused) {
  // 2,000 levels fit within 8 KiB, so the parser itself must refuse the depth.
  const std::string bomb =
      R"({"exp":1800000000,"x":)" + std::string(2000, '[') + std::string(2000, ']') + "}";
  const std::string t = token(bomb);
  ASSERT_LE(t.size(), kMaxTokenSize);
  EXPECT_ERRC(verifier().verify(t, at(kExp)), Errc::kBadJson);
}

TEST_F(VerifierTest, ReadsRegisteredClaims) {
  const std::string t =
      token(R"({"exp":1800000000,"nbf":1600000000,"iat":1600000000.25,"jti":"j1","sub":"alice",)"
            R"("sid":"s1","type":"refresh","fresh":false,"custom":{"a":[1,2]}})");
  auto verified = verifier().verify(t, at(kExp));
  ASSERT_OK(verified);
  const Claims& c = verified->claims;
  EXPECT_EQ(c.jti, "j1");
  EXPECT_EQ(c.sub, "alice");
  EXPECT_EQ(c.sid, "s1");
  EXPECT_EQ(c.type, "refresh");
  EXPECT_EQ(c.fresh, false);
  EXPECT_EQ(*c.exp, at(1800000000));
  EXPECT_EQ(*c.iat, at(1600000000) + std::chrono::milliseconds(250));
  EXPECT_TRUE(c.has("fresh"));
  EXPECT_FALSE(c.has("iss"));
  EXPECT_NE(c.payload_json.find("custom"), std::string::npos);
}

TEST_F(VerifierTest, RefusesBadOptions) {
  EXPECT_ERRC(Verifier::create(KeySet()), Errc::kInvalidArgument);
  EXPECT_ERRC(Verifier::create(KeySet(key_), with_leeway(-1)), Errc::kInvalidArgument);
  VerifyOptions rsa_only;
  rsa_only.algorithms = {Algorithm::kRS256};
  EXPECT_ERRC(Verifier::create(KeySet(key_), rsa_only), Errc::kNoKeyForAlg);
}

TEST_F(VerifierTest, SignatureIsCheckedBeforeClaims) {
  // An expired token with a bad signature reports the signature.
  std::string t = token(R"({"exp":1})");
  const auto middle = t.rfind('.') + 10;
  t[middle] = t[middle] == 'A' ? 'B' : 'A';
  EXPECT_ERRC(verifier().verify(t, at(kExp)), Errc::kBadSignature);
}

TEST_F(VerifierTest, LeewayIsBounded) {
  EXPECT_OK(Verifier::create(KeySet(key_), with_leeway(24 * 3600)));
  EXPECT_ERRC(Verifier::create(KeySet(key_), with_leeway(24 * 3600 + 1)), Errc::kInvalidArgument);
  EXPECT_ERRC(Verifier::create(KeySet(key_), with_leeway(9223372036854775)),
              Errc::kInvalidArgument);
}

}  // namespace
}  // namespace jwtguard
