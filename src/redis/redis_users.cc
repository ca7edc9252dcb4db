#include "redis_users.h"

#include <algorithm>
#include <string>

#include "redis_keys.h"
#include "redis_records.h"
#include "redis_scripts.h"
#include "util/try.h"

namespace jwtguard::redis {
namespace {

// A user's sessions and the cutoff of its "log out everywhere", as read for
// a page of users.
struct SessionsOf {
  std::vector<std::string> sids;
  Timestamp cutoff{};  // the epoch when there is none
};

// One ZRANGE of its session index and one HGET of its kUser revocation's
// cutoff per name, pipelined in batches.
Result<std::vector<SessionsOf>> sessions_of(Connection& c, std::span<const std::string> names) {
  std::vector<SessionsOf> out;
  for (std::size_t at = 0; at < names.size(); at += RedisDb::kBatch / 2) {
    std::vector<Command> commands;
    const std::size_t end = std::min(names.size(), at + RedisDb::kBatch / 2);
    for (std::size_t i = at; i < end; ++i) {
      commands.push_back(
          std::move(Command("ZRANGE").arg(kUserSessPrefix + names[i]).arg("0").arg("-1")));
      commands.push_back(std::move(
          Command("HGET").arg(kRevPrefix + member(RevocationKind::kUser, names[i])).arg("cutoff")));
    }
    JWTGUARD_ASSIGN_OR_RETURN(const std::vector<Reply> replies, call_all(c, commands));
    for (std::size_t i = 0; i < replies.size(); i += 2) {
      SessionsOf sessions{.sids = texts_of(*replies[i])};
      if (replies[i + 1]->type != REDIS_REPLY_NIL) {
        auto cutoff = parse_int(text_of(*replies[i + 1]));
        if (!cutoff) return unexpected_reply("HGET cutoff");
        sessions.cutoff = Timestamp(std::chrono::microseconds(*cutoff));
      }
      out.push_back(std::move(sessions));
    }
  }
  return out;
}

// How many of each name's sessions are live at `now` (Store::list_users).
Result<std::vector<std::size_t>> live_sessions(RedisDb& db, Connection& c,
                                               std::span<const std::string> names, Timestamp now) {
  JWTGUARD_ASSIGN_OR_RETURN(const std::vector<SessionsOf> of, sessions_of(c, names));
  std::vector<std::string> sids;
  for (const SessionsOf& sessions : of) {
    sids.insert(sids.end(), sessions.sids.begin(), sessions.sids.end());
  }
  JWTGUARD_ASSIGN_OR_RETURN(const auto read, db.read_records(c, kSessPrefix, sids, &read_session));
  std::vector<std::size_t> counts(names.size(), 0);
  std::size_t next = 0;
  for (std::size_t i = 0; i < names.size(); ++i) {
    for (std::size_t n = 0; n < of[i].sids.size(); ++n, ++next) {
      const std::optional<Session>& s = read[next];
      if (s && s->user == names[i] && !s->revoked_at && s->expires_at > now &&
          s->refreshed_at >= of[i].cutoff) {
        ++counts[i];
      }
    }
  }
  return counts;
}

}  // namespace

Result<void> create_user(RedisDb& db, const User& user) {
  JWTGUARD_ASSIGN_OR_RETURN(const Reply reply, db.eval(scripts::create_user(user)));
  if (reply->type != REDIS_REPLY_INTEGER) return unexpected_reply(scripts::kCreateUser.name);
  if (reply->integer == 0) return fail(Errc::kAlreadyExists, "user");
  if (reply->integer < 0) return fail(Errc::kAlreadyExists, "user name reserved");
  return {};
}

Result<std::optional<User>> find_user(RedisDb& db, std::string_view name) {
  return db.find_record(kUserPrefix, name, &read_user);
}

Result<void> set_admin(RedisDb& db, std::string_view name, bool admin) {
  return db.eval_flag(scripts::set_admin(name, admin), Errc::kNotFound, "user");
}

Result<void> set_password(RedisDb& db, std::string_view name, std::string_view password_hash,
                          std::string_view expected_hash) {
  const scripts::Call call = scripts::set_password(name, password_hash, expected_hash);
  JWTGUARD_ASSIGN_OR_RETURN(const Reply reply, db.eval(call));
  if (reply->type != REDIS_REPLY_INTEGER) return unexpected_reply(scripts::kSetUserField.name);
  if (reply->integer == 0) return fail(Errc::kNotFound, "user");
  if (reply->integer < 0) return fail(Errc::kRevoked, "password changed meanwhile");
  return {};
}

Result<void> set_disabled(RedisDb& db, std::string_view name, bool disabled) {
  return db.eval_flag(scripts::set_disabled(name, disabled), Errc::kNotFound, "user");
}

Result<void> delete_user(RedisDb& db, std::string_view name, Timestamp reserved_until) {
  return db.eval_flag(scripts::delete_user(name, reserved_until), Errc::kNotFound, "user");
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

Result<UserPage> list_user_page(RedisDb& db, const UserFilter& filter) {
  JWTGUARD_ASSIGN_OR_RETURN(const Pool::Lease c, db.acquire());
  // Names compare as bytes (memcmp) in BYLEX ranges, the contract's order;
  // "(" makes the cursor exclusive. One name more than the page tells
  // whether another page follows.
  const std::string from = filter.cursor.empty() ? "-" : "(" + filter.cursor;
  JWTGUARD_ASSIGN_OR_RETURN(
      const Reply range,
      call(*c,
           Command("ZRANGE").arg(kUsers).arg(from).arg("+").arg("BYLEX").arg("LIMIT").arg("0").arg(
               std::to_string(filter.limit + 1))));
  std::vector<std::string> names = texts_of(*range);
  const bool more = names.size() > filter.limit;
  if (more) names.resize(filter.limit);
  JWTGUARD_ASSIGN_OR_RETURN(auto users, db.read_records(*c, kUserPrefix, names, &read_user));
  JWTGUARD_ASSIGN_OR_RETURN(const auto counts, live_sessions(db, *c, names, filter.now));
  UserPage page;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (!users[i]) continue;  // deleted since the range was read
    users[i]->password_hash.clear();
    page.entries.push_back(UserSummary{.user = std::move(*users[i]), .sessions = counts[i]});
  }
  if (more) page.next_cursor = names.back();
  return page;
}

}  // namespace jwtguard::redis
