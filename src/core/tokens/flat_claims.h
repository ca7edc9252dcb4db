// The two readers of a token's payload behind parse_claims: a fast one for
// the payloads tokens usually are, and simdjson's DOM, the reference.
// Private to the library.
//
// The fast reader decides nothing on its own: it either accepts a payload
// the reference would accept, extracting exactly the same claims, or it
// declines, and parse_claims asks the reference, which then also words the
// error. It declines every payload it is not sure about (any error, escaped
// member names, \u escapes of surrogates, integers of 19 digits or more, "-0",
// nesting beyond kFlatMaxDepth, more than kFlatMaxMembers members), so its
// only duty is never to accept what the reference refuses and never to read
// a claim differently. fuzz/claims_diff_fuzz.cc checks both on every input.
#ifndef JWTGUARD_TOKENS_FLAT_CLAIMS_H_
#define JWTGUARD_TOKENS_FLAT_CLAIMS_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "jwtguard/claims.h"

namespace jwtguard::detail {

// Deeper values go to the reference (whose limit, json::kMaxDepth, is higher).
inline constexpr std::size_t kFlatMaxDepth = 32;
// Objects with more members of names outside kKnownClaims go to the
// reference: the duplicate check among those is quadratic.
inline constexpr std::size_t kFlatMaxMembers = 64;

// Reads `payload` into `claims` (default-constructed) and returns true when
// the payload is a strict RFC 8259 object the reference accepts with the same
// claims; payload_json is left alone. Returns false otherwise, leaving
// `claims` unspecified.
bool parse_flat_claims(std::string_view payload, Claims& claims);

// parse_claims_into with simdjson's DOM alone: what parse_claims did before
// the fast reader, kept as the reference for the fuzz target and the tests.
Result<void> parse_claims_reference(std::string payload_json, Claims& claims);

}  // namespace jwtguard::detail

#endif  // JWTGUARD_TOKENS_FLAT_CLAIMS_H_
