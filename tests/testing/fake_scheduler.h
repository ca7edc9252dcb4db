// A Scheduler that a test drives: its clock moves only when the test says,
// and the steps of its loops run on the test's thread.
#ifndef JWTGUARD_TESTS_TESTING_FAKE_SCHEDULER_H_
#define JWTGUARD_TESTS_TESTING_FAKE_SCHEDULER_H_

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <utility>
#include <vector>

#include "util/scheduler.h"

namespace jwtguard::testing {

class FakeScheduler final : public util::Scheduler {
 public:
  using milliseconds = std::chrono::milliseconds;

  util::Instant now() const override { return now_; }

  void repeat(milliseconds first_delay, Step step) override {
    if (!stopped_) loops_.push_back(Loop{now_ + first_delay, std::move(step)});
  }

  void stop() override {
    stopped_ = true;
    loops_.clear();
  }

  // Moves the clock to the earliest due step (the loop started first, on a
  // tie) and runs it. False, and nothing runs, when no loop is left.
  bool run_next() {
    if (loops_.empty()) return false;
    auto next = std::min_element(loops_.begin(), loops_.end(),
                                 [](const Loop& a, const Loop& b) { return a.due < b.due; });
    now_ = std::max(now_, next->due);
    const milliseconds delay = next->step();
    next->due = now_ + delay;
    return true;
  }

  // Runs, in order, every step due up to `d` from now (at most `limit`: a
  // loop that never waits would keep it going), then moves the clock to
  // that time. Returns how many steps ran.
  std::size_t advance(milliseconds d, std::size_t limit = 10'000) {
    const util::Instant until = now_ + d;
    std::size_t ran = 0;
    while (ran < limit && !loops_.empty() && earliest_due() <= until) {
      run_next();
      ++ran;
    }
    now_ = until;
    return ran;
  }

  // Time since the scheduler was made, for readable expectations.
  milliseconds elapsed() const {
    return std::chrono::duration_cast<milliseconds>(now_ - util::Instant{});
  }

 private:
  struct Loop {
    util::Instant due;
    Step step;
  };

  util::Instant earliest_due() const {
    return std::min_element(loops_.begin(), loops_.end(),
                            [](const Loop& a, const Loop& b) { return a.due < b.due; })
        ->due;
  }

  util::Instant now_{};
  bool stopped_ = false;
  std::vector<Loop> loops_;
};

}  // namespace jwtguard::testing

#endif  // JWTGUARD_TESTS_TESTING_FAKE_SCHEDULER_H_
