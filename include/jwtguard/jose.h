// JWS compact serialization (RFC 7515 §7.1): signing and verifying with the
// safety rules jwtguard applies to every token. Most callers want the token
// layer (jwtguard/verifier.h, jwtguard/issuer.h), which adds the claims rules.
#ifndef JWTGUARD_JOSE_H_
#define JWTGUARD_JOSE_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jwtguard/algorithm.h"
#include "jwtguard/error.h"
#include "jwtguard/keys.h"

namespace jwtguard {

// The default size limit: tokens longer than JwsOptions::max_token_size
// (VerifyOptions::max_token_size) are refused before any parsing
// (kTokenTooLarge).
inline constexpr std::size_t kMaxTokenSize = 8192;

// A parsed JOSE header. Only these members are interpreted; "jwk", "jku",
// "x5u" and "x5c" are never used to find a key: keys come from the caller.
struct JoseHeader {
  Algorithm alg = Algorithm::kHS256;
  std::string kid;                // empty when absent
  std::string typ;                // empty when absent
  std::vector<std::string> crit;  // empty when absent
  std::string json;               // the decoded header text
};

struct JwsOptions {
  // The algorithm allowlist. Empty means every algorithm that some key of the
  // set allows; the binding of keys to algorithms (jwtguard/keys.h) applies
  // either way.
  std::vector<Algorithm> algorithms;
  // Header parameters the caller processes itself and so may be named in
  // "crit". Anything else named there is refused (kUnsupportedCrit).
  std::vector<std::string> understood_crit;
  // Longer tokens are refused before any parsing (kTokenTooLarge).
  std::size_t max_token_size = kMaxTokenSize;
};

struct VerifiedJws {
  // Shared with a per-thread cache of recently seen headers; immutable.
  std::shared_ptr<const JoseHeader> header;
  std::string payload;
};

// Verifies a compact JWS against `keys`:
//  1. size (kTokenTooLarge, over options.max_token_size) and shape: exactly
//     three segments, header and signature non-empty (kMalformed), strict
//     base64url (kBadBase64);
//  2. the header: a JSON object (kBadJson, kNotAnObject, kDuplicateMember)
//     with a supported "alg" (kMissingAlg, kAlgNone, kUnsupportedAlg) on the
//     allowlist (kAlgNotAllowed) and an acceptable "crit" (kUnsupportedCrit);
//  3. the key: when the token names a "kid" that a key has, that key
//     (kKeyAlgMismatch if it is bound to other algorithms). Otherwise every
//     key allowing the algorithm is tried, except that a token with a "kid"
//     is only tried against keys that have none (a single configured key
//     need not be named). No candidate at all: kUnknownKid for a token with
//     a "kid", kNoKeyForAlg for one without;
//  4. the signature (kBadSignatureEncoding, kBadSignature). ECDSA
//     signatures are malleable: (r, s) and (r, n - s) both verify, and both
//     are accepted (RFC 7518 does not ask for low S). jwtguard never uses a
//     signature to identify a token (revocation is by "jti", "sid" and
//     "sub", which both variants carry), so the variant gains nothing.
// The payload is returned as bytes; it is not required to be JSON here.
// Thread-safe.
Result<VerifiedJws> verify_jws(std::string_view token, const KeySet& keys,
                               const JwsOptions& options);

// The base64url signature of `signing_input` (the "header.payload" text).
Result<std::string> jws_signature(const Key& key, Algorithm alg, std::string_view signing_input);

// The header jwtguard signs with: {"alg":…,"typ":typ} plus "kid" when
// `kid` is not empty. `typ` is "JWT" for tokens, "statuslist+jwt" for
// Status List Tokens.
std::string jose_header_json(Algorithm alg, const std::string& kid, std::string_view typ = "JWT");

// A compact JWS over `payload` with jose_header_json(alg, key.kid(), typ).
// kKeyAlgMismatch when the key does not allow alg.
Result<std::string> sign_jws(const Key& key, Algorithm alg, std::string_view payload,
                             std::string_view typ = "JWT");

struct DecodedJws {
  std::string header_json;
  std::string payload;
  std::string signature;  // raw bytes
};

// Splits and decodes a compact JWS without verifying anything but its size
// (at most `max_token_size`, else kTokenTooLarge), its shape, its base64url,
// and that the header is a JSON object. For inspection only: nothing in it
// may be trusted.
Result<DecodedJws> decode_jws(std::string_view token, std::size_t max_token_size = kMaxTokenSize);

}  // namespace jwtguard

#endif  // JWTGUARD_JOSE_H_
