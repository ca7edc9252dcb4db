#include "revocation/background.h"

#include <algorithm>
#include <utility>

namespace jwtguard::revocation {

void follow_in_background(util::Scheduler& scheduler, Follower& follower,
                          std::chrono::milliseconds feed_wait, std::atomic<std::uint64_t>& errors) {
  const auto retry = std::max(feed_wait, std::chrono::milliseconds(1));
  scheduler.repeat(std::chrono::milliseconds(0), [&follower, &errors, feed_wait, retry] {
    if (follower.follow_once(feed_wait)) return std::chrono::milliseconds(0);
    ++errors;
    return retry;  // the store is down: do not spin
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
