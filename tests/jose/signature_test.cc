#include "jose/signature.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "testing/fixtures.h"

namespace jwtguard::detail {
namespace {

std::string unhex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::span<const std::uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

struct HmacVector {
  Algorithm alg;
  std::string key;
  std::string data;
  std::string mac_hex;
};

// RFC 4231 test cases 2 (a key shorter than the hash) and 6 (a key longer than
// the block, which HMAC hashes first).
const std::string kLongKey(131, '\xaa');
const std::string kLongData = "Test Using Larger Than Block-Size Key - Hash Key First";
const HmacVector kVectors[] = {
    {Algorithm::kHS256, "Jefe", "what do ya want for nothing?",
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
    {Algorithm::kHS384, "Jefe", "what do ya want for nothing?",
     "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21"
     "649"},
    {Algorithm::kHS512, "Jefe", "what do ya want for nothing?",
     "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e"
     "6fdcaeab1a34d4a6b4b636e070a38bce737"},
    {Algorithm::kHS256, kLongKey, kLongData,
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
    {Algorithm::kHS384, kLongKey, kLongData,
     "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df163f44"
     "952"},
    {Algorithm::kHS512, kLongKey, kLongData,
     "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1"
     "e5295e64f73f63f0aec8b915a985d786598"},
};

TEST(Hmac, Rfc4231KnownAnswers) {
  for (const HmacVector& v : kVectors) {
    SCOPED_TRACE(std::string(algorithm_name(v.alg)) + " key of " + std::to_string(v.key.size()));
    const Key key = *Key::from_secret(v.key);
    const std::string mac = unhex(v.mac_hex);
    EXPECT_OK(verify(key.data(), v.alg, v.data, bytes(mac)));
    EXPECT_ERRC(verify(key.data(), v.alg, v.data, bytes(testing::flip_bit(mac, 7))),
                Errc::kBadSignature);
    if (v.key.size() >= algorithm_hash_size(v.alg)) {
      EXPECT_EQ(*sign(key.data(), v.alg, v.data), mac);
    }
  }
}

// One-shot HMAC(), independent of jwtguard's cached digest states.
std::string reference_hmac(const std::string& secret, Algorithm alg, const std::string& input) {
  const EVP_MD* md = algorithm_hash_size(alg) == 32   ? EVP_sha256()
                     : algorithm_hash_size(alg) == 48 ? EVP_sha384()
                                                      : EVP_sha512();
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(md, secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

TEST(Hmac, ManyKeysOnOneThreadStayApart) {
  // More keys (and algorithms) than the per-thread cache holds, used in turn:
  // evictions must never let one key's state answer for another's.
  std::vector<std::string> secrets;
  std::vector<Key> keys;
  for (int i = 0; i < 20; ++i) {
    secrets.push_back(std::string(64, static_cast<char>('a' + i)));
    keys.push_back(*Key::from_secret(secrets.back()));
  }
  for (int round = 0; round < 3; ++round) {
    for (std::size_t i = 0; i < keys.size(); ++i) {
      const Algorithm alg = all_algorithms()[(i + round) % 3];
      const std::string input = "input " + std::to_string(i);
      EXPECT_EQ(*sign(keys[i].data(), alg, input), reference_hmac(secrets[i], alg, input));
      const std::string mac = *sign(keys[i].data(), Algorithm::kHS256, "input");
      EXPECT_OK(verify(keys[i].data(), Algorithm::kHS256, "input", bytes(mac)));
      EXPECT_ERRC(
          verify(keys[(i + 1) % keys.size()].data(), Algorithm::kHS256, "input", bytes(mac)),
          Errc::kBadSignature);
    }
  }
}

}  // namespace
}  // namespace jwtguard::detail
