// The JWS algorithms jwtguard implements (RFC 7518 §3, RFC 8037).
#ifndef JWTGUARD_ALGORITHM_H_
#define JWTGUARD_ALGORITHM_H_

#include <optional>
#include <span>
#include <string_view>

#include "jwtguard/error.h"

namespace jwtguard {

enum class Algorithm {
  kHS256,
  kHS384,
  kHS512,
  kRS256,
  kRS384,
  kRS512,
  kPS256,
  kPS384,
  kPS512,
  kES256,
  kES384,
  kES512,
  kEdDSA,
};

enum class AlgorithmFamily { kHmac, kRsaPkcs1, kRsaPss, kEcdsa, kEdDSA };

// Every algorithm, in the order above.
std::span<const Algorithm> all_algorithms();

// The "alg" header value, e.g. "RS256".
std::string_view algorithm_name(Algorithm alg);

// Parses an "alg" value. Names are case-sensitive (RFC 7515 §4.1.1).
// Fails with kAlgNone for "none" in any spelling (so that "None" or "NONE"
// are reported as the attack they are, not as merely unknown) and with
// kUnsupportedAlg for anything else not listed above.
Result<Algorithm> parse_algorithm(std::string_view name);

AlgorithmFamily algorithm_family(Algorithm alg);

// Size in bytes of the hash the algorithm uses (EdDSA: 64, SHA-512 inside Ed25519).
std::size_t algorithm_hash_size(Algorithm alg);

}  // namespace jwtguard

#endif  // JWTGUARD_ALGORITHM_H_
