// The Redis store's sessions: the Store methods of that part of the contract
// (jwtguard/store.h), on the keys of redis_keys.h. Writes are scripts
// (redis_scripts.h), reads plain commands. Thread-safe.
#ifndef JWTGUARD_REDIS_REDIS_SESSIONS_H_
#define JWTGUARD_REDIS_REDIS_SESSIONS_H_

#include <optional>
#include <string_view>
#include <vector>

#include "jwtguard/store.h"
#include "redis_db.h"

namespace jwtguard::redis {

// kAlreadyExists when the sid is taken.
Result<void> create_session(RedisDb& db, const Session& session);
Result<std::optional<Session>> find_session(RedisDb& db, std::string_view sid);
// Newest first (by created_at, then sid); drops the index entries of the
// sessions Redis expired.
Result<std::vector<Session>> list_sessions(RedisDb& db, std::string_view user, Timestamp now);
Result<Rotation> rotate_refresh(RedisDb& db, std::string_view sid, std::string_view presented_jti,
                                std::string_view next_jti, Timestamp now,
                                Timestamp next_expires_at);

}  // namespace jwtguard::redis

#endif  // JWTGUARD_REDIS_REDIS_SESSIONS_H_
