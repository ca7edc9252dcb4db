// The routes of docs/service.md, described once in a table: method, path
// template, name, thread and handler. Routing (404, and 405 with its Allow
// header), the metrics' and the access log's route labels, and the thread a
// request runs on are all read from the table.
#ifndef JWTGUARD_SERVER_ROUTES_H_
#define JWTGUARD_SERVER_ROUTES_H_

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "http.h"

namespace jwtguard::server {

// A route's identity, for the metrics' per-route counters and for tests;
// what each one is lives in the table (routes.cc).
enum class Route : unsigned char {
  kRegister,
  kLogin,
  kRefresh,
  kLogout,
  kLogoutAll,
  kSessions,
  kSessionDelete,
  kPassword,
  kFreshLogin,
  kAccountDelete,
  kMe,
  kVerify,
  kOauthRevoke,
  kOauthIntrospect,
  kBackchannelLogout,
  kJwks,
  kStatusList,
  kAdminRevocationsList,
  kAdminRevocationsCreate,
  kAdminRevocationsDelete,
  kAdminTokens,
  kAdminUsersList,
  kAdminUserDisable,
  kAdminUserEnable,
  kAdminUserDelete,
  kAdminUserPassword,
  kAdminAudit,
  kHealthz,
  kReadyz,
  kMetrics,
  kUnmatched,  // anything else (404 or 405), or a request that could not be parsed
};
inline constexpr std::size_t kRouteCount = static_cast<std::size_t>(Route::kUnmatched) + 1;

// Where a route's requests are handled (Service::work()).
enum class RouteThread : unsigned char {
  kIo,              // answered from memory alone
  kIoUnlessStrict,  // a token check: it asks the store in strict mode (check = "store")
  kStoreWorker,     // reads or writes the store
  kHashWorker,      // hashes a password (Argon2id: ~0.1 s, 64 MiB)
};

class ServiceImpl;
struct RouteCall;
// Answers one request of the route; RouteCall (service_impl.h) carries the
// request, its path parameter, the peer and the outcome to fill.
using RouteHandler = Response (*)(const ServiceImpl& service, RouteCall& call);

struct RouteSpec {
  Route route;
  http::verb method;  // GET routes answer HEAD too
  // The path; a segment "{name}" (at most one per path) takes one
  // non-empty segment (percent-decoded) as the route's parameter.
  std::string_view path;
  // The label of the metrics and the access log. Dashboards key on it: it
  // stays when the path changes.
  std::string_view name;
  RouteThread thread;
  // kHashWorker: how many requests of this route may wait for a hash per
  // hashing thread before more are answered 503 "overloaded".
  unsigned queued_hashes_per_worker;
  RouteHandler handler;
};

// Every route, in the order of the Route enum (kUnmatched has no row).
std::span<const RouteSpec> route_table();

// The row of `route`; nullptr for kUnmatched (or a value outside the enum).
const RouteSpec* route_spec(Route route);

// The route's name, e.g. "DELETE /auth/sessions/{sid}"; "unmatched" for
// kUnmatched. Used as a metrics label and in the access log.
std::string_view route_name(Route route);

// The route of a request, and its path parameter.
struct RouteMatch {
  Route route = Route::kUnmatched;
  std::string param;
  bool method_mismatch = false;  // the path exists, with other methods
  std::string allow;             // those methods, for 405's Allow header
};

// The row whose method and path `method` and `path` (no query) match; HEAD
// matches GET rows. No match: kUnmatched, with method_mismatch and allow
// ("GET, HEAD, POST": the rows' methods in Beast's verb order, HEAD beside
// GET) when rows of other methods have this path.
RouteMatch match_route(http::verb method, std::string_view path);

}  // namespace jwtguard::server

#endif  // JWTGUARD_SERVER_ROUTES_H_
