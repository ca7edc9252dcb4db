#include "server/login_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
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

LoginLimits limits(unsigned per_pair = 5, unsigned per_user = 20, unsigned per_address = 20,
                   std::size_t capacity = 100'000) {
  return {.max_failures = per_pair,
          .max_failures_per_user = per_user,
          .max_failures_per_address = per_address,
          .window = minutes(15),
          .capacity = capacity};
}

// `n` failed attempts of `user` from `address`, one a second from `start`;
// each must be allowed.
void fail(LoginLimiter& limiter, std::string_view user, std::string_view address, int n,
          Timestamp start = kNow) {
  for (int i = 0; i < n; ++i) {
    ASSERT_EQ(limiter.try_acquire(user, address, start + seconds(i)), seconds(0)) << i;
  }
}

TEST(LoginLimiter, AllowsUpToTheLimitPerUserAndAddress) {
  LoginLimiter limiter(limits());
  fail(limiter, "alice", "10.0.0.1", 5);
  EXPECT_GT(limiter.try_acquire("alice", "10.0.0.1", kNow + seconds(5)), seconds(0));
}

TEST(LoginLimiter, RefusesThePairUntilItsWindowEnds) {
  LoginLimiter limiter(limits());
  fail(limiter, "alice", "10.0.0.1", 5);  // kNow .. kNow + 4 s; the window ends at kNow + 900 s
  EXPECT_EQ(limiter.try_acquire("alice", "10.0.0.1", kNow + seconds(4)), seconds(896));
  EXPECT_EQ(limiter.try_acquire("alice", "10.0.0.1", kNow + milliseconds(100'250)),
            seconds(800));  // 799.75 s, rounded up
  EXPECT_EQ(limiter.try_acquire("alice", "10.0.0.1", kNow + seconds(899) + kTick), seconds(1));
  EXPECT_EQ(limiter.try_acquire("alice", "10.0.0.1", kNow + seconds(900) - kTick), seconds(1));
  EXPECT_EQ(limiter.try_acquire("alice", "10.0.0.1", kNow + seconds(900)), seconds(0));
}

// The targeted lockout: failures from one address leave the user's other
// addresses alone, and other users at that address.
TEST(LoginLimiter, APairsLockoutTouchesNoOtherAddressOrUser) {
  LoginLimiter limiter(limits());
  fail(limiter, "root", "203.0.113.9", 5);
  EXPECT_GT(limiter.try_acquire("root", "203.0.113.9", kNow + seconds(5)), seconds(0));
  EXPECT_EQ(limiter.try_acquire("root", "10.0.0.1", kNow + seconds(5)), seconds(0));
  EXPECT_EQ(limiter.try_acquire("bob", "203.0.113.9", kNow + seconds(5)), seconds(0));
}

TEST(LoginLimiter, RefusedAttemptsAreNotCounted) {
  LoginLimiter limiter(limits(/*per_pair=*/2, /*per_user=*/3));
  fail(limiter, "alice", "10.0.0.1", 2);
  for (int i = 0; i < 50; ++i) {
    EXPECT_GT(limiter.try_acquire("alice", "10.0.0.1", kNow + seconds(2)), seconds(0));
  }
  // Two failures for alice in all: a third address-pair failure is still under her limit of 3.
  EXPECT_EQ(limiter.try_acquire("alice", "10.0.0.2", kNow + seconds(3)), seconds(0));
}

TEST(LoginLimiter, ASuccessForgivesThePairAndGivesTheAttemptBack) {
  LoginLimiter limiter(limits(/*per_pair=*/3, /*per_user=*/4, /*per_address=*/100));
  fail(limiter, "alice", "10.0.0.1", 2);
  ASSERT_EQ(limiter.try_acquire("alice", "10.0.0.1", kNow + seconds(2)), seconds(0));
  limiter.succeeded("alice", "10.0.0.1", kNow + seconds(2));
  // The pair starts afresh: three more failures before it is refused.
  fail(limiter, "alice", "10.0.0.1", 2, kNow + seconds(3));
  // The user counts 2 + 2 failures (the success was given back): at her limit of 4, backing off.
  EXPECT_EQ(limiter.try_acquire("alice", "10.0.0.2", kNow + seconds(4)), seconds(1));
}

TEST(LoginLimiter, ReleasedGivesTheAttemptBackEverywhere) {
  LoginLimiter limiter(limits(/*per_pair=*/1, /*per_user=*/1, /*per_address=*/1));
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(limiter.try_acquire("alice", "10.0.0.1", kNow), seconds(0)) << i;
    limiter.released("alice", "10.0.0.1");
  }
}

// A distributed guesser: one failure from each of many addresses.
TEST(LoginLimiter, UserBacksOffExponentiallyAcrossAddresses) {
  LoginLimiter limiter(limits(/*per_pair=*/5, /*per_user=*/3));
  int next_address = 0;
  auto address = [&] { return "10.1.0." + std::to_string(next_address++); };
  for (int i = 0; i < 3; ++i) ASSERT_EQ(limiter.try_acquire("root", address(), kNow), seconds(0));
  // At the limit: 1 s after the last failure, then 2 s, 4 s, 8 s.
  Timestamp last = kNow;
  for (seconds delay : {seconds(1), seconds(2), seconds(4), seconds(8)}) {
    EXPECT_EQ(limiter.try_acquire("root", address(), last), delay);
    EXPECT_EQ(limiter.try_acquire("root", address(), last + delay - kTick), seconds(1));
    last += delay;
    ASSERT_EQ(limiter.try_acquire("root", address(), last), seconds(0));
  }
  // Other users are not slowed.
  EXPECT_EQ(limiter.try_acquire("bob", address(), last), seconds(0));
}

TEST(LoginLimiter, BackoffStopsGrowingAtTheWindow) {
  LoginLimiter limiter(limits(/*per_pair=*/1000, /*per_user=*/1, /*per_address=*/1000));
  Timestamp last = kNow;
  ASSERT_EQ(limiter.try_acquire("root", "10.0.0.1", last), seconds(0));
  for (int i = 0; i < 40; ++i) {  // delays 1 s, 2 s, ... 512 s, then the window's 900 s
    seconds delay = limiter.try_acquire("root", "10.0.0.1", last);
    ASSERT_GT(delay, seconds(0)) << i;
    EXPECT_LE(delay, seconds(900)) << i;
    last += delay;
    ASSERT_EQ(limiter.try_acquire("root", "10.0.0.1", last), seconds(0)) << i;
  }
  EXPECT_EQ(limiter.try_acquire("root", "10.0.0.1", last), seconds(900));
}

TEST(LoginLimiter, BackoffIsForgottenAfterAWindowWithoutFailures) {
  LoginLimiter limiter(limits(/*per_pair=*/100, /*per_user=*/2, /*per_address=*/100));
  fail(limiter, "root", "10.0.0.1", 2);  // the last at kNow + 1 s
  ASSERT_EQ(limiter.try_acquire("root", "10.0.0.1", kNow + seconds(2)), seconds(0));
  EXPECT_EQ(limiter.try_acquire("root", "10.0.0.1", kNow + seconds(3)), seconds(1));
  // 900 s after that wait ended (kNow + 4 s), the count starts again: two
  // failures pass a second apart, and a third a second later.
  fail(limiter, "root", "10.0.0.1", 2, kNow + seconds(904));
  EXPECT_EQ(limiter.try_acquire("root", "10.0.0.1", kNow + seconds(906)), seconds(0));
}

// An address trying many users is slowed, not locked out: each user behind
// it waits the backoff's seconds.
TEST(LoginLimiter, AddressBacksOffAcrossUsers) {
  LoginLimiter limiter(limits(/*per_pair=*/5, /*per_user=*/20, /*per_address=*/20));
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(limiter.try_acquire("user" + std::to_string(i), "10.0.0.1", kNow), seconds(0));
  }
  EXPECT_EQ(limiter.try_acquire("carol", "10.0.0.1", kNow), seconds(1));
  EXPECT_EQ(limiter.try_acquire("carol", "10.0.0.1", kNow + seconds(1)), seconds(0));
  EXPECT_EQ(limiter.try_acquire("user0", "10.0.0.2", kNow + seconds(1)), seconds(0));
}

// A distributed guesser cannot keep a user out of an address where they
// logged in before; it still slows the user everywhere else.
TEST(LoginLimiter, AKnownPairSkipsTheBackoffsButNotItsLockout) {
  LoginLimiter limiter(limits(/*per_pair=*/2, /*per_user=*/2, /*per_address=*/2));
  ASSERT_EQ(limiter.try_acquire("root", "10.0.0.1", kNow), seconds(0));
  limiter.succeeded("root", "10.0.0.1", kNow);
  ASSERT_EQ(limiter.try_acquire("root", "198.51.100.1", kNow), seconds(0));
  ASSERT_EQ(limiter.try_acquire("root", "198.51.100.2", kNow), seconds(0));
  ASSERT_EQ(limiter.try_acquire("bob", "10.0.0.1", kNow), seconds(0));
  ASSERT_EQ(limiter.try_acquire("eve", "10.0.0.1", kNow), seconds(0));
  EXPECT_EQ(limiter.try_acquire("root", "198.51.100.3", kNow), seconds(1));  // root backs off
  EXPECT_EQ(limiter.try_acquire("carol", "10.0.0.1", kNow), seconds(1));     // so does 10.0.0.1
  EXPECT_EQ(limiter.try_acquire("root", "10.0.0.1", kNow), seconds(0));      // but not the pair
  EXPECT_EQ(limiter.try_acquire("root", "10.0.0.1", kNow), seconds(0));
  EXPECT_EQ(limiter.try_acquire("root", "10.0.0.1", kNow), seconds(900));  // its own lockout
}

TEST(LoginLimiter, APairIsKnownForThirtyDaysAfterItsLastSuccess) {
  LoginLimiter limiter(limits(/*per_pair=*/5, /*per_user=*/1, /*per_address=*/20));
  ASSERT_EQ(limiter.try_acquire("root", "10.0.0.1", kNow), seconds(0));
  limiter.succeeded("root", "10.0.0.1", kNow);
  const Timestamp later = kNow + std::chrono::days(30);
  ASSERT_EQ(limiter.try_acquire("root", "198.51.100.1", later - seconds(1)), seconds(0));
  EXPECT_EQ(limiter.try_acquire("root", "10.0.0.1", later - seconds(1)), seconds(0));  // known
  limiter.released("root", "10.0.0.1");
  ASSERT_EQ(limiter.try_acquire("root", "198.51.100.2", later), seconds(0));
  EXPECT_EQ(limiter.try_acquire("root", "10.0.0.1", later), seconds(2));  // no longer known
}

TEST(LoginLimiter, RetryAfterIsTheLongestOfTheLimits) {
  LoginLimiter limiter(limits(/*per_pair=*/1, /*per_user=*/1, /*per_address=*/1));
  ASSERT_EQ(limiter.try_acquire("alice", "10.0.0.1", kNow), seconds(0));
  // The pair until kNow + 900 s; alice and the address back off 1 s.
  EXPECT_EQ(limiter.try_acquire("alice", "10.0.0.1", kNow + seconds(300)), seconds(600));
  EXPECT_EQ(limiter.try_acquire("alice", "10.0.0.2", kNow), seconds(1));
  EXPECT_EQ(limiter.try_acquire("bob", "10.0.0.1", kNow), seconds(1));
}

TEST(LoginLimiter, EmptyKeysAreNotLimited) {
  LoginLimiter limiter(limits(/*per_pair=*/2, /*per_user=*/2, /*per_address=*/2));
  fail(limiter, "", "", 10);
  fail(limiter, "alice", "", 2);
  EXPECT_EQ(limiter.try_acquire("alice", "", kNow + seconds(2)), seconds(898));
  EXPECT_EQ(limiter.try_acquire("", "10.0.0.1", kNow + seconds(2)), seconds(0));
}

TEST(LoginLimiter, ZeroTurnsALimitOff) {
  LoginLimiter limiter(limits(/*per_pair=*/0, /*per_user=*/0, /*per_address=*/3));
  fail(limiter, "alice", "", 10);
  fail(limiter, "alice", "10.0.0.1", 3);
  EXPECT_EQ(limiter.try_acquire("alice", "10.0.0.1", kNow + seconds(2)), seconds(1));
}

// The limiter cannot be asked its size, but every remembered pair here is
// locked out, so the pairs still refused are exactly the keys it holds.
TEST(LoginLimiter, CapacityBoundsTheKeysRemembered) {
  LoginLimiter limiter(limits(/*per_pair=*/5, /*per_user=*/1000, /*per_address=*/0,
                              /*capacity=*/10));
  constexpr int kUsers = 1000;
  auto user = [](int i) { return "user" + std::to_string(i); };
  for (int i = 0; i < kUsers; ++i) {
    for (int j = 0; j < 5; ++j) {
      ASSERT_EQ(limiter.try_acquire(user(i), "10.0.0.1", kNow + milliseconds(i)), seconds(0));
    }
  }
  const Timestamp later = kNow + seconds(60);
  int remembered = 0;
  for (int i = 0; i < kUsers; ++i) {
    if (limiter.try_acquire(user(i), "10.0.0.1", later) > seconds(0)) {
      ++remembered;
    } else {
      limiter.released(user(i), "10.0.0.1");
    }
  }
  EXPECT_LE(remembered, 10);
  EXPECT_GE(remembered, 8);
  // The newest are the ones kept.
  for (int i = kUsers - remembered; i < kUsers; ++i) {
    EXPECT_GT(limiter.try_acquire(user(i), "10.0.0.1", later), seconds(0)) << i;
  }
}

TEST(LoginLimiter, EvictsEndedAndUnblockedWindowsBeforeALockedOutPair) {
  LoginLimiter limiter(limits(/*per_pair=*/5, /*per_user=*/1000, /*per_address=*/0,
                              /*capacity=*/10));
  for (int i = 0; i < 9; ++i) {
    ASSERT_EQ(limiter.try_acquire("early" + std::to_string(i), "a", kNow), seconds(0));
  }
  const Timestamp blocked_at = kNow + minutes(10);  // locked out until kNow + 25 min
  fail(limiter, "victim", "a", 5, blocked_at);
  const Timestamp later = kNow + minutes(16);
  for (int i = 0; i < 9; ++i) {
    ASSERT_EQ(limiter.try_acquire("late" + std::to_string(i), "a", later), seconds(0));
  }
  EXPECT_EQ(limiter.try_acquire("victim", "a", later), seconds(540));
  // Full of live windows: unblocked entries go, the victim's stays, though
  // its window is the oldest.
  for (int i = 0; i < 30; ++i) {
    ASSERT_EQ(limiter.try_acquire("flood" + std::to_string(i), "a", later), seconds(0));
  }
  EXPECT_EQ(limiter.try_acquire("victim", "a", later), seconds(540));
}

// Between its waits a backoff blocks nobody, but forgetting it would let a
// guesser start over at the shortest wait: new names under their limit go first.
TEST(LoginLimiter, EvictsEntriesUnderTheirLimitBeforeABackoff) {
  LoginLimiter limiter(limits(/*per_pair=*/1000, /*per_user=*/2, /*per_address=*/0,
                              /*capacity=*/10));
  for (int i = 0; i < 3; ++i) {  // at its limit, then a wait of 1 s
    ASSERT_EQ(limiter.try_acquire("root", "10.1.0." + std::to_string(i), kNow + seconds(i / 2)),
              seconds(0));
  }
  const Timestamp later = kNow + seconds(10);
  for (int i = 0; i < 30; ++i) {
    ASSERT_EQ(limiter.try_acquire("flood" + std::to_string(i), "10.2.0.1", later), seconds(0));
  }
  ASSERT_EQ(limiter.try_acquire("root", "10.1.0.9", later), seconds(0));
  EXPECT_EQ(limiter.try_acquire("root", "10.1.0.9", later), seconds(4));
}

// The check and the count are one step: parallel attempts take at most the
// limit, however they interleave.
TEST(LoginLimiter, ParallelAttemptsTakeAtMostTheLimit) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 50;
  LoginLimiter pair(limits(/*per_pair=*/5, /*per_user=*/1000, /*per_address=*/1000));
  LoginLimiter user(limits(/*per_pair=*/1000, /*per_user=*/7, /*per_address=*/1000));
  std::atomic<int> pair_taken{0};
  std::atomic<int> user_taken{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string address = "10." + std::to_string(t) + ".0." + std::to_string(i);
        pair_taken += pair.try_acquire("root", "10.0.0.1", kNow) == seconds(0);
        user_taken += user.try_acquire("root", address, kNow) == seconds(0);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(pair_taken.load(), 5);
  EXPECT_EQ(user_taken.load(), 7);
}

RegistrationLimits registration_limits(unsigned per_address, unsigned total) {
  return {.max_per_address = per_address, .max_total = total, .window = minutes(60)};
}

TEST(RegistrationLimiter, LimitsEachAddressUntilItsWindowEnds) {
  RegistrationLimiter limiter(registration_limits(/*per_address=*/3, /*total=*/100));
  for (int i = 0; i < 3; ++i) ASSERT_EQ(limiter.try_acquire("10.0.0.1", kNow), seconds(0));
  EXPECT_EQ(limiter.try_acquire("10.0.0.1", kNow + seconds(600)), seconds(3000));
  EXPECT_EQ(limiter.try_acquire("10.0.0.2", kNow + seconds(600)), seconds(0));
  EXPECT_EQ(limiter.try_acquire("10.0.0.1", kNow + seconds(3600)), seconds(0));
}

TEST(RegistrationLimiter, LimitsTheTotalOverAllAddresses) {
  RegistrationLimiter limiter(registration_limits(/*per_address=*/3, /*total=*/5));
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(limiter.try_acquire("10.0.0." + std::to_string(i), kNow), seconds(0));
  }
  EXPECT_EQ(limiter.try_acquire("10.0.1.1", kNow + seconds(1)), seconds(3599));
  // Refused registrations are not counted: the address still has its three.
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(limiter.try_acquire("10.0.1.1", kNow + seconds(3600)), seconds(0));
  }
}

}  // namespace
}  // namespace jwtguard::server
