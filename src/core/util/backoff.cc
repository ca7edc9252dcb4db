#include "util/backoff.h"

#include <algorithm>
#include <utility>

namespace jwtguard::util {

Backoff::Backoff(milliseconds first, milliseconds cap)
    : first_(std::max(first, milliseconds(1))), cap_(std::max(cap, first_)), next_(first_) {}

Backoff::milliseconds Backoff::next() {
  const milliseconds delay = next_;
  next_ = std::min(next_ * 2, cap_);
  return delay;
}

RetryGate::Pass RetryGate::admit() {
  std::lock_guard lock(mu_);
  if (!down_) return Pass{.go = true, .probe = false, .last_error = {}};
  if (probing_ || clock_.now() < retry_at_) {
    return Pass{.go = false, .probe = false, .last_error = last_error_};
  }
  probing_ = true;
  return Pass{.go = true, .probe = true, .last_error = {}};
}

void RetryGate::succeeded(const Pass& pass) {
  std::lock_guard lock(mu_);
  if (pass.probe) probing_ = false;
  down_ = false;
  backoff_.reset();
}

void RetryGate::failed(const Pass& pass, std::string error) {
  std::lock_guard lock(mu_);
  if (pass.probe) probing_ = false;
  // A failed probe, or the first failure after a healthy spell, arms the
  // next delay; an attempt that began before the outage was known adds
  // nothing the first failure did not say.
  if (pass.probe || !down_) retry_at_ = clock_.now() + backoff_.next();
  down_ = true;
  last_error_ = std::move(error);
}

}  // namespace jwtguard::util
