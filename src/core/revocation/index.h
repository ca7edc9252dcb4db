// The in-memory index of live revocations that every check reads.
//
// Sized for tens of millions of revoked tokens: an entry is 16 bytes (96 bits
// of the id and its expiry in whole seconds), kept in 64 independently locked
// absl::flat_hash_set shards, so a reader contends with a writer only on one
// shard and only for one insert. Readers take a shared lock; nothing in here
// does I/O.
#ifndef JWTGUARD_REVOCATION_INDEX_H_
#define JWTGUARD_REVOCATION_INDEX_H_

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "jwtguard/clock.h"
#include "jwtguard/revocation.h"

namespace jwtguard::revocation {

// 96 bits identifying a jti or sid. jwtguard's own ids (22 base64url
// characters, 128 random bits) are decoded; any other string is hashed with
// SHA-256. Two different ids share a fingerprint with probability 2^-96: at
// worst a valid token would be refused, never a revoked one accepted.
struct Fingerprint {
  std::uint32_t word[3];
  friend bool operator==(const Fingerprint&, const Fingerprint&) = default;
};
Fingerprint fingerprint(std::string_view id);

// Seconds since the epoch, rounded up, saturated to the 32-bit range.
std::uint32_t expiry_seconds(Timestamp t);

// A set of ids, each with the second after which it may be forgotten.
class IdSet {
 public:
  IdSet();
  ~IdSet();
  IdSet(const IdSet&) = delete;
  IdSet& operator=(const IdSet&) = delete;

  // Adds the id, or raises its expiry to `expires` if that is later.
  void insert(std::string_view id, Timestamp expires);
  void insert(const Fingerprint& fp, std::uint32_t expires);
  bool erase(std::string_view id);
  bool contains(std::string_view id) const;
  bool contains(const Fingerprint& fp) const;

  // Removes entries whose expiry is at or before `now`. Scans each shard
  // under its shared lock and erases in small batches, so readers are never
  // held up for a whole shard. Returns how many it removed.
  std::size_t evict(Timestamp now);

  // Grows the shards ahead of a bulk load of about `n` ids.
  void reserve(std::size_t n);
  void clear();
  std::size_t size() const;
  std::size_t bytes() const;  // heap memory of the shards' tables

 private:
  struct Shard;
  static constexpr std::size_t kShards = 64;
  Shard& shard_for(const Fingerprint& fp) const;
  std::unique_ptr<Shard[]> shards_;
  std::atomic<std::size_t> count_{0};
};

// The per-user cutoffs of "log out everywhere": a token of `user` whose iat
// is before the user's cutoff is revoked. Few entries, so one map.
class UserCutoffs {
 public:
  // Keeps the later cutoff and the later expiry.
  void insert(std::string_view user, Timestamp cutoff, Timestamp expires);
  bool erase(std::string_view user);
  // The user's cutoff, if any.
  std::optional<Timestamp> cutoff(std::string_view user) const;
  // Whether a token of `user` issued at `iat` (none: unknown) is cut off.
  bool revokes(std::string_view user, std::optional<Timestamp> iat) const;
  std::size_t evict(Timestamp now);
  void clear();
  std::size_t size() const;

 private:
  struct Entry {
    Timestamp cutoff;
    Timestamp expires;
  };
  mutable std::shared_mutex mu_;
  absl::flat_hash_map<std::string, Entry> map_;
  // Lets the common case (no cutoffs at all) skip the lock.
  std::atomic<std::size_t> count_{0};
};

// The three revocation rules (docs/architecture.md, "Revocation") that live in the index.
class Index {
 public:
  // Applies one change from the feed or from this process's own writes.
  // Idempotent: the same change applied twice leaves the same index.
  void apply(const Change& change);
  void clear();

  // Which rule revokes the token: "token", "session", "user", or empty.
  std::string_view revoked_by(std::string_view jti, std::string_view sid, std::string_view user,
                              std::optional<Timestamp> iat) const;

  std::optional<Timestamp> user_cutoff(std::string_view user) const { return users_.cutoff(user); }
  std::size_t evict(Timestamp now);

  const IdSet& tokens() const { return tokens_; }
  const IdSet& sessions() const { return sessions_; }
  const UserCutoffs& users() const { return users_; }
  IdSet& mutable_tokens() { return tokens_; }
  IdSet& mutable_sessions() { return sessions_; }

 private:
  IdSet tokens_;
  IdSet sessions_;
  UserCutoffs users_;
};

}  // namespace jwtguard::revocation

#endif  // JWTGUARD_REVOCATION_INDEX_H_
