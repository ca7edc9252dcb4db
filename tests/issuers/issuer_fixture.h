// Identity servers made up in a test: their keys (generated here), tokens
// signed over payloads the test writes, and a key source that counts how
// often it is asked to learn a kid.
#ifndef JWTGUARD_TESTS_ISSUERS_ISSUER_FIXTURE_H_
#define JWTGUARD_TESTS_ISSUERS_ISSUER_FIXTURE_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "jose/base64url.h"
#include "jwtguard/jose.h"
#include "jwtguard/remote_jwks.h"
#include "jwtguard/trusted_issuers.h"
#include "testing/fixtures.h"

namespace jwtguard::testing {

// The private key, and a KeySet of its public half (what a JWKS publishes).
struct IssuerKey {
  Key private_key;
  Algorithm alg;

  static IssuerKey generate(Algorithm alg, std::string kid) {
    auto key = Key::generate(alg, std::move(kid));
    EXPECT_TRUE(key.has_value());
    return IssuerKey{*key, alg};
  }
  Key public_key() const {
    auto key = Key::from_jwk(private_key.to_jwk(/*include_private=*/false).value());
    EXPECT_TRUE(key.has_value());
    return *key;
  }
  KeySet public_set() const { return KeySet(public_key()); }

  // A compact JWS of `payload` with header {"alg", "typ": typ (unless
  // empty), "kid" (unless empty)}.
  std::string sign(const nlohmann::json& payload, std::string_view typ = "JWT") const {
    nlohmann::json header = {{"alg", std::string(algorithm_name(alg))}};
    if (!typ.empty()) header["typ"] = std::string(typ);
    if (!private_key.kid().empty()) header["kid"] = private_key.kid();
    return sign_raw(header.dump(), payload.dump());
  }
  std::string sign_raw(const std::string& header, const std::string& payload) const {
    const std::string input = base64url::encode(header) + "." + base64url::encode(payload);
    auto signature = jws_signature(private_key, alg, input);
    EXPECT_TRUE(signature.has_value());
    return input + "." + signature.value_or("");
  }
};

// An unsigned token (alg "none") of `payload`.
inline std::string unsigned_token(const nlohmann::json& payload) {
  return base64url::encode(R"({"alg":"none","typ":"JWT"})") + "." +
         base64url::encode(payload.dump()) + ".";
}

// A KeySource whose keys_with() moves to `next` (a rotation at the
// identity server) and counts its calls.
class CountingKeySource final : public KeySource {
 public:
  explicit CountingKeySource(KeySet keys)
      : keys_(std::make_shared<const KeySet>(std::move(keys))) {}
  std::shared_ptr<const KeySet> keys() const override {
    std::lock_guard lock(mutex_);
    return keys_;
  }
  std::shared_ptr<const KeySet> keys_with(std::string_view) override {
    std::lock_guard lock(mutex_);
    ++calls_;
    if (next_) keys_ = std::move(next_);
    return keys_;
  }
  void rotate_to(KeySet keys) {
    std::lock_guard lock(mutex_);
    next_ = std::make_shared<const KeySet>(std::move(keys));
  }
  int calls() const { return calls_.load(); }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const KeySet> keys_;
  std::shared_ptr<const KeySet> next_;
  std::atomic<int> calls_{0};
};

inline constexpr std::int64_t kNow = 1'700'000'000;  // FakeClock's default start

// An access token payload of issuer `iss` issued at `iat`, living 5 minutes.
inline nlohmann::json access_payload(const std::string& iss, const std::string& sub,
                                     std::int64_t iat = kNow) {
  return {{"iss", iss},       {"sub", sub},        {"aud", "api"},     {"iat", iat},
          {"exp", iat + 300}, {"jti", "j-" + sub}, {"sid", "s-" + sub}};
}

// A back-channel logout token payload (section 2.4) for `client_id`.
inline nlohmann::json logout_payload(const std::string& iss, const std::string& client_id,
                                     std::int64_t iat = kNow) {
  return {{"iss", iss},
          {"aud", client_id},
          {"iat", iat},
          {"exp", iat + 120},
          {"jti", "logout-1"},
          {"sid", "s-alice"},
          {"sub", "alice"},
          {"events",
           {{"http://schemas.openid.net/event/backchannel-logout", nlohmann::json::object()}}}};
}

// An issuer "https://idp.example" (named "idp") with one key source,
// accepting audience "api", logout tokens for client "rp".
inline TrustedIssuer trusted_issuer(std::string iss, std::shared_ptr<KeySource> keys,
                                    std::string name = {}) {
  TrustedIssuer issuer;
  issuer.issuer = std::move(iss);
  issuer.name = std::move(name);
  issuer.keys = std::move(keys);
  issuer.audience = {"api"};
  issuer.client_id = "rp";
  return issuer;
}

}  // namespace jwtguard::testing

#endif  // JWTGUARD_TESTS_ISSUERS_ISSUER_FIXTURE_H_
