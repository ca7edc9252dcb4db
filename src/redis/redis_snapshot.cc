// Revocations::snapshot: what a joining instance loads, so it is sized for
// millions of revocations. The expiry index (a sorted set: member
// "<t|s|u>:KEY", score expires_at) says all a token or session revocation
// holds for the index, so those are read from ZSCAN's replies, many
// thousands a round trip, with one EXISTS per chunk to check that their
// hashes are still there; only user revocations (a few per cent) read their
// hash, for the cutoff, in pipelines.
#include <absl/container/flat_hash_set.h>

#include <algorithm>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "redis_feed.h"
#include "redis_keys.h"
#include "redis_records.h"
#include "redis_revocations.h"
#include "util/try.h"

namespace jwtguard::redis {
namespace {

// Members a ZSCAN call asks for: about a millisecond of Redis's time, so
// other clients wait no longer than that, and 100 round trips a million.
constexpr std::size_t kScanCount = 10'000;
// A snapshot's entries are reserved up front from ZCARD, up to this many:
// a store that claims more grows the vector as it goes.
constexpr std::size_t kMostReserved = std::size_t{1} << 22;

// The entries taken, by their place in the snapshot: ZSCAN may return a
// member more than once (when Redis rehashes during the scan), and a
// position keeps no second copy of the key.
struct SameEntry {
  const std::vector<Change>* entries;
  std::size_t operator()(std::size_t i) const {
    const Change& c = (*entries)[i];
    return std::hash<std::string_view>()(c.key) ^ static_cast<std::size_t>(c.kind);
  }
  bool operator()(std::size_t a, std::size_t b) const {
    const Change& x = (*entries)[a];
    const Change& y = (*entries)[b];
    return x.kind == y.kind && x.key == y.key;
  }
};

class SnapshotBuilder {
 public:
  explicit SnapshotBuilder(Snapshot& out)
      : out_(out), taken_(0, SameEntry{&out.entries}, SameEntry{&out.entries}) {}

  void reserve(std::size_t n) {
    n = std::min(n, kMostReserved);
    out_.entries.reserve(n);
    taken_.reserve(n);
  }

  // Adds the entry unless the scan returned it before.
  void add(Change change) {
    out_.entries.push_back(std::move(change));
    if (!taken_.insert(out_.entries.size() - 1).second) out_.entries.pop_back();
  }

 private:
  Snapshot& out_;
  absl::flat_hash_set<std::size_t, SameEntry, SameEntry> taken_;
};

Change entry(RevocationKind kind, std::string_view key, Timestamp cutoff, Timestamp expires) {
  return Change{.op = Change::Op::kRevoke,
                .kind = kind,
                .key = std::string(key),
                .cutoff = cutoff,
                .expires_at = expires};
}

struct PendingUser {
  std::string member;
  Timestamp expires;
};

// The cutoffs of the user revocations, from their hashes, in one pipeline;
// a hash gone meanwhile (un-revoked or expired) is skipped.
Result<void> add_users(Connection& c, std::vector<PendingUser>& users, SnapshotBuilder& out) {
  if (users.empty()) return {};
  std::vector<Command> commands;
  commands.reserve(users.size());
  for (const PendingUser& u : users) {
    commands.push_back(std::move(Command("HGET").arg(kRevPrefix + u.member).arg("cutoff")));
  }
  JWTGUARD_ASSIGN_OR_RETURN(const std::vector<Reply> replies, call_all(c, commands));
  for (std::size_t i = 0; i < users.size(); ++i) {
    if (replies[i]->type == REDIS_REPLY_NIL) continue;
    const auto cutoff = parse_int(text_of(*replies[i]));
    if (!cutoff) return unexpected_reply("HGET cutoff");
    out.add(entry(RevocationKind::kUser, std::string_view(users[i].member).substr(2),
                  Timestamp(std::chrono::microseconds(*cutoff)), users[i].expires));
  }
  users.clear();
  return {};
}

// Adds the token and session entries of one ZSCAN chunk whose hash is still
// there: Redis may drop a hash before its index entry (eviction, or a key
// deleted by hand), and a snapshot holds what find_revocation would find.
// One EXISTS of the whole chunk answers the common case (all there); only a
// chunk with a hash missing asks key by key.
Result<void> add_present(Connection& c, std::vector<Change>& chunk, SnapshotBuilder& out) {
  if (chunk.empty()) return {};
  auto hash_of = [](const Change& e) { return kRevPrefix + member(e.kind, e.key); };
  Command all("EXISTS");
  for (const Change& e : chunk) all.arg(hash_of(e));
  JWTGUARD_ASSIGN_OR_RETURN(const Reply present, call(c, all));
  if (present->type != REDIS_REPLY_INTEGER) return unexpected_reply("EXISTS");
  std::vector<bool> keep(chunk.size(), true);
  if (static_cast<std::size_t>(present->integer) != chunk.size()) {
    for (std::size_t at = 0; at < chunk.size(); at += RedisDb::kBatch) {
      std::vector<Command> commands;
      const std::size_t end = std::min(chunk.size(), at + RedisDb::kBatch);
      for (std::size_t i = at; i < end; ++i) {
        commands.push_back(std::move(Command("EXISTS").arg(hash_of(chunk[i]))));
      }
      JWTGUARD_ASSIGN_OR_RETURN(const std::vector<Reply> replies, call_all(c, commands));
      for (std::size_t i = at; i < end; ++i) keep[i] = replies[i - at]->integer > 0;
    }
  }
  for (std::size_t i = 0; i < chunk.size(); ++i) {
    if (keep[i]) out.add(std::move(chunk[i]));
  }
  chunk.clear();
  return {};
}

}  // namespace

// The sequence is read before the entries, and the two reads are not one
// transaction: a change committed in between may or may not show in the
// entries, but it is after `seq`, so the follower replays it from the feed.
// Replaying is idempotent: a revoke carries the whole merged entry and an
// un-revoke removes it, so after the replay every key touched meanwhile is
// as its last change left it, and every other key as the entries show it.
// The entries are read with ZSCAN, which returns every member present for
// the whole scan at least once (duplicates are dropped): paging by offset
// would skip live entries when an un-revoke shifts the ones before them.
// The revoke script keeps each member's score equal to its hash's expiry
// (it raises both, or neither), and the un-revoke script removes both; a
// member whose hash is gone is skipped, as the listing skips it.
Result<Snapshot> Revocations::snapshot(Timestamp now) {
  JWTGUARD_ASSIGN_OR_RETURN(const Pool::Lease c, db_.acquire());
  Snapshot out;
  JWTGUARD_ASSIGN_OR_RETURN(out.seq, read_seq(*c));
  SnapshotBuilder builder(out);
  JWTGUARD_ASSIGN_OR_RETURN(const Reply count, call(*c, Command("ZCARD").arg(kRevExpiry)));
  if (count->type == REDIS_REPLY_INTEGER && count->integer > 0) {
    builder.reserve(static_cast<std::size_t>(count->integer));
  }
  std::vector<PendingUser> users;
  std::vector<Change> chunk;  // tokens and sessions, until their hashes are checked
  std::string cursor = "0";
  do {
    JWTGUARD_ASSIGN_OR_RETURN(const Reply scan, call(*c, Command("ZSCAN")
                                                             .arg(kRevExpiry)
                                                             .arg(cursor)
                                                             .arg("COUNT")
                                                             .arg(std::uint64_t{kScanCount})));
    JWTGUARD_ASSIGN_OR_RETURN(const auto cursor_and_items, elements_of(*scan, 2, "ZSCAN"));
    cursor = std::string(text_of(*cursor_and_items[0]));
    const redisReply& items = *cursor_and_items[1];
    for (std::size_t i = 0; i + 1 < items.elements; i += 2) {
      const auto expires = parse_score(text_of(*items.element[i + 1]));
      if (!expires) return unexpected_reply("ZSCAN score");
      if (*expires <= now.time_since_epoch().count()) continue;
      const std::string_view m = text_of(*items.element[i]);
      const auto kind = member_kind(m);
      if (!kind) return unexpected_reply("ZSCAN member");
      const Timestamp at{std::chrono::microseconds(*expires)};
      if (*kind == RevocationKind::kUser) {
        users.push_back(PendingUser{std::string(m), at});
      } else {
        chunk.push_back(entry(*kind, m.substr(2), Timestamp{}, at));
      }
    }
    JWTGUARD_TRY(add_present(*c, chunk, builder));
    if (users.size() >= RedisDb::kBatch || cursor == "0")
      JWTGUARD_TRY(add_users(*c, users, builder));
  } while (cursor != "0");
  db_.synced_with(*c);
  return out;
}

}  // namespace jwtguard::redis
