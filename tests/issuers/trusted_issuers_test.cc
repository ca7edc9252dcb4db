// TrustedIssuers: the configuration's checks, the choice of the issuer by
// "iss", and the verification of another issuer's access tokens.
#include "jwtguard/trusted_issuers.h"

#include <gtest/gtest.h>

#include "issuers/issuer_fixture.h"

namespace jwtguard::testing {
namespace {

using nlohmann::json;

const std::string kIdp = "https://idp.example";
const std::string kOther = "https://other.example";

class TrustedIssuersTest : public ::testing::Test {
 protected:
  TrustedIssuersTest()
      : key_a_(IssuerKey::generate(Algorithm::kES256, "k1")),
        key_b_(IssuerKey::generate(Algorithm::kEdDSA, "k1")) {}

  std::shared_ptr<const TrustedIssuers> make(std::vector<TrustedIssuer> issuers) {
    auto made = TrustedIssuers::create(std::move(issuers));
    EXPECT_TRUE(made.has_value()) << made.error().message();
    return made.value_or(nullptr);
  }
  TrustedIssuer idp() const {
    return trusted_issuer(kIdp, std::make_shared<StaticKeySource>(key_a_.public_set()), "idp");
  }
  TrustedIssuer other() const {
    return trusted_issuer(kOther, std::make_shared<StaticKeySource>(key_b_.public_set()));
  }
  Result<VerifiedToken> verify(const TrustedIssuers& set, const std::string& token,
                               Timestamp now = from_unix_seconds(kNow)) {
    const TrustedIssuer* issuer = set.find(token);
    if (!issuer) return fail(Errc::kWrongIssuer, "test: no issuer found");
    return set.verify(*issuer, token, now);
  }

  IssuerKey key_a_, key_b_;
};

TEST_F(TrustedIssuersTest, CreateRefusesUnusableIssuers) {
  auto refused = [&](auto change) {
    TrustedIssuer issuer = idp();
    change(issuer);
    EXPECT_ERRC(TrustedIssuers::create({issuer}), Errc::kInvalidArgument);
  };
  refused([](TrustedIssuer& i) { i.issuer.clear(); });
  refused([](TrustedIssuer& i) { i.name = "app"; });
  refused([](TrustedIssuer& i) { i.name = "user"; });
  refused([](TrustedIssuer& i) {
    i.name =
        "a\x1f"
        "b";
  });
  refused([](TrustedIssuer& i) { i.keys = nullptr; });
  refused([](TrustedIssuer& i) { i.algorithms = {Algorithm::kES256, Algorithm::kHS256}; });
  refused([](TrustedIssuer& i) { i.subject_claim.clear(); });
  refused([](TrustedIssuer& i) { i.session_claim = "sub"; });
  refused([](TrustedIssuer& i) { i.subject_claim = "exp"; });
  refused([](TrustedIssuer& i) { i.session_claim = "nonce"; });
  refused([](TrustedIssuer& i) { i.leeway = std::chrono::seconds(-1); });
  refused([](TrustedIssuer& i) { i.leeway = kMaxLeeway + std::chrono::seconds(1); });
  refused([](TrustedIssuer& i) { i.max_token_lifetime = std::chrono::seconds(0); });

  TrustedIssuer same_iss = other();
  same_iss.issuer = kIdp;
  EXPECT_ERRC(TrustedIssuers::create({idp(), same_iss}), Errc::kInvalidArgument);
  TrustedIssuer same_name = other();
  same_name.name = "idp";
  EXPECT_ERRC(TrustedIssuers::create({idp(), same_name}), Errc::kInvalidArgument);
  EXPECT_OK(TrustedIssuers::create({idp(), other()}));
}

TEST_F(TrustedIssuersTest, FindChoosesByIss) {
  auto set = make({idp(), other()});
  EXPECT_EQ(set->find(key_a_.sign(access_payload(kIdp, "alice"))), &set->issuers()[0]);
  EXPECT_EQ(set->find(key_b_.sign(access_payload(kOther, "alice"))), &set->issuers()[1]);
  EXPECT_EQ(set->find(key_a_.sign(access_payload("https://unknown.example", "alice"))), nullptr);
  EXPECT_EQ(set->find("not.a.token"), nullptr);
  EXPECT_EQ(set->find(key_a_.sign(json{{"sub", "alice"}})), nullptr);
  EXPECT_EQ(set->find_by_name("idp"), &set->issuers()[0]);
  EXPECT_EQ(set->find_by_name(kOther), &set->issuers()[1]);
}

TEST_F(TrustedIssuersTest, VerifiedClaimsAreInTheIssuersNamespace) {
  auto set = make({idp(), other()});
  auto verified = verify(*set, key_a_.sign(access_payload(kIdp, "alice")));
  ASSERT_OK(verified);
  const Claims& c = verified->claims;
  EXPECT_EQ(c.sub, "alice");
  EXPECT_EQ(c.sub_ns, "idp");
  EXPECT_EQ(c.sid, "s-alice");
  EXPECT_EQ(c.jti, "j-alice");
  EXPECT_EQ(c.type, "access");
  EXPECT_TRUE(c.has("type"));
  EXPECT_EQ(c.iat, from_unix_seconds(kNow));

  auto unnamed = verify(*set, key_b_.sign(access_payload(kOther, "alice")));
  ASSERT_OK(unnamed);
  EXPECT_EQ(unnamed->claims.sub_ns, kOther);
}

// Issuer A's token signed by B's key is refused even though B's key has
// the kid the token names: A's keys are the only ones tried.
TEST_F(TrustedIssuersTest, AnotherIssuersKeyNeverVerifies) {
  auto set = make({idp(), other()});
  EXPECT_ERRC(verify(*set, key_b_.sign(access_payload(kIdp, "alice"))), Errc::kKeyAlgMismatch);
  const IssuerKey same_kind = IssuerKey::generate(Algorithm::kES256, "k1");
  EXPECT_ERRC(verify(*set, same_kind.sign(access_payload(kIdp, "alice"))), Errc::kBadSignature);
  EXPECT_ERRC(set->verify(set->issuers()[1], key_a_.sign(access_payload(kIdp, "alice")),
                          from_unix_seconds(kNow)),
              Errc::kKeyAlgMismatch);
}

TEST_F(TrustedIssuersTest, AllowlistAndNeverHmacOrNone) {
  const IssuerKey rsa = IssuerKey::generate(Algorithm::kRS256, "rsa");
  const Key secret = Key::from_secret(std::string(32, 's'), "hs").value();
  KeySet keys = key_a_.public_set();
  ASSERT_OK(keys.add(rsa.public_key()));
  ASSERT_OK(keys.add(secret));
  TrustedIssuer issuer = trusted_issuer(kIdp, std::make_shared<StaticKeySource>(keys));
  issuer.algorithms = {Algorithm::kES256};
  auto listed = make({issuer});
  EXPECT_OK(verify(*listed, key_a_.sign(access_payload(kIdp, "alice"))));
  EXPECT_ERRC(verify(*listed, rsa.sign(access_payload(kIdp, "alice"))), Errc::kAlgNotAllowed);

  issuer.algorithms.clear();  // whatever the keys allow, but never a secret
  auto open = make({issuer});
  EXPECT_OK(verify(*open, rsa.sign(access_payload(kIdp, "alice"))));
  const IssuerKey hs{secret, Algorithm::kHS256};
  EXPECT_ERRC(verify(*open, hs.sign(access_payload(kIdp, "alice"))), Errc::kAlgNotAllowed);
  EXPECT_ERRC(verify(*open, unsigned_token(access_payload(kIdp, "alice"))), Errc::kAlgNone);
}

TEST_F(TrustedIssuersTest, Audience) {
  auto set = make({idp()});
  json payload = access_payload(kIdp, "alice");
  payload["aud"] = json::array({"x", "api"});
  EXPECT_OK(verify(*set, key_a_.sign(payload)));
  payload["aud"] = "another-api";
  EXPECT_ERRC(verify(*set, key_a_.sign(payload)), Errc::kWrongAudience);
  payload.erase("aud");
  EXPECT_ERRC(verify(*set, key_a_.sign(payload)), Errc::kMissingClaim);
  TrustedIssuer no_audience = idp();
  no_audience.audience.clear();
  EXPECT_OK(verify(*make({no_audience}), key_a_.sign(payload)));
}

TEST_F(TrustedIssuersTest, TimesWithTheIssuersLeeway) {
  TrustedIssuer issuer = idp();
  issuer.leeway = std::chrono::seconds(10);
  issuer.max_token_lifetime = std::chrono::hours(1);
  auto set = make({issuer});
  const json payload = access_payload(kIdp, "alice");  // exp = kNow + 300
  const std::string token = key_a_.sign(payload);
  EXPECT_OK(verify(*set, token, from_unix_seconds(kNow + 309)));
  EXPECT_ERRC(verify(*set, token, from_unix_seconds(kNow + 310)), Errc::kExpired);
  EXPECT_OK(verify(*set, token, from_unix_seconds(kNow - 10)));
  EXPECT_ERRC(verify(*set, token, from_unix_seconds(kNow - 11)), Errc::kIssuedInFuture);

  json no_exp = payload;
  no_exp.erase("exp");
  auto missing = verify(*set, key_a_.sign(no_exp));
  EXPECT_ERRC(missing, Errc::kMissingClaim);
  EXPECT_EQ(missing.error().detail(), "exp");
  json no_iat = payload;
  no_iat.erase("iat");
  missing = verify(*set, key_a_.sign(no_iat));
  EXPECT_ERRC(missing, Errc::kMissingClaim);
  EXPECT_EQ(missing.error().detail(), "iat");

  json long_lived = payload;
  long_lived["exp"] = kNow + 3600;
  EXPECT_OK(verify(*set, key_a_.sign(long_lived)));
  long_lived["exp"] = kNow + 3601;
  auto too_long = verify(*set, key_a_.sign(long_lived));
  EXPECT_ERRC(too_long, Errc::kBadClaim);
  EXPECT_EQ(too_long.error().detail().substr(0, 3), "exp");
}

TEST_F(TrustedIssuersTest, MappedSubjectAndSessionClaims) {
  TrustedIssuer issuer = idp();
  issuer.subject_claim = "email";
  issuer.session_claim = "session_state";
  auto set = make({issuer});
  json payload = access_payload(kIdp, "opaque-id");
  payload["email"] = "alice@example.com";
  payload["session_state"] = "kc-session";
  auto verified = verify(*set, key_a_.sign(payload));
  ASSERT_OK(verified);
  EXPECT_EQ(verified->claims.sub, "alice@example.com");
  EXPECT_EQ(verified->claims.sid, "kc-session");

  payload.erase("session_state");  // the session claim may be absent
  verified = verify(*set, key_a_.sign(payload));
  ASSERT_OK(verified);
  EXPECT_EQ(verified->claims.sid, "");
  EXPECT_FALSE(verified->claims.has("sid"));

  payload["email"] = 42;
  EXPECT_ERRC(verify(*set, key_a_.sign(payload)), Errc::kBadClaim);
  payload.erase("email");
  auto missing = verify(*set, key_a_.sign(payload));
  EXPECT_ERRC(missing, Errc::kMissingClaim);
  EXPECT_EQ(missing.error().detail(), "email");
}

// An identity server that lets users shape claims must not make a token
// fresh, a refresh token, move it into another namespace or order it
// after a cutoff; malformed copies of these claims are ignored as well.
TEST_F(TrustedIssuersTest, JwtguardsOwnClaimsAreIgnored) {
  auto set = make({idp()});
  json payload = access_payload(kIdp, "alice");
  payload["type"] = "refresh";
  payload["fresh"] = true;
  payload["sub_ns"] = "app";
  payload["iat_ms"] = (kNow + 86400) * 1000;
  payload["csrf"] = "c";
  auto verified = verify(*set, key_a_.sign(payload));
  ASSERT_OK(verified);
  const Claims& c = verified->claims;
  EXPECT_EQ(c.type, "access");
  EXPECT_EQ(c.sub_ns, "idp");
  EXPECT_FALSE(c.fresh.has_value());
  EXPECT_FALSE(c.iat_ms.has_value());
  EXPECT_EQ(c.csrf, "");
  EXPECT_EQ(issue_order(c), from_unix_seconds(kNow));

  payload["fresh"] = "yes";
  payload["iat_ms"] = "soon";
  payload["sub_ns"] = "";
  EXPECT_OK(verify(*set, key_a_.sign(payload)));
}

TEST_F(TrustedIssuersTest, ControlCharactersAndWrongTypes) {
  auto set = make({idp()});
  for (const char* claim : {"jti", "sub", "sid"}) {
    SCOPED_TRACE(claim);
    json payload = access_payload(kIdp, "alice");
    payload[claim] = std::string("a\x1f") + "b";
    EXPECT_ERRC(verify(*set, key_a_.sign(payload)), Errc::kBadClaim);
    payload[claim] = std::string("a\n");
    EXPECT_ERRC(verify(*set, key_a_.sign(payload)), Errc::kBadClaim);
    payload[claim] = 7;
    EXPECT_ERRC(verify(*set, key_a_.sign(payload)), Errc::kBadClaim);
  }
  json payload = access_payload(kIdp, "alice");
  payload["exp"] = "tomorrow";
  EXPECT_ERRC(verify(*set, key_a_.sign(payload)), Errc::kBadClaim);
  const std::string duplicate =
      R"({"iss":")" + kIdp + R"(","sub":"alice","sub":"bob","aud":"api","iat":)" +
      std::to_string(kNow) + R"(,"exp":)" + std::to_string(kNow + 60) + "}";
  nlohmann::json header = {{"alg", "ES256"}, {"kid", "k1"}};
  // find() cannot read an "iss" from it; verify() refuses it as parse_claims would.
  const std::string token = key_a_.sign_raw(header.dump(), duplicate);
  EXPECT_EQ(set->find(token), nullptr);
  EXPECT_ERRC(set->verify(set->issuers()[0], token, from_unix_seconds(kNow)),
              Errc::kDuplicateMember);
}

TEST_F(TrustedIssuersTest, LogoutTokensAreNotAccessTokens) {
  auto set = make({idp()});
  EXPECT_ERRC(verify(*set, key_a_.sign(access_payload(kIdp, "alice"), "logout+jwt")),
              Errc::kBadHeader);
  EXPECT_ERRC(verify(*set, key_a_.sign(access_payload(kIdp, "alice"), "application/Logout+JWT")),
              Errc::kBadHeader);
  json payload = access_payload(kIdp, "alice");
  payload["events"] = {{"http://schemas.openid.net/event/backchannel-logout", json::object()}};
  EXPECT_ERRC(verify(*set, key_a_.sign(payload)), Errc::kBadClaim);
  EXPECT_OK(verify(*set, key_a_.sign(access_payload(kIdp, "alice"), "at+jwt")));
}

// An unknown kid asks the source once per token; a key the source learns
// of that way (a rotation at the identity server) verifies.
TEST_F(TrustedIssuersTest, UnknownKidAsksTheSourceOnce) {
  auto source = std::make_shared<CountingKeySource>(key_a_.public_set());
  auto set = make({trusted_issuer(kIdp, source)});
  EXPECT_OK(verify(*set, key_a_.sign(access_payload(kIdp, "alice"))));
  EXPECT_EQ(source->calls(), 0);

  const IssuerKey made_up = IssuerKey::generate(Algorithm::kES256, "made-up");
  for (int i = 1; i <= 3; ++i) {
    EXPECT_ERRC(verify(*set, made_up.sign(access_payload(kIdp, "alice"))), Errc::kUnknownKid);
    EXPECT_EQ(source->calls(), i);
  }

  const IssuerKey rotated = IssuerKey::generate(Algorithm::kES256, "k2");
  source->rotate_to(rotated.public_set());
  EXPECT_OK(verify(*set, rotated.sign(access_payload(kIdp, "alice"))));
  EXPECT_EQ(source->calls(), 4);
  EXPECT_OK(verify(*set, rotated.sign(access_payload(kIdp, "bob"))));
  EXPECT_EQ(source->calls(), 4);
}

TEST_F(TrustedIssuersTest, NothingVerifiesBeforeTheFirstKeySet) {
  class Empty final : public KeySource {
   public:
    std::shared_ptr<const KeySet> keys() const override { return nullptr; }
    std::shared_ptr<const KeySet> keys_with(std::string_view) override { return nullptr; }
  };
  auto set = make({trusted_issuer(kIdp, std::make_shared<Empty>())});
  EXPECT_ERRC(verify(*set, key_a_.sign(access_payload(kIdp, "alice"))), Errc::kUnknownKid);
}

TEST_F(TrustedIssuersTest, VerifyRefusesAnIssuerFromElsewhere) {
  auto set = make({idp()});
  const TrustedIssuer copy = idp();
  EXPECT_ERRC(
      set->verify(copy, key_a_.sign(access_payload(kIdp, "alice")), from_unix_seconds(kNow)),
      Errc::kInvalidArgument);
}

}  // namespace
}  // namespace jwtguard::testing
