#include "sqlite_revocations.h"

#include <optional>

#include "sqlite_status.h"
#include "store/rows.h"
#include "store/store_rules.h"
#include "util/try.h"

namespace jwtguard::sqlite {

Result<std::uint64_t> log_change(Db& db, const Change& change, Timestamp at) {
  JWTGUARD_ASSIGN_OR_RETURN(Stmt s, db.prepare("INSERT INTO revocation_log (op, kind, key, cutoff,"
                                               " expires_at, logged_at)"
                                               " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
  s.bind(1, static_cast<std::int64_t>(change.op)).bind(2, number(change.kind)).bind(3, change.key);
  s.bind(4, change.cutoff).bind(5, change.expires_at).bind(6, at);
  JWTGUARD_TRY(s.run());
  return static_cast<std::uint64_t>(sqlite3_last_insert_rowid(db.handle()));
}

namespace {

// The cutoff of the kUser revocation `r` merges into, if there is one.
Result<std::optional<Timestamp>> previous_cutoff(Db& db, const Revocation& r) {
  if (r.kind != RevocationKind::kUser) return std::optional<Timestamp>();
  JWTGUARD_ASSIGN_OR_RETURN(
      Stmt s, db.prepare("SELECT cutoff FROM revocations WHERE kind = ?1 AND key = ?2"));
  s.bind(1, number(r.kind)).bind(2, r.key);
  return s.first_row([](const Stmt& row) { return row.time(0); });
}

}  // namespace

Result<std::uint64_t> upsert_revocation(Db& db, const Revocation& r) {
  JWTGUARD_ASSIGN_OR_RETURN(const std::optional<Timestamp> previous, previous_cutoff(db, r));
  JWTGUARD_ASSIGN_OR_RETURN(
      Stmt s, db.prepare("INSERT INTO revocations (" JWTGUARD_REVOCATION_COLUMNS
                         ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
                         " ON CONFLICT (kind, key) DO UPDATE SET cutoff = max(cutoff, "
                         "excluded.cutoff), expires_at = max(expires_at, excluded.expires_at)"
                         " RETURNING cutoff, expires_at"));
  s.bind(1, number(r.kind)).bind(2, r.key).bind(3, r.cutoff);
  s.bind(4, r.expires_at).bind(5, r.revoked_at);
  r.token_type ? s.bind(6, token_type_name(*r.token_type)) : s.bind_null(6);
  s.bind(7, r.user).bind(8, r.session).bind(9, r.revoked_by).bind(10, r.reason);
  JWTGUARD_ASSIGN_OR_RETURN(const bool row, s.step());
  if (!row) return fail(Errc::kStore, "sqlite: upsert returned no row");
  Revocation merged = r;
  merged.cutoff = s.time(0);
  merged.expires_at = s.time(1);
  JWTGUARD_TRY(s.run());
  JWTGUARD_TRY(cover_status_entries(db, merged, previous));
  return log_change(db, stores::revoke_change(merged, 0), r.revoked_at);
}

}  // namespace jwtguard::sqlite
