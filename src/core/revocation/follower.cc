#include "revocation/follower.h"

namespace jwtguard::revocation {

Result<void> Follower::load() {
  std::lock_guard lock(mu_);
  return reload(/*first=*/true);
}

Result<void> Follower::reload(bool first) {
  auto snapshot = feed_.snapshot(clock_.now());
  if (!snapshot) return tl::unexpected(snapshot.error());
  // Into an empty index, each table can be sized once (a million entries
  // would otherwise rehash each table a dozen times); after a gap, most
  // entries are there already.
  if (first) {
    std::size_t tokens = 0, sessions = 0;
    for (const Change& entry : snapshot->entries) {
      tokens += entry.kind == RevocationKind::kToken;
      sessions += entry.kind == RevocationKind::kSession;
    }
    index_.mutable_tokens().reserve(tokens);
    index_.mutable_sessions().reserve(sessions);
  }
  for (const Change& entry : snapshot->entries) index_.apply(entry);
  seq_.store(snapshot->seq);
  return {};
}

Result<bool> Follower::follow_once(std::chrono::milliseconds wait) {
  const std::uint64_t from = seq_.load();
  auto batch = feed_.changes_since(from, kFeedBatch, wait);
  if (!batch) return tl::unexpected(batch.error());
  std::lock_guard lock(mu_);
  if (seq_.load() != from) return true;  // another caller moved on; fetch again
  if (batch->gap) {
    // Changes were purged before we saw them. Reloading adds every live
    // revocation; an un-revoke among the lost changes stays unapplied here
    // until the entry expires (the safe direction).
    if (auto reloaded = reload(/*first=*/false); !reloaded) return tl::unexpected(reloaded.error());
    return true;
  }
  for (const Change& change : batch->changes) index_.apply(change);
  seq_.store(batch->last_seq);
  return batch->changes.size() == kFeedBatch;
}

Result<void> Follower::sync() {
  for (;;) {
    auto more = follow_once(std::chrono::milliseconds(0));
    if (!more) return tl::unexpected(more.error());
    if (!*more) return {};
  }
}

}  // namespace jwtguard::revocation
