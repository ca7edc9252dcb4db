// The service's error responses: docs/service.md's table, Flask-JWT-Extended's
// messages, and the replacements the configuration gives ([errors.<name>]).
//
// Every error has a name (the key of its replacement): the names below and,
// for token errors, the name of the jwtguard::Errc (error_name(): "expired",
// "revoked", "bad_signature", ...). 401 responses carry an RFC 6750
// WWW-Authenticate challenge whether or not their body was replaced.
#ifndef JWTGUARD_SERVER_ERROR_RESPONSES_H_
#define JWTGUARD_SERVER_ERROR_RESPONSES_H_

#include <map>
#include <string>
#include <string_view>

#include "jwtguard/error.h"
#include "config.h"
#include "http.h"

namespace jwtguard::server {

// Names of the errors that are not token errors.
namespace errors {
inline constexpr std::string_view kMissingAuthorization = "missing_authorization";       // 401
inline constexpr std::string_view kWrongScheme = "wrong_scheme";                         // 401
inline constexpr std::string_view kBadAuthorizationHeader = "bad_authorization_header";  // 422
inline constexpr std::string_view kBadCredentials = "bad_credentials";                   // 401
inline constexpr std::string_view kRateLimited = "rate_limited";                         // 429
inline constexpr std::string_view kAdminRequired = "admin_required";                     // 403
inline constexpr std::string_view kRegistrationClosed = "registration_closed";           // 403
inline constexpr std::string_view kUserExists = "user_exists";                           // 409
inline constexpr std::string_view kBadRequest = "bad_request";                           // 400
inline constexpr std::string_view kUnsupportedMediaType = "unsupported_media_type";      // 415
inline constexpr std::string_view kPayloadTooLarge = "payload_too_large";                // 413
inline constexpr std::string_view kHeaderTooLarge = "header_too_large";                  // 431
inline constexpr std::string_view kNotFound = "not_found";                               // 404
inline constexpr std::string_view kMethodNotAllowed = "method_not_allowed";              // 405
inline constexpr std::string_view kStoreUnavailable = "store_unavailable";               // 503
inline constexpr std::string_view kOverloaded = "overloaded";                            // 503
inline constexpr std::string_view kInternal = "internal_error";                          // 500
}  // namespace errors

class ErrorResponses {
 public:
  // kInvalidArgument when an override names no known error, or its body is
  // not a JSON object.
  static Result<ErrorResponses> create(const std::map<std::string, ErrorOverride>& overrides);

  // The error `name` (one of errors::k*). `message` replaces the default
  // message in the {"msg": ...} body (a replaced body stays as configured).
  Response make(const Request& request, std::string_view name, std::string_view message = {}) const;

  // The response to a failed token check, a failed refresh or a failed
  // store operation, by the error's code (docs/service.md's statuses).
  Response for_error(const Request& request, const Error& error) const;

  // Every name that may be overridden.
  static std::vector<std::string> names();

 private:
  explicit ErrorResponses(std::map<std::string, ErrorOverride, std::less<>> overrides)
      : overrides_(std::move(overrides)) {}
  Response build(const Request& request, std::string_view name, http::status status,
                 std::string_view message, std::string_view bearer_error) const;

  std::map<std::string, ErrorOverride, std::less<>> overrides_;
};

}  // namespace jwtguard::server

#endif  // JWTGUARD_SERVER_ERROR_RESPONSES_H_
