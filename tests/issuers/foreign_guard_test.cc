// The Guard and trusted issuers' tokens, on the memory and the SQLite
// store: the issuer chosen by "iss", jwtguard's rules for foreign tokens,
// revocation in the issuer's namespace, and back-channel logout.
#include <gtest/gtest.h>

#include "http/fake_request.h"
#include "issuers/issuer_fixture.h"
#include "jwtguard/guard.h"
#include "revocation/session_guard_fixture.h"

namespace jwtguard::testing {
namespace {

using nlohmann::json;

const std::string kOwn = "https://jwtguard.example";
const std::string kIdp = "https://idp.example";
const std::string kOther = "https://other.example";

class ForeignGuardTest : public SessionGuardTest {
 protected:
  ForeignGuardTest()
      : idp_key_(IssuerKey::generate(Algorithm::kES256, "k1")),
        other_key_(IssuerKey::generate(Algorithm::kEdDSA, "k1")) {}

  void SetUp() override {
    SessionGuardTest::SetUp();
    TrustedIssuer other =
        trusted_issuer(kOther, std::make_shared<StaticKeySource>(other_key_.public_set()), "other");
    other.max_token_lifetime = std::chrono::hours(48);
    trusted_ =
        TrustedIssuers::create(
            {trusted_issuer(kIdp, std::make_shared<StaticKeySource>(idp_key_.public_set()), "idp"),
             other})
            .value();
    ASSERT_NE(open(with_issuers()), nullptr);
  }

  GuardOptions with_issuers() const {
    GuardOptions o = options();
    o.issuer.issuer = kOwn;
    o.verify.claims.issuer = kOwn;
    o.trusted_issuers = trusted_;
    return o;
  }

  Result<VerifiedToken> require(const std::string& token, Requirements req = {.foreign = true}) {
    return guard_->require(token, req);
  }
  std::string idp_token(const std::string& sub, std::int64_t iat = kNow) {
    return idp_key_.sign(access_payload(kIdp, sub, iat));
  }
  // jwtguard's own access token of `sub` with these jti and sid.
  std::string own_token(const std::string& sub, const std::string& jti, const std::string& sid) {
    TokenRequest request;
    request.subject = sub;
    request.jti = jti;
    request.session_id = sid;
    auto issued = guard_->issue(request);
    EXPECT_TRUE(issued.has_value()) << issued.error().message();
    return issued ? issued->token : std::string();
  }
  Result<void> logout(const std::string& token, Guard* guard = nullptr) {
    auto verified = trusted_->verify_logout_token(token, clock_.now());
    if (!verified) return tl::unexpected(verified.error());
    return (guard ? guard : guard_)->backchannel_logout(*verified);
  }
  std::size_t stored_revocations() {
    auto page = shared_->list_revocations({});
    EXPECT_TRUE(page.has_value());
    return page ? page->entries.size() : 0;
  }

  IssuerKey idp_key_, other_key_;
  std::shared_ptr<const TrustedIssuers> trusted_;
};

TEST_P(ForeignGuardTest, IssuerChosenByIss) {
  auto verified = require(idp_token("alice"));
  ASSERT_OK(verified);
  EXPECT_EQ(verified->claims.sub_ns, "idp");
  EXPECT_EQ(subject_key(verified->claims), std::string("idp\x1f") + "alice");
  // jwtguard's own tokens work beside them, with or without `foreign`.
  const std::string own = own_token("alice", "own-1", "own-s");
  EXPECT_OK(require(own));
  EXPECT_OK(require(own, {}));
  // An issuer nobody trusts, whatever key signed it.
  EXPECT_ERRC(require(idp_key_.sign(access_payload("https://evil.example", "alice"))),
              Errc::kWrongIssuer);
  // jwtguard's "iss" on a token an identity server signed: jwtguard's keys only.
  EXPECT_FALSE(require(idp_key_.sign(access_payload(kOwn, "alice"))).has_value());
  // The other issuer's key under the same kid.
  EXPECT_ERRC(require(other_key_.sign(access_payload(kIdp, "alice"))), Errc::kKeyAlgMismatch);
}

TEST_P(ForeignGuardTest, ForeignTokensFollowJwtguardsRules) {
  const std::string token = idp_token("alice");
  EXPECT_ERRC(require(token, {}), Errc::kWrongIssuer);
  EXPECT_OK(require(token, {.type = TokenRequirement::kAny, .foreign = true}));
  EXPECT_ERRC(require(token, {.type = TokenRequirement::kRefresh, .foreign = true}),
              Errc::kAccessTokenNotAllowed);
  EXPECT_ERRC(require(token, {.fresh = true, .foreign = true}), Errc::kFreshTokenRequired);
  json claims_fresh = access_payload(kIdp, "alice");
  claims_fresh["fresh"] = true;
  claims_fresh["type"] = "refresh";
  EXPECT_ERRC(require(idp_key_.sign(claims_fresh), {.fresh = true, .foreign = true}),
              Errc::kFreshTokenRequired);
  EXPECT_OK(require(idp_key_.sign(claims_fresh)));
}

TEST_P(ForeignGuardTest, OpenRefusesAnIssuerThatIsTheGuardsOwn) {
  auto own = trusted_issuer(kOwn, std::make_shared<StaticKeySource>(idp_key_.public_set()));
  GuardOptions o = with_issuers();
  o.trusted_issuers = TrustedIssuers::create({own}).value();
  EXPECT_ERRC(Guard::open(secret(), KeySet(), open_memory_store(), o, clock_),
              Errc::kInvalidArgument);
}

// Revocations of an issuer's subjects and sessions must outlive its tokens.
TEST_P(ForeignGuardTest, OpenRaisesTheTokenHorizonToTheLongestForeignLifetime) {
  auto horizon = shared_->raise_token_horizon(Timestamp{});
  ASSERT_OK(horizon);
  EXPECT_GE(*horizon, clock_.now() + std::chrono::hours(48));
}

TEST_P(ForeignGuardTest, RevokeByJtiInTheIssuersNamespace) {
  const std::string own = own_token("alice", "j-alice", "s-alice");
  const std::string foreign = idp_token("alice");
  const std::string other = other_key_.sign(access_payload(kOther, "alice"));
  auto claims = require(foreign);
  ASSERT_OK(claims);
  ASSERT_OK(guard_->revoke_token(claims->claims));
  EXPECT_ERRC(require(foreign), Errc::kRevoked);
  EXPECT_OK(require(own));
  EXPECT_OK(require(other));
  auto stored =
      shared_->find_revocation(RevocationKind::kToken, std::string("idp\x1f") + "j-alice");
  ASSERT_OK(stored);
  EXPECT_TRUE(stored->has_value());

  ASSERT_OK(guard_->revoke_jti("j-alice"));  // jwtguard's own token of that jti
  EXPECT_ERRC(require(own), Errc::kRevoked);
  EXPECT_OK(require(other));
}

TEST_P(ForeignGuardTest, RevokeBySessionInTheIssuersNamespace) {
  const std::string own = own_token("alice", "own-1", "s-alice");
  const std::string foreign = idp_token("alice");
  const std::string other = other_key_.sign(access_payload(kOther, "alice"));
  auto claims = require(foreign);
  ASSERT_OK(claims);
  ASSERT_OK(guard_->revoke_session(session_key(claims->claims)));
  auto refused = require(foreign);
  EXPECT_ERRC(refused, Errc::kRevoked);
  EXPECT_EQ(refused.error().detail(), "session");
  EXPECT_OK(require(own));
  EXPECT_OK(require(other));
  ASSERT_OK(guard_->revoke_session("s-alice"));
  EXPECT_ERRC(require(own), Errc::kRevoked);
  EXPECT_OK(require(other));
}

TEST_P(ForeignGuardTest, RevokeBySubjectCutoff) {
  const std::string own = own_token("alice", "own-1", "own-s");
  const std::string foreign = idp_token("alice");
  const std::string other = other_key_.sign(access_payload(kOther, "alice"));
  json far_future = access_payload(kIdp, "alice");
  far_future["iat_ms"] = (kNow + 3600) * 1000;  // must not order it after the cutoff
  far_future["jti"] = "j-2";
  const std::string escaping = idp_key_.sign(far_future);
  ASSERT_OK(guard_->revoke_user(subject_key("idp", "alice")));
  auto refused = require(foreign);
  EXPECT_ERRC(refused, Errc::kRevoked);
  EXPECT_EQ(refused.error().detail(), "user");
  EXPECT_ERRC(require(escaping), Errc::kRevoked);
  EXPECT_OK(require(own));
  EXPECT_OK(require(other));
  EXPECT_OK(require(idp_token("bob")));
  clock_.advance(std::chrono::seconds(1));
  EXPECT_OK(require(idp_token("alice", kNow + 1)));
}

// An identity server whose clock runs ahead (within its leeway) issued a
// token "3 s from now" a moment before the revocation: the cutoff still
// covers it, here or wherever the revocation came from.
TEST_P(ForeignGuardTest, ASubjectCutoffCoversAnIssuerClockAheadWithinItsLeeway) {
  TrustedIssuer skewed =
      trusted_issuer(kIdp, std::make_shared<StaticKeySource>(idp_key_.public_set()), "idp");
  skewed.leeway = std::chrono::seconds(30);
  GuardOptions o = with_issuers();
  o.trusted_issuers = TrustedIssuers::create({skewed}).value();
  guard_ = nullptr;
  ASSERT_NE(open(o), nullptr);
  const std::string ahead = idp_token("carol", kNow + 3);
  ASSERT_OK(require(ahead));
  ASSERT_OK(guard_->revoke_user(subject_key("idp", "carol")));
  EXPECT_ERRC(require(ahead), Errc::kRevoked);
  EXPECT_ERRC(require(idp_token("carol", kNow + 30)), Errc::kRevoked);
  // Past the leeway, the identity server's new tokens pass again.
  clock_.advance(std::chrono::seconds(1));
  EXPECT_OK(require(idp_token("carol", kNow + 31)));
  // jwtguard's own users keep the millisecond cutoff.
  ASSERT_OK(guard_->revoke_user("dave"));
  clock_.advance(std::chrono::milliseconds(2));
  EXPECT_OK(require(own_token("dave", "own-d", "own-ds")));
}

// Foreign tokens are never refreshed: no implicit refresh, no fresh
// access token, no renewed session, whatever session id they carry.
TEST_P(ForeignGuardTest, AForeignTokenIsNeverRefreshed) {
  auto pair = guard_->login("alice");
  ASSERT_OK(pair);
  json payload = access_payload(kIdp, "alice");
  payload["sid"] = pair->access.sid;  // even naming a live jwtguard session
  auto verified = require(idp_key_.sign(payload));
  ASSERT_OK(verified);
  EXPECT_ERRC(guard_->refresh_access(verified->claims), Errc::kInvalidArgument);
  EXPECT_ERRC(guard_->fresh_access(verified->claims), Errc::kInvalidArgument);
  EXPECT_ERRC(guard_->renew_session(verified->claims), Errc::kInvalidArgument);
}

TEST_P(ForeignGuardTest, ATokenWithoutJtiByItsSessionOrSubject) {
  json payload = access_payload(kIdp, "alice");
  payload.erase("jti");
  const std::string token = idp_key_.sign(payload);
  auto claims = require(token);
  ASSERT_OK(claims);
  EXPECT_ERRC(guard_->revoke_token(claims->claims), Errc::kMissingClaim);
  ASSERT_OK(guard_->revoke_session(session_key(claims->claims)));
  EXPECT_ERRC(require(token), Errc::kRevoked);

  payload["sub"] = "bob";
  payload.erase("sid");
  const std::string bare = idp_key_.sign(payload);
  ASSERT_OK(require(bare));
  ASSERT_OK(guard_->revoke_user(subject_key("idp", "bob")));
  EXPECT_ERRC(require(bare), Errc::kRevoked);
}

TEST_P(ForeignGuardTest, RevokeUserBeforeAGivenCutoff) {
  const std::string early = idp_token("alice", kNow - 10);
  const std::string late = idp_token("alice", kNow);
  ASSERT_OK(guard_->revoke_user_before(subject_key("idp", "alice"), from_unix_seconds(kNow - 5)));
  EXPECT_ERRC(require(early), Errc::kRevoked);
  EXPECT_OK(require(late));
  EXPECT_ERRC(guard_->revoke_user_before("", from_unix_seconds(kNow)), Errc::kInvalidArgument);
  EXPECT_ERRC(guard_->revoke_user_before("x", Timestamp{}), Errc::kInvalidArgument);
}

TEST_P(ForeignGuardTest, BackchannelLogoutBySessionEndsThatSessionOnly) {
  const std::string session_one = idp_token("alice");
  json two = access_payload(kIdp, "alice");
  two["sid"] = "s-alice-2";
  two["jti"] = "j-2";
  const std::string session_two = idp_key_.sign(two);
  const std::string own = own_token("alice", "own-1", "s-alice");
  ASSERT_OK(logout(idp_key_.sign(logout_payload(kIdp, "rp"), "logout+jwt")));
  EXPECT_ERRC(require(session_one), Errc::kRevoked);
  EXPECT_OK(require(session_two));
  EXPECT_OK(require(own));
  auto stored =
      shared_->find_revocation(RevocationKind::kSession, std::string("idp\x1f") + "s-alice");
  ASSERT_OK(stored);
  EXPECT_TRUE(stored->has_value());
}

TEST_P(ForeignGuardTest, BackchannelLogoutBySubjectEndsEarlierTokens) {
  const std::string earlier = idp_token("alice", kNow - 60);
  const std::string same_second = idp_token("alice", kNow);
  json payload = logout_payload(kIdp, "rp");
  payload.erase("sid");
  ASSERT_OK(logout(idp_key_.sign(payload, "logout+jwt")));
  EXPECT_ERRC(require(earlier), Errc::kRevoked);
  EXPECT_ERRC(require(same_second), Errc::kRevoked);
  clock_.advance(std::chrono::seconds(2));
  EXPECT_OK(require(idp_token("alice", kNow + 2)));
  EXPECT_OK(require(idp_token("bob", kNow - 60)));
}

TEST_P(ForeignGuardTest, AReplayedLogoutTokenRevokesNothingMore) {
  const std::string token = idp_key_.sign(logout_payload(kIdp, "rp"), "logout+jwt");
  ASSERT_OK(logout(token));
  const std::size_t revocations = stored_revocations();
  EXPECT_EQ(revocations, 2u);  // the session and the replay record
  EXPECT_ERRC(logout(token), Errc::kAlreadyExists);
  EXPECT_EQ(stored_revocations(), revocations);
  // The same jti from another issuer is another logout token.
  EXPECT_OK(logout(other_key_.sign(logout_payload(kOther, "rp"), "logout+jwt")));
  // A second instance refuses the replay before its feed brought the record.
  Guard* second = open(with_issuers());
  ASSERT_NE(second, nullptr);
  EXPECT_ERRC(logout(token, second), Errc::kAlreadyExists);
}

TEST_P(ForeignGuardTest, ASecondGuardSeesTheLogoutAfterSync) {
  Guard* second = open(with_issuers());
  ASSERT_NE(second, nullptr);
  const std::string token = idp_token("alice");
  ASSERT_OK(second->require(token, {.foreign = true}));
  ASSERT_OK(logout(idp_key_.sign(logout_payload(kIdp, "rp"), "logout+jwt")));
  ASSERT_OK(second->sync());
  EXPECT_ERRC(second->require(token, {.foreign = true}), Errc::kRevoked);
}

// Every rule of section 2.6 broken: refused, and nothing revoked.
TEST_P(ForeignGuardTest, AnInvalidLogoutTokenRevokesNothing) {
  const std::string token = idp_token("alice");
  auto broken = [](auto change) {
    json payload = logout_payload(kIdp, "rp");
    change(payload);
    return payload;
  };
  const std::vector<std::string> invalid = {
      idp_key_.sign(broken([](json& p) { p["aud"] = "api"; }), "logout+jwt"),
      idp_key_.sign(broken([](json& p) { p.erase("aud"); }), "logout+jwt"),
      idp_key_.sign(broken([](json& p) { p.erase("iat"); }), "logout+jwt"),
      idp_key_.sign(broken([](json& p) { p["iat"] = kNow - 3600; }), "logout+jwt"),
      idp_key_.sign(broken([](json& p) { p["iat"] = kNow + 3600; }), "logout+jwt"),
      idp_key_.sign(broken([](json& p) { p.erase("jti"); }), "logout+jwt"),
      idp_key_.sign(broken([](json& p) { p.erase("events"); }), "logout+jwt"),
      idp_key_.sign(broken([](json& p) { p["events"] = json::array(); }), "logout+jwt"),
      idp_key_.sign(broken([](json& p) {
                      p["events"] = {{"urn:other", json::object()}};
                    }),
                    "logout+jwt"),
      idp_key_.sign(broken([](json& p) {
                      p.erase("sid");
                      p.erase("sub");
                    }),
                    "logout+jwt"),
      idp_key_.sign(broken([](json& p) { p["nonce"] = "n"; }), "logout+jwt"),
      unsigned_token(logout_payload(kIdp, "rp")),
      IssuerKey::generate(Algorithm::kES256, "k1").sign(logout_payload(kIdp, "rp"), "logout+jwt"),
      idp_key_.sign(logout_payload(kIdp, "rp"), "at+jwt"),
      idp_key_.sign(logout_payload("https://evil.example", "rp"), "logout+jwt"),
      other_key_.sign(logout_payload(kIdp, "rp"), "logout+jwt"),
  };
  for (std::size_t i = 0; i < invalid.size(); ++i) {
    EXPECT_FALSE(logout(invalid[i]).has_value()) << "invalid logout token #" << i;
  }
  EXPECT_EQ(stored_revocations(), 0u);
  EXPECT_OK(require(token));
}

TEST_P(ForeignGuardTest, AnIssuerWithoutClientIdSendsNoLogoutTokens) {
  TrustedIssuer idp =
      trusted_issuer(kIdp, std::make_shared<StaticKeySource>(idp_key_.public_set()), "idp");
  idp.client_id.clear();
  auto set = TrustedIssuers::create({idp}).value();
  EXPECT_ERRC(set->verify_logout_token(idp_key_.sign(logout_payload(kIdp, "rp"), "logout+jwt"),
                                       clock_.now()),
              Errc::kWrongAudience);
}

TEST_P(ForeignGuardTest, StrictModeSeesAForeignRevocationBeforeTheFeed) {
  GuardOptions strict = with_issuers();
  strict.check_mode = GuardOptions::CheckMode::kStore;
  Guard* second = open(strict);
  ASSERT_NE(second, nullptr);
  const std::string token = idp_token("alice");
  auto claims = require(token);
  ASSERT_OK(claims);
  ASSERT_OK(guard_->revoke_token(claims->claims));
  EXPECT_ERRC(second->require(token, {.foreign = true}), Errc::kRevoked);
}

// HttpGuard passes Requirements through: a trusted issuer's bearer token
// passes where `foreign` is set, and is refused (422, wrong issuer) where
// it is not.
TEST_P(ForeignGuardTest, ThroughHttpGuard) {
  auto http = HttpGuard::create(*guard_, {}, &clock_);
  ASSERT_OK(http);
  const std::string token = idp_token("alice");
  FakeRequest request;
  request.bearer(token);
  auto passed = http->require(request, {.foreign = true});
  ASSERT_TRUE(passed.has_value()) << passed.error().message;
  EXPECT_EQ(subject_key(passed->token.claims), std::string("idp\x1f") + "alice");
  EXPECT_EQ(passed->in_request, token);
  auto refused = http->require(FakeRequest().bearer(token));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().error.code(), Errc::kWrongIssuer);
  EXPECT_EQ(refused.error().status, 422);
  ASSERT_OK(guard_->revoke_token(passed->token.claims));
  auto revoked = http->require(FakeRequest().bearer(token), {.foreign = true});
  ASSERT_FALSE(revoked.has_value());
  EXPECT_EQ(revoked.error().status, 401);
}

INSTANTIATE_TEST_SUITE_P(Stores, ForeignGuardTest,
                         ::testing::Values(Backend::kMemory, Backend::kSqlite), backend_name);

}  // namespace
}  // namespace jwtguard::testing
