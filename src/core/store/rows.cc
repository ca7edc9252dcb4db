#include "store/rows.h"

#include "jwtguard/claims.h"

namespace jwtguard::stores {

Revocation read_revocation(const Row& row, int first) {
  Revocation r;
  r.kind = static_cast<RevocationKind>(row.int64(first));
  r.key = row.text(first + 1);
  r.cutoff = row.time(first + 2);
  r.expires_at = row.time(first + 3);
  r.revoked_at = row.time(first + 4);
  if (!row.is_null(first + 5)) r.token_type = parse_token_type(row.text(first + 5));
  r.user = row.text(first + 6);
  r.session = row.text(first + 7);
  r.revoked_by = row.text(first + 8);
  r.reason = row.text(first + 9);
  return r;
}

Session read_session(const Row& row, int first) {
  Session s;
  s.sid = row.text(first);
  s.user = row.text(first + 1);
  s.created_at = row.time(first + 2);
  s.refreshed_at = row.time(first + 3);
  s.expires_at = row.time(first + 4);
  s.client_address = row.text(first + 5);
  s.user_agent = row.text(first + 6);
  s.refresh_jti = row.text(first + 7);
  if (!row.is_null(first + 8)) s.revoked_at = row.time(first + 8);
  s.previous_refresh_jti = row.text(first + 9);
  return s;
}

User read_user(const Row& row, int first) {
  return User{.name = row.text(first),
              .password_hash = row.text(first + 1),
              .admin = row.boolean(first + 2),
              .created_at = row.time(first + 3),
              .disabled = row.boolean(first + 4),
              .last_login_at = row.is_null(first + 5)
                                   ? std::nullopt
                                   : std::optional<Timestamp>(row.time(first + 5))};
}

Change read_change(const Row& row, int first) {
  return Change{.seq = static_cast<std::uint64_t>(row.int64(first)),
                .op = static_cast<Change::Op>(row.int64(first + 1)),
                .kind = static_cast<RevocationKind>(row.int64(first + 2)),
                .key = row.text(first + 3),
                .cutoff = row.time(first + 4),
                .expires_at = row.time(first + 5)};
}

AuditEvent read_audit(const Row& row, int first) {
  return AuditEvent{.id = static_cast<std::uint64_t>(row.int64(first)),
                    .at = row.time(first + 1),
                    .actor = row.text(first + 2),
                    .action = row.text(first + 3),
                    .subject = row.text(first + 4),
                    .detail = row.text(first + 5)};
}

Change read_entry(const Row& row, int first) {
  return Change{.op = Change::Op::kRevoke,
                .kind = static_cast<RevocationKind>(row.int64(first)),
                .key = row.text(first + 1),
                .cutoff = row.time(first + 2),
                .expires_at = row.time(first + 3)};
}

}  // namespace jwtguard::stores
