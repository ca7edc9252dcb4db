// Time for delays, and the threads that wait them out, behind interfaces a
// test can drive (leveldb's Env::Schedule and Env::NowMicros, split in two).
//
// Background work (the feed follower, the purge, a reconnect backoff) reads
// a MonotonicClock and runs on a Scheduler instead of calling
// steady_clock and sleeping: a test gives it a fake, advances it, and sees
// every delay without waiting for one.
#ifndef JWTGUARD_UTIL_SCHEDULER_H_
#define JWTGUARD_UTIL_SCHEDULER_H_

#include <chrono>
#include <functional>
#include <memory>

namespace jwtguard::util {

// A point on a monotonic clock: it never steps back or jumps when the wall
// clock is set, so a delay measured on it is the delay waited.
using Instant = std::chrono::steady_clock::time_point;

class MonotonicClock {
 public:
  virtual ~MonotonicClock() = default;
  // Thread-safe in every implementation.
  virtual Instant now() const = 0;
};

// std::chrono::steady_clock. The same object for the whole process.
const MonotonicClock& steady_clock();

// Runs loops: each loop is a step that returns how long to wait before it
// runs again. Steps of different loops may run concurrently (the real
// scheduler gives each loop its own thread), so a step must be thread-safe
// with respect to the others.
class Scheduler : public MonotonicClock {
 public:
  // The delay before the step runs again; zero runs it again at once.
  using Step = std::function<std::chrono::milliseconds()>;

  // Runs `step` `first_delay` from now, then after each delay it returns,
  // until stop(). Called by the scheduler's owner, not by a step.
  virtual void repeat(std::chrono::milliseconds first_delay, Step step) = 0;

  // Stops every loop: a step under way finishes, none starts after it, and
  // a loop waiting out a delay stops at once. When stop() returns, no step
  // runs any more. Idempotent; the destructor of every implementation
  // stops too.
  virtual void stop() = 0;
};

// The real scheduler: one thread per loop, waiting on the steady clock.
std::unique_ptr<Scheduler> thread_scheduler();

}  // namespace jwtguard::util

#endif  // JWTGUARD_UTIL_SCHEDULER_H_
