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

// kAlreadyExists when the name is taken, or reserved past user.created_at.
Result<void> create_user(RedisDb& db, const User& user);
Result<std::optional<User>> find_user(RedisDb& db, std::string_view name);
// kNotFound for an unknown user (these three).
Result<void> set_admin(RedisDb& db, std::string_view name, bool admin);
// With `expected_hash`: kRevoked unless that is the stored hash and the
// user is not disabled.
Result<void> set_password(RedisDb& db, std::string_view name, std::string_view password_hash,
                          std::string_view expected_hash);
Result<void> set_disabled(RedisDb& db, std::string_view name, bool disabled);
// kNotFound for an unknown user; else the user, its sessions and its name
// index entry are gone and the name reserved, in one script.
Result<void> delete_user(RedisDb& db, std::string_view name, Timestamp reserved_until);
// By name.
Result<std::vector<User>> list_users(RedisDb& db);
// Store::list_users(UserFilter), filter checked. Reads in pipelines, not
// atomically: a user deleted meanwhile is left out of its page.
Result<UserPage> list_user_page(RedisDb& db, const UserFilter& filter);

}  // namespace jwtguard::redis

#endif  // JWTGUARD_REDIS_REDIS_USERS_H_
