#include "server/login_limiter.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace jwtguard::server {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

const Timestamp kNow = from_unix_seconds(1'700'000'000);
constexpr microseconds kTick(1);

LoginLimits limits(unsigned per_user = 5, unsigned per_address = 20,
                   std::size_t capacity = 100'000) {
  return {.max_failures_per_user = per_user,
          .max_failures_per_address = per_address,
          .window = minutes(15),
          .capacity = capacity};
}

// `n` failures of `user` from `address`, one a second from `start`.
void fail(LoginLimiter& limiter, std::string_view user, std::string_view address, int n,
          Timestamp start = kNow) {
  for (int i = 0; i < n; ++i) limiter.record_failure(user, address, start + seconds(i));
}

TEST(LoginLimiter, AllowsUnderTheLimit) {
  LoginLimiter limiter(limits());
  EXPECT_EQ(limiter.retry_after("alice", "10.0.0.1", kNow), seconds(0));
  fail(limiter, "alice", "10.0.0.1", 4);
  EXPECT_EQ(limiter.retry_after("alice", "10.0.0.1", kNow + seconds(4)), seconds(0));
}

TEST(LoginLimiter, RefusesAtTheLimitUntilTheWindowEnds) {
  LoginLimiter limiter(limits());
  fail(limiter, "alice", "10.0.0.1", 5);  // kNow .. kNow + 4 s; the window ends at kNow + 900 s
  EXPECT_EQ(limiter.retry_after("alice", "10.0.0.1", kNow + seconds(4)), seconds(896));
  EXPECT_EQ(limiter.retry_after("alice", "10.0.0.1", kNow + milliseconds(100'250)),
            seconds(800));  // 799.75 s, rounded up
  EXPECT_EQ(limiter.retry_after("alice", "10.0.0.1", kNow + seconds(899) + kTick), seconds(1));
  EXPECT_EQ(limiter.retry_after("alice", "10.0.0.1", kNow + seconds(900) - kTick), seconds(1));
  EXPECT_EQ(limiter.retry_after("alice", "10.0.0.1", kNow + seconds(900)), seconds(0));
}

TEST(LoginLimiter, WindowEndStartsAFreshCount) {
  LoginLimiter limiter(limits());
  fail(limiter, "alice", "10.0.0.1", 5);
  // Failures of the old window do not carry over into the new one.
  const Timestamp next = kNow + seconds(900);
  fail(limiter, "alice", "10.0.0.1", 4, next);
  EXPECT_EQ(limiter.retry_after("alice", "10.0.0.1", next + seconds(3)), seconds(0));
  limiter.record_failure("alice", "10.0.0.1", next + seconds(10));
  // The new window began with the first failure after the old one ended.
  EXPECT_EQ(limiter.retry_after("alice", "10.0.0.1", next + seconds(10)), seconds(890));
}

TEST(LoginLimiter, FurtherFailuresDoNotExtendTheWindow) {
  LoginLimiter limiter(limits());
  fail(limiter, "alice", "10.0.0.1", 5);
  fail(limiter, "alice", "10.0.0.1", 10, kNow + seconds(100));
  EXPECT_EQ(limiter.retry_after("alice", "10.0.0.1", kNow + seconds(200)), seconds(700));
}

TEST(LoginLimiter, SuccessClearsTheUserButNotTheAddress) {
  LoginLimiter limiter(limits(/*per_user=*/5, /*per_address=*/8));
  fail(limiter, "alice", "10.0.0.1", 4);
  limiter.record_success("alice", kNow + seconds(4));
  fail(limiter, "alice", "10.0.0.1", 4, kNow + seconds(5));  // 4 for alice, 8 for the address
  EXPECT_EQ(limiter.retry_after("alice", "10.0.0.2", kNow + seconds(9)), seconds(0));
  EXPECT_EQ(limiter.retry_after("bob", "10.0.0.1", kNow + seconds(9)), seconds(891));
}

TEST(LoginLimiter, AddressAndUserLimitsAreIndependent) {
  LoginLimiter limiter(limits(/*per_user=*/5, /*per_address=*/20));
  // One address trying many users: each user stays under its limit.
  for (int i = 0; i < 20; ++i) {
    limiter.record_failure("user" + std::to_string(i), "10.0.0.1", kNow + seconds(i));
  }
  EXPECT_EQ(limiter.retry_after("user0", "10.0.0.2", kNow + seconds(20)), seconds(0));
  EXPECT_EQ(limiter.retry_after("newcomer", "10.0.0.1", kNow + seconds(20)), seconds(880));
  // One user tried from many addresses: each address stays under its limit.
  for (int i = 0; i < 5; ++i) {
    limiter.record_failure("carol", "10.1.0." + std::to_string(i), kNow + seconds(i));
  }
  EXPECT_EQ(limiter.retry_after("carol", "10.2.0.1", kNow + seconds(5)), seconds(895));
  EXPECT_EQ(limiter.retry_after("dave", "10.1.0.0", kNow + seconds(5)), seconds(0));
}

TEST(LoginLimiter, RetryAfterIsTheLaterOfUserAndAddress) {
  LoginLimiter limiter(limits(/*per_user=*/1, /*per_address=*/1));
  limiter.record_failure("alice", "", kNow);                    // alice until kNow + 900 s
  limiter.record_failure("", "10.0.0.1", kNow + seconds(300));  // address until kNow + 1200 s
  EXPECT_EQ(limiter.retry_after("alice", "10.0.0.1", kNow + seconds(400)), seconds(800));
  EXPECT_EQ(limiter.retry_after("alice", "10.0.0.2", kNow + seconds(400)), seconds(500));
  EXPECT_EQ(limiter.retry_after("alice", "10.0.0.1", kNow + seconds(1000)), seconds(200));
}

TEST(LoginLimiter, EmptyKeysAreNotLimited) {
  LoginLimiter limiter(limits(/*per_user=*/2, /*per_address=*/2));
  fail(limiter, "", "", 10);
  EXPECT_EQ(limiter.retry_after("", "", kNow + seconds(10)), seconds(0));
  fail(limiter, "alice", "", 2);
  EXPECT_EQ(limiter.retry_after("alice", "", kNow + seconds(2)), seconds(898));
  EXPECT_EQ(limiter.retry_after("", "10.0.0.1", kNow + seconds(2)), seconds(0));
}

TEST(LoginLimiter, ZeroLimitTurnsAKindOff) {
  LoginLimiter limiter(limits(/*per_user=*/0, /*per_address=*/3));
  fail(limiter, "alice", "", 10);
  EXPECT_EQ(limiter.retry_after("alice", "", kNow + seconds(10)), seconds(0));
  fail(limiter, "alice", "10.0.0.1", 3);
  EXPECT_EQ(limiter.retry_after("alice", "10.0.0.1", kNow + seconds(3)), seconds(897));
}

// The limiter cannot be asked its size, but every remembered key here is a
// blocked user, so the users still refused are exactly the keys it holds.
TEST(LoginLimiter, CapacityBoundsTheKeysRemembered) {
  LoginLimiter limiter(limits(/*per_user=*/5, /*per_address=*/20, /*capacity=*/10));
  constexpr int kUsers = 1000;
  auto user = [](int i) { return "user" + std::to_string(i); };
  for (int i = 0; i < kUsers; ++i) {
    for (int j = 0; j < 5; ++j) limiter.record_failure(user(i), "", kNow + milliseconds(i));
  }
  const Timestamp later = kNow + seconds(60);
  int remembered = 0;
  for (int i = 0; i < kUsers; ++i)
    remembered += limiter.retry_after(user(i), "", later) > seconds(0);
  EXPECT_LE(remembered, 10);
  EXPECT_GE(remembered, 9);
  // The newest are the ones kept.
  for (int i = kUsers - remembered; i < kUsers; ++i) {
    EXPECT_GT(limiter.retry_after(user(i), "", later), seconds(0)) << i;
  }
}

TEST(LoginLimiter, EvictsEndedAndUnblockedWindowsBeforeABlockedUser) {
  LoginLimiter limiter(limits(/*per_user=*/5, /*per_address=*/20, /*capacity=*/10));
  for (int i = 0; i < 9; ++i) limiter.record_failure("early" + std::to_string(i), "", kNow);
  const Timestamp blocked_at = kNow + minutes(10);  // blocked until kNow + 25 min
  fail(limiter, "victim", "", 5, blocked_at);
  // The early windows have ended; the victim's has not. Nine newcomers fill
  // the room the early ones leave.
  const Timestamp later = kNow + minutes(16);
  for (int i = 0; i < 9; ++i) limiter.record_failure("late" + std::to_string(i), "", later);
  EXPECT_EQ(limiter.retry_after("victim", "", later), seconds(540));
  // Full of live windows: unblocked entries go, the victim's stays, though
  // its window is the oldest.
  for (int i = 0; i < 30; ++i) limiter.record_failure("flood" + std::to_string(i), "", later);
  EXPECT_EQ(limiter.retry_after("victim", "", later), seconds(540));
}

TEST(LoginLimiter, EvictsBlockedUsersOnlyWhenAllAreBlocked) {
  LoginLimiter limiter(limits(/*per_user=*/1, /*per_address=*/20, /*capacity=*/4));
  limiter.record_failure("victim", "", kNow);  // blocked until kNow + 15 min
  const Timestamp later = kNow + minutes(1);
  for (int i = 0; i < 8; ++i) limiter.record_failure("other" + std::to_string(i), "", later);
  // Everyone is blocked, so room comes from the earliest window: the victim's.
  EXPECT_EQ(limiter.retry_after("victim", "", later), seconds(0));
  EXPECT_EQ(limiter.retry_after("other7", "", later), seconds(900));
}

TEST(LoginLimiter, ConcurrentFailuresAreAllCounted) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 250;
  LoginLimiter exactly(limits(/*per_user=*/5, /*per_address=*/kThreads * kPerThread));
  LoginLimiter one_short(limits(/*per_user=*/5, /*per_address=*/kThreads * kPerThread + 1));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string user = "t" + std::to_string(t) + "u" + std::to_string(i);
        exactly.record_failure(user, "10.0.0.1", kNow);
        one_short.record_failure(user, "10.0.0.1", kNow);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(exactly.retry_after("x", "10.0.0.1", kNow), seconds(900));
  EXPECT_EQ(one_short.retry_after("x", "10.0.0.1", kNow), seconds(0));
}

}  // namespace
}  // namespace jwtguard::server
