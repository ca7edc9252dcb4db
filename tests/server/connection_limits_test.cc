// The listener's shared limits, alone: the byte budget's arithmetic and the
// connection cap's bounds. The HTTP tests (http_connections_test.cc) show
// them at work in a serving process.
#include "server/connection_limits.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

namespace jwtguard::server {
namespace {

constexpr std::size_t kMiB = 1u << 20;

TEST(ByteBudget, SharesAddUpAgainstOneLimit) {
  ByteBudget budget(16 * 1024, 64 * 1024);  // the limit is the 32 MiB floor
  std::size_t a = 0;
  std::size_t b = 0;
  EXPECT_TRUE(budget.update(a, 0));  // nothing held, nothing counted
  EXPECT_TRUE(budget.update(a, 20 * kMiB));
  EXPECT_EQ(a, 20 * kMiB);
  EXPECT_TRUE(budget.reserve(b, 12 * kMiB));  // exactly at the limit
  EXPECT_FALSE(budget.update(b, 12 * kMiB + 1));
  EXPECT_TRUE(budget.update(a, 0));  // a's share given back
  EXPECT_EQ(a, 0u);
  EXPECT_TRUE(budget.update(b, 12 * kMiB + 1));
  EXPECT_FALSE(budget.reserve(a, 20 * kMiB));
  EXPECT_TRUE(budget.update(a, 0));
  EXPECT_TRUE(budget.update(b, 0));
  EXPECT_TRUE(budget.reserve(a, 32 * kMiB));
}

TEST(ByteBudget, LargeLimitsRaiseTheBudget) {
  ByteBudget budget(1 * kMiB, 8 * kMiB);  // room for 8 requests: 72 MiB
  std::size_t held = 0;
  EXPECT_TRUE(budget.reserve(held, 72 * kMiB));
  EXPECT_FALSE(budget.update(held, 72 * kMiB + 1));
}

TEST(ConnectionCap, LeavesRoomForTheProcesssOtherDescriptors) {
  rlimit limit{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  const std::size_t automatic = connection_cap(0);
  EXPECT_GE(automatic, 16u);
  if (limit.rlim_cur != RLIM_INFINITY) {
    EXPECT_LT(automatic, limit.rlim_cur);
  }
  EXPECT_EQ(connection_cap(8), 8u);                        // a smaller setting is kept
  EXPECT_EQ(connection_cap(automatic + 1000), automatic);  // a larger one is lowered
}

}  // namespace
}  // namespace jwtguard::server
