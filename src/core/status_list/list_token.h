// A fetched Status List Token (draft-ietf-oauth-status-list §5.1, §8.3),
// checked: what a verifier may believe of a response once it passes. Kept
// apart from the fetching and caching so that the fuzz target reaches every
// byte an untrusted server controls. Internal to jwtguard_core.
#ifndef JWTGUARD_STATUS_LIST_LIST_TOKEN_H_
#define JWTGUARD_STATUS_LIST_LIST_TOKEN_H_

#include <chrono>
#include <cstddef>
#include <optional>
#include <string_view>

#include "jwtguard/clock.h"
#include "jwtguard/error.h"
#include "jwtguard/jose.h"
#include "jwtguard/keys.h"
#include "jwtguard/status_list.h"

namespace jwtguard::status_list {

struct ListTokenRules {
  const KeySet* keys = nullptr;  // required
  JwsOptions jws;                // its max_token_size bounds the token
  std::chrono::seconds leeway{0};
  DecodeLimits limits;
};

struct CheckedList {
  StatusList list;
  std::optional<Timestamp> exp;
  std::optional<std::chrono::seconds> ttl;
};

// The list that `token` (a compact JWS, as fetched from `uri`) publishes,
// once these hold, in this order (the first failure is returned):
//   1. verify_jws with rules.keys and rules.jws: every error of jose.h,
//      kAlgNone and kAlgNotAllowed included;
//   2. header "typ" is "statuslist+jwt" (or "application/statuslist+jwt",
//      RFC 7515 §4.1.9), case-insensitively: kBadHeader otherwise;
//   3. the payload is a JSON object (kBadJson, kNotAnObject,
//      kDuplicateMember) with well-typed registered claims (kBadClaim);
//   4. "sub" equals `uri` byte for byte (kMissingClaim "sub", kBadClaim);
//   5. "iat" is present (kMissingClaim) and not after now + leeway
//      (kIssuedInFuture);
//   6. "exp", when present: now < exp + leeway (kExpired);
//   7. "ttl", when present, a positive integer (kBadClaim);
//   8. "status_list" present (kMissingClaim) and parse_status_list_claim's
//      under rules.limits (its errors).
// Errors of steps 2 to 8 carry "status list token" in their detail.
// Thread-safe.
Result<CheckedList> read_list_token(std::string_view token, std::string_view uri,
                                    const ListTokenRules& rules, Timestamp now);

// Steps 2 to 8 alone, for a token whose signature step 1 accepted: its
// header's typ and its payload.
Result<CheckedList> read_verified_list(std::string_view typ, std::string payload_json,
                                       std::string_view uri, const ListTokenRules& rules,
                                       Timestamp now);

}  // namespace jwtguard::status_list

#endif  // JWTGUARD_STATUS_LIST_LIST_TOKEN_H_
