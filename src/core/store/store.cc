// The public side of the Store interface: every argument check, once for
// every backend, before the backend's do_* method.
#include "jwtguard/store.h"

#include "store/store_rules.h"
#include "util/try.h"

namespace jwtguard {

Result<Store::Hits> Store::do_lookup(std::string_view jti, std::string_view sid,
                                     std::string_view user) {
  Hits hits;
  if (!jti.empty()) {
    auto found = find_revocation(RevocationKind::kToken, jti);
    if (!found) return tl::unexpected(found.error());
    hits.token = found->has_value();
  }
  if (!sid.empty()) {
    auto found = find_revocation(RevocationKind::kSession, sid);
    if (!found) return tl::unexpected(found.error());
    hits.session = found->has_value();
  }
  if (!user.empty()) {
    auto found = find_revocation(RevocationKind::kUser, user);
    if (!found) return tl::unexpected(found.error());
    if (found->has_value()) hits.cutoff = (*found)->cutoff;
  }
  return hits;
}

namespace {

Result<void> check_key(std::string_view key) {
  if (key.empty()) return fail(Errc::kInvalidArgument, "empty revocation key");
  return {};
}

}  // namespace

Result<std::uint64_t> Store::revoke(const Revocation& revocation) {
  JWTGUARD_TRY(stores::validate(revocation));
  return do_revoke(revocation);
}

Result<bool> Store::unrevoke(RevocationKind kind, std::string_view key, Timestamp now) {
  JWTGUARD_TRY(check_key(key));
  return do_unrevoke(kind, key, now);
}

Result<std::optional<Revocation>> Store::find_revocation(RevocationKind kind,
                                                         std::string_view key) {
  return do_find_revocation(kind, key);
}

Result<RevocationPage> Store::list_revocations(const RevocationFilter& filter) {
  JWTGUARD_ASSIGN_OR_RETURN(const auto start, stores::page_start(filter));
  return do_list_revocations(filter, start);
}

Result<Snapshot> Store::snapshot(Timestamp now) { return do_snapshot(now); }

Result<ChangeBatch> Store::changes_since(std::uint64_t after, std::size_t limit,
                                         std::chrono::milliseconds max_wait) {
  return do_changes_since(after, limit, max_wait);
}

Result<std::size_t> Store::purge(Timestamp now, std::chrono::seconds feed_retention) {
  return do_purge(now, feed_retention);
}

Result<void> Store::create_session(const Session& session) {
  if (session.sid.empty()) return fail(Errc::kInvalidArgument, "empty session id");
  return do_create_session(session);
}

Result<std::optional<Session>> Store::find_session(std::string_view sid) {
  return do_find_session(sid);
}

Result<std::vector<Session>> Store::list_sessions(std::string_view user, Timestamp now) {
  return do_list_sessions(user, now);
}

Result<Rotation> Store::rotate_refresh(std::string_view sid, std::string_view presented_jti,
                                       std::string_view next_jti, Timestamp now,
                                       Timestamp next_expires_at) {
  return do_rotate_refresh(sid, presented_jti, next_jti, now, next_expires_at);
}

Result<std::uint64_t> Store::revoke_session(const Revocation& revocation) {
  JWTGUARD_TRY(stores::validate(revocation));
  if (revocation.kind != RevocationKind::kSession) {
    return fail(Errc::kInvalidArgument, "not a session revocation");
  }
  return do_revoke_session(revocation);
}

Result<void> Store::create_user(const User& user) {
  if (user.name.empty()) return fail(Errc::kInvalidArgument, "empty user name");
  return do_create_user(user);
}

Result<std::optional<User>> Store::find_user(std::string_view name) { return do_find_user(name); }

Result<void> Store::set_admin(std::string_view name, bool admin) {
  return do_set_admin(name, admin);
}

Result<std::vector<User>> Store::list_users() { return do_list_users(); }

Result<void> Store::set_password(std::string_view name, std::string_view password_hash,
                                 std::string_view expected_hash) {
  if (name.empty()) return fail(Errc::kInvalidArgument, "empty user name");
  if (password_hash.empty()) return fail(Errc::kInvalidArgument, "empty password hash");
  return do_set_password(name, password_hash, expected_hash);
}

Result<void> Store::set_disabled(std::string_view name, bool disabled) {
  if (name.empty()) return fail(Errc::kInvalidArgument, "empty user name");
  return do_set_disabled(name, disabled);
}

Result<void> Store::delete_user(std::string_view name, Timestamp reserved_until) {
  if (name.empty()) return fail(Errc::kInvalidArgument, "empty user name");
  return do_delete_user(name, reserved_until);
}

Result<UserPage> Store::list_users(const UserFilter& filter) {
  JWTGUARD_TRY(stores::check_limit(filter.limit));
  return do_list_user_page(filter);
}

Result<std::uint64_t> Store::append_audit(const AuditEvent& event) {
  if (event.action.empty()) return fail(Errc::kInvalidArgument, "empty audit action");
  return do_append_audit(event);
}

Result<AuditPage> Store::list_audit(const AuditFilter& filter) {
  JWTGUARD_TRY(stores::check_limit(filter.limit));
  JWTGUARD_ASSIGN_OR_RETURN(const auto before, stores::decode_cursor(filter.cursor));
  if (!before) return do_list_audit(filter, std::nullopt);
  return do_list_audit(filter, static_cast<std::uint64_t>(*before));
}

Result<Timestamp> Store::raise_token_horizon(Timestamp at) { return do_raise_token_horizon(at); }

Result<Store::Hits> Store::lookup(std::string_view jti, std::string_view sid,
                                  std::string_view user) {
  return do_lookup(jti, sid, user);
}

Result<void> Store::ping() { return do_ping(); }

Result<std::vector<StatusRef>> Store::allocate_status(const std::vector<StatusEntry>& entries,
                                                      const StatusListSpec& spec) {
  if (entries.empty() || entries.size() > 64) {
    return fail(Errc::kInvalidArgument, "a status allocation takes 1 to 64 entries");
  }
  for (const StatusEntry& entry : entries) {
    if (entry.jti.empty()) return fail(Errc::kInvalidArgument, "status entry without jti");
    if (entry.user.empty()) return fail(Errc::kInvalidArgument, "status entry without user");
  }
  if (spec.bits != 1 && spec.bits != 2 && spec.bits != 4 && spec.bits != 8) {
    return fail(Errc::kInvalidArgument, "status list bits must be 1, 2, 4 or 8");
  }
  if (spec.size < 1 || spec.size > (1ULL << 31)) {
    return fail(Errc::kInvalidArgument, "status list size must be 1 to 2^31");
  }
  return do_allocate_status(entries, spec);
}

Result<std::optional<StatusListState>> Store::find_status_list(std::uint64_t id) {
  return do_find_status_list(id);
}

Result<std::vector<StatusRef>> Store::do_allocate_status(const std::vector<StatusEntry>&,
                                                         const StatusListSpec&) {
  return fail(Errc::kStore, "this store keeps no status lists");
}

Result<std::optional<StatusListState>> Store::do_find_status_list(std::uint64_t) {
  return fail(Errc::kStore, "this store keeps no status lists");
}

}  // namespace jwtguard
