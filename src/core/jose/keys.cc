#include "jwtguard/keys.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>

#include "jose/key_data.h"

namespace jwtguard {
namespace detail {
namespace {

constexpr std::array kHmacAlgs = {Algorithm::kHS256, Algorithm::kHS384, Algorithm::kHS512};
constexpr std::array kRsaAlgs = {Algorithm::kRS256, Algorithm::kRS384, Algorithm::kRS512,
                                 Algorithm::kPS256, Algorithm::kPS384, Algorithm::kPS512};
constexpr std::array kRsaPssAlgs = {Algorithm::kPS256, Algorithm::kPS384, Algorithm::kPS512};
constexpr int kMinRsaBits = 2048;  // RFC 7518 §3.3

std::atomic<std::uint64_t> next_uid{1};

bool has_bn_param(const EVP_PKEY* pkey, const char* name) {
  BIGNUM* bn = nullptr;
  const bool ok = EVP_PKEY_get_bn_param(pkey, name, &bn) == 1;
  BN_clear_free(bn);
  return ok;
}

Result<void> describe_ec(KeyData& data) {
  char group[64] = {};
  std::size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(data.pkey.get(), OSSL_PKEY_PARAM_GROUP_NAME, group,
                                     sizeof group, &len) != 1) {
    return fail(Errc::kUnsupportedKey, "EC key without a named curve");
  }
  const std::string_view name(group, len);
  if (name == "prime256v1" || name == "P-256") {
    data.algorithms = {Algorithm::kES256};
  } else if (name == "secp384r1" || name == "P-384") {
    data.algorithms = {Algorithm::kES384};
  } else if (name == "secp521r1" || name == "P-521") {
    data.algorithms = {Algorithm::kES512};
  } else {
    return fail(Errc::kUnsupportedKey, "EC curve " + std::string(name));
  }
  data.type = KeyType::kEc;
  data.is_private = has_bn_param(data.pkey.get(), OSSL_PKEY_PARAM_PRIV_KEY);
  return {};
}

}  // namespace

const char* ec_curve_name(Algorithm alg) {
  return alg == Algorithm::kES256 ? "P-256" : alg == Algorithm::kES384 ? "P-384" : "P-521";
}

std::size_t ec_coordinate_size(Algorithm alg) {
  return alg == Algorithm::kES256 ? 32 : alg == Algorithm::kES384 ? 48 : 66;
}

KeyData::~KeyData() { OPENSSL_cleanse(secret.data(), secret.size()); }

Result<std::unique_ptr<KeyData>> secret_key_data(std::string_view secret, std::string kid) {
  if (secret.empty()) return fail(Errc::kWeakKey, "empty secret");
  auto data = std::make_unique<KeyData>();
  data->type = KeyType::kOct;
  data->kid = std::move(kid);
  data->secret.assign(secret);
  data->bits = static_cast<int>(secret.size() * 8);
  data->is_private = true;
  data->algorithms.assign(kHmacAlgs.begin(), kHmacAlgs.end());
  return data;
}

Result<void> describe_pkey(KeyData& data) {
  EVP_PKEY* pkey = data.pkey.get();
  data.bits = EVP_PKEY_get_bits(pkey);
  switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS: {
      if (data.bits < kMinRsaBits) {
        return fail(Errc::kWeakKey, "RSA modulus of " + std::to_string(data.bits) +
                                        " bits; at least 2048 required");
      }
      data.type = KeyType::kRsa;
      const bool pss_only = EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA_PSS;
      if (pss_only) {
        data.algorithms.assign(kRsaPssAlgs.begin(), kRsaPssAlgs.end());
      } else {
        data.algorithms.assign(kRsaAlgs.begin(), kRsaAlgs.end());
      }
      data.is_private = has_bn_param(pkey, OSSL_PKEY_PARAM_RSA_D);
      return {};
    }
    case EVP_PKEY_EC:
      return describe_ec(data);
    case EVP_PKEY_ED25519: {
      data.type = KeyType::kOkp;
      data.algorithms = {Algorithm::kEdDSA};
      std::size_t len = 0;
      data.is_private = EVP_PKEY_get_raw_private_key(pkey, nullptr, &len) == 1 && len > 0;
      ERR_clear_error();
      return {};
    }
    default:
      return fail(Errc::kUnsupportedKey, EVP_PKEY_get0_type_name(pkey)
                                             ? EVP_PKEY_get0_type_name(pkey)
                                             : "unknown key type");
  }
}

Result<Key> KeyData::finish(std::unique_ptr<KeyData> data, const Algorithm* only_alg) {
  if (only_alg != nullptr) {
    if (std::find(data->algorithms.begin(), data->algorithms.end(), *only_alg) ==
        data->algorithms.end()) {
      return fail(Errc::kKeyAlgMismatch, std::string(key_type_name(data->type)) +
                                             " key cannot be used with " +
                                             std::string(algorithm_name(*only_alg)));
    }
    data->algorithms = {*only_alg};
  }
  data->uid = next_uid.fetch_add(1, std::memory_order_relaxed);
  return Key(std::shared_ptr<const KeyData>(std::move(data)));
}

}  // namespace detail

namespace {

using detail::KeyData;

// A PEM passphrase callback that refuses: encrypted keys are not supported,
// and OpenSSL must never prompt on a terminal.
int refuse_passphrase(char*, int, int, void*) { return -1; }

constexpr std::string_view kKeyLabels[] = {"CERTIFICATE",    "PUBLIC KEY",
                                           "PRIVATE KEY",    "RSA PRIVATE KEY",
                                           "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY"};

struct PemBlock {
  std::string_view label;  // empty when there is no PEM block at all
  std::string_view text;   // from this block's BEGIN line to the end
};

// The first block holding a key, skipping others: `openssl ecparam -genkey`
// writes an "EC PARAMETERS" block before the key. When no block holds a key,
// the first block, so that the error can name it.
PemBlock key_block(std::string_view pem) {
  constexpr std::string_view kBegin = "-----BEGIN ";
  PemBlock first;
  for (auto start = pem.find(kBegin); start != std::string_view::npos;
       start = pem.find(kBegin, start + 1)) {
    const auto label_start = start + kBegin.size();
    const auto end = pem.find("-----", label_start);
    if (end == std::string_view::npos) break;
    const PemBlock block{pem.substr(label_start, end - label_start), pem.substr(start)};
    if (first.label.empty()) first = block;
    for (std::string_view label : kKeyLabels) {
      if (block.label == label) return block;
    }
  }
  return first;
}

Result<ossl::PKey> read_pem(std::string_view text) {
  const PemBlock block = key_block(text);
  const std::string_view label = block.label;
  const std::string_view pem = block.text;
  if (label.empty()) return fail(Errc::kBadKey, "no PEM block found");
  if (label == "ENCRYPTED PRIVATE KEY") {
    return fail(Errc::kBadKey, "encrypted private keys are not supported; decrypt it first");
  }
  ossl::Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return fail(Errc::kCrypto, ossl::last_error());
  EVP_PKEY* raw = nullptr;
  if (label == "CERTIFICATE") {
    ossl::X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, refuse_passphrase, nullptr));
    if (cert) raw = X509_get_pubkey(cert.get());
  } else if (label == "PUBLIC KEY") {
    raw = PEM_read_bio_PUBKEY(bio.get(), nullptr, refuse_passphrase, nullptr);
  } else if (label == "PRIVATE KEY" || label == "RSA PRIVATE KEY" || label == "EC PRIVATE KEY") {
    raw = PEM_read_bio_PrivateKey(bio.get(), nullptr, refuse_passphrase, nullptr);
  } else {
    return fail(Errc::kUnsupportedKey, "PEM block \"" + std::string(label.substr(0, 40)) +
                                           "\"; expected PUBLIC KEY, PRIVATE KEY or CERTIFICATE");
  }
  ERR_clear_error();  // PEM readers leave errors queued on success and failure alike
  if (raw == nullptr) return fail(Errc::kBadKey, "unreadable " + std::string(label) + " PEM");
  return ossl::PKey(raw);
}

}  // namespace

std::string_view key_type_name(KeyType type) {
  switch (type) {
    case KeyType::kOct:
      return "oct";
    case KeyType::kRsa:
      return "RSA";
    case KeyType::kEc:
      return "EC";
    case KeyType::kOkp:
      return "OKP";
  }
  return "unknown";
}

Result<Key> Key::from_secret(std::string_view secret, std::string kid) {
  auto data = detail::secret_key_data(secret, std::move(kid));
  if (!data) return tl::unexpected(data.error());
  return KeyData::finish(std::move(*data), nullptr);
}

Result<Key> Key::from_pem(std::string_view pem, std::string kid) {
  auto pkey = read_pem(pem);
  if (!pkey) return tl::unexpected(pkey.error());
  auto data = std::make_unique<KeyData>();
  data->kid = std::move(kid);
  data->pkey = std::move(*pkey);
  if (auto ok = detail::describe_pkey(*data); !ok) return tl::unexpected(ok.error());
  return KeyData::finish(std::move(data), nullptr);
}

Result<Key> Key::generate(Algorithm alg, std::string kid) {
  const AlgorithmFamily family = algorithm_family(alg);
  if (family == AlgorithmFamily::kHmac) {
    std::string secret(algorithm_hash_size(alg), '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(secret.data()),
                   static_cast<int>(secret.size())) != 1) {
      return fail(Errc::kCrypto, ossl::last_error());
    }
    auto key = from_secret(secret, std::move(kid));
    OPENSSL_cleanse(secret.data(), secret.size());
    return key;
  }
  EVP_PKEY* raw = nullptr;
  switch (family) {
    case AlgorithmFamily::kRsaPkcs1:
    case AlgorithmFamily::kRsaPss:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(2048));
      break;
    case AlgorithmFamily::kEcdsa:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", detail::ec_curve_name(alg));
      break;
    default:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
  }
  if (raw == nullptr) return fail(Errc::kCrypto, ossl::last_error());
  auto data = std::make_unique<KeyData>();
  data->kid = std::move(kid);
  data->pkey.reset(raw);
  if (auto ok = detail::describe_pkey(*data); !ok) return tl::unexpected(ok.error());
  return KeyData::finish(std::move(data), nullptr);
}

KeyType Key::type() const { return data_->type; }
const std::string& Key::kid() const { return data_->kid; }
bool Key::is_private() const { return data_->is_private; }
int Key::bits() const { return data_->bits; }
std::span<const Algorithm> Key::algorithms() const { return data_->algorithms; }

Result<std::string> Key::to_pem(bool include_private) const {
  if (data_->type == KeyType::kOct) {
    return fail(Errc::kInvalidArgument, "an HMAC secret has no PEM form");
  }
  ossl::Bio bio(BIO_new(BIO_s_mem()));
  if (!bio) return fail(Errc::kCrypto, ossl::last_error());
  const int written = include_private && data_->is_private
                          ? PEM_write_bio_PrivateKey(bio.get(), data_->pkey.get(), nullptr, nullptr,
                                                     0, nullptr, nullptr)
                          : PEM_write_bio_PUBKEY(bio.get(), data_->pkey.get());
  if (written != 1) return fail(Errc::kCrypto, ossl::last_error());
  char* text = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &text);
  return std::string(text, static_cast<std::size_t>(size));
}

bool Key::allows(Algorithm alg) const {
  return std::find(data_->algorithms.begin(), data_->algorithms.end(), alg) !=
         data_->algorithms.end();
}

Result<void> KeySet::add(Key key) {
  if (!key.kid().empty() && find(key.kid()) != nullptr) {
    return fail(Errc::kInvalidArgument, "duplicate kid \"" + key.kid() + "\"");
  }
  keys_.push_back(std::move(key));
  return {};
}

bool KeySet::allows(Algorithm alg) const {
  return std::any_of(keys_.begin(), keys_.end(), [alg](const Key& key) { return key.allows(alg); });
}

const Key* KeySet::find(std::string_view kid) const {
  for (const Key& key : keys_) {
    if (key.kid() == kid) return &key;
  }
  return nullptr;
}

}  // namespace jwtguard
