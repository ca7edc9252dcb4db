// The key layout of the Redis store, and why it is laid out this way.
//
// Data model (every key starts with "jwtguard:"; times are decimal
// microseconds since the epoch; a revocation's index member is "<t|s|u>:KEY"
// for a token, session or user revocation):
//
//   rev:<member>              hash: cutoff, expires, revoked_at, type, user,
//                             session, revoked_by, reason, row. Redis expires
//                             it at `expires` (PEXPIREAT), the exp of the
//                             token it blocks: each revocation gets its own
//                             expiry, unlike one TTL for every token type.
//   idx:rev-expiry            zset member -> expires: snapshot and purge.
//   idx:rev-rows              zset member -> row: listing, newest first; the
//                             row (from the counter `rows`) is the cursor.
//   seq, feed                 the change feed: a counter and a stream whose
//                             ids are "<seq>-1", so stream ids are the
//                             contract's contiguous seqs, trimmed to about
//                             feed_max_length entries and by purge's retention.
//   sess:<sid>                hash, expired by Redis at the session's expiry.
//   idx:sess-expiry           zset sid -> expires_at: purge.
//   idx:user-sessions:<user>  zset sid -> created_at: list_sessions. It expires
//                             with the longest session in it.
//   user:<name>, idx:users    hash (password_hash, admin, created_at, and
//                             disabled, last_login_at once set), and a zset
//                             of names (score 0: ZRANGE BYLEX pages them in
//                             byte order). create_user has written both since
//                             the first version of this store, so every
//                             database has the index whole: nothing rebuilds
//                             it at open.
//   idx:reserved-names        zset name -> reserved until (us): the names of
//                             deleted users, refused by create_user until
//                             then; purge removes those that passed.
//   audit:<id>                hash: at, actor, action, subject, detail. Never
//                             expires, nor purged: a record, not a cache.
//   audit-id                  the counter the audit ids come from (INCR).
//   idx:audit                 zset id -> id: listing, newest first.
//   idx:audit-subject:<name>  zset id -> id of the events done to <name>,
//                             so that a filtered listing reads only those.
//   token-horizon             the recorded token horizon (microseconds).
//
// Status lists (redis_status.h; an entry's ref is "<list>:<idx>"):
//
//   status-list-id            the counter list ids come from (INCR, never
//                             lowered: a purged list's id is not handed out
//                             again).
//   idx:status-lists          zset id -> expires_at (the latest of its
//                             entries): purge finds the expired lists.
//   status-list:<id>          hash: bits, size, allocated, expires_at (and
//                             purged, the purge's progress through a list).
//   status-entries:<id>       hash idx -> MessagePack {jti, sid, user,
//                             issued_at, expires_at}.
//   statuses:<id>             hash idx -> status, the set statuses only.
//   idx:status-jti:<jti>      set of refs: the entries a token revocation
//   idx:status-sid:<sid>      or a session revocation covers;
//   idx:status-user:<user>    zset ref -> issued_at: a user cutoff covers a
//                             ZRANGEBYSCORE.
//   None of them expires: purge drops a list, its entries and their index
//   members together, once the list is full and all its tokens expired.
//
// Redis expires keys by its own clock, but the contract's purge(now) must
// honour a `now` of the caller's: purge deletes by the indexes, explicitly.
// An index member whose key Redis expired already is dangling until purge
// (or a listing) removes it; readers skip dangling members.
//
// Every write that must be atomic is one Lua script (redis_scripts.h), run
// with EVALSHA, and EVAL when Redis answers NOSCRIPT (its script cache is
// empty after a restart). A write is acknowledged only once Redis replied;
// how durable that is depends on Redis's persistence, checked at open
// (redis_persistence.h). Reads use plain commands, pipelined where several
// are needed.
//
// Connections (redis_client.h): a pool for reads and writes, and one
// dedicated connection for blocking feed reads (XREAD BLOCK), so that a
// follower waiting on the feed never holds a pooled connection.
//
// A Redis that lost data (a restart with RDB only, or with AOF everysec
// after a crash of its host; a failover to a replica that lagged) gives the
// lost seqs again to new changes: a follower past the point the data went
// back to would skip those silently. Each connection reads the server's
// run_id when it opens, which changes at every restart and failover; the
// feed reports a gap whenever it is read from another server than the one
// the last snapshot came from, until a snapshot is taken there. Restarts
// that lost nothing cost a reload too: the run_id cannot tell them apart.
#ifndef JWTGUARD_REDIS_REDIS_KEYS_H_
#define JWTGUARD_REDIS_REDIS_KEYS_H_

#include <optional>
#include <string>
#include <string_view>

#include "jwtguard/revocation.h"

namespace jwtguard::redis {

inline const std::string kPrefix = "jwtguard:";
inline const std::string kSeq = kPrefix + "seq";
inline const std::string kFeed = kPrefix + "feed";
inline const std::string kRowCounter = kPrefix + "rows";
inline const std::string kRevExpiry = kPrefix + "idx:rev-expiry";
inline const std::string kRevRows = kPrefix + "idx:rev-rows";
inline const std::string kSessExpiry = kPrefix + "idx:sess-expiry";
inline const std::string kUsers = kPrefix + "idx:users";
inline const std::string kReservedNames = kPrefix + "idx:reserved-names";
inline const std::string kAuditCounter = kPrefix + "audit-id";
inline const std::string kAuditIndex = kPrefix + "idx:audit";
// The purge script spells these out too (it derives keys from kPrefix).
inline const std::string kRevPrefix = kPrefix + "rev:";
inline const std::string kSessPrefix = kPrefix + "sess:";
inline const std::string kUserSessPrefix = kPrefix + "idx:user-sessions:";
inline const std::string kUserPrefix = kPrefix + "user:";
inline const std::string kAuditPrefix = kPrefix + "audit:";
inline const std::string kAuditSubjectPrefix = kPrefix + "idx:audit-subject:";
inline const std::string kTokenHorizon = kPrefix + "token-horizon";
// Status lists; the scripts spell the other keys out from kPrefix.
inline const std::string kStatusListCounter = kPrefix + "status-list-id";
inline const std::string kStatusLists = kPrefix + "idx:status-lists";
inline const std::string kStatusListPrefix = kPrefix + "status-list:";
inline const std::string kStatusesPrefix = kPrefix + "statuses:";

// A revocation's index member, "<t|s|u>:KEY"; its hash is kRevPrefix + member.
std::string member(RevocationKind kind, std::string_view key);

// The kind a member names by its first letter; nullopt for text that is no
// member (no "<t|s|u>:" in front).
std::optional<RevocationKind> member_kind(std::string_view member);

}  // namespace jwtguard::redis

#endif  // JWTGUARD_REDIS_REDIS_KEYS_H_
