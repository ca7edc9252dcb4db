// The HMAC floor both benchmarks compare against: inner and outer digest
// states keyed once, copied for each token. The cheapest HMAC OpenSSL 3
// offers without deprecated APIs (and the technique jwtguard uses).
#ifndef JWTGUARD_BENCH_HMAC_FLOOR_H_
#define JWTGUARD_BENCH_HMAC_FLOOR_H_

#include <openssl/evp.h>

#include <algorithm>
#include <string_view>

class HmacFloor {
 public:
  // `digest` is an OpenSSL name ("SHA256"); `secret` is shorter than a block.
  HmacFloor(const char* digest, std::string_view secret)
      : md_(EVP_MD_fetch(nullptr, digest, nullptr)),
        inner_(EVP_MD_CTX_new()),
        outer_(EVP_MD_CTX_new()),
        work_(EVP_MD_CTX_new()) {
    const auto block = static_cast<std::size_t>(EVP_MD_get_block_size(md_));
    unsigned char ipad[128] = {}, opad[128] = {};
    std::copy(secret.begin(), secret.end(), ipad);
    std::copy(secret.begin(), secret.end(), opad);
    for (std::size_t i = 0; i < block; ++i) {
      ipad[i] ^= 0x36;
      opad[i] ^= 0x5c;
    }
    EVP_DigestInit_ex(inner_, md_, nullptr);
    EVP_DigestUpdate(inner_, ipad, block);
    EVP_DigestInit_ex(outer_, md_, nullptr);
    EVP_DigestUpdate(outer_, opad, block);
  }
  ~HmacFloor() {
    EVP_MD_CTX_free(work_);
    EVP_MD_CTX_free(outer_);
    EVP_MD_CTX_free(inner_);
    EVP_MD_free(md_);
  }
  HmacFloor(const HmacFloor&) = delete;
  HmacFloor& operator=(const HmacFloor&) = delete;

  // The MAC of `input` into `out` (EVP_MAX_MD_SIZE bytes); returns its size.
  unsigned int mac(std::string_view input, unsigned char* out) {
    unsigned char hash[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_MD_CTX_copy_ex(work_, inner_);
    EVP_DigestUpdate(work_, input.data(), input.size());
    EVP_DigestFinal_ex(work_, hash, &len);
    EVP_MD_CTX_copy_ex(work_, outer_);
    EVP_DigestUpdate(work_, hash, len);
    EVP_DigestFinal_ex(work_, out, &len);
    return len;
  }

 private:
  EVP_MD* md_;
  EVP_MD_CTX* inner_;
  EVP_MD_CTX* outer_;
  EVP_MD_CTX* work_;
};

#endif  // JWTGUARD_BENCH_HMAC_FLOOR_H_
