// Keeps a revocation Index current with a Store: loads a snapshot, then
// applies the store's change feed in order, reloading when changes it had
// not seen were purged (a gap).
//
// Thread-safe: one batch is applied at a time; a caller that finds the
// position moved under it (another caller applied a batch) fetches again.
#ifndef JWTGUARD_REVOCATION_FOLLOWER_H_
#define JWTGUARD_REVOCATION_FOLLOWER_H_

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>

#include "jwtguard/clock.h"
#include "jwtguard/error.h"
#include "jwtguard/store.h"
#include "revocation/index.h"

namespace jwtguard::revocation {

// What the Follower reads of a store: its snapshot and its change feed, as
// Store::snapshot and Store::changes_since promise them. An interface of
// its own so that a test can play a store that loses changes or fails.
class Feed {
 public:
  virtual ~Feed() = default;
  virtual Result<Snapshot> snapshot(Timestamp now) = 0;
  virtual Result<ChangeBatch> changes_since(std::uint64_t after, std::size_t limit,
                                            std::chrono::milliseconds max_wait) = 0;
};

// A Store's feed. `store` must outlive it.
class StoreFeed final : public Feed {
 public:
  explicit StoreFeed(Store& store) : store_(store) {}
  Result<Snapshot> snapshot(Timestamp now) override { return store_.snapshot(now); }
  Result<ChangeBatch> changes_since(std::uint64_t after, std::size_t limit,
                                    std::chrono::milliseconds max_wait) override {
    return store_.changes_since(after, limit, max_wait);
  }

 private:
  Store& store_;
};

class Follower {
 public:
  // At most this many changes are fetched in one round.
  static constexpr std::size_t kFeedBatch = 4096;

  // `feed`, `index` and `clock` must outlive the Follower.
  Follower(Feed& feed, Index& index, const Clock& clock)
      : feed_(feed), index_(index), clock_(clock) {}

  // Loads every live revocation into the index and takes the snapshot's
  // position. kStore when the store cannot be read.
  Result<void> load();

  // Fetches one batch of changes after the index's position, waiting up to
  // `wait` for one, and applies it. Returns whether more may be waiting.
  Result<bool> follow_once(std::chrono::milliseconds wait);

  // Applies every change the feed holds now.
  Result<void> sync();

  std::uint64_t position() const { return seq_.load(); }

 private:
  // Under mu_: every live revocation into the index, and its position.
  Result<void> reload(bool first);

  Feed& feed_;
  Index& index_;
  const Clock& clock_;
  std::mutex mu_;  // one batch applied at a time
  std::atomic<std::uint64_t> seq_{0};
};

}  // namespace jwtguard::revocation

#endif  // JWTGUARD_REVOCATION_FOLLOWER_H_
