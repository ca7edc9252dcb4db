#include "routes.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "service_impl.h"

namespace jwtguard::server {
namespace {

using http::verb;
using T = RouteThread;

// docs/service.md's routes. A new route is one row here, and one Route.
constexpr RouteSpec kRoutes[] = {
    {Route::kRegister, verb::post, "/auth/register", "POST /auth/register", T::kHashWorker, 8,
     [](const ServiceImpl& s, RouteCall& c) {
       return s.register_user(c.request, c.peer, c.outcome);
     }},
    // Logins get four times the registrations' room: a legitimate client
    // registers once and logs in often.
    {Route::kLogin, verb::post, "/auth/login", "POST /auth/login", T::kHashWorker, 32,
     [](const ServiceImpl& s, RouteCall& c) { return s.login(c.request, c.peer, c.outcome); }},
    {Route::kRefresh, verb::post, "/auth/refresh", "POST /auth/refresh", T::kStoreWorker, 0,
     [](const ServiceImpl& s, RouteCall& c) { return s.refresh(c.request, c.outcome); }},
    {Route::kLogout, verb::delete_, "/auth/logout", "DELETE /auth/logout", T::kStoreWorker, 0,
     [](const ServiceImpl& s, RouteCall& c) { return s.logout(c.request, c.outcome); }},
    {Route::kLogoutAll, verb::post, "/auth/logout-all", "POST /auth/logout-all", T::kStoreWorker, 0,
     [](const ServiceImpl& s, RouteCall& c) { return s.logout_all(c.request, c.outcome); }},
    {Route::kSessions, verb::get, "/auth/sessions", "GET /auth/sessions", T::kStoreWorker, 0,
     [](const ServiceImpl& s, RouteCall& c) { return s.sessions(c.request, c.outcome); }},
    {Route::kSessionDelete, verb::delete_, "/auth/sessions/{sid}", "DELETE /auth/sessions/{sid}",
     T::kStoreWorker, 0,
     [](const ServiceImpl& s, RouteCall& c) {
       return s.delete_session(c.request, c.param, c.outcome);
     }},
    // A user's own account: each checks the password (Argon2id), so each is
    // rate-limited like a login and queued like one.
    {Route::kPassword, verb::post, "/auth/password", "POST /auth/password", T::kHashWorker, 32,
     [](const ServiceImpl& s, RouteCall& c) {
       return s.change_password(c.request, c.peer, c.outcome);
     }},
    {Route::kFreshLogin, verb::post, "/auth/fresh-login", "POST /auth/fresh-login", T::kHashWorker,
     32,
     [](const ServiceImpl& s, RouteCall& c) {
       return s.fresh_login(c.request, c.peer, c.outcome);
     }},
    {Route::kAccountDelete, verb::delete_, "/auth/account", "DELETE /auth/account", T::kHashWorker,
     8,
     [](const ServiceImpl& s, RouteCall& c) {
       return s.delete_account(c.request, c.peer, c.outcome);
     }},
    {Route::kMe, verb::get, "/auth/me", "GET /auth/me", T::kIoUnlessStrict, 0,
     [](const ServiceImpl& s, RouteCall& c) { return s.me(c.request, c.outcome); }},
    {Route::kVerify, verb::get, "/auth/verify", "GET /auth/verify", T::kIoUnlessStrict, 0,
     [](const ServiceImpl& s, RouteCall& c) { return s.verify(c.request, c.outcome); }},
    {Route::kOauthRevoke, verb::post, "/oauth/revoke", "POST /oauth/revoke", T::kStoreWorker, 0,
     [](const ServiceImpl& s, RouteCall& c) { return s.oauth_revoke(c.request, c.outcome); }},
    {Route::kOauthIntrospect, verb::post, "/oauth/introspect", "POST /oauth/introspect",
     T::kStoreWorker, 0,
     [](const ServiceImpl& s, RouteCall& c) { return s.oauth_introspect(c.request, c.outcome); }},
    // An identity server's logout: revoked durably before the answer.
    {Route::kBackchannelLogout, verb::post, "/oidc/backchannel-logout",
     "POST /oidc/backchannel-logout", T::kStoreWorker, 0,
     [](const ServiceImpl& s, RouteCall& c) { return s.backchannel_logout(c.request, c.outcome); }},
    {Route::kJwks, verb::get, "/.well-known/jwks.json", "GET /.well-known/jwks.json", T::kIo, 0,
     [](const ServiceImpl& s, RouteCall& c) { return s.jwks(c.request); }},
    // Anonymous, as verifiers fetch it; a worker's, since a list out of
    // date is rebuilt from the store.
    {Route::kStatusList, verb::get, "/statuslists/{id}", "GET /statuslists/{id}", T::kStoreWorker,
     0, [](const ServiceImpl& s, RouteCall& c) { return s.status_list(c.request, c.param); }},
    {Route::kAdminRevocationsList, verb::get, "/admin/revocations", "GET /admin/revocations",
     T::kStoreWorker, 0,
     [](const ServiceImpl& s, RouteCall& c) { return s.list_revocations(c.request, c.outcome); }},
    {Route::kAdminRevocationsCreate, verb::post, "/admin/revocations", "POST /admin/revocations",
     T::kStoreWorker, 0,
     [](const ServiceImpl& s, RouteCall& c) { return s.create_revocation(c.request, c.outcome); }},
    {Route::kAdminRevocationsDelete, verb::delete_, "/admin/revocations/{jti}",
     "DELETE /admin/revocations/{jti}", T::kStoreWorker, 0,
     [](const ServiceImpl& s, RouteCall& c) {
       return s.delete_revocation(c.request, c.param, c.outcome);
     }},
    {Route::kAdminTokens, verb::post, "/admin/tokens", "POST /admin/tokens", T::kStoreWorker, 0,
     [](const ServiceImpl& s, RouteCall& c) {
       return s.mint_tokens(c.request, c.peer, c.outcome);
     }},
    {Route::kAdminUsersList, verb::get, "/admin/users", "GET /admin/users", T::kStoreWorker, 0,
     [](const ServiceImpl& s, RouteCall& c) { return s.list_users(c.request, c.outcome); }},
    {Route::kAdminUserDisable, verb::post, "/admin/users/{name}/disable",
     "POST /admin/users/{name}/disable", T::kStoreWorker, 0,
     [](const ServiceImpl& s, RouteCall& c) {
       return s.set_user_disabled(c.request, c.param, true, c.outcome);
     }},
    {Route::kAdminUserEnable, verb::post, "/admin/users/{name}/enable",
     "POST /admin/users/{name}/enable", T::kStoreWorker, 0,
     [](const ServiceImpl& s, RouteCall& c) {
       return s.set_user_disabled(c.request, c.param, false, c.outcome);
     }},
    {Route::kAdminUserDelete, verb::delete_, "/admin/users/{name}", "DELETE /admin/users/{name}",
     T::kStoreWorker, 0,
     [](const ServiceImpl& s, RouteCall& c) {
       return s.delete_user(c.request, c.param, c.outcome);
     }},
    {Route::kAdminUserPassword, verb::post, "/admin/users/{name}/password",
     "POST /admin/users/{name}/password", T::kHashWorker, 8,
     [](const ServiceImpl& s, RouteCall& c) {
       return s.reset_password(c.request, c.param, c.outcome);
     }},
    {Route::kAdminAudit, verb::get, "/admin/audit", "GET /admin/audit", T::kStoreWorker, 0,
     [](const ServiceImpl& s, RouteCall& c) { return s.list_audit(c.request, c.outcome); }},
    {Route::kHealthz, verb::get, "/healthz", "GET /healthz", T::kIo, 0,
     [](const ServiceImpl& s, RouteCall& c) { return s.healthz(c.request); }},
    {Route::kReadyz, verb::get, "/readyz", "GET /readyz", T::kStoreWorker, 0,
     [](const ServiceImpl& s, RouteCall& c) { return s.readyz(c.request); }},
    {Route::kMetrics, verb::get, "/metrics", "GET /metrics", T::kIo, 0,
     [](const ServiceImpl& s, RouteCall& c) { return s.metrics_text(c.request); }},
};

constexpr bool in_enum_order() {
  for (std::size_t i = 0; i < std::size(kRoutes); ++i) {
    if (kRoutes[i].route != static_cast<Route>(i)) return false;
  }
  return std::size(kRoutes) + 1 == kRouteCount;  // kUnmatched has no row
}
static_assert(in_enum_order(), "kRoutes has one row per Route but kUnmatched, in its order");

// The parameter `path` gives a row's template, or nullopt when the template
// does not match. Empty for a template without a parameter.
std::optional<std::string> match_template(std::string_view pattern, std::string_view path) {
  auto open = pattern.find("/{");
  if (open == std::string_view::npos) {
    return pattern == path ? std::optional<std::string>(std::string()) : std::nullopt;
  }
  std::string_view prefix = pattern.substr(0, open + 1);
  std::string_view suffix = pattern.substr(pattern.find('}', open) + 1);
  if (path.size() < prefix.size() + suffix.size() || !path.starts_with(prefix) ||
      !path.ends_with(suffix)) {
    return std::nullopt;
  }
  std::string_view segment =
      path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
  if (segment.empty() || segment.find('/') != std::string_view::npos) return std::nullopt;
  auto decoded = percent_decode(segment, /*plus_is_space=*/false);
  if (!decoded || decoded->empty()) return std::nullopt;
  return decoded;
}

// 405's Allow: the methods of `methods`, in verb order, with HEAD beside GET.
std::string allow_header(std::vector<verb> methods) {
  if (std::find(methods.begin(), methods.end(), verb::get) != methods.end()) {
    methods.push_back(verb::head);
  }
  std::sort(methods.begin(), methods.end());
  methods.erase(std::unique(methods.begin(), methods.end()), methods.end());
  std::string allow;
  for (verb method : methods) {
    if (!allow.empty()) allow += ", ";
    allow += http::to_string(method);
  }
  return allow;
}

}  // namespace

std::span<const RouteSpec> route_table() { return kRoutes; }

const RouteSpec* route_spec(Route route) {
  auto index = static_cast<std::size_t>(route);
  return index < std::size(kRoutes) ? &kRoutes[index] : nullptr;
}

std::string_view route_name(Route route) {
  const RouteSpec* spec = route_spec(route);
  return spec != nullptr ? spec->name : "unmatched";
}

namespace {

// Envoy's ext_authz filter in HTTP mode asks with the client's own method,
// at path_prefix + the client's path (docs/issuers.md): /auth/verify
// answers every method a client request can have, under its path and any
// path below it. It changes nothing, so no method is unsafe to answer; the
// CSRF rule applies to the method asked about (ServiceImpl::original_method).
constexpr verb kGatewayMethods[] = {verb::get, verb::post, verb::put, verb::patch, verb::delete_};

bool gateway_check_path(std::string_view path) {
  constexpr std::string_view kVerify = "/auth/verify";
  return path.starts_with(kVerify) &&
         (path.size() == kVerify.size() || path[kVerify.size()] == '/');
}

}  // namespace

RouteMatch match_route(verb method, std::string_view path) {
  // HEAD is answered like GET minus the body (RFC 9110 §9.3.2).
  if (method == verb::head) method = verb::get;
  RouteMatch match;
  if (gateway_check_path(path)) {
    if (std::find(std::begin(kGatewayMethods), std::end(kGatewayMethods), method) !=
        std::end(kGatewayMethods)) {
      match.route = Route::kVerify;
    } else {
      match.method_mismatch = true;
      match.allow = allow_header({std::begin(kGatewayMethods), std::end(kGatewayMethods)});
    }
    return match;
  }
  std::vector<verb> other_methods;
  for (const RouteSpec& spec : kRoutes) {
    auto param = match_template(spec.path, path);
    if (!param) continue;
    if (spec.method != method) {
      other_methods.push_back(spec.method);
      continue;
    }
    match.route = spec.route;
    match.param = std::move(*param);
    return match;
  }
  if (!other_methods.empty()) {
    match.method_mismatch = true;
    match.allow = allow_header(std::move(other_methods));
  }
  return match;
}

}  // namespace jwtguard::server
