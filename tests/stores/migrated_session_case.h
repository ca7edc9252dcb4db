// A store opened over data an older schema left: session "s1" of alice,
// rotated once to refresh token "j1" before sessions recorded the token a
// rotation retires. The upgraded store finds it with no previous token, and
// its next rotation records the one it retires.
#ifndef JWTGUARD_TESTS_STORES_MIGRATED_SESSION_CASE_H_
#define JWTGUARD_TESTS_STORES_MIGRATED_SESSION_CASE_H_

#include <gtest/gtest.h>

#include <chrono>

#include "jwtguard/store.h"
#include "testing/fixtures.h"

namespace jwtguard::testing {

inline void expect_the_migrated_session_rotates(Store& store) {
  auto found = store.find_session("s1");
  ASSERT_OK(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->refresh_jti, "j1");
  EXPECT_EQ((*found)->previous_refresh_jti, "");
  const Timestamp now(std::chrono::microseconds(10));
  auto rotated = store.rotate_refresh("s1", "j1", "j2", now, now + std::chrono::hours(1));
  ASSERT_OK(rotated);
  EXPECT_EQ(*rotated, Rotation::kRotated);
  auto after = store.find_session("s1");
  ASSERT_OK(after);
  EXPECT_EQ((*after)->previous_refresh_jti, "j1");
  EXPECT_EQ((*after)->refresh_jti, "j2");
}

}  // namespace jwtguard::testing

#endif  // JWTGUARD_TESTS_STORES_MIGRATED_SESSION_CASE_H_
