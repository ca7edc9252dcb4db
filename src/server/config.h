// The settings of `jwtguard serve`, and where they come from.
//
// Every setting can be given in a TOML file (--config), in an environment
// variable JWTGUARD_<NAME> and as a flag --<name>; a flag beats the
// environment, which beats the file, which beats the default (docs/configuration.md). One
// table (serve_settings()) names each setting once, so the flags, the
// environment variables, `serve --help` and docs/configuration.md cannot
// drift apart.
#ifndef JWTGUARD_SERVER_CONFIG_H_
#define JWTGUARD_SERVER_CONFIG_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "jwtguard/error.h"
#include "jwtguard/password.h"

namespace jwtguard::server {

// A replacement for one error response (the revoked_token_loader of
// the REST-API logout tutorial built on Flask-JWT-Extended's "JWT Revoking /
// Blocklist" page must be expressible). `body` is JSON text.
struct ErrorOverride {
  int status = 0;    // 0: keep the default status
  std::string body;  // empty: keep the default {"msg": ...} body
};

// One trusted identity server: a [[issuers]] table of the TOML file (no
// environment variable or flag can give one). Defaults as in
// docs/configuration.md, "Trusted issuers".
struct IssuerConfig {
  std::string issuer;    // the exact "iss" of its tokens; required
  std::string name;      // the subject namespace; empty: the issuer string
  std::string jwks_url;  // https://, or http:// to a loopback host; required
  std::vector<std::string> audience;
  std::vector<std::string> algorithms;  // empty: what each key allows
  std::string client_id;                // the aud of its logout tokens
  std::string subject_claim = "sub";
  std::string session_claim = "sid";
  std::chrono::seconds leeway{0};
  std::chrono::seconds max_token_lifetime{24 * 3600};
  std::chrono::seconds logout_token_max_age{5 * 60};
  std::chrono::seconds jwks_min_ttl{60};
  std::chrono::seconds jwks_max_ttl{24 * 3600};
  std::chrono::seconds jwks_default_ttl{10 * 60};
  std::chrono::seconds jwks_cooldown{30};
  std::chrono::seconds jwks_timeout{5};
  std::chrono::seconds jwks_connect_timeout{2};
  std::size_t jwks_max_bytes = 256 * 1024;
  std::string jwks_ca_file;  // empty: the system's certificate authorities

  // `name`, or `issuer` when name is empty.
  const std::string& name_or_issuer() const { return name.empty() ? issuer : name; }
};

// One key of an [[issuers]] table, for the docs' drift test.
struct IssuerSettingInfo {
  std::string key;           // e.g. "jwks_url"
  std::string default_text;  // empty for none
  bool required = false;
};
const std::vector<IssuerSettingInfo>& issuer_settings();

struct ServeConfig {
  // --- service ---
  std::string listen = "127.0.0.1:8080";  // HOST:PORT; port 0 picks a free one
  unsigned threads = 0;                   // I/O threads; 0 = the number of cores
  unsigned workers = 0;  // threads for password hashing and store writes; 0 = cores
  std::string store = "sqlite:./var/jwtguard.db";
  // Where checks look for revocations: "index" (memory, kept current by the
  // store's change feed; no I/O per check) or "store" (strict mode: the store
  // is asked on every check too).
  std::string check = "index";
  // Redis store: refuse to start when Redis persists nothing (no AOF, no RDB
  // snapshots) instead of warning.
  bool require_persistence = false;
  // Development mode: with no key configured, generate one under data_dir on
  // first start and reuse it afterwards. Off: a missing key is an error.
  bool dev = true;
  std::string data_dir = "./var";

  // --- keys (secret values are never logged) ---
  std::string algorithm = "HS256";
  std::string secret;       // HS* shared secret (environment or file only, not a flag)
  std::string secret_file;  // file holding the HS* secret
  std::string key_file;     // PEM private key (RS*, PS*, ES*, EdDSA)
  std::string jwks_file;    // JWK Set of private keys; `kid` picks the signing one
  std::string kid;          // key id put in issued tokens' headers

  // --- tokens ---
  std::chrono::seconds access_ttl{15 * 60};
  std::chrono::seconds refresh_ttl{30 * 24 * 3600};
  std::string issuer;    // "iss" of issued tokens, required of presented ones
  std::string audience;  // "aud" likewise
  std::chrono::seconds leeway{0};
  bool rotate_refresh_tokens = true;
  // Where requests may carry tokens: "headers", "cookies", "query_string",
  // comma-separated (a TOML array in the file), searched in this order.
  std::string token_locations = "headers";

  // --- cookies (with "cookies" among token_locations) ---
  bool cookie_secure = true;
  std::string cookie_samesite = "Lax";
  std::string cookie_domain;  // empty: the host alone
  std::string cookie_path = "/";
  std::string refresh_cookie_path = "/";
  bool session_cookies = false;
  bool cookie_csrf_protect = true;
  std::chrono::seconds refresh_access_within{0};  // implicit refresh; 0: off
  std::string access_cookie_name = "access_token_cookie";
  std::string refresh_cookie_name = "refresh_token_cookie";
  std::string access_csrf_cookie_name = "csrf_access_token";
  std::string refresh_csrf_cookie_name = "csrf_refresh_token";
  std::string csrf_header_name = "X-CSRF-TOKEN";

  // --- CORS: origins (scheme://host[:port]) allowed to call with credentials ---
  std::string cors_allowed_origins;  // comma-separated; empty: no CORS headers
  std::chrono::seconds cors_max_age{600};
  // Browser sessions (docs/configuration.md, [tokens]); 0: none.
  std::chrono::seconds refresh_reuse_interval{0};
  std::chrono::seconds session_max_lifetime{0};
  std::chrono::seconds session_idle_timeout{0};

  // --- Token Status List (docs/status-list.md) ---
  bool status_list_enabled = false;
  std::string status_list_base_url;  // this service's public URL
  unsigned status_list_bits = 1;
  std::size_t status_list_size = 1 << 20;
  std::chrono::seconds status_list_ttl{300};
  std::chrono::seconds status_list_token_lifetime{86400};
  std::chrono::seconds status_list_publish_interval{1};

  // --- HTTP limits ---
  std::size_t body_limit = 64 * 1024;         // larger bodies get 413
  std::size_t header_limit = 16 * 1024;       // larger request heads get 431
  std::size_t token_limit = 8 * 1024;         // larger tokens are refused (422)
  std::chrono::seconds read_timeout{10};      // to receive a whole request once it started
  std::chrono::seconds idle_timeout{60};      // keep-alive connections with nothing to do
  std::chrono::seconds shutdown_timeout{10};  // SIGTERM: time in-flight requests get
  std::size_t max_connections = 0;            // 0: derived from the open-file limit
  bool trust_forwarded_for = false;  // client address from X-Forwarded-For (behind a proxy)

  // --- users ---
  bool registration = true;  // POST /auth/register open to anyone
  std::size_t min_password_length = kDefaultMinPasswordLength;
  // Login limits (docs/service.md, "Users and logins"): per user name and
  // client address, refused until login_window ends; per user name across
  // addresses and per address across user names, exponential backoff.
  unsigned login_max_failures = 5;
  unsigned login_max_failures_per_user = 20;
  unsigned login_max_failures_per_address = 20;
  std::chrono::seconds login_window{15 * 60};
  // Registrations per client address and in total within registration_window.
  unsigned registration_max_per_address = 10;
  unsigned registration_max_total = 1000;
  std::chrono::seconds registration_window{60 * 60};

  // --- logs ---
  std::string log_level = "info";  // trace, debug, info, warn, error, off
  bool access_log = true;          // one JSON line per request
  std::string log_file;            // empty: standard error

  // --- trusted identity servers (TOML only: [[issuers]]) ---
  std::vector<IssuerConfig> issuers;

  // --- error responses, by name (TOML only: [errors.<name>]) ---
  std::map<std::string, ErrorOverride> errors;

  // Where each setting that is not at its default came from, by key:
  // "/etc/jwtguard/jwtguard.toml:3", "environment JWTGUARD_STORE" or
  // "flag --store". Start-up errors name it, so the reader knows what to fix.
  std::map<std::string, std::string> sources;
};

// The items of a list setting (tokens.locations, cors.allowed_origins): the
// comma-separated text, each item without the spaces around it; an empty
// text is no item, an empty item between commas is one (the checks refuse
// it).
std::vector<std::string_view> split_list(std::string_view text);

// One setting, as the loader and `serve --help` see it.
struct SettingInfo {
  std::string key;           // TOML path, e.g. "tokens.access_ttl"
  std::string env;           // e.g. "JWTGUARD_ACCESS_TTL"
  std::string flag;          // e.g. "--access-ttl"; empty for settings that may not be flags
  std::string help;          // one sentence
  std::string default_text;  // the default, as one would write it
  bool secret = false;       // never printed or logged
  bool restart = false;      // a reload keeps the running value (docs/operations.md)
};

// Every setting, in the order --help lists them.
const std::vector<SettingInfo>& serve_settings();

// The variable naming the TOML file. The CLI reads it; the loader skips it
// rather than calling it an unknown setting.
inline constexpr const char* kConfigVariable = "JWTGUARD_CONFIG";

// JWTGUARD_* variables of this process, by name.
using Environment = std::map<std::string, std::string>;
Environment process_environment();

// The settings given as flags, by SettingInfo::key, as typed.
using FlagValues = std::map<std::string, std::string>;

// Defaults, then the TOML file (none when `toml_path` is empty), then `env`,
// then `flags`. kInvalidArgument, naming the setting and its source (file
// path and line, "environment" or "flag"), for an unreadable file, a TOML
// syntax error, an unknown key, an unknown JWTGUARD_* variable in `env`
// (other variables are ignored, and so is kConfigVariable), an unknown key in
// `flags` or keys.secret given as a flag, a value of the wrong type or range,
// an [errors.<name>] table whose name is no error response (the detail lists
// the names), more than one of keys.secret / secret_file / key_file /
// jwks_file wherever each was set (the detail names each and its source), or
// http.token_limit above http.header_limit. Never throws, writes nothing.
// Error details never contain a secret's value.
Result<ServeConfig> load_serve_config(const std::string& toml_path, const Environment& env,
                                      const FlagValues& flags);

// The same, with the TOML file's content given as `toml_text` and named
// `toml_name` in errors (e.g. its path).
Result<ServeConfig> load_serve_config_text(std::string_view toml_text, const std::string& toml_name,
                                           const Environment& env, const FlagValues& flags);

// "store (flag --store)", "keys.key_file (/etc/jwtguard/jwtguard.toml:4)",
// "data_dir (default)": a setting and where its value came from, for errors.
std::string setting_origin(const ServeConfig& config, std::string_view key);

// The `listen` setting taken apart: an IP address (IPv6 without brackets)
// and a port. kInvalidArgument for anything else, with the reason.
struct ListenAddress {
  std::string host;
  std::uint16_t port = 0;
};
Result<ListenAddress> parse_listen(std::string_view text);

// The effective settings as one JSON object, secrets replaced by "(set)",
// for the startup log.
std::string describe(const ServeConfig& config);

}  // namespace jwtguard::server

#endif  // JWTGUARD_SERVER_CONFIG_H_
