// The "redis://" store: the Store interface over the parts that do the work.
// The key layout, and why it is so, is described in redis_keys.h.
#include <chrono>
#include <memory>

#include "jwtguard/store.h"
#include "redis_audit.h"
#include "redis_db.h"
#include "redis_records.h"
#include "redis_revocations.h"
#include "redis_scripts.h"
#include "redis_sessions.h"
#include "redis_status.h"
#include "redis_url.h"
#include "redis_users.h"
#include "util/try.h"

namespace jwtguard::redis {
namespace {

using std::chrono::milliseconds;

class RedisStore final : public Store {
 public:
  RedisStore(Settings settings, const RedisOptions& options)
      : db_(std::move(settings), options), revocations_(db_) {}

  Result<void> open() { return db_.open(); }

 private:
  Result<std::uint64_t> do_revoke(const Revocation& revocation) override {
    return revocations_.write(revocation, false);
  }
  Result<std::uint64_t> do_revoke_session(const Revocation& revocation) override {
    return revocations_.write(revocation, true);
  }
  Result<bool> do_unrevoke(RevocationKind kind, std::string_view key, Timestamp now) override {
    return revocations_.unrevoke(kind, key, now);
  }
  Result<std::optional<Revocation>> do_find_revocation(RevocationKind kind,
                                                       std::string_view key) override {
    return revocations_.find(kind, key);
  }
  Result<RevocationPage> do_list_revocations(const RevocationFilter& filter,
                                             std::optional<std::int64_t> start) override {
    return revocations_.list(filter, start);
  }
  Result<Snapshot> do_snapshot(Timestamp now) override { return revocations_.snapshot(now); }
  Result<ChangeBatch> do_changes_since(std::uint64_t after, std::size_t limit,
                                       milliseconds max_wait) override {
    return revocations_.changes_since(after, limit, max_wait);
  }
  Result<std::size_t> do_purge(Timestamp now, std::chrono::seconds feed_retention) override {
    JWTGUARD_ASSIGN_OR_RETURN(const std::size_t removed, revocations_.purge(now, feed_retention));
    JWTGUARD_TRY(redis::purge_status_lists(db_, now));
    return removed;
  }
  Result<Hits> do_lookup(std::string_view jti, std::string_view sid,
                         std::string_view user) override {
    return revocations_.lookup(jti, sid, user);
  }

  Result<void> do_create_session(const Session& session) override {
    return redis::create_session(db_, session);
  }
  Result<std::optional<Session>> do_find_session(std::string_view sid) override {
    return redis::find_session(db_, sid);
  }
  Result<std::vector<Session>> do_list_sessions(std::string_view user, Timestamp now) override {
    return redis::list_sessions(db_, user, now);
  }
  Result<Rotation> do_rotate_refresh(std::string_view sid, std::string_view presented_jti,
                                     std::string_view next_jti, Timestamp now,
                                     Timestamp next_expires_at) override {
    return redis::rotate_refresh(db_, sid, presented_jti, next_jti, now, next_expires_at);
  }

  Result<void> do_create_user(const User& user) override { return redis::create_user(db_, user); }
  Result<std::optional<User>> do_find_user(std::string_view name) override {
    return redis::find_user(db_, name);
  }
  Result<void> do_set_admin(std::string_view name, bool admin) override {
    return redis::set_admin(db_, name, admin);
  }
  Result<void> do_set_password(std::string_view name, std::string_view hash,
                               std::string_view expected) override {
    return redis::set_password(db_, name, hash, expected);
  }
  Result<void> do_set_disabled(std::string_view name, bool disabled) override {
    return redis::set_disabled(db_, name, disabled);
  }
  Result<void> do_delete_user(std::string_view name, Timestamp reserved_until) override {
    return redis::delete_user(db_, name, reserved_until);
  }
  Result<UserPage> do_list_user_page(const UserFilter& filter) override {
    return redis::list_user_page(db_, filter);
  }
  Result<std::uint64_t> do_append_audit(const AuditEvent& event) override {
    return redis::append_audit(db_, event);
  }
  Result<AuditPage> do_list_audit(const AuditFilter& filter,
                                  std::optional<std::uint64_t> before) override {
    return redis::list_audit(db_, filter, before);
  }
  Result<std::vector<User>> do_list_users() override { return redis::list_users(db_); }

  Result<std::vector<StatusRef>> do_allocate_status(const std::vector<StatusEntry>& entries,
                                                    const StatusListSpec& spec) override {
    return redis::allocate_status(db_, entries, spec);
  }
  Result<std::optional<StatusListState>> do_find_status_list(std::uint64_t id) override {
    return redis::find_status_list(db_, id);
  }

  Result<Timestamp> do_raise_token_horizon(Timestamp at) override;
  Result<void> do_ping() override;

  RedisDb db_;
  Revocations revocations_;
};

Result<Timestamp> RedisStore::do_raise_token_horizon(Timestamp at) {
  JWTGUARD_ASSIGN_OR_RETURN(const Reply reply, db_.eval(scripts::raise_horizon(at)));
  const auto micros = reply->type == REDIS_REPLY_STRING ? parse_int(text_of(*reply)) : std::nullopt;
  if (!micros) return unexpected_reply(scripts::kRaiseHorizon.name);
  return Timestamp(std::chrono::microseconds(*micros));
}

Result<void> RedisStore::do_ping() {
  JWTGUARD_ASSIGN_OR_RETURN(const Reply reply, db_.call(Command("PING")));
  if (text_of(*reply) != "PONG") return unexpected_reply("PING");
  return {};
}

// Checked here, before any connection, so that a bad option is an invalid
// argument and not a store failure.
Result<void> check_options(const RedisOptions& options) {
  if (options.connections == 0) {
    return fail(Errc::kInvalidArgument, "RedisOptions::connections must be at least 1");
  }
  if (options.feed_max_length == 0) {
    return fail(Errc::kInvalidArgument, "RedisOptions::feed_max_length must be at least 1");
  }
  if (options.connect_timeout <= milliseconds(0) || options.command_timeout <= milliseconds(0)) {
    return fail(Errc::kInvalidArgument, "RedisOptions timeouts must be positive");
  }
  return {};
}

}  // namespace
}  // namespace jwtguard::redis

namespace jwtguard {

Result<std::unique_ptr<Store>> open_redis_store(std::string_view url, const RedisOptions& options) {
  JWTGUARD_ASSIGN_OR_RETURN(redis::Endpoint endpoint, redis::parse_url(url));
  JWTGUARD_TRY(redis::check_options(options));
  auto store = std::make_unique<redis::RedisStore>(
      redis::Settings{.endpoint = std::move(endpoint),
                      .connect_timeout = options.connect_timeout,
                      .command_timeout = options.command_timeout},
      options);
  JWTGUARD_TRY(store->open());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace jwtguard
