#include "util/scheduler.h"

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace jwtguard::util {
namespace {

class SteadyClock final : public MonotonicClock {
 public:
  Instant now() const override { return std::chrono::steady_clock::now(); }
};

// Every loop sleeps on one condition variable, so stop() wakes every
// sleeper at once instead of waiting out its delay.
class ThreadScheduler final : public Scheduler {
 public:
  ThreadScheduler() = default;
  ThreadScheduler(const ThreadScheduler&) = delete;
  ThreadScheduler& operator=(const ThreadScheduler&) = delete;
  ~ThreadScheduler() override { stop(); }

  Instant now() const override { return std::chrono::steady_clock::now(); }

  void repeat(std::chrono::milliseconds first_delay, Step step) override {
    threads_.emplace_back([this, first_delay, step = std::move(step)] {
      std::chrono::milliseconds delay = first_delay;
      while (!wait_for(delay)) delay = step();
    });
  }

  void stop() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (std::thread& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
  }

 private:
  // Sleeps up to `d`; true (at once) when stopping.
  bool wait_for(std::chrono::milliseconds d) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, d, [&] { return stopping_; });
  }

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace

const MonotonicClock& steady_clock() {
  static const SteadyClock clock;
  return clock;
}

std::unique_ptr<Scheduler> thread_scheduler() { return std::make_unique<ThreadScheduler>(); }

}  // namespace jwtguard::util
