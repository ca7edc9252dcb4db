// The table of serve's settings, and how each setting's value is read and
// written. One row per setting (settings.cc) drives the TOML keys, the
// JWTGUARD_* variables, the flags, `serve --help`, describe() and the docs'
// drift test; the functions here are all that know a setting's kind.
#ifndef JWTGUARD_SERVER_SETTINGS_H_
#define JWTGUARD_SERVER_SETTINGS_H_

#include <chrono>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "config.h"

namespace jwtguard::server::settings {

using Field = std::variant<std::string ServeConfig::*, bool ServeConfig::*, unsigned ServeConfig::*,
                           std::size_t ServeConfig::*, std::chrono::seconds ServeConfig::*>;
enum class Kind { kString, kBool, kCount, kSize, kDuration };

// Checks the form of a string setting; the error's detail is the problem.
using Check = Result<void> (*)(std::string_view);

inline constexpr std::uint64_t kKiB = 1024;
inline constexpr std::uint64_t kMiB = 1024 * kKiB;
inline constexpr std::string_view kEnvPrefix = "JWTGUARD_";
inline constexpr std::uint64_t kNoMax =
    std::numeric_limits<std::uint32_t>::max();  // fits `unsigned`

// How a setting's value is checked and named, beyond its kind.
struct Rules {
  std::uint64_t min = 0;  // in bytes, seconds or units
  std::uint64_t max = kNoMax;
  bool bytes = false;          // a size: "64KiB" is accepted and shown
  Check check = nullptr;       // string settings only
  const char* name = nullptr;  // for the variable and flag; null: the key's last part
  bool secret = false;         // never shown, never a flag
  // Read once at start: a reload (SIGHUP) keeps the running value and
  // reports the setting as needing a restart.
  bool restart = false;
};

struct Setting {
  const char* key;
  Field field;
  const char* help;
  Rules rules = {};
};

// Every setting, in the order --help lists them.
std::span<const Setting> table();

Kind kind(const Setting& s);
// "JWTGUARD_ACCESS_TTL".
std::string env_name(const Setting& s);
// "--access-ttl"; empty for a secret, which is never a flag.
std::string flag_name(const Setting& s);

// The first setting `pred` accepts, or null.
template <typename Pred>
const Setting* find_setting(Pred pred) {
  for (const Setting& s : table()) {
    if (pred(s)) return &s;
  }
  return nullptr;
}
// The setting of TOML path `key`, or null.
const Setting* by_key(std::string_view key);

// Parses `text` as the setting's kind, checks it against the setting's rules
// and stores it in `config`. kInvalidArgument otherwise, whose detail is the
// problem (quoting `text`, except for a secret, whose check never fails).
Result<void> assign(const Setting& s, std::string_view text, ServeConfig& config);

// The setting's value as one would write it ("15m", "64KiB"): the defaults
// in --help.
std::string text_of(const Setting& s, const ServeConfig& config);

// The setting's value for describe(): durations as text, since a bare number
// would not say its unit; sizes in bytes; a secret as "(set)"; the store URL
// with its password redacted.
nlohmann::json json_of(const Setting& s, const ServeConfig& config);

// A whole decimal number, nothing around it. kInvalidArgument otherwise.
Result<std::uint64_t> parse_unsigned(std::string_view text);

// `text` in double quotes, for error details.
std::string quoted(std::string_view text);

inline tl::unexpected<Error> invalid(std::string detail) {
  return fail(Errc::kInvalidArgument, std::move(detail));
}

}  // namespace jwtguard::server::settings

#endif  // JWTGUARD_SERVER_SETTINGS_H_
