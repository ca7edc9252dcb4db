// The Guard's background threads (the feed follower and the purge), and the
// one stop signal they share: a thread sleeps on it, so stopping wakes every
// sleeper at once instead of waiting out its interval.
#ifndef JWTGUARD_REVOCATION_BACKGROUND_H_
#define JWTGUARD_REVOCATION_BACKGROUND_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace jwtguard::revocation {

class Background {
 public:
  Background() = default;
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;
  // Stops and joins every thread.
  ~Background() { stop(); }

  // Runs `loop` on a new thread; `loop` should return soon after stopping()
  // turns true (or wait_for() returns true).
  void run(std::function<void()> loop);
  // Signals every loop to stop and joins their threads. Idempotent.
  void stop();

  bool stopping();
  // Sleeps up to `d`; true (at once) when stopping.
  bool wait_for(std::chrono::milliseconds d);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace jwtguard::revocation

#endif  // JWTGUARD_REVOCATION_BACKGROUND_H_
