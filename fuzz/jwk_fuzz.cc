// libFuzzer target: anything may arrive as a JWK or a JWK Set (a jwks_file,
// a key file, a peer's published keys). Parsing must never crash, leak,
// hang or hit undefined behaviour, and what it accepts must be a usable key:
// its JWK reads back as the same key, and a private key's signatures verify
// with the public half it publishes.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "jwtguard/jose.h"
#include "jwtguard/keys.h"

namespace {

using namespace jwtguard;

void check(bool ok) {
  if (!ok) std::abort();
}

// The JWK of `key` (with its private part when it has one) parses back into
// a key of the same kind, whose JWK is the same text.
void check_round_trip(const Key& key) {
  auto jwk = key.to_jwk(/*include_private=*/key.is_private());
  check(jwk.has_value());
  auto again = Key::from_jwk(*jwk);
  check(again.has_value());
  check(again->type() == key.type() && again->kid() == key.kid() &&
        again->is_private() == key.is_private() && again->bits() == key.bits());
  auto twice = again->to_jwk(key.is_private());
  check(twice.has_value() && *twice == *jwk);
}

// A private asymmetric key signs what its published public half verifies:
// a JWK whose private part does not match its public part would otherwise
// sign tokens nobody can verify.
void check_signs_for_its_public_half(const Key& key) {
  if (!key.is_private() || key.type() == KeyType::kOct) return;
  // RSA signing is slow; the other kinds are where a fuzzer can mix up
  // parameters in the few bytes it mutates.
  if (key.type() == KeyType::kRsa) return;
  auto public_jwk = key.to_jwk(/*include_private=*/false);
  check(public_jwk.has_value());
  auto public_key = Key::from_jwk(*public_jwk);
  check(public_key.has_value() && !public_key->is_private());
  const Algorithm alg = key.algorithms().front();
  auto token = sign_jws(key, alg, "{}");
  check(token.has_value());
  JwsOptions options;
  options.algorithms = {alg};
  check(verify_jws(*token, KeySet(*public_key), options).has_value());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  if (auto key = Key::from_jwk(input)) {
    check(!key->algorithms().empty());
    check_round_trip(*key);
    check_signs_for_its_public_half(*key);
  }

  if (auto set = KeySet::from_jwks(input)) {
    check(!set->empty());
    for (const Key& key : set->keys()) {
      check(!key.algorithms().empty());
      if (!key.kid().empty()) check(set->find(key.kid()) == &key);
    }
    // What the set publishes is itself a set of the same public keys.
    const std::string published = set->to_public_jwks();
    auto reread = KeySet::from_jwks(published);
    if (reread) check(reread->to_public_jwks() == published);
  }
  return 0;
}
