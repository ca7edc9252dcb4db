#include "jwtguard/issuer.h"

#include <gtest/gtest.h>

#include <set>

#include "jose/base64url.h"
#include "jwtguard/revocation.h"
#include "jwtguard/verifier.h"
#include "testing/fixtures.h"

namespace jwtguard {
namespace {

using std::chrono::seconds;
using testing::private_key_for;
using testing::public_key_for;

const Timestamp kNow = from_unix_seconds(1'700'000'000) + std::chrono::milliseconds(250);

class IssuerTest : public ::testing::TestWithParam<Algorithm> {};

INSTANTIATE_TEST_SUITE_P(Issuer, IssuerTest,
                         ::testing::ValuesIn(all_algorithms().begin(), all_algorithms().end()),
                         testing::algorithm_test_name);

TEST_P(IssuerTest, IssuesTokensTheVerifierAccepts) {
  const Algorithm alg = GetParam();
  auto issuer = Issuer::create(private_key_for(alg), {.algorithm = alg});
  ASSERT_OK(issuer);
  auto pair = issuer->issue_pair("alice", R"({"role":"admin"})", kNow);
  ASSERT_OK(pair);
  const Verifier verifier = *Verifier::create(KeySet(public_key_for(alg)));
  auto access = verifier.verify(pair->access.token, kNow);
  ASSERT_OK(access);
  EXPECT_EQ(access->header->alg, alg);
  EXPECT_EQ(access->claims.sub, "alice");
  EXPECT_EQ(access->claims.type, "access");
  EXPECT_EQ(access->claims.fresh, true);
  EXPECT_EQ(access->claims.jti, pair->access.jti);
  EXPECT_EQ(access->claims.sid, pair->access.sid);
  EXPECT_NE(access->claims.payload_json.find(R"("role":"admin")"), std::string::npos);
  auto refresh = verifier.verify(pair->refresh.token, kNow);
  ASSERT_OK(refresh);
  EXPECT_EQ(refresh->claims.type, "refresh");
  EXPECT_FALSE(refresh->claims.has("fresh"));
  EXPECT_EQ(refresh->claims.sid, access->claims.sid);
  EXPECT_NE(refresh->claims.jti, access->claims.jti);
}

TEST(Issuer, TimesAndDefaultLifetimes) {
  const Issuer issuer = *Issuer::create(private_key_for(Algorithm::kHS256));
  const TokenPair pair = *issuer.issue_pair("alice", "", kNow);
  const Verifier verifier = *Verifier::create(KeySet(private_key_for(Algorithm::kHS256)));
  const Claims access = verifier.verify(pair.access.token, kNow)->claims;
  const Claims refresh = verifier.verify(pair.refresh.token, kNow)->claims;
  // Whole seconds, which every common JWT library reads; the milliseconds
  // go to iat_ms, which orders the token against a user's cutoff.
  EXPECT_EQ(*access.iat, from_unix_seconds(1'700'000'000));
  EXPECT_EQ(*access.iat_ms, std::chrono::floor<std::chrono::milliseconds>(kNow));
  EXPECT_EQ(*issue_order(access), *access.iat_ms);
  EXPECT_NE(access.payload_json.find(R"("iat":1700000000,)"), std::string::npos)
      << access.payload_json;
  EXPECT_EQ(*access.nbf, from_unix_seconds(1'700'000'000));
  EXPECT_EQ(*access.exp, from_unix_seconds(1'700'000'000 + 15 * 60));
  EXPECT_EQ(*refresh.exp, from_unix_seconds(1'700'000'000 + 30 * 24 * 3600));
  EXPECT_EQ(pair.access.expires_at, *access.exp);
  EXPECT_OK(verifier.verify(pair.access.token, from_unix_seconds(1'700'000'000 + 15 * 60 - 1)));
  EXPECT_ERRC(verifier.verify(pair.access.token, from_unix_seconds(1'700'000'000 + 15 * 60)),
              Errc::kExpired);
}

TEST(Issuer, OrderAtRaisesIatMsOnly) {
  const Issuer issuer = *Issuer::create(private_key_for(Algorithm::kHS256));
  const Timestamp cutoff = from_unix_seconds(1'700'000'001);  // ahead of kNow, past a second
  TokenRequest request{.subject = "alice", .order_at = cutoff};
  const IssuedToken token = *issuer.issue(request, kNow);
  const Verifier verifier = *Verifier::create(KeySet(private_key_for(Algorithm::kHS256)));
  auto verified = verifier.verify(token.token, kNow);  // iat is not in the future
  ASSERT_OK(verified);
  EXPECT_EQ(*verified->claims.iat, from_unix_seconds(1'700'000'000));
  EXPECT_EQ(*verified->claims.iat_ms, cutoff);
  EXPECT_EQ(token.issued_at, cutoff);
}

TEST(Issuer, RefusesOwnedClaimsAndTheNamespaceSeparator) {
  const Issuer issuer = *Issuer::create(private_key_for(Algorithm::kHS256));
  for (const char* claim : {"sub_ns", "iat_ms", "sid", "iat"}) {
    TokenRequest request{.subject = "alice",
                         .extra_claims_json = std::string(R"({")") + claim + R"(":"x"})"};
    SCOPED_TRACE(claim);
    EXPECT_ERRC(issuer.issue(request, kNow), Errc::kInvalidArgument);
  }
  EXPECT_ERRC(issuer.issue({.subject = std::string("app\x1f"
                                                   "root")},
                           kNow),
              Errc::kInvalidArgument);
  EXPECT_ERRC(issuer.issue({.subject = "root",
                            .subject_namespace = "a\x1f"
                                                 "b"},
                           kNow),
              Errc::kInvalidArgument);
  auto minted = issuer.issue({.subject = "root", .subject_namespace = "app"}, kNow);
  ASSERT_OK(minted);
  const Verifier verifier = *Verifier::create(KeySet(private_key_for(Algorithm::kHS256)));
  const Claims claims = verifier.verify(minted->token, kNow)->claims;
  EXPECT_EQ(claims.sub_ns, "app");
  EXPECT_EQ(subject_key(claims), std::string("app\x1f"
                                             "root"));
  EXPECT_EQ(split_subject_key(subject_key(claims)).first, "app");
  EXPECT_EQ(split_subject_key(subject_key(claims)).second, "root");
}

TEST(Issuer, ExtraClaimsOfKeepsOnlyTheApplicationsClaims) {
  auto extra = extra_claims_of(
      R"({"jti":"j","sub":"s","sub_ns":"app","iat":1,"iat_ms":1000,"scope":"read-only","n":{"a":1}})");
  ASSERT_OK(extra);
  EXPECT_EQ(*extra, R"({"scope":"read-only","n":{"a":1}})");
  EXPECT_EQ(*extra_claims_of(R"({"jti":"j"})"), "");
  EXPECT_ERRC(extra_claims_of("[1]"), Errc::kInvalidArgument);
}

TEST(Issuer, IssuerAudienceAndTtlOverride) {
  IssuerOptions options;
  options.issuer = "https://auth.example";
  options.audience = {"api"};
  const Issuer issuer = *Issuer::create(private_key_for(Algorithm::kHS256), options);
  TokenRequest request{.subject = "bob", .ttl = seconds(60)};
  const IssuedToken token = *issuer.issue(request, kNow);
  VerifyOptions verify;
  verify.claims.issuer = "https://auth.example";
  verify.claims.audience = {"api"};
  const Verifier verifier = *Verifier::create(KeySet(private_key_for(Algorithm::kHS256)), verify);
  auto verified = verifier.verify(token.token, kNow);
  ASSERT_OK(verified);
  EXPECT_EQ(*verified->claims.exp, from_unix_seconds(1'700'000'060));
  EXPECT_EQ(verified->claims.fresh, false);
}

TEST(Issuer, JtiIsUniqueAndCarries128Bits) {
  const Issuer issuer = *Issuer::create(private_key_for(Algorithm::kHS256));
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    const IssuedToken t = *issuer.issue({.subject = "alice"}, kNow);
    ASSERT_EQ(base64url::decode(t.jti)->size(), 16u);
    ASSERT_TRUE(seen.insert(t.jti).second) << "repeated jti";
  }
}

// The double-submit value (jwtguard/http.h): 128 random bits per pair when
// asked for, a given one kept (a session's new access token keeps the value
// its browser holds), none otherwise; an application cannot set it.
TEST(Issuer, CsrfClaimIsRandomPerTokenOrKept) {
  const Verifier verifier = *Verifier::create(KeySet(public_key_for(Algorithm::kHS256)));
  auto csrf_of = [&](const IssuedToken& token) {
    return verifier.verify(token.token, kNow)->claims.csrf;
  };
  const Issuer plain = *Issuer::create(private_key_for(Algorithm::kHS256));
  EXPECT_EQ(csrf_of(*plain.issue({.subject = "a"}, kNow)), "");
  const Issuer issuer = *Issuer::create(private_key_for(Algorithm::kHS256), {.csrf_claim = true});
  auto pair = issuer.issue_pair("a", "", kNow);
  ASSERT_OK(pair);
  const std::string access = csrf_of(pair->access), refresh = csrf_of(pair->refresh);
  EXPECT_EQ(base64url::decode(access)->size(), 16u);
  EXPECT_EQ(base64url::decode(refresh)->size(), 16u);
  EXPECT_EQ(access, refresh);  // one value per pair: either cookie matches the page's header
  EXPECT_NE(access, csrf_of(issuer.issue_pair("a", "", kNow)->access));
  EXPECT_EQ(csrf_of(*issuer.issue({.subject = "a", .csrf = "kept"}, kNow)), "kept");
  EXPECT_EQ(issuer.issue({.subject = "a", .extra_claims_json = R"({"csrf":"x"})"}, kNow).error(),
            Errc::kInvalidArgument);
  EXPECT_EQ(extra_claims_of(R"({"csrf":"x","role":1})").value(), R"({"role":1})");
}

TEST(Issuer, KeepsAGivenSessionId) {
  const Issuer issuer = *Issuer::create(private_key_for(Algorithm::kHS256));
  EXPECT_EQ(issuer.issue({.subject = "a", .session_id = "s-1"}, kNow)->sid, "s-1");
}

// A copy of a session's current refresh token keeps its jti, so that every
// revocation of that token covers the copy too.
TEST(Issuer, KeepsAGivenJtiAndDrawsOneOtherwise) {
  const Issuer issuer = *Issuer::create(private_key_for(Algorithm::kHS256));
  const Verifier verifier = *Verifier::create(KeySet(public_key_for(Algorithm::kHS256)));
  auto kept = issuer.issue({.subject = "a", .type = TokenType::kRefresh, .jti = "r-1"}, kNow);
  ASSERT_OK(kept);
  EXPECT_EQ(kept->jti, "r-1");
  EXPECT_EQ(verifier.verify(kept->token, kNow)->claims.jti, "r-1");
  auto drawn = issuer.issue({.subject = "a"}, kNow);
  ASSERT_OK(drawn);
  EXPECT_EQ(base64url::decode(drawn->jti)->size(), 16u);
  EXPECT_EQ(verifier.verify(drawn->token, kNow)->claims.jti, drawn->jti);
}

TEST(Issuer, RefusesWhatItCannotSign) {
  EXPECT_ERRC(Issuer::create(*Key::from_secret(std::string(31, 'x'))), Errc::kWeakKey);
  EXPECT_ERRC(
      Issuer::create(*Key::from_secret(std::string(32, 'x')), {.algorithm = Algorithm::kHS512}),
      Errc::kWeakKey);
  EXPECT_ERRC(Issuer::create(public_key_for(Algorithm::kES256)), Errc::kKeyNotPrivate);
  EXPECT_ERRC(Issuer::create(private_key_for(Algorithm::kES256), {.algorithm = Algorithm::kES384}),
              Errc::kKeyAlgMismatch);
  EXPECT_ERRC(Issuer::create(private_key_for(Algorithm::kHS256), {.access_ttl = seconds(0)}),
              Errc::kInvalidArgument);
}

TEST(Issuer, RefusesBadRequests) {
  const Issuer issuer = *Issuer::create(private_key_for(Algorithm::kHS256));
  EXPECT_ERRC(issuer.issue({.subject = ""}, kNow), Errc::kInvalidArgument);
  EXPECT_ERRC(issuer.issue({.subject = "a", .extra_claims_json = "[1]"}, kNow),
              Errc::kInvalidArgument);
  EXPECT_ERRC(issuer.issue({.subject = "a", .extra_claims_json = "{"}, kNow),
              Errc::kInvalidArgument);
  EXPECT_ERRC(issuer.issue({.subject = "a", .extra_claims_json = R"({"jti":"mine"})"}, kNow),
              Errc::kInvalidArgument);
  EXPECT_ERRC(issuer.issue({.subject = "a", .extra_claims_json = R"({"exp":1})"}, kNow),
              Errc::kInvalidArgument);
}

TEST(Issuer, DefaultAlgorithmIsTheOneTheKeyIsBoundTo) {
  auto bound = Key::from_jwk(R"({"kty":"oct","alg":"HS384","k":")" +
                             base64url::encode(std::string(48, 'k')) + R"("})");
  ASSERT_OK(bound);
  EXPECT_EQ(Issuer::create(*bound)->algorithm(), Algorithm::kHS384);
  EXPECT_EQ(Issuer::create(private_key_for(Algorithm::kHS256))->algorithm(), Algorithm::kHS256);
  EXPECT_EQ(Issuer::create(private_key_for(Algorithm::kRS256))->algorithm(), Algorithm::kRS256);
  EXPECT_EQ(Issuer::create(private_key_for(Algorithm::kES384))->algorithm(), Algorithm::kES384);
}

TEST(Issuer, HeaderNamesTheKid) {
  const Issuer issuer = *Issuer::create(*Key::generate(Algorithm::kES256, "key-2026"));
  const IssuedToken t = *issuer.issue({.subject = "a"}, kNow);
  auto decoded = decode_jws(t.token);
  ASSERT_OK(decoded);
  EXPECT_EQ(decoded->header_json, R"({"alg":"ES256","typ":"JWT","kid":"key-2026"})");
}

}  // namespace
}  // namespace jwtguard
