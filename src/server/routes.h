// The routes of docs/service.md, as the router, the metrics and the access log name
// them.
#ifndef JWTGUARD_SERVER_ROUTES_H_
#define JWTGUARD_SERVER_ROUTES_H_

#include <cstddef>
#include <string_view>

namespace jwtguard::server {

enum class Route : unsigned char {
  kRegister,                // POST /auth/register
  kLogin,                   // POST /auth/login
  kRefresh,                 // POST /auth/refresh
  kLogout,                  // DELETE /auth/logout
  kLogoutAll,               // POST /auth/logout-all
  kSessions,                // GET /auth/sessions
  kSessionDelete,           // DELETE /auth/sessions/{sid}
  kMe,                      // GET /auth/me
  kVerify,                  // GET /auth/verify
  kOauthRevoke,             // POST /oauth/revoke
  kOauthIntrospect,         // POST /oauth/introspect
  kJwks,                    // GET /.well-known/jwks.json
  kAdminRevocationsList,    // GET /admin/revocations
  kAdminRevocationsCreate,  // POST /admin/revocations
  kAdminRevocationsDelete,  // DELETE /admin/revocations/{jti}
  kAdminTokens,             // POST /admin/tokens
  kHealthz,                 // GET /healthz
  kReadyz,                  // GET /readyz
  kMetrics,                 // GET /metrics
  kUnmatched,               // anything else (404 or 405), or a request that could not be parsed
};
inline constexpr std::size_t kRouteCount = static_cast<std::size_t>(Route::kUnmatched) + 1;

// The route's method and path template, e.g. "DELETE /auth/sessions/{sid}";
// "unmatched" for kUnmatched. Used as a metrics label and in the access log.
std::string_view route_name(Route route);

}  // namespace jwtguard::server

#endif  // JWTGUARD_SERVER_ROUTES_H_
