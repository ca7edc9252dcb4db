// The change feed of the Redis store: the counter jwtguard:seq and the
// stream jwtguard:feed, whose entry ids are "<seq>-1". The scripts that
// change revocations increment the one and append to the other together
// (redis_scripts.h), so the stream's ids are the contract's contiguous seqs
// and a missing id means a trimmed entry (or seqs skipped after the counter
// was lost): either way, a gap.
//
// Each entry's fields: op ("revoke" / "unrevoke"), kind ("token", "session",
// "user"), key, cutoff and expires (the merged revocation's, "0" for an
// un-revoke), and date (revoked_at, or the un-revoke's `now`) for retention.
#ifndef JWTGUARD_REDIS_REDIS_FEED_H_
#define JWTGUARD_REDIS_REDIS_FEED_H_

#include <chrono>
#include <cstdint>

#include "jwtguard/error.h"
#include "jwtguard/revocation.h"
#include "redis_client.h"

namespace jwtguard::redis {

// The answer for a follower at `after` that must reload a snapshot.
ChangeBatch gap_at(std::uint64_t after);

// The seq of the last change (0 before the first).
Result<std::uint64_t> read_seq(Connection& connection);

// The changes after `after`, at most `limit`, in one round trip. Sets gap
// when some were trimmed, and when the sequence is behind `after`: Redis
// lost data (restarted without persistence, flushed), so the numbers after
// the follower's position may have been given to other changes.
Result<ChangeBatch> read_feed(Connection& connection, std::uint64_t after, std::size_t limit);

// read_feed(), and when there is nothing yet, XREAD BLOCK for up to
// max_wait: for a connection of its own, which it blocks. The connection's
// socket timeout is raised to max_wait + command_timeout for the wait, and
// set back to command_timeout after it.
Result<ChangeBatch> wait_for_feed(Connection& connection, std::uint64_t after, std::size_t limit,
                                  std::chrono::milliseconds max_wait,
                                  std::chrono::milliseconds command_timeout);

// Removes the entries up to the first one dated after `horizon`, reading
// `batch` entries at a time from the start. Dates come from the writers and
// are not strictly in seq order; like the other stores, the trim stops at
// the first entry to keep.
Result<void> trim_feed(Connection& connection, Timestamp horizon, std::size_t batch);

}  // namespace jwtguard::redis

#endif  // JWTGUARD_REDIS_REDIS_FEED_H_
