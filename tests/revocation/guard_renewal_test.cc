// Guard::fresh_access and Guard::renew_session: the tokens a re-authenticated
// user gets in the session it already has.
#include <gtest/gtest.h>

#include "jwtguard/guard.h"
#include "testing/fixtures.h"

namespace jwtguard {
namespace {

using std::chrono::seconds;

class GuardRenewalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    GuardOptions options;
    options.background = false;
    auto key = Key::from_secret("0123456789abcdef0123456789abcdef");
    ASSERT_OK(key);
    auto guard = Guard::open(*key, KeySet(), open_memory_store(), std::move(options), clock_);
    ASSERT_OK(guard);
    guard_ = std::move(*guard);
  }

  Claims claims_of(const std::string& token, TokenRequirement type = TokenRequirement::kAccess) {
    auto verified = guard_->require(token, {.type = type});
    EXPECT_TRUE(verified.has_value()) << verified.error().message();
    return verified ? verified->claims : Claims{};
  }

  testing::FakeClock clock_;
  std::unique_ptr<Guard> guard_;
};

TEST_F(GuardRenewalTest, AFreshAccessTokenOfTheSameSessionAndClaims) {
  auto pair = guard_->login("alice", R"({"role":"reader"})");
  ASSERT_OK(pair);
  auto refreshed = guard_->refresh(pair->refresh.token);
  ASSERT_OK(refreshed);
  const Claims stale = claims_of(refreshed->access.token);
  ASSERT_NE(stale.fresh, std::optional<bool>(true));
  clock_.advance(seconds(5));
  auto fresh = guard_->fresh_access(stale);
  ASSERT_OK(fresh);
  auto checked = guard_->require(fresh->token, {.fresh = true});
  ASSERT_OK(checked);
  EXPECT_EQ(checked->claims.sub, "alice");
  EXPECT_EQ(checked->claims.sid, pair->access.sid);
  EXPECT_NE(checked->claims.payload_json.find(R"("role":"reader")"), std::string::npos);
  EXPECT_NE(checked->claims.jti, stale.jti);
}

TEST_F(GuardRenewalTest, NoFreshTokenForARevokedOrUnknownSession) {
  auto pair = guard_->login("alice");
  ASSERT_OK(pair);
  const Claims claims = claims_of(pair->access.token);
  ASSERT_OK(guard_->revoke_session(claims.sid));
  EXPECT_ERRC(guard_->fresh_access(claims), Errc::kRevoked);

  // A token minted without a recorded session has no session to refresh.
  auto minted = guard_->issue(TokenRequest{.subject = "bob"});
  ASSERT_OK(minted);
  EXPECT_ERRC(guard_->fresh_access(claims_of(minted->token)), Errc::kRevoked);
}

TEST_F(GuardRenewalTest, NoFreshTokenForATokenRevokedSinceItWasChecked) {
  auto pair = guard_->login("alice");
  ASSERT_OK(pair);
  const Claims claims = claims_of(pair->access.token);
  ASSERT_OK(guard_->revoke_user("alice"));
  EXPECT_ERRC(guard_->fresh_access(claims), Errc::kRevoked);
}

TEST_F(GuardRenewalTest, ASessionRecordOfAnotherSubjectIsNotRenewed) {
  auto alice = guard_->login("alice");
  ASSERT_OK(alice);
  // A minted identity "alice" of another namespace names alice's session.
  auto minted = guard_->issue(TokenRequest{
      .subject = "alice", .subject_namespace = "app", .session_id = alice->access.sid});
  ASSERT_OK(minted);
  const Claims claims = claims_of(minted->token);
  EXPECT_ERRC(guard_->fresh_access(claims), Errc::kRevoked);
  EXPECT_ERRC(guard_->renew_session(claims), Errc::kRevoked);
}

TEST_F(GuardRenewalTest, RenewingAfterACutoffKeepsTheSessionAlone) {
  auto kept = guard_->login("alice");
  auto other = guard_->login("alice");
  ASSERT_OK(kept);
  ASSERT_OK(other);
  const Claims claims = claims_of(kept->access.token);
  ASSERT_OK(guard_->revoke_user("alice"));
  auto renewed = guard_->renew_session(claims);
  ASSERT_OK(renewed);
  EXPECT_EQ(renewed->access.sid, kept->access.sid);
  EXPECT_OK(guard_->require(renewed->access.token, {.fresh = true}));
  EXPECT_ERRC(guard_->require(kept->access.token), Errc::kRevoked);
  EXPECT_ERRC(guard_->require(other->access.token), Errc::kRevoked);
  // The renewed refresh token is the session's current one; the old is not.
  auto refreshed = guard_->refresh(renewed->refresh.token);
  ASSERT_OK(refreshed);
  EXPECT_ERRC(guard_->refresh(kept->refresh.token), Errc::kRevoked);
  EXPECT_ERRC(guard_->refresh(other->refresh.token), Errc::kRevoked);
}

TEST_F(GuardRenewalTest, ARenewalLosesToARefreshThatMovedTheSessionFirst) {
  auto pair = guard_->login("alice");
  ASSERT_OK(pair);
  const Claims claims = claims_of(pair->access.token);
  auto first = guard_->renew_session(claims);
  ASSERT_OK(first);
  // The session moved to first's refresh token; the old one is retired.
  EXPECT_ERRC(guard_->refresh(pair->refresh.token), Errc::kRevoked);
  EXPECT_ERRC(guard_->renew_session(claims), Errc::kRevoked);  // the session was revoked
}

}  // namespace
}  // namespace jwtguard
