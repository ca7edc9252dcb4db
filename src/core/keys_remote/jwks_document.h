// What a RemoteJwks makes of a fetched document. Internal to jwtguard_core;
// exposed for the fuzz target, which feeds it arbitrary bytes.
#ifndef JWTGUARD_KEYS_REMOTE_JWKS_DOCUMENT_H_
#define JWTGUARD_KEYS_REMOTE_JWKS_DOCUMENT_H_

#include <string_view>

#include "jwtguard/error.h"
#include "jwtguard/keys.h"

namespace jwtguard::keys_remote {

// The verification keys of a published JWK Set: KeySet::from_jwks's keys
// (members it cannot use, such as a weak or malformed key, skipped)
// without the HMAC secrets (a secret in a published set is no secret, and
// would let anyone who read it sign tokens), and with private keys reduced
// to their public halves (a verifier never signs). Every key stays bound
// to its algorithms. Fails with from_jwks's error, or kBadKey when no key
// is left. Never returns a private key or an empty set.
Result<KeySet> remote_key_set(std::string_view document);

}  // namespace jwtguard::keys_remote

#endif  // JWTGUARD_KEYS_REMOTE_JWKS_DOCUMENT_H_
