#include "routes.h"

namespace jwtguard::server {

std::string_view route_name(Route route) {
  switch (route) {
    case Route::kRegister:
      return "POST /auth/register";
    case Route::kLogin:
      return "POST /auth/login";
    case Route::kRefresh:
      return "POST /auth/refresh";
    case Route::kLogout:
      return "DELETE /auth/logout";
    case Route::kLogoutAll:
      return "POST /auth/logout-all";
    case Route::kSessions:
      return "GET /auth/sessions";
    case Route::kSessionDelete:
      return "DELETE /auth/sessions/{sid}";
    case Route::kMe:
      return "GET /auth/me";
    case Route::kVerify:
      return "GET /auth/verify";
    case Route::kOauthRevoke:
      return "POST /oauth/revoke";
    case Route::kOauthIntrospect:
      return "POST /oauth/introspect";
    case Route::kJwks:
      return "GET /.well-known/jwks.json";
    case Route::kAdminRevocationsList:
      return "GET /admin/revocations";
    case Route::kAdminRevocationsCreate:
      return "POST /admin/revocations";
    case Route::kAdminRevocationsDelete:
      return "DELETE /admin/revocations/{jti}";
    case Route::kAdminTokens:
      return "POST /admin/tokens";
    case Route::kHealthz:
      return "GET /healthz";
    case Route::kReadyz:
      return "GET /readyz";
    case Route::kMetrics:
      return "GET /metrics";
    case Route::kUnmatched:
      return "unmatched";
  }
  // A value outside the enum: name it like any request nothing matched.
  return "unmatched";
}

}  // namespace jwtguard::server
