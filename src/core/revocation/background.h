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

// Follows the feed from the start: a round after each successful one, at
// once (the store's own wait of up to `feed_wait` for a change paces
// them). After a failed round (counted in `errors`) the next one waits
// `feed_wait` (at least 1 ms, so that a zero wait cannot spin on a store
// that is down): the store's connections back off by themselves and fail
// fast meanwhile, and a Guard sees changes within `feed_wait` of the store's
// return, as GuardOptions promises. `follower` and `errors` must outlive the
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
