// The [[issuers]] tables of serve's TOML file: trusted identity servers
// (config.h, IssuerConfig). They are read from the file only: an array of
// tables has no sensible spelling as one environment variable or flag.
#ifndef JWTGUARD_SERVER_ISSUER_SETTINGS_H_
#define JWTGUARD_SERVER_ISSUER_SETTINGS_H_

#include <toml++/toml.h>

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "config.h"

namespace jwtguard::server {

// The issuers of the file's `issuers` node. kInvalidArgument naming the
// table by its index (from 0) and the key, with the file and line, e.g.
// "issuers[1].jwks_url (/etc/jwtguard.toml:12): …", for: a node that is not
// an array of tables, an unknown key, a missing issuer or jwks_url, a value
// of the wrong type, a bad duration or size, a jwks_url that is not https
// (http only to a loopback host) or holds user info or a fragment, an HS*,
// "none" or unknown algorithm, an empty claim name, a reserved or malformed
// name ("user", "app", control characters), jwks_min_ttl over jwks_max_ttl,
// and two tables with one issuer or one name.
Result<std::vector<IssuerConfig>> read_issuers(const toml::node& node, const std::string& path);

// The check across settings: no issuer may be jwtguard's own (tokens.issuer),
// or its tokens would be taken for jwtguard's. kInvalidArgument naming both.
Result<void> check_issuers_against_own(const ServeConfig& config);

// Whether `url` is one a RemoteJwks may fetch: https, or http to a loopback
// host (127.0.0.0/8, ::1, localhost); no user info, no fragment. The error
// detail says what is wrong.
Result<void> check_jwks_url(std::string_view url);

// The issuers as a JSON array, for the effective configuration's log line.
nlohmann::json issuers_json(const std::vector<IssuerConfig>& issuers);

}  // namespace jwtguard::server

#endif  // JWTGUARD_SERVER_ISSUER_SETTINGS_H_
