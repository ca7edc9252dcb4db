#include "redis_users.h"

#include <string>

#include "redis_keys.h"
#include "redis_records.h"
#include "redis_scripts.h"
#include "util/try.h"

namespace jwtguard::redis {

Result<void> create_user(RedisDb& db, const User& user) {
  return db.eval_flag(scripts::create_user(user), Errc::kAlreadyExists, "user");
}

Result<std::optional<User>> find_user(RedisDb& db, std::string_view name) {
  return db.find_record(kUserPrefix, name, &read_user);
}

Result<void> set_admin(RedisDb& db, std::string_view name, bool admin) {
  return db.eval_flag(scripts::set_admin(name, admin), Errc::kNotFound, "user");
}

Result<std::vector<User>> list_users(RedisDb& db) {
  JWTGUARD_ASSIGN_OR_RETURN(const Pool::Lease c, db.acquire());
  JWTGUARD_ASSIGN_OR_RETURN(const Reply range,
                            call(*c, Command("ZRANGE").arg(kUsers).arg("0").arg("-1")));
  const std::vector<std::string> names = texts_of(*range);
  JWTGUARD_ASSIGN_OR_RETURN(auto users, db.read_records(*c, kUserPrefix, names, &read_user));
  std::vector<User> out;
  for (std::optional<User>& user : users) {
    if (user) out.push_back(std::move(*user));
  }
  return out;
}

}  // namespace jwtguard::redis
