// cache_control_max_age: the lifetime a JWK Set response asks for.
#include <gtest/gtest.h>

#include "jwtguard/remote_jwks.h"

namespace jwtguard {
namespace {

using std::chrono::seconds;

TEST(CacheControlTest, ReadsMaxAgeAmongOtherDirectives) {
  EXPECT_EQ(cache_control_max_age("max-age=300"), seconds(300));
  EXPECT_EQ(cache_control_max_age("public, max-age=60, must-revalidate"), seconds(60));
  EXPECT_EQ(cache_control_max_age("  MAX-AGE=5 "), seconds(5));
  EXPECT_EQ(cache_control_max_age(R"(max-age="7")"), seconds(7));
  EXPECT_EQ(cache_control_max_age("max-age=0"), seconds(0));
}

TEST(CacheControlTest, NoStoreAndNoCacheMeanZeroWhateverMaxAgeSays) {
  EXPECT_EQ(cache_control_max_age("no-store"), seconds(0));
  EXPECT_EQ(cache_control_max_age("No-Cache"), seconds(0));
  EXPECT_EQ(cache_control_max_age("max-age=600, no-cache"), seconds(0));
  EXPECT_EQ(cache_control_max_age("no-store, max-age=600"), seconds(0));
}

TEST(CacheControlTest, SaysNothingWithoutAUsableMaxAge) {
  EXPECT_EQ(cache_control_max_age(""), std::nullopt);
  EXPECT_EQ(cache_control_max_age("public"), std::nullopt);
  EXPECT_EQ(cache_control_max_age("max-age"), std::nullopt);
  EXPECT_EQ(cache_control_max_age("max-age="), std::nullopt);
  EXPECT_EQ(cache_control_max_age("max-age=abc"), std::nullopt);
  EXPECT_EQ(cache_control_max_age("max-age=-1"), std::nullopt);
  EXPECT_EQ(cache_control_max_age("max-age=1.5"), std::nullopt);
  EXPECT_EQ(cache_control_max_age("s-maxage=60"), std::nullopt);
  EXPECT_EQ(cache_control_max_age("x-max-age=60"), std::nullopt);
}

TEST(CacheControlTest, FirstMaxAgeWins) {
  EXPECT_EQ(cache_control_max_age("max-age=10, max-age=99999"), seconds(10));
  EXPECT_EQ(cache_control_max_age("max-age=bad, max-age=20"), seconds(20));
}

// RFC 9111 §1.2.2: an unrepresentable delta-seconds counts as 2^31.
TEST(CacheControlTest, HugeValuesSaturateInsteadOfOverflowing) {
  EXPECT_EQ(cache_control_max_age("max-age=99999999999999999999999999999"), seconds(2147483648));
  EXPECT_EQ(cache_control_max_age("max-age=2147483647"), seconds(2147483647));
}

}  // namespace
}  // namespace jwtguard
