#include "testing/forged_tokens.h"

#include "jose/base64url.h"
#include "jwtguard/jose.h"
#include "jwtguard/keys.h"

namespace jwtguard::testing {

Attempt<std::string> resign_hs256(
    std::string_view token, std::string_view secret,
    const std::function<void(nlohmann::json& header, nlohmann::json& payload)>& edit) {
  auto decoded = decode_jws(token);
  if (!decoded) return failed("cannot decode the token: " + decoded.error().message());
  auto header = nlohmann::json::parse(decoded->header_json, nullptr, false);
  auto payload = nlohmann::json::parse(decoded->payload, nullptr, false);
  if (!header.is_object() || !payload.is_object()) return failed("not a JSON header and payload");
  edit(header, payload);
  auto key = Key::from_secret(secret);
  if (!key) return failed("not a usable HS256 secret: " + key.error().message());
  std::string signing_input =
      base64url::encode(header.dump()) + "." + base64url::encode(payload.dump());
  auto signature = jws_signature(*key, Algorithm::kHS256, signing_input);
  if (!signature) return failed("cannot sign: " + signature.error().message());
  return signing_input + "." + *signature;
}

}  // namespace jwtguard::testing
