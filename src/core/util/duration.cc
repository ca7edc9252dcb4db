#include "util/duration.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <utility>

namespace jwtguard::util {
namespace {

using std::chrono::seconds;

constexpr std::uint64_t kMinute = 60, kHour = 60 * kMinute, kDay = 24 * kHour;

std::string quoted(std::string_view text) {
  std::string out(1, '"');  // not "\"" + ...: GCC 12 misreports that (bug 105329)
  return out.append(text).append(1, '"');
}

auto invalid(std::string detail) { return fail(Errc::kInvalidArgument, std::move(detail)); }

// Seconds per unit letter; 0 for any other character.
std::uint64_t unit_seconds(char letter) {
  constexpr std::string_view kLetters = "smhdw";
  constexpr std::uint64_t kSeconds[] = {1, kMinute, kHour, kDay, 7 * kDay};
  const std::size_t i = kLetters.find(letter);
  return i == std::string_view::npos ? 0 : kSeconds[i];
}

// At most 9 digits: with the largest unit the sum cannot overflow.
bool parse_digits(std::string_view digits, std::uint64_t& n) {
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  return !digits.empty() && digits.size() <= 9 && ec == std::errc() &&
         end == digits.data() + digits.size();
}

Result<std::uint64_t> parse_form(std::string_view text) {
  const auto bad = [&] {
    return invalid("expected a duration such as 900, 45s, 15m, 12h, 30d, 2w or 1h30m, got " +
                   quoted(text));
  };
  const auto max = static_cast<std::uint64_t>(kMaxDuration.count());
  std::uint64_t total = 0;
  std::size_t i = 0;
  do {
    const std::size_t start = i;
    i = std::min(text.find_first_not_of("0123456789", start), text.size());
    std::uint64_t n = 0;
    if (!parse_digits(text.substr(start, i - start), n)) return bad();
    if (i == text.size()) {
      // Bare seconds only on their own: "1h30" is more likely a typo than 1h 30s.
      if (start != 0) return bad();
      total = n;
      break;
    }
    const std::uint64_t unit = unit_seconds(text[i++]);
    if (unit == 0) return bad();
    total += n * unit;
    if (total > max) return invalid("longer than 3650d: " + quoted(text));
  } while (i < text.size());
  return total;
}

Result<seconds> in_bounds(seconds value, DurationBounds bounds) {
  if (value >= bounds.min && value <= bounds.max) return value;
  const std::string got = ", got " + format_duration(value);
  if (bounds.max >= kMaxDuration) {
    return invalid("must be at least " + format_duration(bounds.min) + got);
  }
  if (bounds.min == seconds(0))
    return invalid("must be at most " + format_duration(bounds.max) + got);
  return invalid("must be " + format_duration(bounds.min) + ".." + format_duration(bounds.max) +
                 got);
}

}  // namespace

Result<seconds> parse_duration(std::string_view text, DurationBounds bounds) {
  auto total = parse_form(text);
  if (!total) return tl::unexpected(total.error());
  // Bare seconds are not capped by parse_form; the cap holds for them too.
  if (*total > static_cast<std::uint64_t>(kMaxDuration.count())) {
    return invalid("longer than 3650d: " + quoted(text));
  }
  return in_bounds(seconds(static_cast<seconds::rep>(*total)), bounds);
}

std::string format_duration(seconds value) {
  static constexpr std::pair<std::uint64_t, char> kUnits[] = {
      {kDay, 'd'}, {kHour, 'h'}, {kMinute, 'm'}, {1, 's'}};
  auto left = static_cast<std::uint64_t>(value.count());
  if (left == 0) return "0s";
  std::string out;
  for (const auto& [unit, letter] : kUnits) {
    if (left >= unit) out += std::to_string(left / unit) + letter;
    left %= unit;
  }
  return out;
}

}  // namespace jwtguard::util
