// The Guard's background work, as loops a Scheduler repeats: following the
// store's change feed, and purging expired revocations. The Guard runs them
// on the real scheduler; a test runs them on a fake one and sees every
// round and every delay.
#ifndef JWTGUARD_REVOCATION_BACKGROUND_H_
#define JWTGUARD_REVOCATION_BACKGROUND_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>

#include "jwtguard/error.h"
#include "revocation/follower.h"
#include "util/scheduler.h"

namespace jwtguard::revocation {

// The longest the follower waits between two rounds while the store fails
// (or `feed_wait`, when that is longer).
inline constexpr std::chrono::milliseconds kLongestFeedRetry{2000};

// Follows the feed from the start: a round after each successful one, at
// once (the store's own wait of up to `feed_wait` for a change paces
// them). After a failed round (counted in `errors`) the next one waits a
// backoff's delay: `feed_wait`, doubling up to kLongestFeedRetry, back to
// `feed_wait` after a success. `follower` and `errors` must outlive the
// scheduler's loops.
void follow_in_background(util::Scheduler& scheduler, Follower& follower,
                          std::chrono::milliseconds feed_wait, std::atomic<std::uint64_t>& errors);

// Calls `purge` every `interval`, the first time `interval` after the
// start; a failed purge counts in `errors` and is tried again at the next
// interval. `errors` must outlive the scheduler's loops.
void purge_in_background(util::Scheduler& scheduler, std::function<Result<void>()> purge,
                         std::chrono::milliseconds interval, std::atomic<std::uint64_t>& errors);

}  // namespace jwtguard::revocation

#endif  // JWTGUARD_REVOCATION_BACKGROUND_H_
