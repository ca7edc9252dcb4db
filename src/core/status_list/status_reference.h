// A Referenced Token's "status" claim (draft-ietf-oauth-status-list §6.1):
// which list, and which entry of it, holds the token's status. Internal to
// jwtguard_core.
#ifndef JWTGUARD_STATUS_LIST_STATUS_REFERENCE_H_
#define JWTGUARD_STATUS_LIST_STATUS_REFERENCE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "jwtguard/error.h"

namespace jwtguard::status_list {

struct StatusReference {
  std::uint64_t idx = 0;
  std::string uri;
};

// Reads "status": {"status_list": {"idx": N, "uri": "..."}} from a token's
// payload (a JSON object, as text). Members not named here are ignored.
// Errors: the payload's JSON errors (kBadJson, kNotAnObject,
// kDuplicateMember); kMissingClaim naming the absent member ("status",
// "status.status_list", "status.status_list.idx", "status.status_list.uri");
// kBadClaim naming the member of the wrong type: an object that is not one,
// an idx that is not a non-negative integer (1.0 and -1 are refused), a uri
// that is not a non-empty string. The URI is not checked here: fetching it
// decides whether it may be fetched.
Result<StatusReference> parse_status_reference(std::string_view payload_json);

}  // namespace jwtguard::status_list

#endif  // JWTGUARD_STATUS_LIST_STATUS_REFERENCE_H_
