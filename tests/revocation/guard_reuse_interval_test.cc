// GuardOptions::refresh_reuse_interval: the refresh token the last rotation
// retired, presented again soon enough (two tabs refreshing at once), gets
// tokens of the same session instead of revoking it.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "revocation/session_guard_fixture.h"

namespace jwtguard {
namespace {

using std::chrono::seconds;
using testing::Backend;

constexpr seconds kInterval{10};

class ReuseIntervalTest : public testing::SessionGuardTest {
 protected:
  void SetUp() override {
    SessionGuardTest::SetUp();
    GuardOptions o = options();
    o.refresh_reuse_interval = kInterval;
    ASSERT_NE(open(o), nullptr);
  }

  // A login, and its refresh token rotated once at the clock's time.
  void login_and_rotate() {
    auto pair = guard_->login("alice", R"({"role":"reader"})");
    ASSERT_OK(pair);
    first_ = *pair;
    auto rotated = guard_->refresh(first_.refresh.token);
    ASSERT_OK(rotated);
    ASSERT_TRUE(rotated->refresh.has_value());
    current_ = *rotated->refresh;
  }

  // The retired token presented again answers with the current refresh
  // token's jti and a new access token of the same session.
  void expect_same_session(const Result<Refreshed>& again) {
    ASSERT_OK(again);
    ASSERT_TRUE(again->refresh.has_value());
    EXPECT_EQ(again->refresh->jti, current_.jti);
    EXPECT_EQ(again->refresh->sid, first_.refresh.sid);
    EXPECT_LE(exp_of(again->refresh->token), current_.expires_at);
    const Claims access = claims_of(again->access.token, TokenRequirement::kAccess);
    EXPECT_EQ(access.sid, first_.access.sid);
    EXPECT_EQ(access.sub, "alice");
    EXPECT_NE(access.payload_json.find(R"("role":"reader")"), std::string::npos);
    EXPECT_FALSE(session_of(first_.refresh.sid).revoked_at.has_value());
    EXPECT_OK(guard_->require(current_.token, {.type = TokenRequirement::kRefresh}));
  }

  TokenPair first_;
  IssuedToken current_;
};

TEST_P(ReuseIntervalTest, TheRetiredTokenWithinTheIntervalGetsTheSameSession) {
  login_and_rotate();
  clock_.advance(kInterval - seconds(1));
  expect_same_session(guard_->refresh(first_.refresh.token));
  clock_.advance(seconds(1));  // exactly the interval: still forgiven
  expect_same_session(guard_->refresh(first_.refresh.token));
  // Nothing rotated: the session's current token is the one it was.
  const Session session = session_of(first_.refresh.sid);
  EXPECT_EQ(session.refresh_jti, current_.jti);
  EXPECT_EQ(session.previous_refresh_jti, first_.refresh.jti);
}

TEST_P(ReuseIntervalTest, PastTheIntervalReuseRevokesTheSession) {
  login_and_rotate();
  clock_.advance(kInterval + seconds(1));
  EXPECT_ERRC(guard_->refresh(first_.refresh.token), Errc::kRevoked);
  EXPECT_TRUE(session_of(first_.refresh.sid).revoked_at.has_value());
  EXPECT_ERRC(guard_->require(current_.token, {.type = TokenRequirement::kRefresh}),
              Errc::kRevoked);
}

TEST_P(ReuseIntervalTest, ATokenRetiredBeforeThePreviousOneRevokesTheSession) {
  login_and_rotate();
  auto again = guard_->refresh(current_.token);
  ASSERT_OK(again);
  // first_ is two rotations old now, though well within the interval.
  EXPECT_ERRC(guard_->refresh(first_.refresh.token), Errc::kRevoked);
  EXPECT_TRUE(session_of(first_.refresh.sid).revoked_at.has_value());
}

TEST_P(ReuseIntervalTest, TheCopyIsTheCurrentTokenForRefreshAndRevocation) {
  login_and_rotate();
  auto again = guard_->refresh(first_.refresh.token);
  ASSERT_OK(again);
  // Whichever answer the tab kept, its refresh token rotates once.
  auto next = guard_->refresh(again->refresh->token);
  ASSERT_OK(next);
  EXPECT_EQ(session_of(first_.refresh.sid).previous_refresh_jti, current_.jti);

  login_and_rotate();
  auto copy = guard_->refresh(first_.refresh.token);
  ASSERT_OK(copy);
  ASSERT_OK(guard_->revoke_token(claims_of(current_.token)));
  EXPECT_ERRC(guard_->require(copy->refresh->token, {.type = TokenRequirement::kRefresh}),
              Errc::kRevoked);
}

TEST_P(ReuseIntervalTest, ARevokedSessionIsNotForgiven) {
  login_and_rotate();
  ASSERT_OK(guard_->revoke_session(first_.refresh.sid));
  // The retired token is refused by the session's revocation first.
  EXPECT_ERRC(guard_->refresh(first_.refresh.token), Errc::kRevoked);
}

TEST_P(ReuseIntervalTest, ZeroIsTodaysBehaviour) {
  GuardOptions o = options();
  Guard* strict = open(o);
  ASSERT_NE(strict, nullptr);
  auto pair = strict->login("alice");
  ASSERT_OK(pair);
  ASSERT_OK(strict->refresh(pair->refresh.token));
  EXPECT_ERRC(strict->refresh(pair->refresh.token), Errc::kRevoked);  // at the same instant
  EXPECT_TRUE(session_of(pair->refresh.sid).revoked_at.has_value());
}

TEST_P(ReuseIntervalTest, ANegativeIntervalIsRefused) {
  GuardOptions o = options();
  o.refresh_reuse_interval = seconds(-1);
  EXPECT_ERRC(Guard::open(secret(), KeySet(), open_memory_store(), o, clock_),
              Errc::kInvalidArgument);
}

// Two tabs (threads), on one instance or on two sharing the store, present
// the same refresh token at once: both stay logged in, and exactly one
// rotation happened.
TEST_P(ReuseIntervalTest, TwoTabsRefreshingAtOnceBothSucceed) {
  GuardOptions o = options();
  o.refresh_reuse_interval = kInterval;
  Guard* other = open(o);
  ASSERT_NE(other, nullptr);
  for (int round = 0; round < 20; ++round) {
    auto pair = guard_->login("alice");
    ASSERT_OK(pair);
    std::atomic<int> ready{0};
    Result<Refreshed> results[2] = {fail(Errc::kStore), fail(Errc::kStore)};
    Guard* guards[2] = {guard_, round % 2 == 0 ? guard_ : other};
    std::vector<std::thread> tabs;
    for (int i = 0; i < 2; ++i) {
      tabs.emplace_back([&, i] {
        ++ready;
        while (ready.load() < 2) {
        }
        results[i] = guards[i]->refresh(pair->refresh.token);
      });
    }
    for (auto& t : tabs) t.join();
    ASSERT_OK(results[0]);
    ASSERT_OK(results[1]);
    const Session session = session_of(pair->refresh.sid);
    EXPECT_FALSE(session.revoked_at.has_value());
    EXPECT_EQ(session.previous_refresh_jti, pair->refresh.jti);
    EXPECT_EQ(results[0]->refresh->jti, session.refresh_jti);
    EXPECT_EQ(results[1]->refresh->jti, session.refresh_jti);
  }
}

// A browser session has one CSRF value from login to logout. Two tabs
// refreshing at once get two answers, and the browser may store their
// cookies interleaved (one answer's refresh cookie, the other's CSRF
// cookie): every token of the session, rotated or forgiven, carries the
// login's value, so any mix still matches.
TEST_P(ReuseIntervalTest, EveryTokenOfASessionCarriesTheLoginsCsrfValue) {
  GuardOptions o = options();
  o.refresh_reuse_interval = kInterval;
  o.issuer.csrf_claim = true;
  guard_ = nullptr;
  Guard* browser = open(o);
  ASSERT_NE(browser, nullptr);
  auto pair = browser->login("alice");
  ASSERT_OK(pair);
  const std::string csrf = claims_of(pair->access.token).csrf;
  ASSERT_FALSE(csrf.empty());
  EXPECT_EQ(pair->access.csrf, csrf);
  EXPECT_EQ(pair->refresh.csrf, csrf);
  auto rotated = browser->refresh(pair->refresh.token);
  ASSERT_OK(rotated);
  auto forgiven = browser->refresh(pair->refresh.token);
  ASSERT_OK(forgiven);
  for (const Refreshed* r : {&*rotated, &*forgiven}) {
    EXPECT_EQ(r->access.csrf, csrf);
    EXPECT_EQ(claims_of(r->access.token, TokenRequirement::kAccess).csrf, csrf);
    ASSERT_TRUE(r->refresh.has_value());
    EXPECT_EQ(r->refresh->csrf, csrf);
    EXPECT_EQ(claims_of(r->refresh->token, TokenRequirement::kRefresh).csrf, csrf);
  }
  // Another login is another session, with a value of its own.
  auto other = browser->login("alice");
  ASSERT_OK(other);
  EXPECT_NE(other->access.csrf, csrf);
}

INSTANTIATE_TEST_SUITE_P(Stores, ReuseIntervalTest,
                         ::testing::Values(Backend::kMemory, Backend::kSqlite),
                         testing::backend_name);

}  // namespace
}  // namespace jwtguard
