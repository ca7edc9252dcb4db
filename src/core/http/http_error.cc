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
    case Errc::kSuspended:
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

std::string message_body(std::string_view message) {
  return nlohmann::json{{"msg", message}}.dump(-1, ' ', false,
                                               nlohmann::json::error_handler_t::replace);
}

std::string bearer_challenge(std::string_view error, std::string_view description) {
  std::string challenge = "Bearer realm=\"jwtguard\"";
  if (error.empty()) return challenge;
  challenge.append(", error=\"").append(error).append("\", error_description=\"");
  return challenge.append(challenge_text(description)).append("\"");
}

std::string HttpError::body() const { return message_body(message); }

std::string HttpError::www_authenticate() const {
  if (status != 401) return {};
  // RFC 6750 §3.1: a request without credentials gets the bare challenge.
  if (kind == Kind::kMissingToken || kind == Kind::kWrongScheme) return bearer_challenge();
  const bool token = kind == Kind::kToken || kind == Kind::kServer;
  return bearer_challenge(token ? "invalid_token" : "invalid_request", message);
}

}  // namespace jwtguard
