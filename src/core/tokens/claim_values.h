// The readers of registered claim values that parse_claims uses, shared
// with the parser of other issuers' tokens (issuers/foreign_claims.h), so
// that a claim means the same, and is refused for the same reasons, in
// jwtguard's tokens and in theirs. Private to the library.
#ifndef JWTGUARD_TOKENS_CLAIM_VALUES_H_
#define JWTGUARD_TOKENS_CLAIM_VALUES_H_

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "jwtguard/claims.h"

namespace jwtguard::detail {

// The last second of year 9999 (9999-12-31T23:59:59Z): the latest NumericDate.
inline constexpr std::int64_t kMaxNumericDate = 253402300799;

// Positions in kKnownClaims, and bits of Claims::present.
enum ClaimBit : unsigned {
  kClaimJti,
  kClaimSub,
  kClaimIss,
  kClaimSid,
  kClaimType,
  kClaimAud,
  kClaimExp,
  kClaimNbf,
  kClaimIat,
  kClaimFresh,
  kClaimSubNs,
  kClaimIatMs,
  kClaimCsrf
};

// The position of `name` in kKnownClaims, or -1.
int claim_index(std::string_view name);

// A NumericDate (an integer or a decimal number of seconds) within year
// 0..9999; kBadClaim naming `name` otherwise.
Result<Timestamp> numeric_date(simdjson::dom::element value, std::string_view name);

// A JSON string into `out`; kBadClaim naming `name` otherwise.
Result<void> string_claim(simdjson::dom::element value, std::string_view name, std::string& out);

// "aud": a string (one element) or an array of strings, appended to `out`.
Result<void> audience_claim(simdjson::dom::element value, std::vector<std::string>& out);

// Marks the claim `name` (one of kKnownClaims) present in `claims`, as
// parse_claims does; a name outside kKnownClaims is ignored.
void mark_present(Claims& claims, std::string_view name);

}  // namespace jwtguard::detail

#endif  // JWTGUARD_TOKENS_CLAIM_VALUES_H_
