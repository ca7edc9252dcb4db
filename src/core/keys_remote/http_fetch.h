// One bounded HTTP GET with libcurl, for documents jwtguard does not trust
// (a remote JWK Set, a Status List Token): bounded in time and size, https only (http for
// loopback hosts), redirects followed only within the same origin. Internal
// to jwtguard_core.
#ifndef JWTGUARD_KEYS_REMOTE_HTTP_FETCH_H_
#define JWTGUARD_KEYS_REMOTE_HTTP_FETCH_H_

#include <atomic>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "jwtguard/error.h"

namespace jwtguard::keys_remote {

// A URL's origin, as curl parses it.
struct Origin {
  std::string scheme;  // "https" or "http"
  std::string host;    // as written, lower-cased; IPv6 in brackets
  std::string port;    // explicit, or the scheme's default
  bool loopback = false;
};

// The origin of `url` when jwtguard may fetch from it: https, or http to a
// loopback host (127.0.0.0/8, [::1], localhost); no user info, no
// fragment. kInvalidArgument says what is wrong.
Result<Origin> fetchable_origin(std::string_view url);

struct FetchLimits {
  std::chrono::milliseconds timeout{5000};  // the whole exchange, redirects included
  std::chrono::milliseconds connect_timeout{2000};
  std::size_t max_bytes = 256 * 1024;
  int max_redirects = 3;
  std::string ca_file;  // empty: the system's certificate authorities
  // The media types asked for; a remote JWK Set's unless told otherwise.
  std::string accept = "application/jwk-set+json, application/json";
};

struct FetchReply {
  std::string body;
  std::string cache_control;  // every Cache-Control header of the answer, joined by ", "
};

// GETs `url` (checked by fetchable_origin) and returns the body of its 200
// answer. Fails with kInvalidArgument for a URL fetchable_origin refuses,
// and with kStore for a failed exchange, the detail starting with the kind:
// "cannot connect", "timed out", "TLS", "body larger than", "status",
// "redirect", "abandoned" (when `stop` became true), "fetch failed". No
// detail ever holds the body. Thread-safe; blocks the calling thread.
Result<FetchReply> http_get(std::string_view url, const FetchLimits& limits,
                            const std::atomic<bool>& stop);

}  // namespace jwtguard::keys_remote

#endif  // JWTGUARD_KEYS_REMOTE_HTTP_FETCH_H_
