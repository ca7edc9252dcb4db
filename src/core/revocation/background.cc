#include "revocation/background.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "util/backoff.h"

namespace jwtguard::revocation {

void follow_in_background(util::Scheduler& scheduler, Follower& follower,
                          std::chrono::milliseconds feed_wait, std::atomic<std::uint64_t>& errors) {
  // Shared by the loop's copies of the step; touched by its one thread.
  auto backoff = std::make_shared<util::Backoff>(feed_wait, std::max(feed_wait, kLongestFeedRetry));
  scheduler.repeat(std::chrono::milliseconds(0), [&follower, &errors, feed_wait, backoff] {
    if (follower.follow_once(feed_wait)) {
      backoff->reset();
      return std::chrono::milliseconds(0);
    }
    ++errors;
    return backoff->next();  // the store is down: do not spin
  });
}

void purge_in_background(util::Scheduler& scheduler, std::function<Result<void>()> purge,
                         std::chrono::milliseconds interval, std::atomic<std::uint64_t>& errors) {
  scheduler.repeat(interval, [purge = std::move(purge), interval, &errors] {
    if (!purge()) ++errors;
    return interval;
  });
}

}  // namespace jwtguard::revocation
