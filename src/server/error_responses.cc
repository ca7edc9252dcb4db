#include "error_responses.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <variant>

#include "jwtguard/http.h"
#include "util/try.h"

namespace jwtguard::server {
namespace {

struct NamedError {
  ServiceError error;
  std::string_view name;
  http::status status;
  std::string_view message;
};

// docs/service.md's table and the service's own errors, in ServiceError's
// order; Flask-JWT-Extended's wording where it has one. The names are the
// configuration's keys ([errors.<name>]).
constexpr NamedError kNamedErrors[] = {
    {ServiceError::kMissingAuthorization, "missing_authorization", http::status::unauthorized,
     "Missing Authorization Header"},
    {ServiceError::kWrongScheme, "wrong_scheme", http::status::unauthorized,
     "Missing 'Bearer' type in 'Authorization' header. Expected 'Authorization: Bearer <JWT>'"},
    {ServiceError::kBadAuthorizationHeader, "bad_authorization_header",
     http::status::unprocessable_entity,
     "Bad Authorization header. Expected 'Authorization: Bearer <JWT>'"},
    {ServiceError::kBadCookie, "bad_cookie", http::status::unprocessable_entity,
     "Bad cookie header"},
    {ServiceError::kMissingCsrfToken, "missing_csrf_token", http::status::unauthorized,
     "Missing CSRF token"},
    {ServiceError::kCsrfMismatch, "csrf_mismatch", http::status::unauthorized,
     "CSRF double submit tokens do not match"},
    {ServiceError::kBadCredentials, "bad_credentials", http::status::unauthorized,
     "Bad username or password"},
    {ServiceError::kRateLimited, "rate_limited", http::status::too_many_requests,
     "Too many failed login attempts. Try again later"},
    {ServiceError::kAdminRequired, "admin_required", http::status::forbidden,
     "Admin access required"},
    {ServiceError::kAccountRequired, "account_required", http::status::forbidden,
     "Only jwtguard's own users have an account"},
    {ServiceError::kAccountDisabled, "account_disabled", http::status::forbidden,
     "Account disabled"},
    {ServiceError::kRegistrationClosed, "registration_closed", http::status::forbidden,
     "Registration is closed"},
    {ServiceError::kUserExists, "user_exists", http::status::conflict, "Username is already taken"},
    {ServiceError::kBadRequest, "bad_request", http::status::bad_request, "Bad request"},
    {ServiceError::kUnsupportedMediaType, "unsupported_media_type",
     http::status::unsupported_media_type, "Content-Type must be application/json"},
    {ServiceError::kPayloadTooLarge, "payload_too_large", http::status::payload_too_large,
     "Request body is too large"},
    {ServiceError::kHeaderTooLarge, "header_too_large",
     http::status::request_header_fields_too_large, "Request header fields are too large"},
    {ServiceError::kNotFound, "not_found", http::status::not_found, "Not found"},
    {ServiceError::kMethodNotAllowed, "method_not_allowed", http::status::method_not_allowed,
     "Method not allowed"},
    {ServiceError::kStoreUnavailable, "store_unavailable", http::status::service_unavailable,
     "The store is unavailable; the request was not completed. Try again"},
    {ServiceError::kOverloaded, "overloaded", http::status::service_unavailable,
     "Too many logins and registrations at once. Try again"},
    {ServiceError::kInternal, "internal_error", http::status::internal_server_error,
     "Internal error"},
};

constexpr bool in_enum_order() {
  for (std::size_t i = 0; i < std::size(kNamedErrors); ++i) {
    if (kNamedErrors[i].error != static_cast<ServiceError>(i)) return false;
  }
  return std::size(kNamedErrors) == kServiceErrorCount;
}
static_assert(in_enum_order(), "kNamedErrors has one row per ServiceError, in its order");

const NamedError& named(ServiceError error) {
  auto index = static_cast<std::size_t>(error);
  return kNamedErrors[index < kServiceErrorCount ? index : kServiceErrorCount - 1];
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
http::status token_error_status(Errc code) { return static_cast<http::status>(http_status(code)); }

}  // namespace

std::string_view error_name(ServiceError error) { return named(error).name; }

namespace {

// The error a configuration key names: a service error or a token error.
using ErrorKey = std::variant<ServiceError, Errc>;

// The one lookup from the configuration's names to errors.
std::optional<ErrorKey> find_error(std::string_view name) {
  for (const auto& error : kNamedErrors) {
    if (error.name == name) return error.error;
  }
  for (int i = 0; i <= static_cast<int>(kLastErrc); ++i) {
    auto code = static_cast<Errc>(i);
    if (is_token_error(code) && error_name(code) == name) return code;
  }
  return std::nullopt;
}

// kInvalidArgument naming the key when the replacement is not one.
Result<void> check_override(const std::string& name, const ErrorOverride& replacement) {
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
  return {};
}

}  // namespace

Result<ErrorResponses> ErrorResponses::create(
    const std::map<std::string, ErrorOverride>& overrides) {
  Overrides kept;
  for (const auto& [name, replacement] : overrides) {
    std::optional<ErrorKey> key = find_error(name);
    if (!key) return fail(Errc::kInvalidArgument, "errors." + name + ": no such error");
    JWTGUARD_TRY(check_override(name, replacement));
    if (const auto* error = std::get_if<ServiceError>(&*key)) {
      kept.service[static_cast<std::size_t>(*error)] = replacement;
    } else {
      kept.token[std::get<Errc>(*key)] = replacement;
    }
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

Response ErrorResponses::make(const Request& request, ServiceError error,
                              std::string_view message) const {
  const NamedError& named_error = named(error);
  bool challenge =
      error == ServiceError::kMissingAuthorization || error == ServiceError::kWrongScheme;
  std::string_view bearer_error = challenge ? std::string_view{} : "invalid_request";
  if (error == ServiceError::kBadCredentials) bearer_error = {};
  const auto& replacement = overrides_.service[static_cast<std::size_t>(named_error.error)];
  return build(request, replacement ? &*replacement : nullptr, named_error.status,
               message.empty() ? named_error.message : message, bearer_error);
}

Response ErrorResponses::for_error(const Request& request, const Error& error) const {
  switch (error.code()) {
    case Errc::kStore:
      return make(request, ServiceError::kStoreUnavailable);
    case Errc::kInvalidArgument:
      return make(request, ServiceError::kBadRequest, error.message());
    case Errc::kNotFound:
      return make(request, ServiceError::kNotFound);
    case Errc::kAlreadyExists:
      return make(request, ServiceError::kUserExists);
    case Errc::kCrypto:
      return make(request, ServiceError::kInternal);
    default:
      break;
  }
  // The detail of kRevoked (kSuspended) only says which rule (list) matched;
  // the client gets Flask-JWT-Extended's message (its counterpart).
  const bool bare = error.code() == Errc::kRevoked || error.code() == Errc::kSuspended;
  std::string message = bare ? std::string(error_message(error.code())) : error.message();
  auto replaced = overrides_.token.find(error.code());
  return build(request, replaced == overrides_.token.end() ? nullptr : &replaced->second,
               token_error_status(error.code()), message, "invalid_token");
}

Response ErrorResponses::build(const Request& request, const ErrorOverride* replacement,
                               http::status status, std::string_view message,
                               std::string_view bearer_error) const {
  std::string body;
  if (replacement != nullptr) {
    if (replacement->status != 0) status = static_cast<http::status>(replacement->status);
    body = replacement->body;
  }
  if (body.empty()) body = message_body(message);
  Response response = json_response(request, status, std::move(body));
  if (status == http::status::unauthorized) {
    response.set(http::field::www_authenticate, bearer_challenge(bearer_error, message));
  }
  return response;
}

}  // namespace jwtguard::server
