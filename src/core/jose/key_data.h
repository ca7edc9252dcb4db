// What a Key holds. Private to the library: only src/ includes this.
#ifndef JWTGUARD_JOSE_KEY_DATA_H_
#define JWTGUARD_JOSE_KEY_DATA_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jose/openssl.h"
#include "jwtguard/keys.h"

namespace jwtguard::detail {

struct KeyData {
  KeyData() = default;
  KeyData(const KeyData&) = delete;
  KeyData& operator=(const KeyData&) = delete;
  ~KeyData();

  KeyType type = KeyType::kOct;
  std::string kid;
  std::vector<Algorithm> algorithms;
  bool is_private = false;
  int bits = 0;
  // Unique for the life of the process, never reused: thread-local caches of
  // keyed contexts are indexed by it, so a cache entry can never be mistaken
  // for another key's, even after this one is destroyed.
  std::uint64_t uid = 0;

  std::string secret;  // kOct only; wiped on destruction
  ossl::PKey pkey;     // every other type

  // Wraps finished data into a Key: assigns the uid and, when `only_alg` is
  // set (a JWK "alg"), narrows the algorithms to it. kKeyAlgMismatch when the
  // key's type does not allow `only_alg`.
  static Result<Key> finish(std::unique_ptr<KeyData> data, const Algorithm* only_alg);
};

// The data of an HMAC secret key, not yet finished; kWeakKey when empty.
Result<std::unique_ptr<KeyData>> secret_key_data(std::string_view secret, std::string kid);

// ES256/384/512: the curve's JOSE name ("P-256"...) and coordinate size in
// bytes (32, 48, 66), also the size of r and s in a JWS signature.
const char* ec_curve_name(Algorithm alg);
std::size_t ec_coordinate_size(Algorithm alg);

// Fills type, bits, is_private and algorithms from an EVP_PKEY. kUnsupportedKey
// for key types and curves jwtguard does not implement; kWeakKey for RSA
// moduli under 2048 bits.
Result<void> describe_pkey(KeyData& data);

}  // namespace jwtguard::detail

#endif  // JWTGUARD_JOSE_KEY_DATA_H_
