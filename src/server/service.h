// The HTTP service (docs/service.md) as plain request -> response functions.
//
// The Service knows nothing of sockets: the I/O layer (listener.h) hands it
// a parsed Request and the client's address and writes back what it
// returns, so every endpoint is testable without a network. handle() is
// thread-safe. Requests whose work() is not kInline may block (password
// hashing, durable store writes) and belong on a worker thread.
#ifndef JWTGUARD_SERVER_SERVICE_H_
#define JWTGUARD_SERVER_SERVICE_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "error_responses.h"
#include "http.h"
#include "issuers.h"
#include "jwtguard/clock.h"
#include "jwtguard/guard.h"
#include "jwtguard/http.h"
#include "jwtguard/password.h"
#include "jwtguard/store.h"
#include "login_limiter.h"
#include "metrics.h"
#include "routes.h"

namespace jwtguard::server {

struct ServiceOptions {
  std::size_t token_limit = 8 * 1024;
  std::size_t min_password_length = kDefaultMinPasswordLength;
  bool registration = true;
  LoginLimits login_limits;
  RegistrationLimits registration_limits;
  PasswordCost password_cost = PasswordCost::kInteractive;
  std::chrono::seconds access_ttl{15 * 60};
  std::string jwks_json = R"({"keys":[]})";  // GET /.well-known/jwks.json
  std::map<std::string, ErrorOverride> errors;
  // Behind a reverse proxy: take the client's address from the last entry of
  // X-Forwarded-For (the one the proxy added) for the rate limits, the
  // sessions list and the access log. Only when every request comes through
  // a proxy that sets it: otherwise clients can pick their own address.
  bool trust_forwarded_for = false;
  // Where tokens are looked for, cookies and CSRF (jwtguard/http.h).
  HttpOptions http;
  // Origins whose pages may call with credentials (CORS); none: no CORS
  // headers are sent at all.
  std::vector<std::string> cors_origins;
  std::chrono::seconds cors_max_age{600};
  // Trusted identity servers (issuers.h): their key sets for /readyz and
  // /metrics, and the logout tokens of POST /oidc/backchannel-logout. The
  // Guard checks their access tokens (GuardOptions::trusted_issuers).
  Issuers issuers;
  // Where the service logs an event (a back-channel logout's outcome);
  // `warn` picks the level. Null: nowhere.
  std::function<void(bool warn, std::string_view event,
                     const std::vector<std::pair<std::string, std::string>>& fields)>
      log;
  // GET /statuslists/<id>'s Cache-Control max-age: the lists' own ttl.
  std::chrono::seconds status_list_ttl{300};
  // With status lists on, their base_url (StatusListOptions): POST
  // /admin/tokens sizes the tokens it mints with the "status" claim the
  // Guard will add. Empty: status lists are off.
  std::string status_list_base_url{};
};

// Who sent a request, as the I/O layer saw it.
struct Peer {
  std::string address;
};

// What the access log and the metrics need to know about an answered request.
struct Outcome {
  Route route = Route::kUnmatched;
  std::string subject;  // the authenticated "sub", or the user name of a login
  // The client's address when it differs from the peer's (taken from
  // X-Forwarded-For behind a trusted proxy); empty otherwise.
  std::string client;
  // Set-Cookie values to add to the response (login, refresh, logout,
  // implicit refresh).
  std::vector<std::string> set_cookies;
  // The request's token came from a cookie: new tokens go back in cookies
  // too, never in the body (page script could read them there).
  bool by_cookie = false;
};

class ServiceImpl;

// A response, and what the access log and the metrics need to know of it.
struct Handled {
  Response response;
  Outcome outcome;
};

class Service {
 public:
  // What the service works with; each must outlive the Service. `store` is
  // where the routes create and find users, read sessions and list
  // revocations, and what /readyz pings: the store the Guard was opened
  // over. Revocations go through the Guard, never to the store directly.
  struct Parts {
    Guard& guard;
    Store& store;
    Metrics& metrics;
    const Clock& clock;
  };
  // kInvalidArgument for a bad error override; kCrypto when the
  // timing-equaliser hash fails.
  static Result<std::unique_ptr<Service>> create(const Parts& parts, ServiceOptions options);
  // The checks create() and reconfigure() make of `options` (error
  // overrides, HTTP options), with their errors; changes nothing. A reload
  // runs them before it touches the Guard, so that a Service refusal never
  // leaves the Guard changed, even for a moment.
  static Result<void> check(Guard& guard, const ServiceOptions& options);
  ~Service();

  // A reload: `options` answer the requests that start after it returns;
  // those under way finish with the options they started with. The login
  // and registration counts stay (only their limits change). Not changed
  // (restart-only): password_cost, issuers, log, status_list_ttl and
  // status_list_base_url, which stay as create() had them. On error
  // (create()'s kInvalidArgument for a bad error override or HTTP option)
  // nothing changes. Thread-safe; concurrent calls are serialised.
  Result<void> reconfigure(ServiceOptions options);

  // The request's route (routes.h); handle() with it answers the request.
  // The I/O layer routes once and uses the match for work() and handle().
  RouteMatch route(const Request& request) const;
  Handled handle(const Request& request, const RouteMatch& match, const Peer& peer) const;
  // route(), then handle().
  Handled handle(const Request& request, const Peer& peer) const;

  // Where a request should be handled (the route's RouteThread): on the I/O
  // thread when it is answered from memory alone (token checks unless
  // strict, health, metrics, keys); on a worker when it reads or writes the
  // store; on a hashing worker when it hashes a password (register, login),
  // so that a flood of those cannot delay logouts and revocations.
  enum class Work { kInline, kStore, kPasswordHash };
  Work work(Route route) const;

  // The current error responses; the copy held stays valid across a reload.
  std::shared_ptr<const ErrorResponses> errors() const;
  Metrics& metrics() const;

 private:
  explicit Service(std::shared_ptr<const ServiceImpl> impl);
  // Swapped whole by reconfigure(); each request loads it once.
  std::atomic<std::shared_ptr<const ServiceImpl>> impl_;
  std::mutex reload_mu_;
};

}  // namespace jwtguard::server

#endif  // JWTGUARD_SERVER_SERVICE_H_
