// Where a Redis store connects: the parts of a "redis://" URL.
#ifndef JWTGUARD_REDIS_REDIS_URL_H_
#define JWTGUARD_REDIS_REDIS_URL_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "jwtguard/error.h"

namespace jwtguard::redis {

struct Endpoint {
  std::string host;  // a name or an IP address (an IPv6 one without brackets)
  std::uint16_t port = 6379;
  std::string user;      // an ACL user (Redis 6+); empty: AUTH with the password only
  std::string password;  // percent-decoded; empty: no AUTH
  int db = 0;

  // "HOST:PORT" ("[V6]:PORT"): how messages name the server. Never carries
  // the password.
  std::string address() const;
};

// Parses "redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]". USER and PASSWORD are
// percent-decoded. kInvalidArgument for anything else (a query string, a
// port outside 1..65535, a non-numeric DB, a bad escape...); the detail names
// what is wrong and never repeats the URL, which may hold a password.
Result<Endpoint> parse_url(std::string_view url);

// `url` as it may be shown: read by parse_url, and written back with the
// password as "***" ("redis://[USER:***@]HOST:PORT/DB"). A URL parse_url
// refuses is shown as "redis://(malformed, not shown)": where its password
// ends cannot be told.
std::string redact_url(std::string_view url);

}  // namespace jwtguard::redis

#endif  // JWTGUARD_REDIS_REDIS_URL_H_
