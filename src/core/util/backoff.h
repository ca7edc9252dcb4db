// How long to wait before trying again after a failure, in one place for
// every retry in jwtguard: the reconnections to Redis and PostgreSQL and
// the Guard's feed follower.
#ifndef JWTGUARD_UTIL_BACKOFF_H_
#define JWTGUARD_UTIL_BACKOFF_H_

#include <chrono>
#include <mutex>
#include <string>

#include "util/scheduler.h"

namespace jwtguard::util {

// The delays between retries: `first`, then each twice the one before, up
// to `cap`; back to `first` after reset(). Not thread-safe (RetryGate
// guards its own). A `first` of zero is taken as one millisecond, so that
// the delays still grow.
class Backoff {
 public:
  using milliseconds = std::chrono::milliseconds;

  Backoff(milliseconds first, milliseconds cap);

  // The delay before the next retry; the one after it doubles.
  milliseconds next();
  // After a success: the next failure waits `first` again.
  void reset() { next_ = first_; }

 private:
  milliseconds first_;
  milliseconds cap_;
  milliseconds next_;
};

// Fails fast while a server is unreachable. After a failed attempt, no new
// attempt is made for the backoff's delay; meanwhile admit() refuses at
// once, so callers (an HTTP request) learn of an outage at once rather than
// each waiting for a timeout. Once the delay has passed, one caller at a
// time tries (a probe); its failure waits the next, longer delay, its
// success opens the gate to everyone and resets the backoff. Attempts that
// were already under way when the outage began fail without lengthening
// the delay. Thread-safe.
class RetryGate {
 public:
  // `clock` must outlive the gate.
  explicit RetryGate(Backoff backoff, const MonotonicClock& clock = steady_clock())
      : backoff_(backoff), clock_(clock) {}

  // What admit() decided, to be handed back to succeeded() or failed().
  struct Pass {
    bool go = false;         // attempt now
    bool probe = false;      // this caller is the one trying again after a failure
    std::string last_error;  // when refused: what the last attempt failed with
  };

  Pass admit();
  void succeeded(const Pass& pass);
  // `error` is what later refusals report as last_error.
  void failed(const Pass& pass, std::string error);

 private:
  Backoff backoff_;
  const MonotonicClock& clock_;
  std::mutex mu_;
  bool down_ = false;     // the last attempt failed
  bool probing_ = false;  // an attempt is under way while down_
  Instant retry_at_{};
  std::string last_error_;
};

}  // namespace jwtguard::util

#endif  // JWTGUARD_UTIL_BACKOFF_H_
