#include "keys_remote/jwks_document.h"

#include "jose/jwks_parse.h"
#include "util/try.h"

namespace jwtguard::keys_remote {
namespace {

// A public key as it is, a private one re-imported from its public JWK (the
// JWK keeps kid and alg, so the algorithm binding survives).
Result<Key> public_half(const Key& key) {
  if (!key.is_private()) return key;
  JWTGUARD_ASSIGN_OR_RETURN(const std::string jwk, key.to_jwk(/*include_private=*/false));
  return Key::from_jwk(jwk);
}

}  // namespace

Result<KeySet> remote_key_set(std::string_view document) {
  // Lenient: a member this verifier cannot use (a legacy 1024-bit RSA key
  // beside good ones) is skipped rather than failing the whole set.
  JWTGUARD_ASSIGN_OR_RETURN(const KeySet parsed,
                            jose::key_set_from_jwks(document, /*skip_unusable=*/true, nullptr));
  KeySet usable;
  for (const Key& key : parsed.keys()) {
    if (key.type() == KeyType::kOct) continue;
    JWTGUARD_ASSIGN_OR_RETURN(Key verifier, public_half(key));
    JWTGUARD_TRY(usable.add(std::move(verifier)));
  }
  if (usable.empty()) {
    return fail(Errc::kBadKey,
                "the JWK Set holds no public signature key (HMAC secrets are ignored)");
  }
  return usable;
}

}  // namespace jwtguard::keys_remote
