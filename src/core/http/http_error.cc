// HttpError's answer, and the statuses of jwtguard's errors over HTTP.
#include <nlohmann/json.hpp>

#include "jwtguard/http.h"

namespace jwtguard {
namespace {

// RFC 6750 §3: error_description allows printable ASCII except '"' and '\'.
std::string challenge_text(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '"') {
      out.push_back('\'');
    } else if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

int http_status(Errc code) {
  switch (code) {
    case Errc::kMissingToken:
    case Errc::kExpired:
    case Errc::kRevoked:
    case Errc::kFreshTokenRequired:
      return 401;
    case Errc::kStore:
      return 503;
    case Errc::kCrypto:
      return 500;
    case Errc::kInvalidArgument:
      return 400;
    case Errc::kNotFound:
      return 404;
    case Errc::kAlreadyExists:
      return 409;
    default:
      return 422;
  }
}

std::string HttpError::body() const {
  return nlohmann::json{{"msg", message}}.dump(-1, ' ', false,
                                               nlohmann::json::error_handler_t::replace);
}

std::string HttpError::www_authenticate() const {
  if (status != 401) return {};
  std::string challenge = "Bearer realm=\"jwtguard\"";
  // RFC 6750 §3.1: a request without credentials gets the bare challenge.
  if (kind == Kind::kMissingToken || kind == Kind::kWrongScheme) return challenge;
  const bool token = kind == Kind::kToken || kind == Kind::kServer;
  challenge += token ? ", error=\"invalid_token\"" : ", error=\"invalid_request\"";
  challenge += ", error_description=\"" + challenge_text(message) + "\"";
  return challenge;
}

}  // namespace jwtguard
