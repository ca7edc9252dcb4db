// A Guard-level case for the stores that are servers (Redis, PostgreSQL):
// two instances sharing the store, two tabs presenting the same refresh
// token at once within the reuse interval (Session::previous_refresh_jti
// as the store keeps it). Include in one file per program.
#ifndef JWTGUARD_TESTS_STORES_GUARD_REUSE_CASE_H_
#define JWTGUARD_TESTS_STORES_GUARD_REUSE_CASE_H_

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <thread>

#include "jwtguard/guard.h"
#include "testing/fixtures.h"

namespace jwtguard::testing {

inline void expect_two_instances_share_a_session_within_the_reuse_interval(
    const std::function<std::unique_ptr<Store>()>& open_store) {
  // Redis expires keys by its own clock: the fake one starts at the real time.
  FakeClock clock(std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
  const Key key = Key::from_secret("0123456789abcdef0123456789abcdef").value();
  GuardOptions options;
  options.background = false;
  options.refresh_reuse_interval = std::chrono::seconds(10);
  auto a = Guard::open(key, KeySet(), open_store(), options, clock);
  auto b = Guard::open(key, KeySet(), open_store(), options, clock);
  ASSERT_OK(a);
  ASSERT_OK(b);
  for (int round = 0; round < 5; ++round) {
    auto pair = (*a)->login("alice");
    ASSERT_OK(pair);
    Result<Refreshed> first = fail(Errc::kStore), second = fail(Errc::kStore);
    std::thread tab([&] { first = (*a)->refresh(pair->refresh.token); });
    second = (*b)->refresh(pair->refresh.token);
    tab.join();
    ASSERT_OK(first);
    ASSERT_OK(second);
    auto session = (*a)->store().find_session(pair->refresh.sid);
    ASSERT_OK(session);
    ASSERT_TRUE(session->has_value());
    EXPECT_FALSE((*session)->revoked_at.has_value());
    EXPECT_EQ((*session)->previous_refresh_jti, pair->refresh.jti);
    EXPECT_EQ(first->refresh->jti, (*session)->refresh_jti);
    EXPECT_EQ(second->refresh->jti, (*session)->refresh_jti);
  }
  auto late = (*a)->login("alice");
  ASSERT_OK(late);
  ASSERT_OK((*a)->refresh(late->refresh.token));
  clock.advance(std::chrono::seconds(11));
  EXPECT_ERRC((*b)->refresh(late->refresh.token), Errc::kRevoked);
}

}  // namespace jwtguard::testing

#endif  // JWTGUARD_TESTS_STORES_GUARD_REUSE_CASE_H_
