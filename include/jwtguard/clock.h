// Time in jwtguard.
//
// Verification and issuing take the current time as a value, so tests pin it
// exactly. Code that needs "now" over and over (a long-lived service) takes a
// Clock& instead; SystemClock is the only place that reads the wall clock.
#ifndef JWTGUARD_CLOCK_H_
#define JWTGUARD_CLOCK_H_

#include <chrono>
#include <cstdint>

namespace jwtguard {

// A point in Unix time with microsecond resolution. JWT NumericDate values
// (which may carry a fraction) are converted to this.
using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;

inline Timestamp from_unix_seconds(std::int64_t seconds) {
  return Timestamp(std::chrono::seconds(seconds));
}

// Whole seconds since the epoch, rounded down.
inline std::int64_t to_unix_seconds(Timestamp t) {
  return std::chrono::floor<std::chrono::seconds>(t).time_since_epoch().count();
}

class Clock {
 public:
  virtual ~Clock() = default;
  // Thread-safe in every implementation jwtguard ships.
  virtual Timestamp now() const = 0;
};

class SystemClock final : public Clock {
 public:
  Timestamp now() const override {
    return std::chrono::time_point_cast<std::chrono::microseconds>(
        std::chrono::system_clock::now());
  }
};

}  // namespace jwtguard

#endif  // JWTGUARD_CLOCK_H_
