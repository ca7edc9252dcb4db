// How a setting's text becomes its value and back (settings.h): the value
// kinds (booleans, counts, sizes, durations, checked strings) and their
// ranges.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <type_traits>

#include "jwtguard/store.h"
#include "settings.h"
#include "util/duration.h"
#include "util/try.h"

namespace jwtguard::server::settings {
namespace {

using std::chrono::seconds;
using Json = nlohmann::json;

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// --- the value kinds: text in, value or problem out ---

Result<bool> parse_bool(std::string_view text) {
  const std::string word = lower(text);
  if (word == "true" || word == "1" || word == "yes" || word == "on") return true;
  if (word == "false" || word == "0" || word == "no" || word == "off") return false;
  return invalid("expected true/false, yes/no, on/off or 1/0, got " + quoted(text));
}

Result<std::uint64_t> parse_size(std::string_view text) {
  const std::size_t digits = std::min(text.find_first_not_of("0123456789"), text.size());
  const std::string unit = lower(text.substr(digits));
  const std::uint64_t scale = unit.empty()                     ? 1
                              : (unit == "k" || unit == "kib") ? kKiB
                              : (unit == "m" || unit == "mib") ? kMiB
                                                               : 0;
  auto n = parse_unsigned(text.substr(0, digits));
  if (!n || scale == 0 || digits > 12) {  // 12 digits of MiB still fit in 64 bits
    return invalid("expected a size such as 65536, 64KiB, 64k or 1MiB, got " + quoted(text));
  }
  return *n * scale;
}

// The string kind: any text, in the form its check demands.
Result<std::string> parse_string(const Setting& s, std::string_view text) {
  if (s.rules.check != nullptr) JWTGUARD_TRY(s.rules.check(text));
  return std::string(text);
}

std::string format_size(std::uint64_t bytes) {
  if (bytes != 0 && bytes % kMiB == 0) return std::to_string(bytes / kMiB) + "MiB";
  if (bytes != 0 && bytes % kKiB == 0) return std::to_string(bytes / kKiB) + "KiB";
  return std::to_string(bytes);
}

std::string format_number(const Setting& s, std::uint64_t n) {
  return s.rules.bytes ? format_size(n) : std::to_string(n);
}

Result<std::uint64_t> in_range(const Setting& s, Result<std::uint64_t> n) {
  if (!n || (*n >= s.rules.min && *n <= s.rules.max)) return n;
  const std::string got = ", got " + format_number(s, *n);
  if (s.rules.max == kNoMax)
    return invalid("must be at least " + format_number(s, s.rules.min) + got);
  if (s.rules.min == 0) return invalid("must be at most " + format_number(s, s.rules.max) + got);
  return invalid("must be " + format_number(s, s.rules.min) + ".." + format_number(s, s.rules.max) +
                 got);
}

// A duration setting's range, in the one duration parser's terms.
util::DurationBounds duration_bounds(const Setting& s) {
  return {.min = seconds(s.rules.min), .max = std::min(util::kMaxDuration, seconds(s.rules.max))};
}

}  // namespace

std::string quoted(std::string_view text) {
  std::string out(1, '"');  // not "\"" + ...: GCC 12 misreports that (bug 105329)
  return out.append(text).append(1, '"');
}

Result<std::uint64_t> parse_unsigned(std::string_view text) {
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return invalid("expected a whole number, got " + quoted(text));
  }
  return n;
}

Result<void> assign(const Setting& s, std::string_view text, ServeConfig& config) {
  return std::visit(
      [&](auto member) -> Result<void> {
        using T = std::remove_reference_t<decltype(config.*member)>;
        if constexpr (std::is_same_v<T, std::string>) {
          auto value = parse_string(s, text);
          JWTGUARD_TRY(value);
          config.*member = std::move(*value);
        } else if constexpr (std::is_same_v<T, bool>) {
          auto value = parse_bool(text);
          JWTGUARD_TRY(value);
          config.*member = *value;
        } else if constexpr (std::is_same_v<T, seconds>) {
          auto value = util::parse_duration(text, duration_bounds(s));
          JWTGUARD_TRY(value);
          config.*member = *value;
        } else {
          auto value = in_range(s, s.rules.bytes ? parse_size(text) : parse_unsigned(text));
          JWTGUARD_TRY(value);
          config.*member = static_cast<T>(*value);  // max keeps it in T's range
        }
        return {};
      },
      s.field);
}

std::string text_of(const Setting& s, const ServeConfig& config) {
  return std::visit(
      [&](auto member) -> std::string {
        const auto& value = config.*member;
        using T = std::remove_cvref_t<decltype(value)>;
        if constexpr (std::is_same_v<T, std::string>) {
          return value;
        } else if constexpr (std::is_same_v<T, bool>) {
          return value ? "true" : "false";
        } else if constexpr (std::is_same_v<T, seconds>) {
          return util::format_duration(value);
        } else {
          return format_number(s, value);
        }
      },
      s.field);
}

Json json_of(const Setting& s, const ServeConfig& config) {
  return std::visit(
      [&](auto member) -> Json {
        const auto& value = config.*member;
        using T = std::remove_cvref_t<decltype(value)>;
        if constexpr (std::is_same_v<T, seconds>) {
          return util::format_duration(value);
        } else if constexpr (std::is_same_v<T, std::string>) {
          if (s.rules.secret && !value.empty()) return "(set)";
          // The store URL may hold a password, wherever its backend reads one.
          if (member == &ServeConfig::store) return redact_store_url(value);
          return value;
        } else {
          return value;
        }
      },
      s.field);
}

}  // namespace jwtguard::server::settings
