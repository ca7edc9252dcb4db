// The Redis store's revocations and their change feed: the Store methods of
// that part of the contract (jwtguard/store.h), on the keys of redis_keys.h.
// Every write is one script (redis_scripts.h) that appends to the feed too.
// Thread-safe.
#ifndef JWTGUARD_REDIS_REDIS_REVOCATIONS_H_
#define JWTGUARD_REDIS_REDIS_REVOCATIONS_H_

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string_view>

#include "jwtguard/store.h"
#include "redis_client.h"
#include "redis_db.h"

namespace jwtguard::redis {

class Revocations {
 public:
  explicit Revocations(RedisDb& db) : db_(db) {}

  // Store::revoke, and with `mark_session` Store::revoke_session: one script
  // merges the revocation, marks the session and appends to the feed.
  Result<std::uint64_t> write(const Revocation& r, bool mark_session);
  Result<bool> unrevoke(RevocationKind kind, std::string_view key, Timestamp now);
  Result<std::optional<Revocation>> find(RevocationKind kind, std::string_view key);
  Result<RevocationPage> list(const RevocationFilter& filter, std::optional<std::int64_t> start);
  // Also takes the server it read from as the one the feed's positions
  // belong to.
  Result<Snapshot> snapshot(Timestamp now);
  // A gap whenever the connection reached another server than the last
  // snapshot's. With a max_wait, blocks on the feed's own connection (opened
  // on first use, and again after it broke), never on a pooled one.
  Result<ChangeBatch> changes_since(std::uint64_t after, std::size_t limit,
                                    std::chrono::milliseconds max_wait);
  // Expired revocations and sessions, and passed name reservations, then
  // the feed's entries older than the retention.
  Result<std::size_t> purge(Timestamp now, std::chrono::seconds feed_retention);
  // Store::lookup in one pipeline: strict mode asks on every check.
  Result<Store::Hits> lookup(std::string_view jti, std::string_view sid, std::string_view user);

 private:
  Result<ChangeBatch> wait_for_changes(std::uint64_t after, std::size_t limit,
                                       std::chrono::milliseconds max_wait);

  RedisDb& db_;
  std::mutex feed_mu_;  // the feed connection, for blocking reads
  std::optional<Connection> feed_;
};

}  // namespace jwtguard::redis

#endif  // JWTGUARD_REDIS_REDIS_REVOCATIONS_H_
