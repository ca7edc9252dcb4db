// Durations as every setting of `serve` and every flag of the command line
// write them: one parser, so "0", "1h30" or "3651d" mean the same thing (or
// are refused with the same words) wherever they are typed.
#ifndef JWTGUARD_UTIL_DURATION_H_
#define JWTGUARD_UTIL_DURATION_H_

#include <chrono>
#include <string>
#include <string_view>

#include "jwtguard/error.h"

namespace jwtguard::util {

// Longer durations are typos; the cap also keeps now + duration far from
// overflow.
inline constexpr std::chrono::seconds kMaxDuration{3650LL * 24 * 3600};

// The range a duration must fall in. Settings and flags differ only here
// (a token's lifetime must not be 0, a leeway may be).
struct DurationBounds {
  std::chrono::seconds min{0};
  std::chrono::seconds max = kMaxDuration;  // at most kMaxDuration
};

// "900" (seconds, only on its own), or numbers with units s, m, h, d, w,
// repeated ("45s", "15m", "1h30m"). kInvalidArgument otherwise, with the
// detail "expected a duration such as 900, 45s, 15m, 12h, 30d, 2w or 1h30m,
// got \"TEXT\"" for a wrong form, "longer than 3650d: \"TEXT\"" past
// kMaxDuration, and "must be at least MIN, got D", "must be at most MAX, got
// D" or "must be MIN..MAX, got D" outside `bounds` (durations written by
// format_duration).
Result<std::chrono::seconds> parse_duration(std::string_view text, DurationBounds bounds = {});

// `value` as parse_duration reads it, in the largest units: "0s", "15m",
// "1d2h".
std::string format_duration(std::chrono::seconds value);

}  // namespace jwtguard::util

#endif  // JWTGUARD_UTIL_DURATION_H_
