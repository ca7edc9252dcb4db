// The HTTP side of Flask-JWT-Extended's @jwt_required(): where a request's
// token is found (the Authorization header, a cookie, the query string), the
// double-submit CSRF rule for tokens in cookies, the Set-Cookie values that
// put tokens into a browser and take them out again, and the status, body
// and WWW-Authenticate header of every refusal.
//
// `jwtguard serve` answers with exactly this code, so an application that
// embeds the library answers as the service does. It works with any HTTP
// server: the application wraps its server's request in a RequestView
// (examples/httplib_app shows one for cpp-httplib in a dozen lines).
//
//   jwtguard::HttpGuard auth = *jwtguard::HttpGuard::create(guard, options);
//   auto token = auth.require(MyView(request));
//   if (!token) return reply(token.error().status, token.error().body(),
//                            token.error().www_authenticate);
//   ... token->token.claims.sub ...
#ifndef JWTGUARD_HTTP_H_
#define JWTGUARD_HTTP_H_

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <vector>

#include "jwtguard/guard.h"

namespace jwtguard {

// What the checks need of a request. Implementations adapt a server's own
// request type; they are called only during require() and must not throw.
class RequestView {
 public:
  // The request method as sent, e.g. "POST".
  virtual std::string_view method() const = 0;
  // Calls `each` with the value of every header field line named `name`
  // (compared ASCII case-insensitively), in the order received; not at all
  // when there is none. The views must point into the request itself, not
  // into copies: require() keeps one while it reads other headers, and
  // Authenticated::encoded() hands one back.
  virtual void header_values(std::string_view name,
                             const std::function<void(std::string_view)>& each) const = 0;
  // The percent-decoded value of the first query parameter `name`, or
  // nullopt when the query has none.
  virtual std::optional<std::string> query_parameter(std::string_view name) const = 0;

 protected:
  ~RequestView() = default;
};

// Where tokens may be found (Flask-JWT-Extended's JWT_TOKEN_LOCATION).
enum class TokenLocation { kHeaders, kCookies, kQueryString };
// "headers", "cookies", "query_string"; and back (nullopt for another name).
std::string_view token_location_name(TokenLocation location);
std::optional<TokenLocation> parse_token_location(std::string_view name);

enum class SameSite { kLax, kStrict, kNone };
std::string_view same_site_name(SameSite same_site);             // "Lax", "Strict", "None"
std::optional<SameSite> parse_same_site(std::string_view name);  // any case

// Flask-JWT-Extended's JWT_COOKIE_* settings, with its names and defaults
// where it has them.
struct CookieOptions {
  bool secure = true;                   // JWT_COOKIE_SECURE (Flask's default is false)
  SameSite same_site = SameSite::kLax;  // JWT_COOKIE_SAMESITE
  std::string domain;                   // JWT_COOKIE_DOMAIN; empty: the host alone
  std::string path = "/";               // JWT_ACCESS_COOKIE_PATH, and the CSRF cookies'
  std::string refresh_path = "/";       // JWT_REFRESH_COOKIE_PATH
  // Browser-session cookies (no Max-Age: gone when the browser closes)
  // instead of cookies that live as long as their token (JWT_SESSION_COOKIE,
  // whose default is the other way round: a refresh cookie that dies with
  // the browser makes "stay logged in" impossible).
  bool session_cookies = false;
  std::string access_cookie = "access_token_cookie";       // JWT_ACCESS_COOKIE_NAME
  std::string refresh_cookie = "refresh_token_cookie";     // JWT_REFRESH_COOKIE_NAME
  std::string access_csrf_cookie = "csrf_access_token";    // JWT_ACCESS_CSRF_COOKIE_NAME
  std::string refresh_csrf_cookie = "csrf_refresh_token";  // JWT_REFRESH_CSRF_COOKIE_NAME
  // JWT_COOKIE_CSRF_PROTECT: a request authenticated by a cookie, with one
  // of `csrf_methods`, must repeat its token's "csrf" claim in
  // `csrf_header`. Requires tokens issued with IssuerOptions::csrf_claim.
  bool csrf_protect = true;
  std::string csrf_header = "X-CSRF-TOKEN";  // JWT_ACCESS_CSRF_HEADER_NAME
  std::vector<std::string> csrf_methods = {"POST", "PUT", "PATCH", "DELETE"};
  // Implicit refresh (Flask-JWT-Extended's after_request pattern): a
  // cookie-authenticated request whose access token expires within this
  // window gets a new access cookie of the same session
  // (HttpGuard::implicit_refresh). Zero: off.
  std::chrono::seconds refresh_access_within{0};
};

struct HttpOptions {
  // Searched in this order; the first location holding a token is used.
  std::vector<TokenLocation> locations = {TokenLocation::kHeaders};
  CookieOptions cookies;
  // JWT_QUERY_STRING_NAME. The query string is read only for a WebSocket
  // upgrade (GET with "Upgrade: websocket"): a browser cannot set headers
  // there. A URL leaks into proxies' logs and browser history.
  std::string query_string_name = "jwt";
  // Longer tokens are refused before any parsing (kTokenTooLarge).
  std::size_t token_limit = 8 * 1024;
};

// Why a request was refused, and the answer to give.
struct HttpError {
  enum class Kind {
    kMissingToken,            // 401: no token in any allowed location
    kWrongScheme,             // 401: an Authorization header of another scheme
    kBadAuthorizationHeader,  // 422: malformed, or more than one
    kBadCookie,               // 422: the token cookie sent more than once
    kMissingCsrf,             // 401: a cookie-authenticated request without the CSRF header
    kCsrfMismatch,            // 401: the CSRF header differs from the token's claim
    kToken,                   // the token was refused: `error` says why (http_status())
    kServer,                  // the Guard failed (a store error): 503, or 500
  };
  Kind kind;
  // The token error for kToken and kServer (and kMissingToken); otherwise a
  // kMalformed, kMissingToken or kInvalidArgument naming the rule broken.
  Error error;
  int status;
  std::string message;  // Flask-JWT-Extended's "msg"

  // {"msg": message}.
  std::string body() const;
  // The RFC 6750 challenge for a 401 (empty for other statuses):
  // `Bearer realm="jwtguard"`, with error="invalid_token" (a refused token)
  // or "invalid_request" (CSRF) and an error_description.
  std::string www_authenticate() const;
};

// {"msg": message}: the body of every refusal.
std::string message_body(std::string_view message);

// The RFC 6750 challenge of a 401: `Bearer realm="jwtguard"`, and with a
// non-empty `error` (invalid_token, invalid_request) error="..." and
// error_description="..." (`description` in the printable ASCII the RFC
// allows there; '"' becomes '\'').
std::string bearer_challenge(std::string_view error = {}, std::string_view description = {});

// Flask-JWT-Extended's statuses for a failed check: 401 for kMissingToken,
// kExpired, kRevoked and kFreshTokenRequired; 503 for kStore; 500 for
// kCrypto; 400 for kInvalidArgument; 404 kNotFound; 409 kAlreadyExists; 422
// for every other token error (invalid_token_loader's).
int http_status(Errc code);

// A request that passed: the token and where it was found.
struct Authenticated {
  VerifiedToken token;
  TokenLocation location = TokenLocation::kHeaders;
  // The token as the request sent it (for Guard::refresh): a view into the
  // request, valid while it lives, or into `query_value` for a token from
  // the query string.
  std::string_view encoded() const {
    return query_value.empty() ? in_request : std::string_view(query_value);
  }
  std::string_view in_request;
  std::string query_value;
};

using HttpResult = tl::expected<Authenticated, HttpError>;

class HttpGuard {
 public:
  // kInvalidArgument when the options cannot work: no location or one
  // twice, a cookie name or header name that is not an HTTP token, a domain
  // or path holding ';', ',', whitespace or a control character, a path not
  // starting with '/', SameSite=None without Secure, a "__Host-" cookie that
  // is not Secure at path "/" without a domain, a "__Secure-" one that is
  // not Secure, or a negative refresh window. `guard` must outlive it, and
  // so must `clock` (the one the Guard was opened with; null: the system
  // clock), which tells when an access token is near its end.
  static Result<HttpGuard> create(Guard& guard, HttpOptions options, const Clock* clock = nullptr);

  // @jwt_required(): the token from the first location that has one, then
  // Guard::require(requirements), then, for a token from a cookie whose
  // request method (`method_override` when non-empty: the original method
  // a gateway forwards to /auth/verify) is a CSRF method, the CSRF header
  // compared in constant time with the token's "csrf" claim. A refresh
  // token is looked for in the refresh cookie when `requirements.type` is
  // kRefresh, and in both cookies (access first) when it is kAny.
  // Thread-safe; no I/O unless the Guard's strict mode does some.
  // With requirements.optional and no token anywhere: an Authenticated
  // holding an empty token (null header).
  HttpResult require(const RequestView& request, const Requirements& requirements = {},
                     std::string_view method_override = {}) const;

  // --- Set-Cookie values (each one header value) -------------------------

  // The access token's cookie and its CSRF cookie (set_access_cookies()).
  // The CSRF cookie lives as long as `csrf_until` when given (a refresh
  // token's expiry: the page needs the value as long as the session may
  // renew its access token), else as long as the token.
  std::vector<std::string> access_cookies(const IssuedToken& access,
                                          std::optional<Timestamp> csrf_until = {}) const;
  // The refresh token's cookie and its CSRF cookie (set_refresh_cookies()).
  std::vector<std::string> refresh_cookies(const IssuedToken& refresh) const;
  // All four of a login or a rotating refresh.
  std::vector<std::string> pair_cookies(const IssuedToken& access,
                                        const IssuedToken& refresh) const;
  // Expire all four (unset_jwt_cookies()), with the attributes they were
  // set with, so that the browser drops the very cookies it holds.
  std::vector<std::string> unset_cookies() const;

  // When `authenticated` came from a cookie, refresh_access_within is set
  // and its access token expires within that window: the Set-Cookie of a
  // new access token of the same session (Guard::refresh_access), with the
  // same CSRF value, so that the CSRF cookie stays right and one header is
  // all a gateway must pass on. nullopt otherwise. A session revoked at
  // any time, before or after, revokes the new token too.
  Result<std::optional<std::string>> implicit_refresh(const Authenticated& authenticated) const;

  // Whether a request with this method, authenticated by a cookie, must
  // carry the CSRF header (csrf_protect and a CSRF method, in any case).
  bool requires_csrf(std::string_view method) const;

  const HttpOptions& options() const { return options_; }
  bool allows(TokenLocation location) const;

 private:
  HttpGuard(Guard& guard, HttpOptions options, const Clock& clock)
      : guard_(&guard), clock_(&clock), options_(std::move(options)) {}
  Guard* guard_;
  const Clock* clock_;
  HttpOptions options_;
};

}  // namespace jwtguard

#endif  // JWTGUARD_HTTP_H_
