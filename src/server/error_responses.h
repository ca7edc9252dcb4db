// The service's error responses: docs/service.md's table, Flask-JWT-Extended's
// messages, and the replacements the configuration gives ([errors.<name>]).
//
// Every error has a name (the key of its replacement): the ServiceError's
// below and, for token errors, the name of the jwtguard::Errc (error_name():
// "expired", "revoked", "bad_signature", ...). 401 responses carry an RFC 6750
// WWW-Authenticate challenge whether or not their body was replaced.
#ifndef JWTGUARD_SERVER_ERROR_RESPONSES_H_
#define JWTGUARD_SERVER_ERROR_RESPONSES_H_

#include <array>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config.h"
#include "http.h"
#include "jwtguard/error.h"

namespace jwtguard::server {

// The errors that are not token errors. Each has a name in the
// configuration ([errors.<name>]), given beside it in error_responses.cc's
// table; code names the enum, so a misspelt error does not compile.
enum class ServiceError : unsigned char {
  kMissingAuthorization,    // 401 missing_authorization
  kWrongScheme,             // 401 wrong_scheme
  kBadAuthorizationHeader,  // 422 bad_authorization_header
  kBadCookie,               // 422 bad_cookie
  kMissingCsrfToken,        // 401 missing_csrf_token
  kCsrfMismatch,            // 401 csrf_mismatch
  kBadCredentials,          // 401 bad_credentials
  kRateLimited,             // 429 rate_limited
  kAdminRequired,           // 403 admin_required
  kAccountRequired,         // 403 account_required
  kAccountDisabled,         // 403 account_disabled
  kRegistrationClosed,      // 403 registration_closed
  kUserExists,              // 409 user_exists
  kBadRequest,              // 400 bad_request
  kUnsupportedMediaType,    // 415 unsupported_media_type
  kPayloadTooLarge,         // 413 payload_too_large
  kHeaderTooLarge,          // 431 header_too_large
  kNotFound,                // 404 not_found
  kMethodNotAllowed,        // 405 method_not_allowed
  kStoreUnavailable,        // 503 store_unavailable
  kOverloaded,              // 503 overloaded
  kInternal,                // 500 internal_error
};
inline constexpr std::size_t kServiceErrorCount =
    static_cast<std::size_t>(ServiceError::kInternal) + 1;

// The error's name in the configuration and in docs/service.md.
std::string_view error_name(ServiceError error);

class ErrorResponses {
 public:
  // kInvalidArgument when an override names no known error, or its body is
  // not a JSON object.
  static Result<ErrorResponses> create(const std::map<std::string, ErrorOverride>& overrides);

  // The response of `error`. `message` replaces the default message in the
  // {"msg": ...} body (a replaced body stays as configured).
  Response make(const Request& request, ServiceError error, std::string_view message = {}) const;

  // The response to a failed token check, a failed refresh or a failed
  // store operation, by the error's code (docs/service.md's statuses).
  Response for_error(const Request& request, const Error& error) const;

  // Every name that may be overridden: the service errors', then the token
  // errors' (the names of their jwtguard::Errc).
  static std::vector<std::string> names();

 private:
  // The replacements, by service error and by token error code.
  struct Overrides {
    std::array<std::optional<ErrorOverride>, kServiceErrorCount> service;
    std::map<Errc, ErrorOverride> token;
  };
  explicit ErrorResponses(Overrides overrides) : overrides_(std::move(overrides)) {}
  Response build(const Request& request, const ErrorOverride* replacement, http::status status,
                 std::string_view message, std::string_view bearer_error) const;

  Overrides overrides_;
};

}  // namespace jwtguard::server

#endif  // JWTGUARD_SERVER_ERROR_RESPONSES_H_
