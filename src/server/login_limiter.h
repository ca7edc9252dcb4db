// Rate limits on the attempts that cost a password hash: logins and
// registrations (docs/service.md, "Users and logins").
//
// An attempt is taken (counted) before its hash is computed, under one lock
// for all the limits it is checked against, so parallel attempts cannot all
// pass one check: at most the limit are ever hashed. An attempt the limits
// refuse is not counted, and costs no hash.
//
// Logins are limited three ways, so that an attacker elsewhere cannot lock
// a user out:
//  * per (user, client address), tightly: after `max_failures` failures the
//    pair is refused until the window that began with its first failure
//    ends. This stops a guesser at one address and touches nobody else.
//  * per user across addresses, loosely, with backoff: after
//    `max_failures_per_user` failures each further attempt for the user must
//    wait 1 s after the last one, then 2 s, 4 s, ... up to `window`. A
//    distributed guesser is slowed to about one guess per window; the real
//    user, elsewhere, waits seconds rather than being locked out. The count
//    is forgotten once `window` passes without a failure.
//  * per client address across users, with the same backoff after
//    `max_failures_per_address` failures: an address trying many users is
//    slowed, while the users behind a shared address (an office's NAT) are
//    slowed by each other's failures rather than locked out.
// A success forgives its pair and gives back the attempt it took from the
// user and the address; it does not clear their counts, or one success
// would reset a distributed guesser's backoff. A success also makes the pair
// known for `known_for`: a known pair skips the user's and the address's
// backoffs (its own lockout still applies), so a user under attack from
// elsewhere still logs in at once from an address where they logged in
// before. A guesser cannot make a pair known without the password.
//
// Registrations are limited per client address and in total, each to
// `max_*` within a window that begins with its first registration.
//
// Keys (a user name, an address) are compared as given; an empty key is not
// limited (the other limits still apply). A limit of zero turns that limit
// off. Thread-safe. Memory is bounded by `capacity` keys per limit (and as
// many known pairs): when full, the keys whose windows ended are dropped
// first, then keys under their limit, then keys making nobody wait now (a
// backoff between waits), each oldest first, and keys that block only when
// nothing else is left.
#ifndef JWTGUARD_SERVER_LOGIN_LIMITER_H_
#define JWTGUARD_SERVER_LOGIN_LIMITER_H_

#include <chrono>
#include <cstddef>
#include <memory>
#include <string_view>

#include "jwtguard/clock.h"

namespace jwtguard::server {

struct LoginLimits {
  unsigned max_failures = 5;               // per (user, address), then refused
  unsigned max_failures_per_user = 20;     // per user across addresses, then backoff
  unsigned max_failures_per_address = 20;  // per address across users, then backoff
  std::chrono::seconds window{15 * 60};
  std::chrono::seconds known_for{30 * 24 * 3600};  // a successful pair skips the backoffs
  std::size_t capacity = 100'000;                  // keys remembered per limit
};

class LoginLimiter {
 public:
  explicit LoginLimiter(LoginLimits limits);
  ~LoginLimiter();
  LoginLimiter(const LoginLimiter&) = delete;
  LoginLimiter& operator=(const LoginLimiter&) = delete;

  // Takes an attempt for `user` from `address`, counted as a failure until
  // succeeded() or released() says otherwise. Zero when taken: the password
  // may be checked. Otherwise nothing is counted, and the result is how long
  // until an attempt may be taken (at least 1 s: it is a Retry-After value).
  std::chrono::seconds try_acquire(std::string_view user, std::string_view address, Timestamp now);
  // The attempt taken had the right password: the pair's failures are
  // forgiven, the attempt is given back to the user and the address, and the
  // pair is known from `now`.
  void succeeded(std::string_view user, std::string_view address, Timestamp now);
  // The attempt taken checked no password (e.g. the store failed): it is
  // given back everywhere.
  void released(std::string_view user, std::string_view address);
  // A reload: the maxima and the window of `limits` apply from now on to
  // the attempts already counted, which stay (a reload must not give a
  // guesser a fresh round). known_for and capacity stay as constructed.
  void set_limits(const LoginLimits& limits);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

struct RegistrationLimits {
  unsigned max_per_address = 10;
  unsigned max_total = 1000;
  std::chrono::seconds window{60 * 60};
  std::size_t capacity = 100'000;  // addresses remembered
};

class RegistrationLimiter {
 public:
  explicit RegistrationLimiter(RegistrationLimits limits);
  ~RegistrationLimiter();
  RegistrationLimiter(const RegistrationLimiter&) = delete;
  RegistrationLimiter& operator=(const RegistrationLimiter&) = delete;

  // Takes a registration from `address` (counted whatever its outcome: the
  // hash is the cost). Zero when taken; otherwise nothing is counted, and the
  // result is how long until one may be taken (at least 1 s).
  std::chrono::seconds try_acquire(std::string_view address, Timestamp now);
  // A reload, as LoginLimiter::set_limits: the counts stay.
  void set_limits(const RegistrationLimits& limits);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace jwtguard::server

#endif  // JWTGUARD_SERVER_LOGIN_LIMITER_H_
