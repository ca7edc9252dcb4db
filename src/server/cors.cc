#include "cors.h"

#include <algorithm>

namespace jwtguard::server {

Cors::Cors(std::vector<std::string> origins, std::chrono::seconds max_age, std::string csrf_header)
    : origins_(std::move(origins)),
      max_age_(std::to_string(max_age.count())),
      allow_headers_("Authorization, Content-Type, " + csrf_header) {}

bool Cors::listed(std::string_view origin) const {
  return std::find(origins_.begin(), origins_.end(), origin) != origins_.end();
}

std::optional<Response> Cors::preflight(const Request& request, std::string_view allow) const {
  std::string_view origin = header_value(request, http::field::origin);
  if (origins_.empty() || allow.empty() || !listed(origin) ||
      request.find(http::field::access_control_request_method) == request.end()) {
    return std::nullopt;
  }
  Response response{http::status::no_content, request.version()};
  response.set(http::field::access_control_allow_origin, origin);
  response.set(http::field::access_control_allow_credentials, "true");
  response.set(http::field::access_control_allow_methods, allow);
  response.set(http::field::access_control_allow_headers, allow_headers_);
  response.set(http::field::access_control_max_age, max_age_);
  response.set(http::field::vary, "Origin");
  response.keep_alive(request.keep_alive());
  response.content_length(0);
  return response;
}

void Cors::decorate(const Request& request, Response& response) const {
  if (origins_.empty()) return;
  response.set(http::field::vary, "Origin");
  std::string_view origin = header_value(request, http::field::origin);
  if (origin.empty() || !listed(origin)) return;
  response.set(http::field::access_control_allow_origin, origin);
  response.set(http::field::access_control_allow_credentials, "true");
}

bool Cors::cross_site(const Request& request) const {
  std::string_view fetch_site = header_value(request, "Sec-Fetch-Site");
  if (iequals_ascii(fetch_site, "cross-site")) return true;
  std::string_view origin = header_value(request, http::field::origin);
  if (origin.empty() || listed(origin)) return false;
  // The request's own origin: scheme://Host. Behind a TLS proxy the scheme
  // the service sees is not the browser's, so only the host part counts.
  auto scheme = origin.find("://");
  std::string_view host = header_value(request, http::field::host);
  return scheme == std::string_view::npos || host.empty() || origin.substr(scheme + 3) != host;
}

}  // namespace jwtguard::server
