#include "status_list/status_reference.h"

#include "jose/json.h"
#include "util/try.h"

namespace jwtguard::status_list {
namespace {

// The object member `name` of `parent`, whose path is `path`.
Result<simdjson::dom::object> member_object(simdjson::dom::object parent, std::string_view name,
                                            const std::string& path) {
  simdjson::dom::element element;
  if (parent[name].get(element)) return fail(Errc::kMissingClaim, path);
  simdjson::dom::object object;
  if (element.get_object().get(object)) {
    return fail(Errc::kBadClaim, path + " must be an object");
  }
  return object;
}

Result<std::uint64_t> read_idx(simdjson::dom::object status_list) {
  constexpr std::string_view kPath = "status.status_list.idx";
  simdjson::dom::element element;
  if (status_list["idx"].get(element)) return fail(Errc::kMissingClaim, std::string(kPath));
  // get_uint64 refuses a real (1.0) and a negative integer alike.
  std::uint64_t idx = 0;
  if (element.get_uint64().get(idx)) {
    return fail(Errc::kBadClaim, std::string(kPath) + " must be a non-negative integer");
  }
  return idx;
}

Result<std::string> read_uri(simdjson::dom::object status_list) {
  constexpr std::string_view kPath = "status.status_list.uri";
  simdjson::dom::element element;
  if (status_list["uri"].get(element)) return fail(Errc::kMissingClaim, std::string(kPath));
  std::string_view uri;
  if (element.get_string().get(uri) || uri.empty()) {
    return fail(Errc::kBadClaim, std::string(kPath) + " must be a non-empty string");
  }
  return std::string(uri);
}

}  // namespace

Result<StatusReference> parse_status_reference(std::string_view payload_json) {
  JWTGUARD_ASSIGN_OR_RETURN(const simdjson::dom::object payload,
                            json::parse_object(payload_json, "payload"));
  JWTGUARD_ASSIGN_OR_RETURN(const simdjson::dom::object status,
                            member_object(payload, "status", "status"));
  JWTGUARD_ASSIGN_OR_RETURN(const simdjson::dom::object status_list,
                            member_object(status, "status_list", "status.status_list"));
  StatusReference reference;
  JWTGUARD_ASSIGN_OR_RETURN(reference.idx, read_idx(status_list));
  JWTGUARD_ASSIGN_OR_RETURN(reference.uri, read_uri(status_list));
  return reference;
}

}  // namespace jwtguard::status_list
