// GuardOptions::session_max_lifetime and session_idle_timeout: a session
// ends by its absolute or its idle limit, and no token issued in it
// outlives that end.
#include <gtest/gtest.h>

#include "revocation/session_guard_fixture.h"

namespace jwtguard {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using testing::Backend;

constexpr seconds kMax = hours(1);
constexpr seconds kIdle = minutes(10);

class SessionLimitsTest : public testing::SessionGuardTest {
 protected:
  static GuardOptions limited(seconds max, seconds idle) {
    GuardOptions o = options();
    o.session_max_lifetime = max;
    o.session_idle_timeout = idle;
    return o;
  }

  // A session recorded by a Guard without limits (refresh tokens of the
  // full 30 days), then a Guard with `o` on the same store.
  Guard* login_before_limits(GuardOptions o, TokenPair& pair) {
    Guard* before = open(options());
    auto login = before->login("alice");
    EXPECT_TRUE(login.has_value());
    if (login) pair = *login;
    guard_ = open(std::move(o));
    return guard_;
  }

  void expect_ended(const Result<Refreshed>& refreshed, const std::string& detail,
                    const TokenPair& pair) {
    ASSERT_FALSE(refreshed.has_value());
    EXPECT_EQ(refreshed.error().code(), Errc::kExpired);
    EXPECT_EQ(refreshed.error().detail(), detail);
    EXPECT_TRUE(session_of(pair.refresh.sid).revoked_at.has_value());
    EXPECT_ERRC(guard_->require(pair.refresh.token, {.type = TokenRequirement::kRefresh}),
                Errc::kRevoked);
  }
};

TEST_P(SessionLimitsTest, EveryTokenOfTheSessionExpiresByItsMaxLifetime) {
  ASSERT_NE(open(limited(kMax, seconds(0))), nullptr);
  const Timestamp login_at = clock_.now();
  auto pair = guard_->login("alice");
  ASSERT_OK(pair);
  EXPECT_EQ(exp_of(pair->refresh.token), login_at + kMax);
  EXPECT_EQ(exp_of(pair->access.token), login_at + minutes(15));
  clock_.advance(kMax - minutes(5));
  auto refreshed = guard_->refresh(pair->refresh.token);
  ASSERT_OK(refreshed);
  EXPECT_EQ(exp_of(refreshed->access.token), login_at + kMax);
  EXPECT_EQ(exp_of(refreshed->refresh->token), login_at + kMax);
  const Claims access = claims_of(refreshed->access.token);
  auto fresh = guard_->fresh_access(access);
  ASSERT_OK(fresh);
  EXPECT_EQ(exp_of(fresh->token), login_at + kMax);
  auto renewed = guard_->renew_session(access);
  ASSERT_OK(renewed);
  EXPECT_EQ(exp_of(renewed->access.token), login_at + kMax);
  EXPECT_EQ(exp_of(renewed->refresh.token), login_at + kMax);
  auto implicit = guard_->refresh_access(access);
  ASSERT_OK(implicit);
  EXPECT_EQ(exp_of(implicit->token), login_at + kMax);
  const Session session = session_of(pair->refresh.sid);
  EXPECT_EQ(guard_->session_ends(session).absolute, login_at + kMax);
  EXPECT_EQ(guard_->session_ends(session).idle, std::nullopt);
}

TEST_P(SessionLimitsTest, ASessionRecordedBeforeTheLimitIsHeldToIt) {
  TokenPair pair;
  ASSERT_NE(login_before_limits(limited(kMax, seconds(0)), pair), nullptr);
  const Timestamp login_at = clock_.now();
  clock_.advance(kMax - seconds(1));
  auto last = guard_->refresh(pair.refresh.token);
  ASSERT_OK(last);
  EXPECT_EQ(exp_of(last->refresh->token), login_at + kMax);
  EXPECT_EQ(exp_of(last->access.token), login_at + kMax);
  // At the limit the new refresh token has expired by its own exp.
  clock_.advance(seconds(1));
  EXPECT_ERRC(guard_->require(last->refresh->token, {.type = TokenRequirement::kRefresh}),
              Errc::kExpired);
}

TEST_P(SessionLimitsTest, ARefreshAtTheMaxLifetimeEndsTheSession) {
  TokenPair pair;
  ASSERT_NE(login_before_limits(limited(kMax, seconds(0)), pair), nullptr);
  clock_.advance(kMax);
  expect_ended(guard_->refresh(pair.refresh.token), "session max lifetime", pair);
}

TEST_P(SessionLimitsTest, ASessionNotRefreshedForTheIdleTimeoutEnds) {
  TokenPair pair;
  ASSERT_NE(login_before_limits(limited(seconds(0), kIdle), pair), nullptr);
  clock_.advance(kIdle - seconds(1));
  auto refreshed = guard_->refresh(pair.refresh.token);
  ASSERT_OK(refreshed);
  // The new refresh token expires when the session would go idle.
  EXPECT_EQ(exp_of(refreshed->refresh->token), clock_.now() + kIdle);
  const Session session = session_of(pair.refresh.sid);
  EXPECT_EQ(guard_->session_ends(session).idle, clock_.now() + kIdle);
  EXPECT_EQ(guard_->session_ends(session).absolute, std::nullopt);
  clock_.advance(kIdle - seconds(1));
  EXPECT_OK(guard_->require(refreshed->refresh->token, {.type = TokenRequirement::kRefresh}));
  clock_.advance(seconds(1));
  EXPECT_ERRC(guard_->require(refreshed->refresh->token, {.type = TokenRequirement::kRefresh}),
              Errc::kExpired);
}

TEST_P(SessionLimitsTest, ARefreshAtTheIdleTimeoutEndsTheSession) {
  TokenPair pair;
  ASSERT_NE(login_before_limits(limited(seconds(0), kIdle), pair), nullptr);
  clock_.advance(kIdle);
  expect_ended(guard_->refresh(pair.refresh.token), "session idle timeout", pair);
}

TEST_P(SessionLimitsTest, TheListLeavesOutSessionsPastEitherLimit) {
  Guard* unlimited = open(options());
  ASSERT_OK(unlimited->login("alice"));  // t0
  clock_.advance(minutes(55));
  auto recent = unlimited->login("alice");  // t0 + 55 min
  ASSERT_OK(recent);
  Guard* limited_guard = open(limited(kMax, kIdle));
  clock_.advance(minutes(4));  // t0 + 59 min: both live
  auto all = limited_guard->list_sessions("alice");
  ASSERT_OK(all);
  EXPECT_EQ(all->size(), 1u);  // the first is idle since t0 + 10 min
  EXPECT_EQ((*all)[0].sid, recent->refresh.sid);
  clock_.advance(minutes(6));  // t0 + 65 min: the second idle too (since t0 + 65)
  auto none = limited_guard->list_sessions("alice");
  ASSERT_OK(none);
  EXPECT_TRUE(none->empty());
  auto listed_without_limits = unlimited->list_sessions("alice");
  ASSERT_OK(listed_without_limits);
  EXPECT_EQ(listed_without_limits->size(), 2u);
}

TEST_P(SessionLimitsTest, FreshAndRenewedTokensNeedASessionWithinItsLimits) {
  TokenPair pair;
  ASSERT_NE(login_before_limits(limited(kMax, seconds(0)), pair), nullptr);
  const Claims access = claims_of(pair.access.token);
  clock_.advance(kMax);
  EXPECT_ERRC(guard_->fresh_access(access), Errc::kRevoked);
  EXPECT_ERRC(guard_->renew_session(access), Errc::kRevoked);
  EXPECT_ERRC(guard_->refresh_access(access), Errc::kRevoked);
}

TEST_P(SessionLimitsTest, WithoutRotationTheMaxLifetimeStillCapsTheAccessToken) {
  GuardOptions o = limited(kMax, seconds(0));
  o.rotate_refresh_tokens = false;
  ASSERT_NE(open(o), nullptr);
  const Timestamp login_at = clock_.now();
  auto pair = guard_->login("alice");
  ASSERT_OK(pair);
  clock_.advance(kMax - seconds(1));
  auto refreshed = guard_->refresh(pair->refresh.token);
  ASSERT_OK(refreshed);
  EXPECT_EQ(exp_of(refreshed->access.token), login_at + kMax);
}

TEST_P(SessionLimitsTest, AnIdleTimeoutNeedsRotationAndLimitsCannotBeNegative) {
  GuardOptions o = limited(seconds(0), kIdle);
  o.rotate_refresh_tokens = false;
  EXPECT_ERRC(Guard::open(secret(), KeySet(), open_memory_store(), o, clock_),
              Errc::kInvalidArgument);
  EXPECT_ERRC(
      Guard::open(secret(), KeySet(), open_memory_store(), limited(seconds(-1), kIdle), clock_),
      Errc::kInvalidArgument);
  EXPECT_ERRC(
      Guard::open(secret(), KeySet(), open_memory_store(), limited(kMax, seconds(-1)), clock_),
      Errc::kInvalidArgument);
  o.rotate_refresh_tokens = true;
  EXPECT_OK(Guard::open(secret(), KeySet(), open_memory_store(), o, clock_));
}

INSTANTIATE_TEST_SUITE_P(Stores, SessionLimitsTest,
                         ::testing::Values(Backend::kMemory, Backend::kSqlite),
                         testing::backend_name);

}  // namespace
}  // namespace jwtguard
