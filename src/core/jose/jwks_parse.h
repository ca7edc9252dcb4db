// Reading a JWK Set, strictly (a configured file) or leniently (a set an
// identity server publishes). Internal to jwtguard_core.
#ifndef JWTGUARD_JOSE_JWKS_PARSE_H_
#define JWTGUARD_JOSE_JWKS_PARSE_H_

#include <cstddef>
#include <string_view>

#include "jwtguard/error.h"
#include "jwtguard/keys.h"

namespace jwtguard::jose {

// KeySet::from_jwks when `skip_unusable` is false. When it is true, a member
// that cannot be used for any reason (a weak RSA modulus, a malformed
// member, a curve jwtguard lacks) is skipped as an unknown type is, and
// counted in `*skipped` (when not null), and so is a second member under a
// kid already taken (the first stays): one legacy key an identity server
// still publishes must not make its whole set unusable. The document's own
// shape (JSON, a "keys" array) and a set left with no usable key still
// fail.
Result<KeySet> key_set_from_jwks(std::string_view jwks_json, bool skip_unusable,
                                 std::size_t* skipped);

}  // namespace jwtguard::jose

#endif  // JWTGUARD_JOSE_JWKS_PARSE_H_
