#include "jose/key_file.h"

#include <nlohmann/json.hpp>

namespace jwtguard {

KeyFileFormat key_file_format(std::string_view text) {
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || text[first] != '{') return KeyFileFormat::kPem;
  const auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  return json.is_object() && json.contains("keys") ? KeyFileFormat::kJwks : KeyFileFormat::kJwk;
}

Result<Key> key_from_jwk(std::string_view text, const std::string& kid, std::string_view kid_name) {
  auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (kid.empty() || !json.is_object()) return Key::from_jwk(text);
  const auto own = json.find("kid");
  if (own == json.end()) {
    json["kid"] = kid;
  } else if (*own != kid) {
    return fail(Errc::kBadKey,
                "its \"kid\" differs from " + std::string(kid_name) + "; remove one of them");
  }
  return Key::from_jwk(json.dump());
}

Result<std::string> jwks_active_kid(std::string_view jwks_json) {
  const auto json = nlohmann::json::parse(jwks_json, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return std::string();
  const auto it = json.find(kActiveKidMember);
  if (it == json.end()) return std::string();
  if (!it->is_string() || it->get_ref<const std::string&>().empty()) {
    return fail(Errc::kBadKey,
                std::string("\"") + kActiveKidMember + "\" is not a non-empty string");
  }
  return it->get<std::string>();
}

std::string secret_from_file_text(std::string text) {
  if (!text.empty() && text.back() == '\n') text.pop_back();
  if (!text.empty() && text.back() == '\r') text.pop_back();
  return text;
}

}  // namespace jwtguard
