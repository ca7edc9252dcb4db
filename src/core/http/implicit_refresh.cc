// HttpGuard::implicit_refresh: Flask-JWT-Extended's "refresh tokens that
// are about to expire in an after_request hook", for cookies.
#include "jwtguard/http.h"
#include "jwtguard/revocation.h"

namespace jwtguard {

Result<std::optional<std::string>> HttpGuard::implicit_refresh(
    const Authenticated& authenticated) const {
  const std::chrono::seconds window = options_.cookies.refresh_access_within;
  const Claims& claims = authenticated.token.claims;
  if (window.count() <= 0 || authenticated.location != TokenLocation::kCookies ||
      claims.type != "access" || !claims.exp || is_issuer_namespace(claims.sub_ns)) {
    // A trusted issuer's token is never refreshed here: its identity
    // server issues its tokens.
    return std::nullopt;
  }
  if (*claims.exp - clock_->now() > window) return std::nullopt;
  // The new token keeps the session (a logout's session revocation covers
  // it, whenever the logout lands) and the CSRF value (the page's CSRF
  // cookie stays right, so one Set-Cookie is all a gateway passes on).
  auto access = guard_->refresh_access(claims);
  if (!access) return tl::unexpected(access.error());
  std::vector<std::string> cookies = access_cookies(*access);
  return std::move(cookies.front());
}

}  // namespace jwtguard
