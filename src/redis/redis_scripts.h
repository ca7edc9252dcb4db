// The Lua scripts of the Redis store: every write that must be atomic is one
// script, so that Redis runs it without interleaving another client's
// commands, and its effects reach the AOF (and replicas) as one MULTI/EXEC.
//
// Conventions: times are decimal microseconds since the epoch, compared with
// tonumber() (exact below 2^53, i.e. until the year 2255); PEXPIREAT takes
// milliseconds the caller computed (rounded up, so a key never disappears
// before the instant it stands for). Numbers are never turned back into
// strings with tostring(), which would print 1.7e+15.
//
// Scripts that change revocations first append to the feed (INCR of the
// sequence, XADD with the id "<seq>-1"), then write. Redis refuses a script
// for lack of memory at its first write, the INCR, and never after it: a
// script that got past the INCR is not stopped half-way by memory. XADD
// refuses an id not above the stream's last one, which jwtguard:seq lost
// while the stream survived (deleted, or evicted under an allkeys-* policy)
// would cause: append_feed moves the sequence past the stream's last id
// first, so the writes go on and followers see a gap, not a failure.
//
// Some keys are derived inside the scripts from a prefix (a revocation's
// hash from its index member, a user's session index from the session):
// fine for a single Redis server; Redis Cluster is not supported.
#ifndef JWTGUARD_REDIS_REDIS_SCRIPTS_H_
#define JWTGUARD_REDIS_REDIS_SCRIPTS_H_

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "jwtguard/revocation.h"

namespace jwtguard::redis::scripts {

struct Script {
  std::string_view name;     // for error messages: "the revoke script"
  std::string_view helpers;  // Lua functions the body uses (shared by scripts)
  std::string_view body;
  std::string_view more_helpers = {};  // a second set, for scripts that need two
  std::string source() const {
    return std::string(helpers) + std::string(more_helpers) + std::string(body);
  }
};

// The stream's last-generated-id, which stays when its entries are trimmed,
// is read from XINFO STREAM (a flat list of names and values in a script).
inline constexpr std::string_view kFeedAppend = R"lua(
local function next_seq(seq_key, feed_key)
  local seq = redis.call('INCR', seq_key)
  if redis.call('EXISTS', feed_key) == 0 then return seq end
  local info = redis.call('XINFO', 'STREAM', feed_key)
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then
      local last = tonumber(string.match(info[i + 1], '^(%d+)-'))
      if last and last >= seq then
        seq = last + 1
        redis.call('SET', seq_key, string.format('%d', seq))
      end
    end
  end
  return seq
end

local function append_feed(seq_key, feed_key, max_length, op, kind, key, cutoff, expires, date)
  local seq = next_seq(seq_key, feed_key)
  redis.call('XADD', feed_key, 'MAXLEN', '~', max_length, string.format('%d-1', seq),
             'op', op, 'kind', kind, 'key', key, 'cutoff', cutoff, 'expires', expires,
             'date', date)
  return seq
end
)lua";

// Token Status Lists (redis_status_scripts.h), shared by the allocation and
// the revocation scripts: whether an entry
// is covered, and setting or recomputing the entries a revocation reaches. A
// revocation is found by its hash (Redis removes it when it expires): the
// statuses it set stay, as the contract says of purged revocations.
inline constexpr std::string_view kStatusHelpers = R"lua(
local function sl_covered(prefix, jti, sid, user, iat)
  if redis.call('EXISTS', prefix .. 'rev:t:' .. jti) == 1 then return true end
  if sid ~= '' and redis.call('EXISTS', prefix .. 'rev:s:' .. sid) == 1 then return true end
  local cutoff = redis.call('HGET', prefix .. 'rev:u:' .. user, 'cutoff')
  return cutoff ~= false and tonumber(cutoff) > tonumber(iat)
end

-- The refs a revocation ('t', 's' or 'u' and its key) may cover; for a
-- user, those issued before `cutoff` (every one when it is nil) and from
-- `from` on (when it is not nil).
local function sl_refs(prefix, letter, key, cutoff, from)
  if letter == 't' then return redis.call('SMEMBERS', prefix .. 'idx:status-jti:' .. key) end
  if letter == 's' then return redis.call('SMEMBERS', prefix .. 'idx:status-sid:' .. key) end
  local index = prefix .. 'idx:status-user:' .. key
  if cutoff then return redis.call('ZRANGEBYSCORE', index, from or '-inf', '(' .. cutoff) end
  return redis.call('ZRANGE', index, 0, -1)
end

-- `previous`: the cutoff of the user revocation this one merged into, or
-- nil. The entries issued before it are set already (it set them, or they
-- were recorded set under it, and an unrevoke deletes it), so a raised
-- cutoff marks only [previous, cutoff): a repeated log-out-everywhere costs
-- Redis's one thread what it adds, not every entry the user piled up.
local function sl_mark(prefix, letter, key, cutoff, previous)
  if letter == 'u' and previous and tonumber(previous) >= tonumber(cutoff) then return end
  for _, ref in ipairs(sl_refs(prefix, letter, key, cutoff, previous)) do
    local list, idx = string.match(ref, '^(%d+):(%d+)$')
    redis.call('HSET', prefix .. 'statuses:' .. list, idx, 1)
  end
end

-- After the revocation was removed: its entries that no other revocation
-- covers go back to 0 (removing a revocation never sets one).
local function sl_recompute(prefix, letter, key, cutoff)
  for _, ref in ipairs(sl_refs(prefix, letter, key, cutoff)) do
    local list, idx = string.match(ref, '^(%d+):(%d+)$')
    local statuses = prefix .. 'statuses:' .. list
    if redis.call('HEXISTS', statuses, idx) == 1 then
      local e = cmsgpack.unpack(redis.call('HGET', prefix .. 'status-entries:' .. list, idx))
      if not sl_covered(prefix, e[1], e[2], e[3], e[4]) then redis.call('HDEL', statuses, idx) end
    end
  end
end
)lua";

// Adds or merges a revocation (the later cutoff and expiry win, the first
// metadata stays), and for a session revocation marks the session revoked
// (keeping the first revoked_at), and sets the status of every status list
// entry the merged revocation covers. Returns the feed seq.
// KEYS: seq, feed, revocation hash, expiry index, row index, row counter,
//       session hash.
// ARGV: feed max length, index member, kind name, key, cutoff, expires (us),
//       expires (ms), revoked_at, token type, user, session, revoked_by,
//       reason, "1" to mark the session, key prefix.
inline constexpr Script kRevoke{"the revoke script", kFeedAppend, R"lua(
local rev = KEYS[3]
local cutoff, expires = ARGV[5], ARGV[6]
local old = redis.call('HMGET', rev, 'cutoff', 'expires')
local extend = true
if old[2] then
  if tonumber(old[1]) > tonumber(cutoff) then cutoff = old[1] end
  if tonumber(old[2]) >= tonumber(expires) then
    expires = old[2]
    extend = false
  end
end
local seq = append_feed(KEYS[1], KEYS[2], ARGV[1], 'revoke', ARGV[3], ARGV[4], cutoff, expires,
                        ARGV[8])
if old[2] then
  redis.call('HSET', rev, 'cutoff', cutoff, 'expires', expires)
else
  local row = redis.call('INCR', KEYS[6])
  redis.call('HSET', rev, 'cutoff', cutoff, 'expires', expires, 'revoked_at', ARGV[8],
             'type', ARGV[9], 'user', ARGV[10], 'session', ARGV[11], 'revoked_by', ARGV[12],
             'reason', ARGV[13], 'row', row)
  redis.call('ZADD', KEYS[5], row, ARGV[2])
end
if extend then
  redis.call('PEXPIREAT', rev, ARGV[7])
  redis.call('ZADD', KEYS[4], expires, ARGV[2])
end
if ARGV[14] == '1' and redis.call('EXISTS', KEYS[7]) == 1 then
  redis.call('HSETNX', KEYS[7], 'revoked_at', ARGV[8])
end
sl_mark(ARGV[15], string.sub(ARGV[2], 1, 1), ARGV[4], cutoff, old[2] and old[1] or nil)
return seq
)lua",
                                kStatusHelpers};

// Removes a revocation; for a session, clears the session's revoked_at.
// The status list entries it covered go back to 0 unless another
// revocation covers them (for a user, only those issued before its cutoff
// can have been covered). Returns {1 if there was one else 0, feed seq}.
// KEYS: seq, feed, revocation hash, expiry index, row index, session hash.
// ARGV: feed max length, index member, kind name, key, now, "1" for a session,
//       key prefix.
inline constexpr Script kUnrevoke{"the unrevoke script", kFeedAppend, R"lua(
local seq = append_feed(KEYS[1], KEYS[2], ARGV[1], 'unrevoke', ARGV[3], ARGV[4], '0', '0',
                        ARGV[5])
local cutoff = redis.call('HGET', KEYS[3], 'cutoff')
local existed = redis.call('DEL', KEYS[3])
redis.call('ZREM', KEYS[4], ARGV[2])
redis.call('ZREM', KEYS[5], ARGV[2])
if ARGV[6] == '1' then redis.call('HDEL', KEYS[6], 'revoked_at') end
sl_recompute(ARGV[7], string.sub(ARGV[2], 1, 1), ARGV[4], cutoff or nil)
return {existed, seq}
)lua",
                                  kStatusHelpers};

// A user's session index lives as long as the longest session in it, so that
// it goes away by itself even if nobody lists or purges.
inline constexpr std::string_view kKeepUntil = R"lua(
local function keep_until(key, ms)
  redis.call('PEXPIREAT', key, ms, 'NX')
  redis.call('PEXPIREAT', key, ms, 'GT')
end
)lua";

// Returns 0 when the sid is taken, else 1. Raises the last_login_at of the
// session's user, if that is a user (a minted identity is none), to the
// session's created_at: a slower instance's older session never moves it back.
// KEYS: session hash, session expiry index, the user's session index, the
//       user's hash.
// ARGV: sid, user, created_at, refreshed_at, expires_at (us), expires_at (ms),
//       client address, user agent, refresh jti, revoked_at or "",
//       previous refresh jti or "".
inline constexpr Script kCreateSession{"the create-session script", kKeepUntil, R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'user', ARGV[2], 'created_at', ARGV[3], 'refreshed_at', ARGV[4],
           'expires_at', ARGV[5], 'client_address', ARGV[7], 'user_agent', ARGV[8],
           'refresh_jti', ARGV[9])
if ARGV[10] ~= '' then redis.call('HSET', KEYS[1], 'revoked_at', ARGV[10]) end
if ARGV[11] ~= '' then redis.call('HSET', KEYS[1], 'previous_refresh_jti', ARGV[11]) end
redis.call('PEXPIREAT', KEYS[1], ARGV[6])
redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
keep_until(KEYS[3], ARGV[6])
if redis.call('EXISTS', KEYS[4]) == 1 then
  local last = redis.call('HGET', KEYS[4], 'last_login_at')
  if not last or tonumber(last) < tonumber(ARGV[3]) then
    redis.call('HSET', KEYS[4], 'last_login_at', ARGV[3])
  end
end
return 1
)lua"};

// Returns "rotated", "reused", "revoked" or "unknown".
// KEYS: session hash, session expiry index.
// ARGV: sid, presented jti, next jti, now, next expires_at (us), (ms),
//       prefix of the users' session indexes.
inline constexpr Script kRotate{"the rotate-refresh script", kKeepUntil, R"lua(
local s = redis.call('HMGET', KEYS[1], 'refresh_jti', 'revoked_at', 'user')
if not s[1] then return 'unknown' end
if s[2] then return 'revoked' end
if s[1] ~= ARGV[2] then return 'reused' end
redis.call('HSET', KEYS[1], 'refresh_jti', ARGV[3], 'previous_refresh_jti', s[1],
           'refreshed_at', ARGV[4], 'expires_at', ARGV[5])
redis.call('PEXPIREAT', KEYS[1], ARGV[6])
redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1])
keep_until(ARGV[7] .. (s[3] or ''), ARGV[6])
return 'rotated'
)lua"};

// Returns 0 when the name is taken, -1 when a deleted user reserved it
// until after created_at, else 1.
// KEYS: user hash, user index, reserved names. ARGV: name, password hash,
//       admin, created_at.
inline constexpr Script kCreateUser{"the create-user script", "", R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local reserved = redis.call('ZSCORE', KEYS[3], ARGV[1])
if reserved and tonumber(reserved) > tonumber(ARGV[4]) then return -1 end
redis.call('HSET', KEYS[1], 'password_hash', ARGV[2], 'admin', ARGV[3], 'created_at', ARGV[4])
redis.call('ZADD', KEYS[2], 0, ARGV[1])
return 1
)lua"};

// Sets one field of an existing user's hash (admin, disabled, the password
// hash). With a non-empty ARGV[3], only while the stored password hash is
// ARGV[3] and the user is not disabled (a compare-and-set). Returns 0 for an
// unknown user, -1 when the comparison failed, else 1.
// KEYS: user hash. ARGV: field, value, expected password hash or "".
inline constexpr Script kSetUserField{"the set-user-field script", "", R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[3] ~= nil and ARGV[3] ~= '' then
  if redis.call('HGET', KEYS[1], 'password_hash') ~= ARGV[3] or
     redis.call('HGET', KEYS[1], 'disabled') == '1' then
    return -1
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
)lua"};

// Removes the user, its name from the index, and every session in its
// session index (those are all its sessions: the index outlives each), and
// reserves the name until ARGV[2], or later when already reserved later
// (ZADD GT). One script, so that no request sees the user without its
// sessions gone; a user's sessions are few, so it does not block Redis long.
// Returns 0 for an unknown user, else 1.
// KEYS: user hash, user index, the user's session index, session expiry
//       index, reserved names.
// ARGV: name, reserved_until (us), prefix of the session hashes.
inline constexpr Script kDeleteUser{"the delete-user script", "", R"lua(
if redis.call('DEL', KEYS[1]) == 0 then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
for _, sid in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do
  local key = ARGV[3] .. sid
  if redis.call('HGET', key, 'user') == ARGV[1] then redis.call('DEL', key) end
  redis.call('ZREM', KEYS[4], sid)
end
redis.call('DEL', KEYS[3])
redis.call('ZADD', KEYS[5], 'GT', ARGV[2], ARGV[1])
return 1
)lua"};

// Records an audit event under the next id, and indexes it by id, and by
// id among its subject's events when it has one. Returns the id.
// KEYS: id counter, the event's index, its subject's index (or the event
//       index again when it has none).
// ARGV: prefix of the event hashes, at (us), actor, action, subject, detail.
inline constexpr Script kAppendAudit{"the append-audit script", "", R"lua(
local id = string.format('%d', redis.call('INCR', KEYS[1]))
redis.call('HSET', ARGV[1] .. id, 'at', ARGV[2], 'actor', ARGV[3], 'action', ARGV[4],
           'subject', ARGV[5], 'detail', ARGV[6])
redis.call('ZADD', KEYS[2], id, id)
if ARGV[5] ~= '' then redis.call('ZADD', KEYS[3], id, id) end
return tonumber(id)
)lua"};

// Raises the recorded token horizon to ARGV[1] when that is later; returns
// the recorded value (microseconds, as a string). KEYS: the horizon key.
inline constexpr Script kRaiseHorizon{"the token-horizon script", "", R"lua(
local current = redis.call('GET', KEYS[1])
if not current or tonumber(current) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1])
  return ARGV[1]
end
return current
)lua"};

// Deletes up to ARGV[2] revocations, as many sessions whose expiry is at or
// before ARGV[1], with their index entries (also those whose key Redis
// expired already), and as many name reservations that passed by then.
// Returns {revocations, sessions, reservations}; the caller repeats while a
// count reaches the batch size, so that no call blocks Redis long.
// KEYS: revocation expiry index, row index, session expiry index, reserved
//       names.
// ARGV: now, batch size, key prefix.
inline constexpr Script kPurge{"the purge script", "", R"lua(
local members = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for _, m in ipairs(members) do
  redis.call('DEL', ARGV[3] .. 'rev:' .. m)
  redis.call('ZREM', KEYS[1], m)
  redis.call('ZREM', KEYS[2], m)
end
local sids = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for _, sid in ipairs(sids) do
  local key = ARGV[3] .. 'sess:' .. sid
  local user = redis.call('HGET', key, 'user')
  if user then redis.call('ZREM', ARGV[3] .. 'idx:user-sessions:' .. user, sid) end
  redis.call('DEL', key)
  redis.call('ZREM', KEYS[3], sid)
end
local names = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
if #names > 0 then redis.call('ZREM', KEYS[4], unpack(names)) end
return {#members, #sids, #names}
)lua"};

// Removes from an index the members whose record is gone (Redis expired
// it), checking under the script's atomicity: a record created again
// meanwhile keeps its entry. Returns how many it removed.
// KEYS: the index. ARGV: the records' key prefix, then the members.
inline constexpr Script kDropDangling{"the index clean-up script", "", R"lua(
local n = 0
for i = 2, #ARGV do
  if redis.call('EXISTS', ARGV[1] .. ARGV[i]) == 0 then
    n = n + redis.call('ZREM', KEYS[1], ARGV[i])
  end
end
return n
)lua"};

// --- Calls ------------------------------------------------------------------------

// A script with its KEYS and ARGV, in the order the script's comment gives:
// the functions below are the one place that order is written in C++.
struct Call {
  const Script* script;
  std::vector<std::string> keys;
  std::vector<std::string> args;
};

// kRevoke of `r`; `mark_session` for a session revocation, which marks the
// session revoked too.
Call revoke(const Revocation& r, bool mark_session, std::size_t feed_max_length);
Call unrevoke(RevocationKind kind, std::string_view key, Timestamp now,
              std::size_t feed_max_length);
Call create_session(const Session& s);
Call rotate(std::string_view sid, std::string_view presented_jti, std::string_view next_jti,
            Timestamp now, Timestamp next_expires_at);
Call create_user(const User& user);
Call set_admin(std::string_view name, bool admin);
Call set_password(std::string_view name, std::string_view password_hash,
                  std::string_view expected_hash = {});
Call set_disabled(std::string_view name, bool disabled);
Call delete_user(std::string_view name, Timestamp reserved_until);
Call append_audit(const AuditEvent& event);
Call raise_horizon(Timestamp at);
Call purge(Timestamp now, std::size_t batch);
// kDropDangling of `members` of `index`, whose records are `prefix` + member.
Call drop_dangling(const std::string& index, const std::string& prefix,
                   std::span<const std::string> members);

}  // namespace jwtguard::redis::scripts

#endif  // JWTGUARD_REDIS_REDIS_SCRIPTS_H_
