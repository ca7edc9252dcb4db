#include "error_responses.h"

#include <nlohmann/json.hpp>

namespace jwtguard::server {
namespace {

struct NamedError {
  std::string_view name;
  http::status status;
  std::string_view message;
};

// docs/service.md's table and the service's own errors; Flask-JWT-Extended's wording
// where it has one.
constexpr NamedError kNamedErrors[] = {
    {errors::kMissingAuthorization, http::status::unauthorized, "Missing Authorization Header"},
    {errors::kWrongScheme, http::status::unauthorized,
     "Missing 'Bearer' type in 'Authorization' header. Expected 'Authorization: Bearer <JWT>'"},
    {errors::kBadAuthorizationHeader, http::status::unprocessable_entity,
     "Bad Authorization header. Expected 'Authorization: Bearer <JWT>'"},
    {errors::kBadCredentials, http::status::unauthorized, "Bad username or password"},
    {errors::kRateLimited, http::status::too_many_requests,
     "Too many failed login attempts. Try again later"},
    {errors::kAdminRequired, http::status::forbidden, "Admin access required"},
    {errors::kRegistrationClosed, http::status::forbidden, "Registration is closed"},
    {errors::kUserExists, http::status::conflict, "Username is already taken"},
    {errors::kBadRequest, http::status::bad_request, "Bad request"},
    {errors::kUnsupportedMediaType, http::status::unsupported_media_type,
     "Content-Type must be application/json"},
    {errors::kPayloadTooLarge, http::status::payload_too_large, "Request body is too large"},
    {errors::kHeaderTooLarge, http::status::request_header_fields_too_large,
     "Request header fields are too large"},
    {errors::kNotFound, http::status::not_found, "Not found"},
    {errors::kMethodNotAllowed, http::status::method_not_allowed, "Method not allowed"},
    {errors::kStoreUnavailable, http::status::service_unavailable,
     "The store is unavailable; the request was not completed. Try again"},
    {errors::kOverloaded, http::status::service_unavailable,
     "Too many logins and registrations at once. Try again"},
    {errors::kInternal, http::status::internal_server_error, "Internal error"},
};

const NamedError* find_named(std::string_view name) {
  for (const auto& error : kNamedErrors) {
    if (error.name == name) return &error;
  }
  return nullptr;
}

constexpr Errc kLastErrc = Errc::kCrypto;

bool is_token_error(Errc code) {
  switch (code) {
    case Errc::kNotFound:
    case Errc::kAlreadyExists:
    case Errc::kStore:
    case Errc::kInvalidArgument:
    case Errc::kCrypto:
      return false;
    default:
      return true;
  }
}

// docs/service.md: expiry, revocation and freshness are 401; every other token
// problem is 422 (Flask-JWT-Extended's invalid_token_loader).
http::status token_error_status(Errc code) {
  switch (code) {
    case Errc::kExpired:
    case Errc::kRevoked:
    case Errc::kFreshTokenRequired:
      return http::status::unauthorized;
    default:
      return http::status::unprocessable_entity;
  }
}

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

std::string msg_body(std::string_view message) {
  return nlohmann::json{{"msg", message}}.dump(-1, ' ', false,
                                               nlohmann::json::error_handler_t::replace);
}

}  // namespace

Result<ErrorResponses> ErrorResponses::create(
    const std::map<std::string, ErrorOverride>& overrides) {
  auto known = names();
  std::map<std::string, ErrorOverride, std::less<>> kept;
  for (const auto& [name, replacement] : overrides) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      return fail(Errc::kInvalidArgument, "errors." + name + ": no such error");
    }
    // An error stays an error: a 2xx would tell a gateway (nginx
    // auth_request, Traefik forwardAuth) to let a revoked token through.
    int status = replacement.status;
    if (status != 0 && (status < 400 || status > 599)) {
      return fail(Errc::kInvalidArgument, "errors." + name + ": status must be 400..599");
    }
    if (!replacement.body.empty()) {
      auto body = nlohmann::json::parse(replacement.body, nullptr, false);
      if (!body.is_object()) {
        return fail(Errc::kInvalidArgument, "errors." + name + ": body must be a JSON object");
      }
    }
    kept.emplace(name, replacement);
  }
  return ErrorResponses(std::move(kept));
}

std::vector<std::string> ErrorResponses::names() {
  std::vector<std::string> all;
  for (const auto& error : kNamedErrors) all.emplace_back(error.name);
  for (int i = 0; i <= static_cast<int>(kLastErrc); ++i) {
    auto code = static_cast<Errc>(i);
    if (is_token_error(code)) all.emplace_back(error_name(code));
  }
  return all;
}

Response ErrorResponses::make(const Request& request, std::string_view name,
                              std::string_view message) const {
  const NamedError* error = find_named(name);
  if (error == nullptr) error = find_named(errors::kInternal);
  bool challenge = name == errors::kMissingAuthorization || name == errors::kWrongScheme;
  std::string_view bearer_error = challenge ? std::string_view{} : "invalid_request";
  if (name == errors::kBadCredentials) bearer_error = {};
  return build(request, error->name, error->status, message.empty() ? error->message : message,
               bearer_error);
}

Response ErrorResponses::for_error(const Request& request, const Error& error) const {
  switch (error.code()) {
    case Errc::kStore:
      return make(request, errors::kStoreUnavailable);
    case Errc::kInvalidArgument:
      return make(request, errors::kBadRequest, error.message());
    case Errc::kNotFound:
      return make(request, errors::kNotFound);
    case Errc::kAlreadyExists:
      return make(request, errors::kUserExists);
    case Errc::kCrypto:
      return make(request, errors::kInternal);
    default:
      break;
  }
  // The detail of kRevoked only says which rule matched; the client gets
  // Flask-JWT-Extended's message.
  std::string message =
      error.code() == Errc::kRevoked ? std::string(error_message(error.code())) : error.message();
  return build(request, error_name(error.code()), token_error_status(error.code()), message,
               "invalid_token");
}

Response ErrorResponses::build(const Request& request, std::string_view name, http::status status,
                               std::string_view message, std::string_view bearer_error) const {
  std::string body;
  auto replaced = overrides_.find(name);
  if (replaced != overrides_.end()) {
    if (replaced->second.status != 0) status = static_cast<http::status>(replaced->second.status);
    body = replaced->second.body;
  }
  if (body.empty()) body = msg_body(message);
  Response response = json_response(request, status, std::move(body));
  if (status == http::status::unauthorized) {
    std::string challenge = "Bearer realm=\"jwtguard\"";
    if (!bearer_error.empty()) {
      challenge += ", error=\"" + std::string(bearer_error) + "\", error_description=\"" +
                   challenge_text(message) + "\"";
    }
    response.set(http::field::www_authenticate, challenge);
  }
  return response;
}

}  // namespace jwtguard::server
