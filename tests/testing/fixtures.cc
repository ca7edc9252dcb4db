#include "testing/fixtures.h"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <map>
#include <mutex>

#include "jose/key_data.h"

namespace jwtguard::testing {
namespace {

// Keys of one kind share a cache slot: every RS/PS algorithm uses one RSA key.
int kind_of(Algorithm alg) {
  switch (algorithm_family(alg)) {
    case AlgorithmFamily::kHmac:
      return 0;
    case AlgorithmFamily::kRsaPkcs1:
    case AlgorithmFamily::kRsaPss:
      return 1;
    case AlgorithmFamily::kEcdsa:
      return 2 + static_cast<int>(alg) - static_cast<int>(Algorithm::kES256);
    case AlgorithmFamily::kEdDSA:
      return 5;
  }
  return -1;
}

struct KeyPair {
  Key priv;
  Key pub;
};

KeyPair make_pair(Algorithm alg) {
  // HS512's 64-byte secret is long enough for every HS* algorithm.
  Result<Key> priv =
      Key::generate(algorithm_family(alg) == AlgorithmFamily::kHmac ? Algorithm::kHS512 : alg);
  if (!priv) throw std::runtime_error(priv.error().message());
  if (priv->type() == KeyType::kOct) return {*priv, *priv};
  auto pub = Key::from_jwk(*priv->to_jwk(false));
  if (!pub) throw std::runtime_error(pub.error().message());
  return {*priv, *pub};
}

const KeyPair& cached(Algorithm alg, int slot) {
  static std::mutex mu;
  static std::map<std::pair<int, int>, KeyPair> cache;
  std::lock_guard lock(mu);
  const auto id = std::make_pair(kind_of(alg), slot);
  auto it = cache.find(id);
  if (it == cache.end()) it = cache.emplace(id, make_pair(alg)).first;
  return it->second;
}

}  // namespace

const Key& private_key_for(Algorithm alg) { return cached(alg, 0).priv; }
const Key& public_key_for(Algorithm alg) { return cached(alg, 0).pub; }
const Key& other_key_for(Algorithm alg) { return cached(alg, 1).pub; }

std::string key_pem(const Key& key, bool public_only) {
  ossl::Bio bio(BIO_new(BIO_s_mem()));
  EVP_PKEY* pkey = key.data().pkey.get();
  if (public_only) {
    PEM_write_bio_PUBKEY(bio.get(), pkey);
  } else {
    PEM_write_bio_PrivateKey(bio.get(), pkey, nullptr, nullptr, 0, nullptr, nullptr);
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

std::string self_signed_certificate_pem(const Key& key) {
  ossl::X509Ptr cert(X509_new());
  EVP_PKEY* pkey = key.data().pkey.get();
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_set_pubkey(cert.get(), pkey);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("jwtguard test"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  const EVP_MD* md = EVP_PKEY_get_base_id(pkey) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256();
  if (X509_sign(cert.get(), pkey, md) == 0) throw std::runtime_error("X509_sign failed");
  ossl::Bio bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert.get());
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

std::string flip_bit(std::string text, std::size_t bit) {
  text[bit / 8] = static_cast<char>(text[bit / 8] ^ (0x80 >> (bit % 8)));
  return text;
}

ScratchDir::ScratchDir() {
  static std::atomic<int> counter{0};
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info != nullptr ? info->name() : "none";
  for (char& c : name) {
    if (c == '/') c = '_';  // typed and parameterised test names
  }
  path_ = std::filesystem::path(::testing::TempDir()) /
          ("jwtguard-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" + name);
  std::filesystem::remove_all(path_);
  std::filesystem::create_directories(path_);
}

ScratchDir::~ScratchDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace jwtguard::testing
