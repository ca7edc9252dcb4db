// Guard::fresh_access and Guard::renew_session: the tokens a re-authenticated
// user gets in the session it already has.
#include <gtest/gtest.h>

#include <functional>
#include <utility>

#include "jwtguard/guard.h"
#include "testing/fixtures.h"
#include "testing/forwarding_store.h"

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

TEST_F(GuardRenewalTest, ARenewalAfterARefreshMovesTheSessionOnFromItsCurrentToken) {
  auto pair = guard_->login("alice");
  ASSERT_OK(pair);
  const Claims claims = claims_of(pair->access.token);
  auto refreshed = guard_->refresh(pair->refresh.token);
  ASSERT_OK(refreshed);
  auto renewed = guard_->renew_session(claims);
  ASSERT_OK(renewed);
  auto session = guard_->store().find_session(claims.sid);
  ASSERT_OK(session);
  ASSERT_TRUE(session->has_value());
  EXPECT_EQ((*session)->refresh_jti, renewed->refresh.jti);
  EXPECT_OK(guard_->refresh(renewed->refresh.token));
}

// Runs `during` once, right after the renewal read the session: a refresh
// of the same session that lands between the renewal's read and its write.
class SessionRaceStore final : public testing::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  std::function<void()> during;

 private:
  Result<std::optional<Session>> do_find_session(std::string_view sid) override {
    auto found = inner_.find_session(sid);
    if (during) std::exchange(during, nullptr)();
    return found;
  }
};

TEST(GuardRenewalRaceTest, ARenewalLosesToARefreshBetweenItsReadAndItsWrite) {
  testing::FakeClock clock;
  auto inner = open_memory_store();
  auto racing = std::make_unique<SessionRaceStore>(*inner);
  SessionRaceStore* store = racing.get();
  GuardOptions options;
  options.background = false;
  auto guard = Guard::open(Key::from_secret("0123456789abcdef0123456789abcdef").value(), KeySet(),
                           std::move(racing), std::move(options), clock);
  ASSERT_OK(guard);
  auto pair = (*guard)->login("alice");
  ASSERT_OK(pair);
  auto verified = (*guard)->require(pair->access.token);
  ASSERT_OK(verified);
  store->during = [&] {
    ASSERT_OK(inner->rotate_refresh(pair->access.sid, pair->refresh.jti, "moved-on", clock.now(),
                                    clock.now() + std::chrono::hours(1)));
  };
  EXPECT_ERRC((*guard)->renew_session(verified->claims), Errc::kRevoked);
  auto session = inner->find_session(pair->access.sid);
  ASSERT_OK(session);
  EXPECT_EQ((*session)->refresh_jti, "moved-on");  // the refresh kept its token
}

TEST(GuardRenewalRotationOffTest, TheRenewedSessionStaysListedAfterTheCutoff) {
  testing::FakeClock clock;
  GuardOptions options;
  options.background = false;
  options.rotate_refresh_tokens = false;
  auto guard = Guard::open(Key::from_secret("0123456789abcdef0123456789abcdef").value(), KeySet(),
                           open_memory_store(), std::move(options), clock);
  ASSERT_OK(guard);
  auto kept = (*guard)->login("alice");
  auto other = (*guard)->login("alice");
  ASSERT_OK(kept);
  ASSERT_OK(other);
  auto verified = (*guard)->require(kept->access.token);
  ASSERT_OK(verified);
  clock.advance(seconds(1));
  ASSERT_OK((*guard)->revoke_user("alice"));
  auto renewed = (*guard)->renew_session(verified->claims);
  ASSERT_OK(renewed);
  auto sessions = (*guard)->list_sessions("alice");
  ASSERT_OK(sessions);
  ASSERT_EQ(sessions->size(), 1u);
  EXPECT_EQ((*sessions)[0].sid, kept->access.sid);
  EXPECT_OK((*guard)->refresh(renewed->refresh.token));
}

// With rotation off a refresh writes nothing, yet it must not outrun a
// cutoff another process wrote and this one has not applied yet (a reset or
// a deletion elsewhere).
TEST(GuardRenewalRotationOffTest, ARefreshCatchesUpWithTheFeedBeforeAnswering) {
  testing::FakeClock clock;
  auto shared = open_memory_store();
  auto open = [&] {
    GuardOptions options;
    options.background = false;
    options.rotate_refresh_tokens = false;
    return Guard::open(Key::from_secret("0123456789abcdef0123456789abcdef").value(), KeySet(),
                       std::make_unique<testing::ForwardingStore>(*shared), std::move(options),
                       clock);
  };
  auto here = open();
  auto elsewhere = open();
  ASSERT_OK(here);
  ASSERT_OK(elsewhere);
  auto pair = (*here)->login("alice");
  ASSERT_OK(pair);
  clock.advance(seconds(1));
  ASSERT_OK((*elsewhere)->revoke_user("alice"));
  EXPECT_ERRC((*here)->refresh(pair->refresh.token), Errc::kRevoked);
}

}  // namespace
}  // namespace jwtguard
