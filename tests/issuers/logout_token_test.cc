// TrustedIssuers::verify_logout_token and parse_logout_claims: every rule of
// OpenID Connect Back-Channel Logout 1.0, section 2.6.
#include "issuers/logout_token.h"

#include <gtest/gtest.h>

#include "issuers/issuer_fixture.h"
#include "jwtguard/trusted_issuers.h"

namespace jwtguard::testing {
namespace {

using nlohmann::json;

const std::string kIdp = "https://idp.example";

class LogoutTokenTest : public ::testing::Test {
 protected:
  LogoutTokenTest() : key_(IssuerKey::generate(Algorithm::kES256, "k1")) {
    TrustedIssuer issuer =
        trusted_issuer(kIdp, std::make_shared<StaticKeySource>(key_.public_set()), "idp");
    issuer.leeway = std::chrono::seconds(5);
    issuer.logout_token_max_age = std::chrono::seconds(60);
    TrustedIssuer no_client = trusted_issuer("https://noclient.example",
                                             std::make_shared<StaticKeySource>(key_.public_set()));
    no_client.client_id.clear();
    set_ = TrustedIssuers::create({issuer, no_client}).value();
  }

  Result<LogoutToken> verify(const std::string& token, std::int64_t now = kNow) {
    return set_->verify_logout_token(token, from_unix_seconds(now));
  }
  Result<LogoutToken> verify_payload(const json& payload, std::int64_t now = kNow) {
    return verify(key_.sign(payload, "logout+jwt"), now);
  }
  // The payload without `claim`.
  static json without(std::string_view claim) {
    json payload = logout_payload(kIdp, "rp");
    payload.erase(std::string(claim));
    return payload;
  }

  IssuerKey key_;
  std::shared_ptr<const TrustedIssuers> set_;
};

TEST_F(LogoutTokenTest, AValidOne) {
  auto logout = verify_payload(logout_payload(kIdp, "rp"));
  ASSERT_OK(logout);
  EXPECT_EQ(logout->name, "idp");
  EXPECT_EQ(logout->issuer, kIdp);
  EXPECT_EQ(logout->jti, "logout-1");
  EXPECT_EQ(logout->sid, "s-alice");
  EXPECT_EQ(logout->sub, "alice");
  EXPECT_EQ(logout->iat, from_unix_seconds(kNow));
  EXPECT_EQ(logout->exp, from_unix_seconds(kNow + 120));

  // exp is REQUIRED (Back-Channel Logout 1.0, 2.4).
  EXPECT_ERRC(verify_payload(without("exp")), Errc::kMissingClaim);
  // sid alone, sub alone.
  ASSERT_OK(verify_payload(without("sub")));
  ASSERT_OK(verify_payload(without("sid")));
  EXPECT_EQ(verify_payload(without("sid"))->sid, "");
}

TEST_F(LogoutTokenTest, TypHeader) {
  const json payload = logout_payload(kIdp, "rp");
  EXPECT_OK(verify(key_.sign(payload, "")));
  EXPECT_OK(verify(key_.sign(payload, "JWT")));
  EXPECT_OK(verify(key_.sign(payload, "Logout+JWT")));
  EXPECT_OK(verify(key_.sign(payload, "application/logout+jwt")));
  EXPECT_ERRC(verify(key_.sign(payload, "at+jwt")), Errc::kBadHeader);
  EXPECT_ERRC(verify(key_.sign(payload, "secevent+jwt")), Errc::kBadHeader);
}

TEST_F(LogoutTokenTest, AudienceIsTheClientId) {
  json payload = logout_payload(kIdp, "rp");
  payload["aud"] = json::array({"other", "rp"});
  EXPECT_OK(verify_payload(payload));
  payload["aud"] = "api";  // an access token's audience is not enough
  EXPECT_ERRC(verify_payload(payload), Errc::kWrongAudience);
  EXPECT_ERRC(verify_payload(without("aud")), Errc::kMissingClaim);
  json no_client = logout_payload("https://noclient.example", "rp");
  EXPECT_ERRC(verify_payload(no_client), Errc::kWrongAudience);
}

TEST_F(LogoutTokenTest, Times) {
  const json payload = logout_payload(kIdp, "rp");
  auto missing = verify_payload(without("iat"));
  EXPECT_ERRC(missing, Errc::kMissingClaim);
  EXPECT_EQ(missing.error().detail(), "iat");
  // Not older than logout_token_max_age (60 s) plus the leeway (5 s).
  EXPECT_OK(verify_payload(payload, kNow + 65));
  EXPECT_ERRC(verify_payload(payload, kNow + 66), Errc::kExpired);
  // Not in the future beyond the leeway.
  EXPECT_OK(verify_payload(payload, kNow - 5));
  EXPECT_ERRC(verify_payload(payload, kNow - 6), Errc::kIssuedInFuture);
  // An exp already passed.
  json expired = payload;
  expired["exp"] = kNow - 10;
  EXPECT_ERRC(verify_payload(expired), Errc::kExpired);
}

TEST_F(LogoutTokenTest, ClaimsTheSpecificationRequires) {
  auto missing = verify_payload(without("jti"));
  EXPECT_ERRC(missing, Errc::kMissingClaim);
  EXPECT_EQ(missing.error().detail(), "jti");
  missing = verify_payload(without("events"));
  EXPECT_ERRC(missing, Errc::kMissingClaim);
  EXPECT_EQ(missing.error().detail(), "events");

  json payload = logout_payload(kIdp, "rp");
  payload["events"] = "http://schemas.openid.net/event/backchannel-logout";
  EXPECT_ERRC(verify_payload(payload), Errc::kBadClaim);
  payload["events"] = {{"http://schemas.openid.net/event/other", json::object()}};
  EXPECT_ERRC(verify_payload(payload), Errc::kBadClaim);
  payload["events"] = {{"http://schemas.openid.net/event/backchannel-logout", "yes"}};
  EXPECT_ERRC(verify_payload(payload), Errc::kBadClaim);

  json anonymous = without("sid");
  anonymous.erase("sub");
  EXPECT_ERRC(verify_payload(anonymous), Errc::kMissingClaim);

  json with_nonce = logout_payload(kIdp, "rp");
  with_nonce["nonce"] = "n-0S6_WzA2Mj";
  auto refused = verify_payload(with_nonce);
  EXPECT_ERRC(refused, Errc::kBadClaim);
  EXPECT_EQ(refused.error().detail(), "nonce");

  json bad_sid = logout_payload(kIdp, "rp");
  bad_sid["sid"] = 12;
  EXPECT_ERRC(verify_payload(bad_sid), Errc::kBadClaim);
}

TEST_F(LogoutTokenTest, SignatureAndIssuer) {
  const json payload = logout_payload(kIdp, "rp");
  EXPECT_ERRC(verify(unsigned_token(payload)), Errc::kAlgNone);
  const IssuerKey stranger = IssuerKey::generate(Algorithm::kES256, "k1");
  EXPECT_ERRC(verify(stranger.sign(payload, "logout+jwt")), Errc::kBadSignature);
  const IssuerKey other_kid = IssuerKey::generate(Algorithm::kES256, "k9");
  EXPECT_ERRC(verify(other_kid.sign(payload, "logout+jwt")), Errc::kUnknownKid);
  EXPECT_ERRC(verify_payload(logout_payload("https://unknown.example", "rp")), Errc::kWrongIssuer);
  EXPECT_ERRC(verify_payload(without("iss")), Errc::kWrongIssuer);
  EXPECT_ERRC(verify("garbage"), Errc::kWrongIssuer);
  // A tampered payload: the signature no longer covers it.
  std::string token = key_.sign(payload, "logout+jwt");
  const auto dot = token.find('.');
  token[dot + 5] = token[dot + 5] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(verify(token).has_value());
}

// A logout token says "sid" and "sub" whatever claims the issuer's access
// tokens carry the session and subject in: a mapping (Keycloak-style
// session_claim, an e-mail subject) must neither hide its sid nor turn a
// session logout into a logout of every session of the user.
TEST(LogoutTokenMapping, SidAndSubAreTheSpecificationsNames) {
  IssuerKey key = IssuerKey::generate(Algorithm::kES256, "k1");
  TrustedIssuer issuer =
      trusted_issuer(kIdp, std::make_shared<StaticKeySource>(key.public_set()), "idp");
  issuer.session_claim = "login_sid";
  issuer.subject_claim = "email";
  auto set = TrustedIssuers::create({issuer}).value();
  auto verify = [&](const json& payload) {
    return set->verify_logout_token(key.sign(payload, "logout+jwt"), from_unix_seconds(kNow));
  };
  json both = logout_payload(kIdp, "rp");  // sid "s-alice", sub "alice"
  auto logout = verify(both);
  ASSERT_OK(logout);
  EXPECT_EQ(logout->sid, "s-alice");
  json sid_only = both;
  sid_only.erase("sub");
  ASSERT_OK(verify(sid_only));
  EXPECT_EQ(verify(sid_only)->sid, "s-alice");
  // A logout by "sub" alone cannot name what the access tokens are
  // recorded by ("email"): refused, rather than told done.
  json sub_only = both;
  sub_only.erase("sid");
  EXPECT_ERRC(verify(sub_only), Errc::kMissingClaim);
  // The mapped names mean nothing in a logout token.
  json mapped_only = sub_only;
  mapped_only.erase("sub");
  mapped_only["login_sid"] = "s-alice";
  mapped_only["email"] = "alice@example.com";
  EXPECT_ERRC(verify(mapped_only), Errc::kMissingClaim);
}

TEST(ParseLogoutClaims, MappedClaims) {
  const issuers::ClaimMapping mapping{
      .ns = "idp", .subject_claim = "email", .session_claim = "session_state"};
  json payload = logout_payload(kIdp, "rp");
  payload.erase("sid");
  payload.erase("sub");
  EXPECT_ERRC(issuers::parse_logout_claims(payload.dump(), mapping), Errc::kMissingClaim);
  payload["session_state"] = "kc";
  auto claims = issuers::parse_logout_claims(payload.dump(), mapping);
  ASSERT_OK(claims);
  EXPECT_EQ(claims->sid, "kc");
  EXPECT_EQ(claims->sub_ns, "idp");
  EXPECT_ERRC(issuers::parse_logout_claims("[1]", mapping), Errc::kNotAnObject);
  EXPECT_ERRC(issuers::parse_logout_claims("{\"jti\":\"a\",\"jti\":\"b\"}", mapping),
              Errc::kDuplicateMember);
}

}  // namespace
}  // namespace jwtguard::testing
