// libFuzzer target: anything may arrive as a token. Parsing and verification
// must never crash, leak, hang or hit undefined behaviour, and must never
// accept a forgery.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "jose/base64url.h"
#include "jwtguard/verifier.h"
#include "testing/rfc_vectors.h"

namespace {

using namespace jwtguard;

const Verifier& verifier() {
  static const Verifier* v = [] {
    KeySet keys;
    for (const char* jwk : {testing::rfc::kA1Jwk, testing::rfc::kA3Jwk, testing::rfc::kA4Jwk,
                            testing::rfc::kEd25519Jwk}) {
      if (!keys.add(*Key::from_jwk(jwk))) std::abort();
    }
    VerifyOptions options;
    options.claims.require_exp = false;
    return new Verifier(*Verifier::create(std::move(keys), options));
  }();
  return *v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const Timestamp now = from_unix_seconds(1'300'000'000);

  // Only the RFC tokens' signed content can verify: accepting anything else
  // would be a forgery. (The signature itself may differ: ECDSA's (r, n - s)
  // is a second valid signature over the same content.)
  if (verifier().verify(input, now)) {
    const std::string_view signed_part = input.substr(0, input.rfind('.'));
    bool known = false;
    for (std::string_view token : {testing::rfc::kA1Jws, testing::rfc::kA3Jws, testing::rfc::kA4Jws,
                                   testing::rfc::kEd25519Jws}) {
      known = known || token.substr(0, token.rfind('.')) == signed_part;
    }
    if (!known) std::abort();
  }
  (void)decode_jws(input);

  // Strict base64url: whatever decodes must re-encode to the same text.
  if (auto bytes = base64url::decode(input)) {
    if (base64url::encode(*bytes) != input) std::abort();
  }

  // The payload parser, fed directly (signatures stop most inputs above).
  (void)parse_claims(std::string(input));
  return 0;
}
