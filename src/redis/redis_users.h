// The Redis store's users: the Store methods of that part of the contract
// (jwtguard/store.h), on the keys of redis_keys.h. Writes are scripts
// (redis_scripts.h), reads plain commands. Thread-safe.
#ifndef JWTGUARD_REDIS_REDIS_USERS_H_
#define JWTGUARD_REDIS_REDIS_USERS_H_

#include <optional>
#include <string_view>
#include <vector>

#include "jwtguard/store.h"
#include "redis_db.h"

namespace jwtguard::redis {

// kAlreadyExists when the name is taken.
Result<void> create_user(RedisDb& db, const User& user);
Result<std::optional<User>> find_user(RedisDb& db, std::string_view name);
// kNotFound for an unknown user.
Result<void> set_admin(RedisDb& db, std::string_view name, bool admin);
// By name.
Result<std::vector<User>> list_users(RedisDb& db);

}  // namespace jwtguard::redis

#endif  // JWTGUARD_REDIS_REDIS_USERS_H_
