#include "redis_sessions.h"

#include <string>

#include "redis_keys.h"
#include "redis_records.h"
#include "redis_scripts.h"
#include "util/try.h"

namespace jwtguard::redis {

Result<void> create_session(RedisDb& db, const Session& s) {
  return db.eval_flag(scripts::create_session(s), Errc::kAlreadyExists, "session");
}

Result<std::optional<Session>> find_session(RedisDb& db, std::string_view sid) {
  return db.find_record(kSessPrefix, sid, &read_session);
}

Result<std::vector<Session>> list_sessions(RedisDb& db, std::string_view user, Timestamp now) {
  JWTGUARD_ASSIGN_OR_RETURN(const Pool::Lease c, db.acquire());
  const std::string index = kUserSessPrefix + std::string(user);
  // By created_at, then sid, both descending: the order the contract asks.
  JWTGUARD_ASSIGN_OR_RETURN(const Reply range,
                            call(*c, Command("ZREVRANGE").arg(index).arg("0").arg("-1")));
  const std::vector<std::string> sids = texts_of(*range);
  JWTGUARD_ASSIGN_OR_RETURN(auto sessions, db.read_records(*c, kSessPrefix, sids, &read_session));
  std::vector<Session> out;
  std::vector<std::string> dangling;
  for (std::size_t i = 0; i < sids.size(); ++i) {
    std::optional<Session>& session = sessions[i];
    if (!session) {
      dangling.push_back(sids[i]);
    } else if (session->user == user && !session->revoked_at && session->expires_at > now) {
      out.push_back(std::move(*session));
    }
  }
  db.drop_dangling(*c, index, kSessPrefix, dangling);
  return out;
}

Result<Rotation> rotate_refresh(RedisDb& db, std::string_view sid, std::string_view presented_jti,
                                std::string_view next_jti, Timestamp now,
                                Timestamp next_expires_at) {
  JWTGUARD_ASSIGN_OR_RETURN(const Reply reply, db.eval(scripts::rotate(sid, presented_jti, next_jti,
                                                                       now, next_expires_at)));
  const std::string_view outcome = text_of(*reply);
  if (outcome == "rotated") return Rotation::kRotated;
  if (outcome == "reused") return Rotation::kReused;
  if (outcome == "revoked") return Rotation::kRevoked;
  if (outcome == "unknown") return Rotation::kUnknown;
  return unexpected_reply(scripts::kRotate.name);
}

}  // namespace jwtguard::redis
