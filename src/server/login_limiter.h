// Rate limit on failed logins (docs/service.md: per user and per client address).
//
// Each key (a user name, or a client address) has a fixed window: once it
// has `max_failures` failures inside `window`, attempts are refused until
// the window that started with its first failure ends. A success clears the
// user's count, not the address's (one address may try many users).
// Thread-safe. Memory is bounded by `capacity` keys per kind: when full, the
// keys whose windows ended are dropped first, then unblocked keys (oldest
// first), and blocked keys only when nothing else is left.
#ifndef JWTGUARD_SERVER_LOGIN_LIMITER_H_
#define JWTGUARD_SERVER_LOGIN_LIMITER_H_

#include <chrono>
#include <cstddef>
#include <memory>
#include <string_view>

#include "jwtguard/clock.h"

namespace jwtguard::server {

struct LoginLimits {
  unsigned max_failures_per_user = 5;
  unsigned max_failures_per_address = 20;
  std::chrono::seconds window{15 * 60};
  std::size_t capacity = 100'000;  // keys remembered per kind
};

class LoginLimiter {
 public:
  explicit LoginLimiter(LoginLimits limits);
  ~LoginLimiter();
  LoginLimiter(const LoginLimiter&) = delete;
  LoginLimiter& operator=(const LoginLimiter&) = delete;

  // Zero when an attempt for `user` from `address` may go ahead now;
  // otherwise how long until it may (at least 1 s: it is a Retry-After value).
  std::chrono::seconds retry_after(std::string_view user, std::string_view address,
                                   Timestamp now) const;
  void record_failure(std::string_view user, std::string_view address, Timestamp now);
  void record_success(std::string_view user, Timestamp now);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace jwtguard::server

#endif  // JWTGUARD_SERVER_LOGIN_LIMITER_H_
