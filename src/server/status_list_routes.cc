// GET /statuslists/{id}: the Guard's published status lists
// (docs/status-list.md), for verifiers that fetch them anonymously.
#include <charconv>
#include <optional>

#include "service_impl.h"

namespace jwtguard::server {
namespace {

constexpr std::string_view kJwtType = "application/statuslist+jwt";
constexpr std::string_view kJsonType = "application/statuslist+json";

// A list's id as its URI writes it: a positive decimal integer without
// leading zeros that fits 64 bits. Anything else names no list.
std::optional<std::uint64_t> list_id(std::string_view text) {
  if (text.empty() || text.front() == '0') return std::nullopt;
  std::uint64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return id;
}

// Whether the Accept header names the JSON form before the JWT form (the
// draft's verifiers ask for the JWT; without either, the JWT is sent).
// Media types are compared by name, their parameters (q too) ignored: the
// first of the two listed wins.
bool wants_json(std::string_view accept) {
  while (!accept.empty()) {
    auto comma = accept.find(',');
    std::string_view item = accept.substr(0, comma);
    item = item.substr(0, item.find(';'));
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item == kJwtType) return false;
    if (item == kJsonType) return true;
    if (comma == std::string_view::npos) break;
    accept.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

Response ServiceImpl::status_list(const Request& request, const std::string& id) const {
  auto parsed = list_id(id);
  if (!parsed) return errors_.make(request, ServiceError::kNotFound, "No such status list");
  auto published = guard_.status_list_token(*parsed);
  if (!published) {
    if (published.error().code() == Errc::kNotFound) {
      return errors_.make(request, ServiceError::kNotFound,
                          published.error().detail() == "status lists are off"
                              ? "Status lists are not enabled"
                              : "No such status list");
    }
    // The store's failure is 503 as everywhere; anything else (a list this
    // service could not encode or sign) is the service's own fault, never
    // the client's, and its detail is not for anonymous callers.
    if (published.error().code() == Errc::kStore) {
      return errors_.for_error(request, published.error());
    }
    return errors_.make(request, ServiceError::kInternal);
  }
  const bool json = wants_json(request[http::field::accept]);
  Response response{http::status::ok, request.version()};
  response.set(http::field::content_type, json ? kJsonType : kJwtType);
  response.set(http::field::cache_control,
               "max-age=" + std::to_string(options_.status_list_ttl.count()));
  response.keep_alive(request.keep_alive());
  response.body() = json ? (*published)->json : (*published)->jwt;
  response.prepare_payload();
  return response;
}

}  // namespace jwtguard::server
