// The Lua scripts of the Redis store's Token Status Lists (jwtguard/store.h,
// "Token Status List"), on the keys redis_keys.h lists under "Status
// lists". Conventions as in redis_scripts.h.
//
// An entry is "<list>:<idx>" in the indexes (its ref), and its record in
// the list's entries hash is a MessagePack array {jti, sid, user,
// issued_at, expires_at} (cmsgpack, built into Redis's Lua): binary-safe,
// whatever bytes the keys hold. The statuses hash of a list holds only the
// set statuses, so that a published list reads no more than those.
//
// Keys other than the counter and the list index are derived inside the
// scripts from the prefix (as the purge script does): which lists, and
// which entries, a call touches is only known once the script has read the
// indexes.
#ifndef JWTGUARD_REDIS_REDIS_STATUS_SCRIPTS_H_
#define JWTGUARD_REDIS_REDIS_STATUS_SCRIPTS_H_

#include <string_view>

#include "redis_scripts.h"

namespace jwtguard::redis::scripts {

// Hands out one index per entry from the newest list, opening a list of the
// given spec (its id from the counter, never lowered) whenever there is none
// or it is full; records each entry, its indexes, and its status as the
// revocations stand. Returns {list, index, list, index, ...}.
// KEYS: list id counter, list index (zset id -> expires_at).
// ARGV: key prefix, bits, size, then per entry: jti, sid, user, issued_at,
//       expires_at (us).
inline constexpr Script kAllocateStatus{"the status allocation script", kStatusHelpers, R"lua(
local prefix = ARGV[1]
local id, list_key, size, allocated, expires
local function load(candidate)
  local l = redis.call('HMGET', prefix .. 'status-list:' .. candidate, 'size', 'allocated',
                       'expires_at')
  if not l[1] then return false end
  id, list_key = candidate, prefix .. 'status-list:' .. candidate
  size, allocated, expires = tonumber(l[1]), tonumber(l[2]), l[3]
  return true
end
local function open()
  id = string.format('%d', redis.call('INCR', KEYS[1]))
  list_key = prefix .. 'status-list:' .. id
  size, allocated, expires = tonumber(ARGV[3]), 0, '0'
  redis.call('HSET', list_key, 'bits', ARGV[2], 'size', ARGV[3], 'allocated', '0',
             'expires_at', '0')
end
local function save()
  redis.call('HSET', list_key, 'allocated', string.format('%d', allocated), 'expires_at', expires)
  redis.call('ZADD', KEYS[2], expires, id)
end
local newest = redis.call('GET', KEYS[1])
if not (newest and load(newest)) or allocated >= size then open() end
local out = {}
for base = 4, #ARGV, 5 do
  if allocated >= size then
    save()
    open()
  end
  local jti, sid, user, iat, exp = ARGV[base], ARGV[base + 1], ARGV[base + 2], ARGV[base + 3],
                                   ARGV[base + 4]
  local idx = string.format('%d', allocated)
  allocated = allocated + 1
  local ref = id .. ':' .. idx
  redis.call('HSET', prefix .. 'status-entries:' .. id, idx,
             cmsgpack.pack({jti, sid, user, iat, exp}))
  redis.call('SADD', prefix .. 'idx:status-jti:' .. jti, ref)
  if sid ~= '' then redis.call('SADD', prefix .. 'idx:status-sid:' .. sid, ref) end
  redis.call('ZADD', prefix .. 'idx:status-user:' .. user, iat, ref)
  if sl_covered(prefix, jti, sid, user, iat) then
    redis.call('HSET', prefix .. 'statuses:' .. id, idx, 1)
  end
  if tonumber(exp) > tonumber(expires) then expires = exp end
  out[#out + 1] = tonumber(id)
  out[#out + 1] = allocated - 1
end
save()
return out
)lua"};

// The list and its set statuses, read at one instant: {{bits, size,
// allocated, expires_at}, {idx, status, ...}}, or nil for no such list.
// KEYS: the list's hash, its statuses hash.
inline constexpr Script kFindStatusList{"the status list read script", "", R"lua(
local l = redis.call('HMGET', KEYS[1], 'bits', 'size', 'allocated', 'expires_at')
if not l[1] then return false end
return {l, redis.call('HGETALL', KEYS[2])}
)lua"};

// Drops the lists that are full and whose expires_at is at or before now,
// with their entries and the entries' index members, at most ARGV[3]
// entries per call: a list bigger than that is dropped over several calls,
// its progress kept in its hash ('purged'), its statuses kept to the end.
// Returns {lists dropped, 1 if there is more to do else 0}.
// KEYS: list index. ARGV: key prefix, now (us), batch size.
inline constexpr Script kPurgeStatusLists{"the status list purge script", "", R"lua(
local prefix, budget, dropped = ARGV[1], tonumber(ARGV[3]), 0
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])) do
  local list_key = prefix .. 'status-list:' .. id
  local l = redis.call('HMGET', list_key, 'size', 'allocated', 'purged')
  if not l[1] then
    redis.call('ZREM', KEYS[1], id)
  elseif tonumber(l[1]) == tonumber(l[2]) then
    local entries = prefix .. 'status-entries:' .. id
    local size = tonumber(l[1])
    local from = tonumber(l[3] or '0')
    local to = math.min(size, from + budget)
    for i = from, to - 1 do
      local idx = string.format('%d', i)
      local packed = redis.call('HGET', entries, idx)
      if packed then
        local e = cmsgpack.unpack(packed)
        local ref = id .. ':' .. idx
        redis.call('SREM', prefix .. 'idx:status-jti:' .. e[1], ref)
        if e[2] ~= '' then redis.call('SREM', prefix .. 'idx:status-sid:' .. e[2], ref) end
        redis.call('ZREM', prefix .. 'idx:status-user:' .. e[3], ref)
        redis.call('HDEL', entries, idx)
      end
    end
    budget = budget - (to - from)
    if to < size then
      redis.call('HSET', list_key, 'purged', string.format('%d', to))
      return {dropped, 1}
    end
    redis.call('DEL', list_key, entries, prefix .. 'statuses:' .. id)
    redis.call('ZREM', KEYS[1], id)
    dropped = dropped + 1
    if budget <= 0 then return {dropped, 1} end
  end
end
return {dropped, 0}
)lua"};

}  // namespace jwtguard::redis::scripts

#endif  // JWTGUARD_REDIS_REDIS_STATUS_SCRIPTS_H_
