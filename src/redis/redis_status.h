// The Redis store's Token Status Lists (jwtguard/store.h, "Token Status
// List"), on the keys of redis_keys.h ("Status lists"): each call is one
// script (redis_status_scripts.h), so an allocation and a revocation never
// interleave, and every instance sharing the server sees one order. The
// revocation scripts (redis_scripts.h) keep the statuses in the same
// script as the revocation. Thread-safe, as RedisDb is.
#ifndef JWTGUARD_REDIS_REDIS_STATUS_H_
#define JWTGUARD_REDIS_REDIS_STATUS_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "jwtguard/store.h"
#include "redis_db.h"

namespace jwtguard::redis {

Result<std::vector<StatusRef>> allocate_status(RedisDb& db, const std::vector<StatusEntry>& entries,
                                               const StatusListSpec& spec);
Result<std::optional<StatusListState>> find_status_list(RedisDb& db, std::uint64_t id);
// Drops the full lists whose entries all expired at or before `now`, a
// bounded number of entries per script, until none is left.
Result<void> purge_status_lists(RedisDb& db, Timestamp now);

}  // namespace jwtguard::redis

#endif  // JWTGUARD_REDIS_REDIS_STATUS_H_
