// CORS for the configured origins (cors.allowed_origins), and whether a
// request comes from another site.
//
// No origin configured: no CORS header is ever sent, and browsers keep
// other sites' pages from reading any answer. A listed origin may call with
// credentials (cookies): its pages are trusted like the service's own, so
// list only origins that serve the application.
#ifndef JWTGUARD_SERVER_CORS_H_
#define JWTGUARD_SERVER_CORS_H_

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http.h"

namespace jwtguard::server {

class Cors {
 public:
  // `origins` as scheme://host[:port] (the settings checked them);
  // `request_headers` are the headers a page may send (Authorization,
  // Content-Type and the CSRF header).
  Cors(std::vector<std::string> origins, std::chrono::seconds max_age, std::string csrf_header);

  // The answer to a preflight (OPTIONS with Origin and
  // Access-Control-Request-Method) from a listed origin for a path whose
  // methods are `allow` ("GET, HEAD"); nullopt for anything else, which is
  // then routed as usual (and gets 405 without CORS headers).
  std::optional<Response> preflight(const Request& request, std::string_view allow) const;

  // Adds Access-Control-Allow-Origin and -Credentials for a listed origin,
  // and Vary: Origin whenever CORS is on (the answer depends on it).
  void decorate(const Request& request, Response& response) const;

  // Whether the request was sent by a page of another site, by what the
  // browser says: Sec-Fetch-Site "cross-site", else an Origin that is
  // neither a listed origin nor the one the Host header names. A request
  // without either (curl, an old browser's GET) is not.
  bool cross_site(const Request& request) const;

 private:
  bool listed(std::string_view origin) const;
  std::vector<std::string> origins_;
  std::string max_age_;
  std::string allow_headers_;
};

}  // namespace jwtguard::server

#endif  // JWTGUARD_SERVER_CORS_H_
