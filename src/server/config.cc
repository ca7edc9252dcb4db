// The settings of `jwtguard serve`: one table (kSettings) drives the TOML
// file, the environment, the flags, --help and describe().
#include "config.h"

#include <arpa/inet.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string_view>
#include <type_traits>
#include <variant>

#include "jwtguard/algorithm.h"
#include "jwtguard/store.h"
#include "error_responses.h"
#include "util/spelling.h"
#include "util/try.h"

extern char** environ;  // POSIX: not declared by every <unistd.h>

namespace jwtguard::server {
namespace {

using std::chrono::seconds;
using Json = nlohmann::json;

using Field = std::variant<std::string ServeConfig::*, bool ServeConfig::*, unsigned ServeConfig::*,
                           std::size_t ServeConfig::*, seconds ServeConfig::*>;
enum class Kind { kString, kBool, kCount, kSize, kDuration };

// Checks the form of a string setting; the error's detail is the problem.
using Check = Result<void> (*)(std::string_view);

constexpr std::uint64_t kKiB = 1024;
constexpr std::uint64_t kMiB = 1024 * kKiB;
constexpr std::uint64_t kMinute = 60, kHour = 60 * kMinute, kDay = 24 * kHour;
// Longer durations are typos; the cap also keeps now + duration far from overflow.
constexpr std::uint64_t kMaxDuration = 3650 * kDay;
constexpr std::string_view kEnvPrefix = "JWTGUARD_";
constexpr std::uint64_t kNoMax = std::numeric_limits<std::uint32_t>::max();  // fits `unsigned`

// How a setting's value is checked and named, beyond its kind.
struct Rules {
  std::uint64_t min = 0;  // in bytes, seconds or units
  std::uint64_t max = kNoMax;
  bool bytes = false;          // a size: "64KiB" is accepted and shown
  Check check = nullptr;       // string settings only
  const char* name = nullptr;  // for the variable and flag; null: the key's last part
  bool secret = false;         // never shown, never a flag
};

struct Setting {
  const char* key;
  Field field;
  const char* help;
  Rules rules = {};
};

auto invalid(std::string detail) { return fail(Errc::kInvalidArgument, std::move(detail)); }
std::string quoted(std::string_view text) {
  std::string out(1, '"');  // not "\"" + ...: GCC 12 misreports that (bug 105329)
  return out.append(text).append(1, '"');
}

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

Result<std::uint64_t> parse_unsigned(std::string_view text) {
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return invalid("expected a whole number, got " + quoted(text));
  }
  return n;
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

// Seconds per unit letter of a duration; 0 for any other character.
std::uint64_t unit_seconds(char letter) {
  constexpr std::string_view kLetters = "smhdw";
  constexpr std::uint64_t kSeconds[] = {1, kMinute, kHour, kDay, 7 * kDay};
  const std::size_t i = kLetters.find(letter);
  return i == std::string_view::npos ? 0 : kSeconds[i];
}

}  // namespace

Result<seconds> parse_duration(std::string_view text) {
  const auto bad = [&] {
    return invalid("expected a duration such as 900, 45s, 15m, 12h, 30d, 2w or 1h30m, got " +
                   quoted(text));
  };
  std::uint64_t total = 0;
  std::size_t i = 0;
  do {
    const std::size_t start = i;
    i = std::min(text.find_first_not_of("0123456789", start), text.size());
    auto n = parse_unsigned(text.substr(start, i - start));
    if (!n || i - start > 9) return bad();
    if (i == text.size()) {
      // Bare seconds only on their own: "1h30" is more likely a typo than 1h 30s.
      if (start != 0) return bad();
      total = *n;
      break;
    }
    const std::uint64_t unit = unit_seconds(text[i++]);
    if (unit == 0) return bad();
    total += *n * unit;  // no overflow: under 10^9 weeks plus at most kMaxDuration
    if (total > kMaxDuration) return invalid("longer than 3650d: " + quoted(text));
  } while (i < text.size());
  return seconds(static_cast<seconds::rep>(total));
}

// --- the forms of string settings ---

Result<ListenAddress> parse_listen(std::string_view text) {
  const auto bad = [&] {
    return invalid("expected HOST:PORT such as 127.0.0.1:8080 or [::1]:8080, got " + quoted(text));
  };
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return bad();
  const std::string_view host = text.substr(0, colon), port = text.substr(colon + 1);
  const bool bracketed = host.size() > 2 && host.front() == '[' && host.back() == ']' &&
                         host.find_first_of("[]", 1) == host.size() - 1;
  // An unbracketed IPv6 address cannot be told apart from its port.
  if (!bracketed && (host.empty() || host.find_first_of(":[]") != std::string_view::npos)) {
    return bad();
  }
  if (auto number = parse_unsigned(port); !number || *number > 65535) {
    return invalid("port must be 0..65535, got " + quoted(port));
  }
  // The listener binds an address, it does not resolve names.
  std::string address(bracketed ? host.substr(1, host.size() - 2) : host);
  unsigned char scratch[sizeof(in6_addr)];
  if (inet_pton(bracketed ? AF_INET6 : AF_INET, address.c_str(), scratch) != 1) {
    return invalid("the host must be an IP address (127.0.0.1, 0.0.0.0, [::1]), got " +
                   quoted(host));
  }
  return ListenAddress{std::move(address), static_cast<std::uint16_t>(*parse_unsigned(port))};
}

namespace {

Result<void> check_listen(std::string_view text) {
  auto parsed = parse_listen(text);
  if (!parsed) return tl::unexpected(parsed.error());
  return {};
}

Result<void> check_algorithm(std::string_view text) {
  if (parse_algorithm(text)) return {};
  std::string names;
  for (Algorithm alg : all_algorithms()) {
    names.append(names.empty() ? "" : ", ").append(algorithm_name(alg));
  }
  return invalid("unknown algorithm " + quoted(text) + " (use one of " + names + ")");
}

Result<void> check_log_level(std::string_view text) {
  for (std::string_view level : {"trace", "debug", "info", "warn", "error", "off"}) {
    if (text == level) return {};
  }
  return invalid("unknown log level " + quoted(text) +
                 " (use trace, debug, info, warn, error or off)");
}

Result<void> check_check_mode(std::string_view text) {
  if (text == "index" || text == "store") return {};
  return invalid("unknown check mode " + quoted(text) + " (use index or store)");
}

Result<void> check_not_empty(std::string_view text) {
  if (text.empty()) return invalid("must not be empty");
  return {};
}

using C = ServeConfig;
// One row per setting reads better than clang-format's layout.
// clang-format off
constexpr Setting kSettings[] = {
    {"listen", &C::listen, "Address to listen on, HOST:PORT ([::1]:8080 for IPv6); port 0 "
     "picks a free one.", {.check = check_listen}},
    {"threads", &C::threads, "I/O threads; 0 means one per core.", {.max = 256}},
    {"workers", &C::workers, "Threads for password hashing and store writes; 0 means one per "
     "core.", {.max = 256}},
    {"store", &C::store, "Where users, sessions and revocations live: sqlite:PATH, "
     "redis://[:PASSWORD@]HOST:PORT/DB, postgresql://USER@HOST:PORT/DB or memory:.",
     {.check = check_not_empty}},
    {"check", &C::check, "Where token checks look for revocations: index (memory, kept current "
     "by the store's change feed; no I/O) or store (strict: also ask the store on every check).",
     {.check = check_check_mode}},
    {"redis.require_persistence", &C::require_persistence, "Refuse to start when the Redis "
     "store persists nothing (neither AOF nor RDB); off: a warning."},
    {"dev", &C::dev, "Development mode: with no key configured, generate one under data_dir and "
     "reuse it; off, a missing key is an error."},
    {"data_dir", &C::data_dir, "Directory for the keys development mode generates.",
     {.check = check_not_empty}},
    {"keys.algorithm", &C::algorithm, "Signing algorithm: HS256/384/512, RS256/384/512, "
     "PS256/384/512, ES256/384/512 or EdDSA; a key that allows only one signs with that one.",
     {.check = check_algorithm}},
    {"keys.secret", &C::secret, "Shared secret for HS*; from the file or JWTGUARD_SECRET only, "
     "since other users can read command lines.", {.secret = true}},
    {"keys.secret_file", &C::secret_file, "File holding the HS* secret."},
    {"keys.key_file", &C::key_file, "One private key: PEM (RS*, PS*, ES*, EdDSA) or a JWK, "
     "such as `jwtguard keys generate` prints (any algorithm)."},
    {"keys.jwks_file", &C::jwks_file, "JWK Set of private keys; kid picks the signing one."},
    {"keys.kid", &C::kid, "Key id written in the header of issued tokens."},
    {"tokens.access_ttl", &C::access_ttl, "Lifetime of access tokens.", {.min = 1}},
    {"tokens.refresh_ttl", &C::refresh_ttl, "Lifetime of refresh tokens.", {.min = 1}},
    {"tokens.issuer", &C::issuer, "\"iss\" of issued tokens, required of presented ones; "
     "empty: none."},
    {"tokens.audience", &C::audience, "\"aud\" of issued tokens, required of presented ones; "
     "empty: none."},
    {"tokens.leeway", &C::leeway, "Clock skew tolerated when checking exp, nbf and iat."},
    {"tokens.rotate_refresh_tokens", &C::rotate_refresh_tokens, "Give a new refresh token on "
     "every refresh and retire the presented one."},
    {"http.body_limit", &C::body_limit, "Largest request body; larger ones get 413.",
     {.min = kKiB, .max = 16 * kMiB, .bytes = true}},
    {"http.header_limit", &C::header_limit, "Largest request head; larger ones get 431.",
     {.min = kKiB, .max = kMiB, .bytes = true}},
    {"http.token_limit", &C::token_limit, "Largest token (at most header_limit); larger ones "
     "are refused with 422.", {.min = kKiB, .max = 64 * kKiB, .bytes = true}},
    {"http.read_timeout", &C::read_timeout, "Time to receive a whole request once it started.",
     {.min = 1}},
    {"http.idle_timeout", &C::idle_timeout, "Time an idle keep-alive connection stays open.",
     {.min = 1}},
    {"http.shutdown_timeout", &C::shutdown_timeout, "On SIGTERM, time in-flight requests get "
     "to finish."},
    {"http.max_connections", &C::max_connections, "Connections open at once; 0: the open-file "
     "limit less 64 and 1/32 of it (a larger value is lowered to that). At the cap, the "
     "longest-idle connection closes for a new one.", {.max = 1u << 20}},
    {"http.trust_forwarded_for", &C::trust_forwarded_for, "Take the client address from the "
     "last X-Forwarded-For entry; only behind a proxy that always sets it."},
    {"users.registration", &C::registration, "Let anyone create an account (POST "
     "/auth/register)."},
    {"users.min_password_length", &C::min_password_length, "Shortest password accepted at "
     "registration.", {.min = 1, .max = 1024}},
    {"users.login_max_failures", &C::login_max_failures, "Failed logins per user name from one "
     "client address; then that address gets 429 for that user until login_window ends.",
     {.min = 1, .max = 1000000}},
    {"users.login_max_failures_per_user", &C::login_max_failures_per_user, "Failed logins per "
     "user name from all addresses before its logins back off (429 for 1 s, 2 s, 4 s ... up to "
     "login_window after each further failure), except from addresses where it logged in within "
     "30 days.", {.min = 1, .max = 1000000}},
    {"users.login_max_failures_per_address", &C::login_max_failures_per_address, "Failed logins "
     "per client address for all user names before its logins back off likewise (with the same "
     "exception).", {.min = 1, .max = 1000000}},
    {"users.login_window", &C::login_window, "How long failed logins are counted: a user name "
     "and address's lockout, and the time without failures after which a backoff is forgotten.",
     {.min = 1}},
    {"users.registration_max_per_address", &C::registration_max_per_address, "Registrations per "
     "client address within registration_window; then 429.", {.min = 1, .max = 1000000}},
    {"users.registration_max_total", &C::registration_max_total, "Registrations from all "
     "addresses within registration_window; then 429.", {.min = 1, .max = 1000000}},
    {"users.registration_window", &C::registration_window, "Window in which registrations are "
     "counted.", {.min = 1}},
    {"log.level", &C::log_level, "trace, debug, info, warn, error or off.",
     {.check = check_log_level, .name = "log_level"}},
    {"log.access_log", &C::access_log, "One JSON line per request."},
    {"log.file", &C::log_file, "Log file; empty: standard error.", {.name = "log_file"}},
};
// clang-format on

Kind kind(const Setting& s) {
  constexpr Kind kByField[] = {Kind::kString, Kind::kBool, Kind::kCount, Kind::kCount,
                               Kind::kDuration};  // in Field's order
  const Kind k = kByField[s.field.index()];
  return k == Kind::kCount && s.rules.bytes ? Kind::kSize : k;
}

std::string name_of(const Setting& s) {
  if (s.rules.name != nullptr) return s.rules.name;
  const std::string_view key = s.key;
  return std::string(key.substr(key.rfind('.') + 1));  // npos + 1 == 0: a top-level key
}

std::string env_name(const Setting& s) {
  std::string name = name_of(s);
  for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return std::string(kEnvPrefix) + name;
}

std::string flag_name(const Setting& s) {
  if (s.rules.secret) return {};
  std::string name = name_of(s);
  std::replace(name.begin(), name.end(), '_', '-');
  return "--" + name;
}

template <typename Pred>
const Setting* find_setting(Pred pred) {
  for (const Setting& s : kSettings) {
    if (pred(s)) return &s;
  }
  return nullptr;
}

const Setting* by_key(std::string_view key) {
  return find_setting([&](const Setting& s) { return key == s.key; });
}

// The string kind: any text, in the form its check demands.
Result<std::string> parse_string(const Setting& s, std::string_view text) {
  if (s.rules.check != nullptr) JWTGUARD_TRY(s.rules.check(text));
  return std::string(text);
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

std::string format_size(std::uint64_t bytes) {
  if (bytes != 0 && bytes % kMiB == 0) return std::to_string(bytes / kMiB) + "MiB";
  if (bytes != 0 && bytes % kKiB == 0) return std::to_string(bytes / kKiB) + "KiB";
  return std::to_string(bytes);
}

std::string format_number(const Setting& s, std::uint64_t n) {
  if (kind(s) == Kind::kDuration) return format_duration(seconds(n));
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

// Parses `text` as the setting's kind and stores it; the error's detail is the problem.
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
          auto value = parse_duration(text);
          JWTGUARD_TRY(value);
          JWTGUARD_TRY(in_range(s, static_cast<std::uint64_t>(value->count())));
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

// The setting's value as one would write it: the defaults in --help.
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
          return format_duration(value);
        } else {
          return format_number(s, value);
        }
      },
      s.field);
}

// Durations as text, since a bare number would not say its unit; sizes in bytes.
Json json_of(const Setting& s, const ServeConfig& config) {
  return std::visit(
      [&](auto member) -> Json {
        const auto& value = config.*member;
        using T = std::remove_cvref_t<decltype(value)>;
        if constexpr (std::is_same_v<T, seconds>) {
          return format_duration(value);
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

// --- sources ---

std::string at(const std::string& path, const toml::source_region& where) {
  return where.begin.line == 0 ? path : path + ":" + std::to_string(where.begin.line);
}

std::string type_name(const toml::node& node) {
  std::ostringstream out;
  out << node.type();
  return out.str();
}

// A TOML value as the text the environment or a flag would give.
Result<std::string> toml_text(const Setting& s, const toml::node& node) {
  const Kind k = kind(s);
  if (const auto* text = node.as_string()) return text->get();
  if (const auto* flag = node.as_boolean(); flag && k == Kind::kBool) {
    return std::string(flag->get() ? "true" : "false");
  }
  if (const auto* n = node.as_integer(); n && k != Kind::kString && k != Kind::kBool) {
    return std::to_string(n->get());
  }
  const char* expected = k == Kind::kString  ? "a string"
                         : k == Kind::kBool  ? "a boolean"
                         : k == Kind::kCount ? "an integer"
                                             : "an integer or a string";
  return invalid(std::string("expected ") + expected + ", got " + type_name(node));
}

Result<int> error_status(const toml::node& node) {
  const auto* n = node.as_integer();
  if (n == nullptr) return invalid("expected an integer, got " + type_name(node));
  // An error stays an error: a 2xx would tell a gateway (nginx
  // auth_request, Traefik forwardAuth) to let a revoked token through.
  if (n->get() < 400 || n->get() > 599) {
    return invalid("must be an HTTP error status 400..599, got " + std::to_string(n->get()));
  }
  return static_cast<int>(n->get());
}

// The body as compact JSON text, from a TOML table or a string holding a JSON
// object (an object, as the server demands, so the error can name the line).
Result<std::string> error_body(const toml::node& node) {
  std::string text;
  if (const auto* table = node.as_table()) {
    std::ostringstream out;
    out << toml::json_formatter{*table};
    text = out.str();
  } else if (const auto* string = node.as_string()) {
    text = string->get();
  } else {
    return invalid("expected a table or a string holding a JSON object, got " + type_name(node));
  }
  const Json json = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return invalid("not valid JSON");
  if (!json.is_object()) return invalid("must be a JSON object");
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// ": did you mean tokens.access_ttl?" for a misspelt key of the file, or a
// pointer to the list of settings when no key is near.
std::string did_you_mean_key(const std::string& key) {
  std::vector<std::string> keys;
  for (const Setting& s : kSettings) keys.emplace_back(s.key);
  const std::string near = closest_name(key, keys);
  return near.empty() ? std::string(": docs/configuration.md lists every setting")
                      : ": did you mean " + near + "?";
}

std::string unknown_error_name(const std::string& name, const std::string& where,
                               const std::vector<std::string>& known) {
  std::string list;
  for (const std::string& k : known) list.append(list.empty() ? "" : ", ").append(k);
  const std::string near = closest_name(name, known);
  return "unknown error response errors." + name + " (" + where + ")" +
         (near.empty() ? "" : ": did you mean " + near + "?") + " The names are: " + list;
}

class Loader {
 public:
  Result<void> file(std::string_view text, const std::string& path);
  Result<void> environment(const Environment& env);
  Result<void> flags(const FlagValues& flags);
  Result<ServeConfig> finish() &&;

 private:
  Result<void> set(const Setting& s, std::string_view text, const std::string& where);
  Result<void> file_entry(const std::string& path, const std::string& key, const toml::node& node);
  Result<void> errors(const std::string& path, const toml::node& node);
  Result<ErrorOverride> error_override(const std::string& path, const std::string& key,
                                       const toml::node& node);
  std::string origin(const std::string& key) const;

  ServeConfig config_;
};

Result<void> Loader::set(const Setting& s, std::string_view text, const std::string& where) {
  // Problems quote the text; a secret's string check never fails, so none is quoted.
  if (auto done = assign(s, text, config_); !done) {
    return invalid(std::string(s.key) + " (" + where + "): " + done.error().detail());
  }
  config_.sources[s.key] = where;
  return {};
}

Result<void> Loader::file(std::string_view text, const std::string& path) {
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    return invalid(at(path, e.source()) + ": " + std::string(e.description()));
  }
  for (auto&& [key, node] : root) JWTGUARD_TRY(file_entry(path, std::string(key.str()), node));
  return {};
}

Result<void> Loader::file_entry(const std::string& path, const std::string& key,
                                const toml::node& node) {
  const std::string where = at(path, node.source());
  if (const Setting* s = by_key(key)) {
    auto text = toml_text(*s, node);
    if (!text) return invalid(key + " (" + where + "): " + text.error().detail());
    return set(*s, *text, where);
  }
  if (key == "errors") return errors(path, node);
  const bool section = find_setting([&](const Setting& s) {
                         return std::string_view(s.key).starts_with(key + ".");
                       }) != nullptr;
  if (!section) return invalid("unknown key " + key + " (" + where + ")" + did_you_mean_key(key));
  const auto* table = node.as_table();
  if (table == nullptr)
    return invalid(key + " (" + where + "): expected a table, got " + type_name(node));
  for (auto&& [name, value] : *table) {
    JWTGUARD_TRY(file_entry(path, key + "." + std::string(name.str()), value));
  }
  return {};
}

Result<void> Loader::errors(const std::string& path, const toml::node& node) {
  const auto* table = node.as_table();
  if (table == nullptr) {
    return invalid("errors (" + at(path, node.source()) + "): expected [errors.<name>] tables");
  }
  const std::vector<std::string> known = ErrorResponses::names();
  for (auto&& [name, entry] : *table) {
    if (std::find(known.begin(), known.end(), name.str()) == known.end()) {
      return invalid(unknown_error_name(std::string(name.str()), at(path, entry.source()), known));
    }
    auto override = error_override(path, "errors." + std::string(name.str()), entry);
    JWTGUARD_TRY(override);
    config_.errors[std::string(name.str())] = std::move(*override);
  }
  return {};
}

Result<ErrorOverride> Loader::error_override(const std::string& path, const std::string& key,
                                             const toml::node& node) {
  const auto* table = node.as_table();
  if (table == nullptr) {
    return invalid(key + " (" + at(path, node.source()) +
                   "): expected a table with status and body");
  }
  ErrorOverride out;
  for (auto&& [field, value] : *table) {
    const std::string name = key + "." + std::string(field.str());
    const std::string where = " (" + at(path, value.source()) + ")";
    const auto problem = [&](const Error& e) { return invalid(name + where + ": " + e.detail()); };
    if (field.str() == "status") {
      auto status = error_status(value);
      if (!status) return problem(status.error());
      out.status = *status;
    } else if (field.str() == "body") {
      auto body = error_body(value);
      if (!body) return problem(body.error());
      out.body = std::move(*body);
    } else {
      return invalid("unknown key " + name + where + ": expected status or body");
    }
  }
  return out;
}

Result<void> Loader::environment(const Environment& env) {
  for (const auto& [variable, value] : env) {
    const std::string& name = variable;  // clang 14 cannot capture a structured binding
    if (!name.starts_with(kEnvPrefix) || name == kConfigVariable) continue;
    const Setting* s = find_setting([&](const Setting& s) { return env_name(s) == name; });
    if (s == nullptr) {
      std::vector<std::string> names;
      for (const Setting& known : kSettings) names.push_back(env_name(known));
      names.emplace_back(kConfigVariable);
      const std::string near = closest_name(name, names);
      return invalid("unknown variable " + name + " (environment)" +
                     (near.empty() ? ": unset it" : ": did you mean " + near + "?"));
    }
    JWTGUARD_TRY(set(*s, value, "environment " + name));
  }
  return {};
}

Result<void> Loader::flags(const FlagValues& flags) {
  for (const auto& [key, value] : flags) {
    const Setting* s = by_key(key);
    if (s == nullptr) return invalid("unknown setting " + key + " (flag)");
    if (s->rules.secret) {
      return invalid(key +
                     " (flag): not accepted on the command line, which other users can "
                     "see; use the file or " +
                     env_name(*s));
    }
    JWTGUARD_TRY(set(*s, value, "flag " + flag_name(*s)));
  }
  return {};
}

std::string Loader::origin(const std::string& key) const { return setting_origin(config_, key); }

Result<ServeConfig> Loader::finish() && {
  const std::pair<const char*, const std::string*> key_sources[] = {
      {"keys.secret", &config_.secret},
      {"keys.secret_file", &config_.secret_file},
      {"keys.key_file", &config_.key_file},
      {"keys.jwks_file", &config_.jwks_file}};
  // Two keys are refused wherever each was set: letting the one of higher
  // precedence win would sign with a key the operator did not mean (a
  // JWTGUARD_SECRET exported for the token commands replacing the file's
  // secret_file), and every token signed before would fail to verify.
  std::vector<std::string> given;
  for (const auto& [key, value] : key_sources) {
    if (!value->empty()) given.push_back(origin(key));
  }
  if (given.size() > 1) {
    std::string list = given[0];
    for (std::size_t i = 1; i < given.size(); ++i) list += " and " + given[i];
    return invalid("only one key source may be set, got " + list +
                   ": keep one and remove the others (an empty value, such as JWTGUARD_KEY_FILE=, "
                   "clears what the file set; unset JWTGUARD_SECRET if it was exported for the "
                   "token commands)");
  }
  if (config_.token_limit > config_.header_limit) {
    // A token travels in the Authorization header, so it can never be larger.
    return invalid(origin("http.token_limit") + " must not exceed " + origin("http.header_limit"));
  }
  return std::move(config_);
}

}  // namespace

const std::vector<SettingInfo>& serve_settings() {
  static const std::vector<SettingInfo> infos = [] {
    const ServeConfig defaults;
    std::vector<SettingInfo> out;
    for (const Setting& s : kSettings) {
      out.push_back(
          {s.key, env_name(s), flag_name(s), s.help, text_of(s, defaults), s.rules.secret});
    }
    return out;
  }();
  return infos;
}

Environment process_environment() {
  Environment env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const std::size_t equals = text.find('=');
    if (!text.starts_with(kEnvPrefix) || equals == std::string_view::npos) continue;
    env.emplace(text.substr(0, equals), text.substr(equals + 1));
  }
  return env;
}

Result<ServeConfig> load_serve_config_text(std::string_view toml_text, const std::string& toml_name,
                                           const Environment& env, const FlagValues& flags) {
  Loader loader;
  JWTGUARD_TRY(loader.file(toml_text, toml_name));
  JWTGUARD_TRY(loader.environment(env));
  JWTGUARD_TRY(loader.flags(flags));
  return std::move(loader).finish();
}

Result<ServeConfig> load_serve_config(const std::string& toml_path, const Environment& env,
                                      const FlagValues& flags) {
  std::string text;
  if (!toml_path.empty()) {
    std::error_code ec;
    // A directory opens as a stream that reads nothing: an empty file.
    const bool directory = std::filesystem::is_directory(toml_path, ec);
    std::ifstream in(toml_path, std::ios::binary);
    if (directory || !in) {
      return invalid("the configuration file " + (quoted)(toml_path) + " cannot be read (" +
                     (directory ? "it is a directory" : std::strerror(errno)) +
                     "): fix --config or JWTGUARD_CONFIG");
    }
    std::ostringstream content;
    content << in.rdbuf();
    text = content.str();
  }
  return load_serve_config_text(text, toml_path, env, flags);
}

std::string setting_origin(const ServeConfig& config, std::string_view key) {
  const auto it = config.sources.find(std::string(key));
  return std::string(key) + " (" + (it == config.sources.end() ? "default" : it->second) + ")";
}

std::string describe(const ServeConfig& config) {
  Json out = Json::object();
  for (const Setting& s : kSettings) {
    std::string pointer = std::string(1, '/').append(s.key);
    std::replace(pointer.begin(), pointer.end(), '.', '/');
    out[Json::json_pointer(pointer)] = json_of(s, config);
  }
  for (const auto& [name, override] : config.errors) {
    Json& entry = out["errors"][name] = Json::object();
    if (override.status != 0) entry["status"] = override.status;
    if (override.body.empty()) continue;
    Json body = Json::parse(override.body, nullptr, /*allow_exceptions=*/false);
    entry["body"] = body.is_discarded() ? Json(override.body) : body;
  }
  return out.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace jwtguard::server
