#include "redis_scripts.h"

#include "redis_keys.h"
#include "redis_records.h"

namespace jwtguard::redis::scripts {

Call revoke(const Revocation& r, bool mark_session, std::size_t feed_max_length) {
  const std::string m = member(r.kind, r.key);
  return {&kRevoke,
          {kSeq, kFeed, kRevPrefix + m, kRevExpiry, kRevRows, kRowCounter, kSessPrefix + r.key},
          {std::to_string(feed_max_length), m, std::string(revocation_kind_name(r.kind)), r.key,
           micros(r.cutoff), micros(r.expires_at), millis_up(r.expires_at), micros(r.revoked_at),
           r.token_type ? std::string(token_type_name(*r.token_type)) : "", r.user, r.session,
           r.revoked_by, r.reason, mark_session ? "1" : "0", kPrefix}};
}

Call unrevoke(RevocationKind kind, std::string_view key, Timestamp now,
              std::size_t feed_max_length) {
  const std::string m = member(kind, key);
  return {&kUnrevoke,
          {kSeq, kFeed, kRevPrefix + m, kRevExpiry, kRevRows, kSessPrefix + std::string(key)},
          {std::to_string(feed_max_length), m, std::string(revocation_kind_name(kind)),
           std::string(key), micros(now), kind == RevocationKind::kSession ? "1" : "0", kPrefix}};
}

Call create_session(const Session& s) {
  return {&kCreateSession,
          {kSessPrefix + s.sid, kSessExpiry, kUserSessPrefix + s.user, kUserPrefix + s.user},
          {s.sid, s.user, micros(s.created_at), micros(s.refreshed_at), micros(s.expires_at),
           millis_up(s.expires_at), s.client_address, s.user_agent, s.refresh_jti,
           s.revoked_at ? micros(*s.revoked_at) : "", s.previous_refresh_jti}};
}

Call rotate(std::string_view sid, std::string_view presented_jti, std::string_view next_jti,
            Timestamp now, Timestamp next_expires_at) {
  return {&kRotate,
          {kSessPrefix + std::string(sid), kSessExpiry},
          {std::string(sid), std::string(presented_jti), std::string(next_jti), micros(now),
           micros(next_expires_at), millis_up(next_expires_at), kUserSessPrefix}};
}

Call create_user(const User& user) {
  return {&kCreateUser,
          {kUserPrefix + user.name, kUsers, kReservedNames},
          {user.name, user.password_hash, user.admin ? "1" : "0", micros(user.created_at)}};
}

Call set_admin(std::string_view name, bool admin) {
  return {&kSetUserField, {kUserPrefix + std::string(name)}, {"admin", admin ? "1" : "0", ""}};
}

Call set_password(std::string_view name, std::string_view password_hash,
                  std::string_view expected_hash) {
  return {&kSetUserField,
          {kUserPrefix + std::string(name)},
          {"password_hash", std::string(password_hash), std::string(expected_hash)}};
}

Call set_disabled(std::string_view name, bool disabled) {
  return {
      &kSetUserField, {kUserPrefix + std::string(name)}, {"disabled", disabled ? "1" : "0", ""}};
}

Call delete_user(std::string_view name, Timestamp reserved_until) {
  const std::string user(name);
  return {&kDeleteUser,
          {kUserPrefix + user, kUsers, kUserSessPrefix + user, kSessExpiry, kReservedNames},
          {user, micros(reserved_until), kSessPrefix}};
}

Call append_audit(const AuditEvent& event) {
  // A subject-less event names the event index twice, so that the script
  // always gets three keys (and declares every key it touches).
  const std::string subject_index =
      event.subject.empty() ? kAuditIndex : kAuditSubjectPrefix + event.subject;
  return {&kAppendAudit,
          {kAuditCounter, kAuditIndex, subject_index},
          {kAuditPrefix, micros(event.at), event.actor, event.action, event.subject, event.detail}};
}

Call raise_horizon(Timestamp at) { return {&kRaiseHorizon, {kTokenHorizon}, {micros(at)}}; }

Call purge(Timestamp now, std::size_t batch) {
  return {&kPurge,
          {kRevExpiry, kRevRows, kSessExpiry, kReservedNames},
          {micros(now), std::to_string(batch), kPrefix}};
}

Call drop_dangling(const std::string& index, const std::string& prefix,
                   std::span<const std::string> members) {
  Call call{&kDropDangling, {index}, {prefix}};
  call.args.insert(call.args.end(), members.begin(), members.end());
  return call;
}

}  // namespace jwtguard::redis::scripts
