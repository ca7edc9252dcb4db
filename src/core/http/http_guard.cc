// HttpGuard: where a request's token is, and the CSRF rule.
#include <openssl/crypto.h>

#include <algorithm>
#include <array>

#include "http/token_sources.h"
#include "jwtguard/http.h"

namespace jwtguard {
namespace {

using http::Absent;
using http::Found;
using http::Lookup;

constexpr std::string_view kMissingCsrf = "Missing CSRF token";
constexpr std::string_view kCsrfMismatch = "CSRF double submit tokens do not match";

// RFC 9110 §5.6.2 tchar: what a cookie or header name may hold.
bool is_token(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
  });
}

// A Domain or Path attribute value that cannot end the attribute or the
// header early.
bool is_attribute_value(std::string_view value) {
  return std::none_of(value.begin(), value.end(), [](unsigned char c) {
    return c <= 0x20 || c >= 0x7f || c == ';' || c == ',';
  });
}

Result<void> check_cookie_name(const CookieOptions& cookies, const std::string& name,
                               const std::string& path) {
  if (!is_token(name)) return fail(Errc::kInvalidArgument, "cookie name \"" + name + "\"");
  // The prefixes' rules (RFC 6265bis §4.1.3): a browser drops a cookie
  // that breaks them, and every login would fail without saying why.
  if (name.starts_with("__Secure-") && !cookies.secure) {
    return fail(Errc::kInvalidArgument, "cookie \"" + name + "\" needs secure");
  }
  if (name.starts_with("__Host-") && (!cookies.secure || path != "/" || !cookies.domain.empty())) {
    return fail(Errc::kInvalidArgument,
                "cookie \"" + name + "\" needs secure, path \"/\" and no domain");
  }
  return {};
}

Result<void> check_cookies(const CookieOptions& cookies) {
  if (cookies.same_site == SameSite::kNone && !cookies.secure) {
    return fail(Errc::kInvalidArgument, "samesite None needs secure (browsers drop the cookie)");
  }
  if (!is_attribute_value(cookies.domain)) return fail(Errc::kInvalidArgument, "cookie domain");
  for (const std::string* path : {&cookies.path, &cookies.refresh_path}) {
    if (!path->starts_with('/') || !is_attribute_value(*path)) {
      return fail(Errc::kInvalidArgument, "cookie path \"" + *path + "\"");
    }
  }
  const std::pair<const std::string*, const std::string*> names[] = {
      {&cookies.access_cookie, &cookies.path},
      {&cookies.refresh_cookie, &cookies.refresh_path},
      {&cookies.access_csrf_cookie, &cookies.path},
      {&cookies.refresh_csrf_cookie, &cookies.path}};
  for (const auto& [name, path] : names) {
    if (auto ok = check_cookie_name(cookies, *name, *path); !ok) return ok;
  }
  if (cookies.access_cookie == cookies.refresh_cookie) {
    return fail(Errc::kInvalidArgument, "the access and refresh cookies need different names");
  }
  if (!is_token(cookies.csrf_header)) return fail(Errc::kInvalidArgument, "csrf header name");
  for (const std::string& method : cookies.csrf_methods) {
    if (!is_token(method)) return fail(Errc::kInvalidArgument, "csrf method \"" + method + "\"");
  }
  if (cookies.refresh_access_within.count() < 0) {
    return fail(Errc::kInvalidArgument, "refresh_access_within must not be negative");
  }
  return {};
}

HttpError token_refused(const Error& error) {
  const bool server = error.code() == Errc::kStore || error.code() == Errc::kCrypto;
  // The detail of kRevoked (kSuspended) only says which rule matched (for
  // the log); the client gets Flask-JWT-Extended's sentence.
  const bool revoked = error.code() == Errc::kRevoked || error.code() == Errc::kSuspended;
  std::string message =
      revoked || server ? std::string(error_message(error.code())) : error.message();
  return HttpError{server ? HttpError::Kind::kServer : HttpError::Kind::kToken, error,
                   http_status(error.code()), std::move(message)};
}

HttpError csrf_refusal(HttpError::Kind kind, std::string_view message) {
  return HttpError{kind, Error(Errc::kMissingToken, "csrf"), 401, std::string(message)};
}

// Case-insensitively: a gateway may forward "patch" as the client wrote it,
// and an application that routes it as PATCH must not skip the rule.
bool is_csrf_method(const CookieOptions& cookies, std::string_view method) {
  return std::any_of(cookies.csrf_methods.begin(), cookies.csrf_methods.end(),
                     [&](const std::string& unsafe) { return http::iequals(unsafe, method); });
}

// The first CSRF header's value, trimmed; empty when there is none.
std::string_view csrf_header(const RequestView& request, const std::string& name) {
  std::string_view value;
  bool first = true;
  request.header_values(name, [&](std::string_view v) {
    if (first) value = v;
    first = false;
  });
  return http::trim(value);
}

// Equal without a timing difference that tells how much of the value an
// attacker got right (the length alone is no secret: 22 characters).
bool same_secret(std::string_view given, std::string_view expected) {
  return !expected.empty() && given.size() == expected.size() &&
         CRYPTO_memcmp(given.data(), expected.data(), given.size()) == 0;
}

// Flask-JWT-Extended's order: the CSRF header's presence before the token
// is decoded, its value after.
HttpResult check_found(const Guard& guard, const HttpOptions& options, const RequestView& request,
                       const Requirements& requirements, std::string_view method,
                       TokenLocation location, const Found& found) {
  const std::string_view token = found.token();
  if (token.size() > options.token_limit) {
    return tl::unexpected(token_refused(Error(Errc::kTokenTooLarge)));
  }
  const bool csrf = location == TokenLocation::kCookies && options.cookies.csrf_protect &&
                    is_csrf_method(options.cookies, method);
  std::string_view csrf_value;
  if (csrf) {
    csrf_value = csrf_header(request, options.cookies.csrf_header);
    if (csrf_value.empty()) {
      return tl::unexpected(csrf_refusal(HttpError::Kind::kMissingCsrf, kMissingCsrf));
    }
  }
  auto verified = guard.require(token, requirements);
  if (!verified) return tl::unexpected(token_refused(verified.error()));
  if (csrf && !same_secret(csrf_value, verified->claims.csrf)) {
    return tl::unexpected(csrf_refusal(HttpError::Kind::kCsrfMismatch, kCsrfMismatch));
  }
  Authenticated authenticated{std::move(*verified), location, found.in_request, found.owned};
  return authenticated;
}

// One location searched: its own answer. Several: Flask-JWT-Extended's
// "Missing JWT in headers or cookies (...; ...)".
HttpError missing_token(const HttpOptions& options, const std::vector<Absent>& absent) {
  if (absent.size() == 1) {
    const int status = 401;
    return HttpError{absent.front().kind, Error(Errc::kMissingToken), status,
                     absent.front().message};
  }
  std::string message = "Missing JWT in ";
  for (std::size_t i = 0; i < options.locations.size(); ++i) {
    if (i > 0) message += " or ";
    message += token_location_name(options.locations[i]);
  }
  message += " (";
  for (std::size_t i = 0; i < absent.size(); ++i) {
    if (i > 0) message += "; ";
    message += absent[i].message;
  }
  message += ')';
  return HttpError{HttpError::Kind::kMissingToken, Error(Errc::kMissingToken), 401,
                   std::move(message)};
}

}  // namespace

std::string_view token_location_name(TokenLocation location) {
  switch (location) {
    case TokenLocation::kHeaders:
      return "headers";
    case TokenLocation::kCookies:
      return "cookies";
    case TokenLocation::kQueryString:
      break;
  }
  return "query_string";
}

std::optional<TokenLocation> parse_token_location(std::string_view name) {
  for (auto location :
       {TokenLocation::kHeaders, TokenLocation::kCookies, TokenLocation::kQueryString}) {
    if (token_location_name(location) == name) return location;
  }
  return std::nullopt;
}

std::string_view same_site_name(SameSite same_site) {
  switch (same_site) {
    case SameSite::kLax:
      return "Lax";
    case SameSite::kStrict:
      return "Strict";
    case SameSite::kNone:
      break;
  }
  return "None";
}

std::optional<SameSite> parse_same_site(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "lax") return SameSite::kLax;
  if (lower == "strict") return SameSite::kStrict;
  if (lower == "none") return SameSite::kNone;
  return std::nullopt;
}

Result<HttpGuard> HttpGuard::create(Guard& guard, HttpOptions options, const Clock* clock) {
  static const SystemClock kSystemClock;
  if (options.locations.empty()) return fail(Errc::kInvalidArgument, "no token location");
  for (std::size_t i = 0; i < options.locations.size(); ++i) {
    if (std::count(options.locations.begin(), options.locations.end(), options.locations[i]) > 1) {
      return fail(Errc::kInvalidArgument,
                  "token location \"" + std::string(token_location_name(options.locations[i])) +
                      "\" given twice");
    }
  }
  if (auto ok = check_cookies(options.cookies); !ok) return tl::unexpected(ok.error());
  if (!is_token(options.query_string_name)) {
    return fail(Errc::kInvalidArgument, "query string name");
  }
  if (options.token_limit == 0) return fail(Errc::kInvalidArgument, "token limit");
  return HttpGuard(guard, std::move(options), clock != nullptr ? *clock : kSystemClock);
}

bool HttpGuard::requires_csrf(std::string_view method) const {
  return options_.cookies.csrf_protect && is_csrf_method(options_.cookies, method);
}

bool HttpGuard::allows(TokenLocation location) const {
  return std::find(options_.locations.begin(), options_.locations.end(), location) !=
         options_.locations.end();
}

HttpResult HttpGuard::require(const RequestView& request, const Requirements& requirements,
                              std::string_view method_override) const {
  // The places to look, in order: one per location, and for cookies the
  // access cookie, the refresh cookie (at its own path) or, for
  // verify_type=False, both, the access cookie first. Each is read only
  // when the ones before it held nothing.
  struct Source {
    TokenLocation location;
    const std::string* cookie;
  };
  std::array<Source, 4> sources{};  // create() allows each location once
  std::size_t count = 0;
  for (TokenLocation location : options_.locations) {
    if (location != TokenLocation::kCookies) {
      sources[count++] = {location, nullptr};
      continue;
    }
    if (requirements.type != TokenRequirement::kRefresh) {
      sources[count++] = {location, &options_.cookies.access_cookie};
    }
    if (requirements.type != TokenRequirement::kAccess) {
      sources[count++] = {location, &options_.cookies.refresh_cookie};
    }
  }
  std::vector<Absent> absent;  // allocates only when a place is empty
  for (std::size_t i = 0; i < count; ++i) {
    const Source& source = sources[i];
    Lookup lookup = source.location == TokenLocation::kHeaders ? http::bearer_token(request)
                    : source.cookie != nullptr
                        ? http::cookie_token(request, *source.cookie)
                        : http::query_token(request, options_.query_string_name);
    if (auto* refused = std::get_if<HttpError>(&lookup)) return tl::unexpected(std::move(*refused));
    if (auto* missing = std::get_if<Absent>(&lookup)) {
      absent.push_back(std::move(*missing));
      continue;
    }
    const std::string_view method = method_override.empty() ? request.method() : method_override;
    return check_found(*guard_, options_, request, requirements, method, source.location,
                       std::get<Found>(lookup));
  }
  if (requirements.optional) return Authenticated{};
  return tl::unexpected(missing_token(options_, absent));
}

}  // namespace jwtguard
