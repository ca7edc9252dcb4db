// Counters for GET /metrics, in the Prometheus text exposition format.
//
// Every record_* call is thread-safe and lock-free (relaxed atomics): they
// sit on the request path of every I/O thread.
#ifndef JWTGUARD_SERVER_METRICS_H_
#define JWTGUARD_SERVER_METRICS_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "jwtguard/guard.h"
#include "jwtguard/revocation.h"
#include "routes.h"

namespace jwtguard::server {

// What a token check concluded, for jwtguard_token_checks_total{outcome=...}.
enum class CheckOutcome : unsigned char {
  kValid,
  kMissing,    // no token, another scheme, or a bad Authorization header
  kInvalid,    // malformed, bad signature, wrong algorithm, bad claims, too large
  kExpired,    // exp (or nbf/iat) rules
  kRevoked,    // jti, session, user cutoff or callback
  kWrongType,  // access where refresh was needed or the reverse
  kNotFresh,
};
inline constexpr std::size_t kCheckOutcomeCount = 7;

// What a POST /oidc/backchannel-logout concluded, for
// jwtguard_backchannel_logouts_total{outcome=...}.
enum class LogoutOutcome : unsigned char {
  kRevoked,     // 200: the session or subject is revoked
  kInvalid,     // 400: the form or the logout token failed validation
  kReplayed,    // 400: its jti was seen before
  kStoreError,  // 503: the store could not make it durable
};
inline constexpr std::size_t kLogoutOutcomeCount = 4;

class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // One answered request: counted by route and status, and its latency
  // (from the first byte read to the response handed to the socket) goes in
  // the route's histogram.
  void record_request(Route route, int status, std::chrono::nanoseconds latency);
  void record_check(CheckOutcome outcome);
  // A revocation this instance made durable (logout, admin, OAuth revoke,
  // reuse detection).
  void record_revocation(RevocationKind kind);
  // A store operation that failed (the request got 503).
  void record_store_error();
  // Logins: succeeded, failed (bad credentials), refused by the rate limit.
  void record_login(bool succeeded);
  void record_login_rate_limited();
  void record_backchannel_logout(LogoutOutcome outcome);
  // The configuration was loaded at start, at `unix_seconds`.
  void record_config_loaded(std::int64_t unix_seconds);
  // A reload (SIGHUP): applied (wholly or but for restart-only settings)
  // or refused; an applied one at `unix_seconds` sets the last success.
  void record_reload(bool applied, std::int64_t unix_seconds);

  // The exposition text (version 0.0.4), including the Guard's index
  // gauges from `stats`.
  std::string render(const GuardStats& stats) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace jwtguard::server

#endif  // JWTGUARD_SERVER_METRICS_H_
