// The Set-Cookie values of HttpGuard: tokens into a browser, and out again.
#include <algorithm>

#include "jwtguard/http.h"

namespace jwtguard {
namespace {

struct CookieSpec {
  std::string_view name;
  std::string_view path;
  bool http_only;  // token cookies: no page script may read them
};

std::string set_cookie(const CookieOptions& options, const CookieSpec& spec, std::string_view value,
                       std::optional<std::chrono::seconds> max_age) {
  std::string out;
  out.reserve(spec.name.size() + value.size() + 96);
  out.append(spec.name).append("=").append(value);
  out.append("; Path=").append(spec.path);
  if (!options.domain.empty()) out.append("; Domain=").append(options.domain);
  if (max_age) out.append("; Max-Age=").append(std::to_string(max_age->count()));
  if (spec.http_only) out.append("; HttpOnly");
  if (options.secure) out.append("; Secure");
  out.append("; SameSite=").append(same_site_name(options.same_site));
  return out;
}

// A cookie lives exactly as long as its token (rounded up to the second:
// the token's exp is whole seconds), or as long as the browser session.
std::optional<std::chrono::seconds> lifetime(const CookieOptions& options, Timestamp from,
                                             Timestamp until) {
  if (options.session_cookies) return std::nullopt;
  auto seconds = std::chrono::ceil<std::chrono::seconds>(until - from);
  return std::max(seconds, std::chrono::seconds(1));
}

}  // namespace

std::vector<std::string> HttpGuard::access_cookies(const IssuedToken& access,
                                                   std::optional<Timestamp> csrf_until) const {
  const CookieOptions& c = options_.cookies;
  std::vector<std::string> out;
  out.push_back(set_cookie(c, {c.access_cookie, c.path, true}, access.token,
                           lifetime(c, access.issued_at, access.expires_at)));
  if (c.csrf_protect) {
    out.push_back(
        set_cookie(c, {c.access_csrf_cookie, c.path, false}, access.csrf,
                   lifetime(c, access.issued_at, csrf_until.value_or(access.expires_at))));
  }
  return out;
}

std::vector<std::string> HttpGuard::refresh_cookies(const IssuedToken& refresh) const {
  const CookieOptions& c = options_.cookies;
  std::vector<std::string> out;
  auto life = lifetime(c, refresh.issued_at, refresh.expires_at);
  out.push_back(set_cookie(c, {c.refresh_cookie, c.refresh_path, true}, refresh.token, life));
  // At the access path, not the refresh path: the page must read it
  // (document.cookie shows only cookies whose path covers the page's).
  if (c.csrf_protect) {
    out.push_back(set_cookie(c, {c.refresh_csrf_cookie, c.path, false}, refresh.csrf, life));
  }
  return out;
}

std::vector<std::string> HttpGuard::pair_cookies(const IssuedToken& access,
                                                 const IssuedToken& refresh) const {
  std::vector<std::string> out = access_cookies(access, refresh.expires_at);
  for (std::string& cookie : refresh_cookies(refresh)) out.push_back(std::move(cookie));
  return out;
}

std::vector<std::string> HttpGuard::unset_cookies() const {
  const CookieOptions& c = options_.cookies;
  // Max-Age=0 with the same name, path and domain: the browser deletes the
  // cookie it holds. Sent whether or not CSRF protection is on now (it may
  // have been when the cookies were set).
  const CookieSpec specs[] = {{c.access_cookie, c.path, true},
                              {c.refresh_cookie, c.refresh_path, true},
                              {c.access_csrf_cookie, c.path, false},
                              {c.refresh_csrf_cookie, c.path, false}};
  std::vector<std::string> out;
  for (const CookieSpec& spec : specs) {
    out.push_back(set_cookie(c, spec, "", std::chrono::seconds(0)));
  }
  return out;
}

}  // namespace jwtguard
