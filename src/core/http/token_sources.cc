#include "http/token_sources.h"

namespace jwtguard::http {
namespace {

constexpr std::string_view kMissingHeader = "Missing Authorization Header";
constexpr std::string_view kWrongScheme =
    "Missing 'Bearer' type in 'Authorization' header. Expected 'Authorization: Bearer <JWT>'";
constexpr std::string_view kBadHeader =
    "Bad Authorization header. Expected 'Authorization: Bearer <JWT>'";
constexpr std::string_view kTwoHeaders =
    "Bad Authorization header: more than one. Expected 'Authorization: Bearer <JWT>'";

bool is_space(char c) { return c == ' ' || c == '\t'; }

HttpError refusal(HttpError::Kind kind, int status, std::string message) {
  return HttpError{kind, Error(Errc::kMalformed), status, std::move(message)};
}

// Whether the comma-separated Upgrade value names the WebSocket protocol.
bool names_websocket(std::string_view value) {
  while (!value.empty()) {
    auto comma = value.find(',');
    if (iequals(trim(value.substr(0, comma)), "websocket")) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

std::string_view trim(std::string_view value) {
  while (!value.empty() && is_space(value.back())) value.remove_suffix(1);
  while (!value.empty() && is_space(value.front())) value.remove_prefix(1);
  return value;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

Lookup bearer_token(const RequestView& request) {
  std::size_t count = 0;
  std::string_view value;
  request.header_values("Authorization", [&](std::string_view v) {
    if (count++ == 0) value = v;
  });
  if (count == 0) return Absent{HttpError::Kind::kMissingToken, std::string(kMissingHeader)};
  // Authorization is a singleton field: with two, which one a proxy in front
  // checked is unknowable. The 422 family of a malformed header, as
  // Flask-JWT-Extended answers the comma-joined pair its WSGI server makes.
  if (count > 1) {
    return refusal(HttpError::Kind::kBadAuthorizationHeader, 422, std::string(kTwoHeaders));
  }
  // Flask-JWT-Extended strips the header first: a blank one is a missing one.
  value = trim(value);
  if (value.empty()) return Absent{HttpError::Kind::kMissingToken, std::string(kMissingHeader)};
  // Then it splits on spaces: the first part must be "Bearer", and there
  // must be exactly one more.
  auto space = value.find(' ');
  if (value.substr(0, space) != "Bearer") {
    return Absent{HttpError::Kind::kWrongScheme, std::string(kWrongScheme)};
  }
  std::string_view token =
      space == std::string_view::npos ? std::string_view{} : value.substr(space + 1);
  if (token.empty() || token.find(' ') != std::string_view::npos) {
    return refusal(HttpError::Kind::kBadAuthorizationHeader, 422, std::string(kBadHeader));
  }
  return Found{token, {}};
}

void each_cookie(std::string_view header, std::string_view name,
                 const std::function<void(std::string_view)>& each) {
  // RFC 6265 §5.4: "name=value" pairs separated by ';' (browsers add a
  // space); a pair without '=' is a value with an empty name, never ours.
  while (!header.empty()) {
    auto semicolon = header.find(';');
    std::string_view pair = trim(header.substr(0, semicolon));
    header =
        semicolon == std::string_view::npos ? std::string_view{} : header.substr(semicolon + 1);
    auto equals = pair.find('=');
    if (equals == std::string_view::npos || trim(pair.substr(0, equals)) != name) continue;
    std::string_view value = trim(pair.substr(equals + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    each(value);
  }
}

Lookup cookie_token(const RequestView& request, std::string_view name) {
  std::size_t count = 0;
  std::string_view value;
  request.header_values("Cookie", [&](std::string_view header) {
    each_cookie(header, name, [&](std::string_view v) {
      if (v.empty()) return;
      if (count++ == 0) value = v;
    });
  });
  if (count > 1) {
    return refusal(HttpError::Kind::kBadCookie, 422,
                   "Bad cookie header: cookie \"" + std::string(name) + "\" sent more than once");
  }
  if (count == 0) {
    return Absent{HttpError::Kind::kMissingToken, "Missing cookie \"" + std::string(name) + "\""};
  }
  return Found{value, {}};
}

Lookup query_token(const RequestView& request, std::string_view name) {
  Absent absent{HttpError::Kind::kMissingToken,
                "Missing \"" + std::string(name) + "\" query parameter"};
  if (request.method() != "GET") return absent;
  bool upgrade = false;
  request.header_values("Upgrade", [&](std::string_view v) { upgrade |= names_websocket(v); });
  if (!upgrade) return absent;
  auto value = request.query_parameter(name);
  if (!value || value->empty()) return absent;
  Found found{{}, std::move(*value)};
  return found;
}

}  // namespace jwtguard::http
