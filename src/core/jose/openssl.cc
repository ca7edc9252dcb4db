#include "jose/openssl.h"

#include <openssl/err.h>

namespace jwtguard::ossl {
namespace {

struct Fetched {
  EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  EVP_MD* sha384 = EVP_MD_fetch(nullptr, "SHA384", nullptr);
  EVP_MD* sha512 = EVP_MD_fetch(nullptr, "SHA512", nullptr);
};

// Deliberately never freed: the objects must outlive every thread-local
// context that refers to them, including those destroyed at thread exit.
const Fetched& fetched() {
  static const Fetched* f = new Fetched();
  return *f;
}

}  // namespace

const EVP_MD* digest_for(Algorithm alg) {
  if (alg == Algorithm::kEdDSA) return nullptr;
  switch (algorithm_hash_size(alg)) {
    case 32:
      return fetched().sha256;
    case 48:
      return fetched().sha384;
    default:
      return fetched().sha512;
  }
}

std::string last_error() {
  const unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return buf;
}

}  // namespace jwtguard::ossl
