// Signing and verification keys, and sets of them selected by "kid".
//
// A Key is an immutable value: copies share the same underlying key material,
// and every method is safe to call from any number of threads at once. Key
// material never appears in an Error, a log or a debug string. An HMAC
// secret is wiped when the last copy of its Key goes; the keyed hash states
// that speed up HMAC (a few per thread) live on until that thread evicts them
// or exits.
//
// Each key is bound to the algorithms of its type, and never to others: an
// HMAC secret to HS256/384/512, an RSA key to RS* and PS*, an EC key to the one
// ES* of its curve (P-256: ES256, P-384: ES384, P-521: ES512), an Ed25519 key
// to EdDSA. A JWK's "alg" member narrows this to that one algorithm. So an RSA
// public key can never verify an HS* token, whatever the token's header says.
#ifndef JWTGUARD_KEYS_H_
#define JWTGUARD_KEYS_H_

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "jwtguard/algorithm.h"
#include "jwtguard/error.h"

namespace jwtguard {

namespace detail {
struct KeyData;
}

enum class KeyType { kOct, kRsa, kEc, kOkp };

// "oct", "RSA", "EC", "OKP": the JWK "kty" names.
std::string_view key_type_name(KeyType type);

class Key {
 public:
  // An HMAC secret (the raw bytes). Any non-empty length is accepted here, so
  // that tokens signed with an existing short secret can still be verified;
  // signing refuses a secret shorter than the algorithm's hash (kWeakKey).
  static Result<Key> from_secret(std::string_view secret, std::string kid = {});

  // A PEM text holding one of: a public key (SPKI, "PUBLIC KEY"), a private
  // key (PKCS#8 "PRIVATE KEY", or the traditional "RSA/EC PRIVATE KEY"), or an
  // X.509 certificate, of which only the public key is used. Encrypted
  // private keys are refused (kBadKey). RSA moduli under 2048 bits: kWeakKey.
  static Result<Key> from_pem(std::string_view pem, std::string kid = {});

  // A JWK (RFC 7517) as JSON text: kty "oct", "RSA", "EC" (P-256/384/521) or
  // "OKP" (Ed25519). "kid" and "alg" are honoured; a key whose "use" is not
  // "sig" is refused (kBadKey). Private members (d, p, q, ...) make it a
  // private key.
  static Result<Key> from_jwk(std::string_view jwk_json);

  // A fresh random key for `alg`: a secret of the hash's length for HS*,
  // RSA-2048 for RS*/PS*, the algorithm's curve for ES*, Ed25519 for EdDSA.
  static Result<Key> generate(Algorithm alg, std::string kid = {});

  KeyType type() const;
  const std::string& kid() const;
  // True when the key can sign (an HMAC secret, or a private key).
  bool is_private() const;
  // Key size in bits: secret length, RSA modulus, or curve size.
  int bits() const;

  // The algorithms this key may be used with (see the file comment).
  std::span<const Algorithm> algorithms() const;
  bool allows(Algorithm alg) const;

  // The key as JWK JSON. With include_private=false, an asymmetric key yields
  // its public half; an HMAC secret has no public half (kInvalidArgument).
  Result<std::string> to_jwk(bool include_private) const;

  // The key as PEM: PKCS#8 ("PRIVATE KEY") for a private key when
  // include_private is true, else its public half as SPKI ("PUBLIC KEY").
  // PEM carries neither kid nor alg. An HMAC secret has no PEM form
  // (kInvalidArgument).
  Result<std::string> to_pem(bool include_private) const;

  // For jwtguard's own signing and verification code.
  const detail::KeyData& data() const { return *data_; }

 private:
  explicit Key(std::shared_ptr<const detail::KeyData> data) : data_(std::move(data)) {}
  friend struct detail::KeyData;
  std::shared_ptr<const detail::KeyData> data_;
};

// An ordered set of keys. Keys with a non-empty kid are unique by kid.
class KeySet {
 public:
  KeySet() = default;
  explicit KeySet(Key key) { keys_.push_back(std::move(key)); }

  // A JWK Set ({"keys": [...]}). Members that are not signature keys
  // ("use": "enc") or have an unsupported "kty" are skipped, as RFC 7517 §5
  // asks; a set left with no usable key fails with kBadKey.
  static Result<KeySet> from_jwks(std::string_view jwks_json);

  // Fails with kInvalidArgument when a key with the same non-empty kid is
  // already in the set.
  Result<void> add(Key key);

  const std::vector<Key>& keys() const { return keys_; }
  bool empty() const { return keys_.empty(); }

  // Whether some key of the set may be used with `alg`.
  bool allows(Algorithm alg) const;

  // The key with this kid, or nullptr.
  const Key* find(std::string_view kid) const;

  // {"keys": [...]} with the public half of every asymmetric key (HMAC
  // secrets are never published).
  std::string to_public_jwks() const;

 private:
  std::vector<Key> keys_;
};

}  // namespace jwtguard

#endif  // JWTGUARD_KEYS_H_
