// The table of serve's settings (settings.h): one row per setting, and the
// names each row gives its TOML key, variable and flag.
#include "settings.h"

#include <algorithm>
#include <cctype>

#include "jwtguard/algorithm.h"
#include "jwtguard/http.h"
#include "jwtguard/verifier.h"

namespace jwtguard::server::settings {
namespace {

// --- the forms of string settings ---

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

Result<void> check_locations(std::string_view text) {
  auto items = split_list(text);
  if (items.empty()) return invalid("name at least one of headers, cookies, query_string");
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (!parse_token_location(items[i])) {
      return invalid("unknown token location " + quoted(items[i]) +
                     " (use headers, cookies or query_string)");
    }
    if (std::find(items.begin(), items.begin() + i, items[i]) != items.begin() + i) {
      return invalid("token location " + quoted(items[i]) + " given twice");
    }
  }
  return {};
}

Result<void> check_same_site(std::string_view text) {
  if (parse_same_site(text)) return {};
  return invalid("unknown SameSite value " + quoted(text) + " (use Lax, Strict or None)");
}

Result<void> check_cookie_path(std::string_view text) {
  if (!text.starts_with('/')) return invalid("a cookie path starts with '/'");
  return {};
}

// An origin as browsers send it: scheme://host[:port], nothing more. "*"
// is refused: with credentials, browsers ignore it, and without them
// cookies do not travel anyway.
Result<void> check_origins(std::string_view text) {
  for (std::string_view origin : split_list(text)) {
    if (origin == "*" || origin == "null") {
      return invalid(quoted(origin) + " is not allowed: name each origin (scheme://host[:port])");
    }
    auto scheme = origin.find("://");
    std::string_view rest = scheme == std::string_view::npos ? "" : origin.substr(scheme + 3);
    const bool known_scheme = origin.starts_with("https://") || origin.starts_with("http://");
    if (!known_scheme || rest.empty() || rest.find_first_of("/?#@ *") != std::string_view::npos) {
      return invalid("origin " + quoted(origin) + " is not scheme://host[:port]");
    }
  }
  return {};
}
// A retired refresh token is honoured this long at most: the grace two tabs
// need is a second or two, and while it lasts a stolen copy works too.
constexpr std::chrono::seconds kMaxReuseInterval{60};

using C = ServeConfig;
// One row per setting reads better than clang-format's layout.
// clang-format off
constexpr Setting kSettings[] = {
    {"listen", &C::listen, "Address to listen on, HOST:PORT ([::1]:8080 for IPv6); port 0 "
     "picks a free one.", {.check = check_listen, .restart = true}},
    {"threads", &C::threads, "I/O threads; 0 means one per core.", {.max = 256, .restart = true}},
    {"workers", &C::workers, "Threads for password hashing and store writes; 0 means one per "
     "core.", {.max = 256, .restart = true}},
    {"store", &C::store, "Where users, sessions and revocations live: sqlite:PATH, "
     "redis://[:PASSWORD@]HOST:PORT/DB, postgresql://USER@HOST:PORT/DB or memory:.",
     {.check = check_not_empty, .restart = true}},
    {"check", &C::check, "Where token checks look for revocations: index (memory, kept current "
     "by the store's change feed; no I/O) or store (strict: also ask the store on every check).",
     {.check = check_check_mode, .restart = true}},
    {"redis.require_persistence", &C::require_persistence, "Refuse to start when the Redis "
     "store persists nothing (neither AOF nor RDB); off: a warning.", {.restart = true}},
    {"dev", &C::dev, "Development mode: with no key configured, generate one under data_dir and "
     "reuse it; off, a missing key is an error.", {.restart = true}},
    {"data_dir", &C::data_dir, "Directory for the keys development mode generates.",
     {.check = check_not_empty, .restart = true}},
    {"keys.algorithm", &C::algorithm, "Signing algorithm: HS256/384/512, RS256/384/512, "
     "PS256/384/512, ES256/384/512 or EdDSA; a key that allows only one signs with that one.",
     {.check = check_algorithm}},
    {"keys.secret", &C::secret, "Shared secret for HS*; from the file or JWTGUARD_SECRET only, "
     "since other users can read command lines.", {.secret = true}},
    {"keys.secret_file", &C::secret_file, "File holding the HS* secret; the one line ending at "
     "its end is not part of it."},
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
    {"tokens.leeway", &C::leeway, "Clock skew tolerated when checking exp, nbf and iat; at most "
     "1d.", {.max = kMaxLeeway.count()}},
    {"tokens.rotate_refresh_tokens", &C::rotate_refresh_tokens, "Give a new refresh token on "
     "every refresh and retire the presented one."},
    {"tokens.locations", &C::token_locations, "Where requests may carry tokens, searched in "
     "order: headers (Authorization: Bearer), cookies, query_string (WebSocket upgrades only; "
     "URLs end up in proxy logs).", {.check = check_locations, .name = "token_locations"}},
    {"cookies.secure", &C::cookie_secure, "Send the cookies over HTTPS only.",
     {.name = "cookie_secure"}},
    {"cookies.samesite", &C::cookie_samesite, "SameSite attribute of the cookies: Lax, Strict "
     "or None (None needs secure).", {.check = check_same_site, .name = "cookie_samesite"}},
    {"cookies.domain", &C::cookie_domain, "Domain attribute of the cookies; empty: this host "
     "alone.", {.name = "cookie_domain"}},
    {"cookies.path", &C::cookie_path, "Path of the access token cookie and both CSRF cookies.",
     {.check = check_cookie_path, .name = "cookie_path"}},
    {"cookies.refresh_path", &C::refresh_cookie_path, "Path of the refresh token cookie "
     "(/auth/refresh keeps it off every other request).",
     {.check = check_cookie_path, .name = "refresh_cookie_path"}},
    {"cookies.session_cookies", &C::session_cookies, "Cookies that end with the browser "
     "session instead of living as long as their token."},
    {"cookies.csrf_protect", &C::cookie_csrf_protect, "Require the double-submit CSRF header "
     "on POST, PUT, PATCH and DELETE requests authenticated by a cookie.",
     {.name = "cookie_csrf_protect"}},
    {"cookies.refresh_access_within", &C::refresh_access_within, "Implicit refresh: a "
     "cookie-authenticated request whose access token expires within this gets a new access "
     "cookie; 0: off."},
    {"cookies.access_cookie_name", &C::access_cookie_name, "Name of the access token cookie."},
    {"cookies.refresh_cookie_name", &C::refresh_cookie_name, "Name of the refresh token "
     "cookie."},
    {"cookies.access_csrf_cookie_name", &C::access_csrf_cookie_name, "Name of the access "
     "token's CSRF cookie."},
    {"cookies.refresh_csrf_cookie_name", &C::refresh_csrf_cookie_name, "Name of the refresh "
     "token's CSRF cookie."},
    {"cookies.csrf_header_name", &C::csrf_header_name, "Header that repeats the CSRF "
     "cookie's value."},
    {"cors.allowed_origins", &C::cors_allowed_origins, "Origins (scheme://host[:port]) whose "
     "pages may call the API with credentials; empty: no CORS headers at all.",
     {.check = check_origins, .name = "cors_allowed_origins"}},
    {"cors.max_age", &C::cors_max_age, "How long browsers may cache a preflight answer.",
     {.max = 86400, .name = "cors_max_age"}},
    {"tokens.refresh_reuse_interval", &C::refresh_reuse_interval, "How long after its rotation "
     "a retired refresh token still gets tokens of its session instead of revoking it (two tabs "
     "refreshing at once); at most 1m. 0s: never.", {.max = kMaxReuseInterval.count()}},
    {"tokens.session_max_lifetime", &C::session_max_lifetime, "A session ends this long after "
     "its login, however often it is refreshed. 0s: never."},
    {"tokens.session_idle_timeout", &C::session_idle_timeout, "A session not refreshed for this "
     "long ends (needs rotate_refresh_tokens). 0s: only the refresh token's own lifetime."},
    {"status_list.enabled", &C::status_list_enabled, "Give every issued token a \"status\" "
     "claim and publish the Token Status Lists at GET /statuslists/<id> (needs an asymmetric "
     "signing key and base_url).", {.name = "status_list_enabled", .restart = true}},
    {"status_list.base_url", &C::status_list_base_url, "This service's public URL, https (http "
     "to a loopback host only), without a trailing slash: a list's URI is base_url + "
     "/statuslists/<id>.", {.name = "status_list_base_url", .restart = true}},
    {"status_list.bits", &C::status_list_bits, "Bits per status in new lists: 1 or 2.",
     {.min = 1, .max = 2, .name = "status_list_bits", .restart = true}},
    {"status_list.list_size", &C::status_list_size, "Statuses per list; a new list starts when "
     "one is full.", {.min = 1, .max = 1u << 27, .name = "status_list_size", .restart = true}},
    {"status_list.ttl", &C::status_list_ttl, "The lists' ttl: how long a verifier may cache "
     "one (also their Cache-Control max-age).",
     {.min = 1, .name = "status_list_ttl", .restart = true}},
    {"status_list.token_lifetime", &C::status_list_token_lifetime, "exp - iat of a Status List "
     "Token; an unchanged list is re-signed when half of it has passed.",
     {.min = 1, .name = "status_list_token_lifetime", .restart = true}},
    {"status_list.publish_interval", &C::status_list_publish_interval, "A list that changed is "
     "re-signed at most this often: a revocation is published within this plus the store's "
     "feed delay.", {.min = 1, .name = "status_list_publish_interval", .restart = true}},
    {"http.body_limit", &C::body_limit, "Largest request body; larger ones get 413.",
     {.min = kKiB, .max = 16 * kMiB, .bytes = true, .restart = true}},
    {"http.header_limit", &C::header_limit, "Largest request head; larger ones get 431.",
     {.min = kKiB, .max = kMiB, .bytes = true, .restart = true}},
    {"http.token_limit", &C::token_limit, "Largest token (at most header_limit); larger ones "
     "are refused with 422.", {.min = kKiB, .max = 64 * kKiB, .bytes = true}},
    {"http.read_timeout", &C::read_timeout, "Time to receive a whole request once it started.",
     {.min = 1, .restart = true}},
    {"http.idle_timeout", &C::idle_timeout, "Time an idle keep-alive connection stays open.",
     {.min = 1, .restart = true}},
    {"http.shutdown_timeout", &C::shutdown_timeout, "On SIGTERM, time in-flight requests get "
     "to finish."},
    {"http.max_connections", &C::max_connections, "Connections open at once; 0: the open-file "
     "limit less 64 and 1/32 of it (a larger value is lowered to that). At the cap, the "
     "longest-idle connection closes for a new one.", {.max = 1u << 20, .restart = true}},
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
    {"log.access_log", &C::access_log, "One JSON line per request.", {.restart = true}},
    {"log.file", &C::log_file, "Log file; empty: standard error.",
     {.name = "log_file", .restart = true}},
};
// clang-format on

std::string name_of(const Setting& s) {
  if (s.rules.name != nullptr) return s.rules.name;
  const std::string_view key = s.key;
  return std::string(key.substr(key.rfind('.') + 1));  // npos + 1 == 0: a top-level key
}

}  // namespace

std::span<const Setting> table() { return kSettings; }

}  // namespace jwtguard::server::settings

namespace jwtguard::server {

// A TOML array arrives joined by commas (config_sources.cc).
std::vector<std::string_view> split_list(std::string_view text) {
  std::vector<std::string_view> items;
  while (!text.empty()) {
    auto comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    items.push_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return items;
}

}  // namespace jwtguard::server

namespace jwtguard::server::settings {

Kind kind(const Setting& s) {
  constexpr Kind kByField[] = {Kind::kString, Kind::kBool, Kind::kCount, Kind::kCount,
                               Kind::kDuration};  // in Field's order
  const Kind k = kByField[s.field.index()];
  return k == Kind::kCount && s.rules.bytes ? Kind::kSize : k;
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

const Setting* by_key(std::string_view key) {
  return find_setting([&](const Setting& s) { return key == s.key; });
}

}  // namespace jwtguard::server::settings
