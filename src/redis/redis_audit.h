// The Redis store's audit log: the Store methods of that part of the
// contract (jwtguard/store.h), on the keys of redis_keys.h. Each event is a
// hash under its id; a sorted set of every id, and one per subject, list
// them newest first without scanning the events of other subjects.
// Thread-safe.
#ifndef JWTGUARD_REDIS_REDIS_AUDIT_H_
#define JWTGUARD_REDIS_REDIS_AUDIT_H_

#include <cstdint>
#include <optional>

#include "jwtguard/store.h"
#include "redis_db.h"

namespace jwtguard::redis {

// The event's id: the next of the counter (ids grow, from 1).
Result<std::uint64_t> append_audit(RedisDb& db, const AuditEvent& event);
// Store::list_audit, filter checked; `before` the id to list from
// (exclusive).
Result<AuditPage> list_audit(RedisDb& db, const AuditFilter& filter,
                             std::optional<std::uint64_t> before);

}  // namespace jwtguard::redis

#endif  // JWTGUARD_REDIS_REDIS_AUDIT_H_
