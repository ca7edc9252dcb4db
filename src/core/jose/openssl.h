// RAII owners for the OpenSSL objects jwtguard uses, and the algorithm
// objects (digests, MAC) fetched once per process instead of per call.
#ifndef JWTGUARD_JOSE_OPENSSL_H_
#define JWTGUARD_JOSE_OPENSSL_H_

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "jwtguard/algorithm.h"

namespace jwtguard::ossl {

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};

using PKey = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using PKeyCtx = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX_free>>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX_free>>;
using Bio = std::unique_ptr<BIO, Deleter<BIO_free>>;
using Bn = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;

// The digest of `alg` (SHA-256/384/512), fetched once; nullptr for EdDSA,
// which hashes internally.
const EVP_MD* digest_for(Algorithm alg);

// The newest OpenSSL error as text, for a detail message, and clears the
// thread's error queue so old errors never leak into later calls.
std::string last_error();

}  // namespace jwtguard::ossl

#endif  // JWTGUARD_JOSE_OPENSSL_H_
