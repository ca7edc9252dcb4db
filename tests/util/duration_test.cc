// The one duration parser of the settings and the command line.
#include "util/duration.h"

#include <gtest/gtest.h>

namespace jwtguard::util {
namespace {

using std::chrono::seconds;

std::string detail_of(std::string_view text, DurationBounds bounds = {}) {
  auto parsed = parse_duration(text, bounds);
  EXPECT_FALSE(parsed.has_value()) << text;
  if (parsed) return {};
  EXPECT_EQ(parsed.error().code(), Errc::kInvalidArgument);
  return parsed.error().detail();
}

TEST(DurationTest, ReadsBareSecondsAndRepeatedUnits) {
  EXPECT_EQ(parse_duration("900"), seconds(900));
  EXPECT_EQ(parse_duration("0"), seconds(0));
  EXPECT_EQ(parse_duration("45s"), seconds(45));
  EXPECT_EQ(parse_duration("1h30m"), seconds(5400));
  EXPECT_EQ(parse_duration("2w1d"), seconds(15 * 86400));
}

TEST(DurationTest, RefusesBareSecondsAfterAUnitAndStrayCharacters) {
  const std::string form = "expected a duration such as 900, 45s, 15m, 12h, 30d, 2w or 1h30m, got ";
  EXPECT_EQ(detail_of("1h30"), form + "\"1h30\"");
  EXPECT_EQ(detail_of(""), form + "\"\"");
  EXPECT_EQ(detail_of("15 m"), form + "\"15 m\"");
  EXPECT_EQ(detail_of("-5s"), form + "\"-5s\"");
  EXPECT_EQ(detail_of("1y"), form + "\"1y\"");
}

// The cap holds however the duration is written, bare seconds included.
TEST(DurationTest, CapsEveryFormAt3650Days) {
  EXPECT_EQ(parse_duration("3650d"), kMaxDuration);
  EXPECT_EQ(parse_duration(std::to_string(kMaxDuration.count())), kMaxDuration);
  EXPECT_EQ(detail_of("3651d"), "longer than 3650d: \"3651d\"");
  EXPECT_EQ(detail_of("3650d1s"), "longer than 3650d: \"3650d1s\"");
  const std::string bare = std::to_string(kMaxDuration.count() + 1);
  EXPECT_EQ(detail_of(bare), "longer than 3650d: \"" + bare + "\"");
}

TEST(DurationTest, BoundsAreCheckedAtTheirEdgesAndNamedAsDurations) {
  const DurationBounds positive{.min = seconds(1)};
  EXPECT_EQ(detail_of("0", positive), "must be at least 1s, got 0s");
  EXPECT_EQ(parse_duration("1", positive), seconds(1));
  const DurationBounds day{.max = seconds(86400)};
  EXPECT_EQ(parse_duration("1d", day), seconds(86400));
  EXPECT_EQ(detail_of("1d1s", day), "must be at most 1d, got 1d1s");
  const DurationBounds window{.min = seconds(60), .max = seconds(3600)};
  EXPECT_EQ(detail_of("59s", window), "must be 1m..1h, got 59s");
  EXPECT_EQ(detail_of("61m", window), "must be 1m..1h, got 1h1m");
}

TEST(DurationTest, FormatsInTheLargestUnitsAndReadsBack) {
  EXPECT_EQ(format_duration(seconds(0)), "0s");
  EXPECT_EQ(format_duration(seconds(900)), "15m");
  EXPECT_EQ(format_duration(seconds(93784)), "1d2h3m4s");
  for (long n : {1L, 59L, 61L, 3600L, 86399L, 86401L, 30L * 86400}) {
    EXPECT_EQ(parse_duration(format_duration(seconds(n))), seconds(n)) << n;
  }
}

}  // namespace
}  // namespace jwtguard::util
