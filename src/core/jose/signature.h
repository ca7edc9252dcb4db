// Raw JWS signatures: sign and verify a signing input with one key and one
// algorithm. verify's callers have already checked that the key allows the
// algorithm; sign checks it itself (check_signing_key).
#ifndef JWTGUARD_JOSE_SIGNATURE_H_
#define JWTGUARD_JOSE_SIGNATURE_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "jose/key_data.h"

namespace jwtguard::detail {

// Whether the key may sign with `alg`: kKeyAlgMismatch when the key is bound
// to other algorithms, kKeyNotPrivate for a public key, kWeakKey for an HMAC
// secret shorter than the hash (RFC 7518 §3.2).
Result<void> check_signing_key(const KeyData& key, Algorithm alg);

// The JWS signature bytes (for ES*, raw R||S of the curve's size, RFC 7518
// §3.4). Fails as check_signing_key does.
Result<std::string> sign(const KeyData& key, Algorithm alg, std::string_view signing_input);

// kBadSignatureEncoding when `signature` has the wrong length for the
// algorithm and key, or is an ECDSA signature with r = 0 or s = 0;
// kBadSignature when it does not verify. HMACs are compared in constant time.
// Thread-safe: keyed contexts are cached per thread.
Result<void> verify(const KeyData& key, Algorithm alg, std::string_view signing_input,
                    std::span<const std::uint8_t> signature);

}  // namespace jwtguard::detail

#endif  // JWTGUARD_JOSE_SIGNATURE_H_
