// The "status_list" claim of a Status List Token, as JSON
// (jwtguard/status_list.h).
#include <nlohmann/json.hpp>
#include <string>

#include "jose/json.h"
#include "jwtguard/status_list.h"
#include "status_list/status_list_bits.h"
#include "util/try.h"

namespace jwtguard {
namespace {

Result<int> read_bits(simdjson::dom::object claim) {
  simdjson::dom::element element;
  if (claim["bits"].get(element)) return fail(Errc::kMissingClaim, "status_list.bits");
  // A real (1.0) or a huge integer is not one of the four widths either.
  std::int64_t bits = 0;
  if (element.get_int64().get(bits) || bits < 1 || bits > 8 ||
      !status_list::is_valid_bits(static_cast<int>(bits))) {
    return fail(Errc::kBadClaim, "status_list.bits must be the integer 1, 2, 4 or 8");
  }
  return static_cast<int>(bits);
}

// The member's string, or "" with `present` false when it is absent.
Result<std::string_view> read_string(simdjson::dom::object claim, std::string_view name,
                                     bool& present) {
  simdjson::dom::element element;
  present = !claim[name].get(element);
  if (!present) return std::string_view{};
  std::string_view value;
  if (element.get_string().get(value)) {
    return fail(Errc::kBadClaim, "status_list." + std::string(name) + " must be a string");
  }
  return value;
}

}  // namespace

Result<StatusList> parse_status_list_claim(std::string_view json, const DecodeLimits& limits) {
  JWTGUARD_ASSIGN_OR_RETURN(const simdjson::dom::object claim,
                            json::parse_object(json, "status_list"));
  JWTGUARD_ASSIGN_OR_RETURN(const int bits, read_bits(claim));
  bool has_lst = false;
  JWTGUARD_ASSIGN_OR_RETURN(const std::string_view lst, read_string(claim, "lst", has_lst));
  if (!has_lst) return fail(Errc::kMissingClaim, "status_list.lst");
  bool has_uri = false;
  JWTGUARD_ASSIGN_OR_RETURN(const std::string_view uri,
                            read_string(claim, "aggregation_uri", has_uri));
  // The views point into the thread's parser, which decode_lst leaves alone.
  JWTGUARD_ASSIGN_OR_RETURN(StatusList list, decode_lst(lst, bits, limits));
  list.set_aggregation_uri(std::string(uri));
  return list;
}

Result<std::string> status_list_claim_json(const StatusList& list) {
  JWTGUARD_ASSIGN_OR_RETURN(std::string lst, encode_lst(list));
  nlohmann::ordered_json claim = {{"bits", list.bits()}, {"lst", std::move(lst)}};
  if (!list.aggregation_uri().empty()) claim["aggregation_uri"] = list.aggregation_uri();
  return claim.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace jwtguard
