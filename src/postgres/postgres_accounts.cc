#include "postgres_accounts.h"

#include <algorithm>

#include "store/rows.h"
#include "store/store_rules.h"
#include "util/try.h"

namespace jwtguard::pg {
namespace {

const char* boolean(bool value) { return value ? "t" : "f"; }

// kNotFound when the statement changed no row.
Result<void> changed_a_user(const Rows& rows) {
  if (rows.affected() == 0) return fail(Errc::kNotFound, "user");
  return {};
}

// The insert of insert_user, inside its transaction.
Result<void> insert_unless_reserved(Conn& conn, const Connector& connector, const User& user) {
  Params params;
  params.add(user.name).add(user.password_hash).add(boolean(user.admin));
  params.add(user.created_at).add(boolean(user.disabled));
  JWTGUARD_ASSIGN_OR_RETURN(
      const Rows inserted,
      conn.exec("INSERT INTO users (name, password_hash, admin, created_at, disabled)"
                " SELECT $1::text, $2::text, $3::boolean, $4::bigint, $5::boolean"
                " WHERE NOT EXISTS (SELECT 1 FROM reserved_names"
                " WHERE name = $1 AND reserved_until > $4) ON CONFLICT (name) DO NOTHING",
                params, connector.statement_deadline()));
  // Read again, in a snapshot of its own (READ COMMITTED): a deletion of
  // the name that committed while the insert waited for its row lock was
  // invisible to the insert's snapshot, but reserved the name before this
  // statement began.
  JWTGUARD_ASSIGN_OR_RETURN(
      const Rows reserved,
      conn.exec("SELECT EXISTS (SELECT 1 FROM reserved_names"
                " WHERE name = $1 AND reserved_until > $2)",
                Params().add(user.name).add(user.created_at), connector.statement_deadline()));
  if (reserved.boolean(0, 0)) return fail(Errc::kAlreadyExists, "user name reserved");
  if (inserted.affected() == 0) return fail(Errc::kAlreadyExists, "user");
  return {};
}

}  // namespace

Result<void> insert_user(Conn& conn, const Connector& connector, const User& user) {
  JWTGUARD_TRY(conn.run("BEGIN", connector.statement_deadline()));
  if (auto ok = insert_unless_reserved(conn, connector, user); !ok) {
    // A connection left in the transaction (this failed too) is closed by
    // the pool, which rolls it back.
    static_cast<void>(conn.run("ROLLBACK", connector.statement_deadline()));
    return ok;
  }
  return conn.commit("COMMIT", connector.statement_deadline());
}

Result<void> insert_session(Conn& conn, const Connector& connector, const Session& session) {
  Params params;
  params.add(session.sid).add(session.user).add(session.created_at).add(session.refreshed_at);
  params.add(session.expires_at).add(session.client_address).add(session.user_agent);
  params.add(session.refresh_jti);
  session.revoked_at ? params.add(*session.revoked_at) : params.add_null();
  params.add(session.previous_refresh_jti);
  // GREATEST ignores NULL: the first login sets it. A session created late
  // by a slower instance does not move it back.
  JWTGUARD_ASSIGN_OR_RETURN(
      const Rows rows,
      conn.exec("WITH s AS (INSERT INTO sessions (" JWTGUARD_SESSION_COLUMNS
                ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
                " ON CONFLICT (sid) DO NOTHING RETURNING subject, created_at),"
                " login AS (UPDATE users u SET last_login_at = GREATEST(u.last_login_at,"
                " s.created_at) FROM s WHERE u.name = s.subject)"
                " SELECT count(*) FROM s",
                params, connector.statement_deadline()));
  if (rows.int64(0, 0) == 0) return fail(Errc::kAlreadyExists, "session");
  return {};
}

Result<void> update_password(Conn& conn, const Connector& connector, std::string_view name,
                             std::string_view password_hash, std::string_view expected_hash) {
  // One statement: the comparison and the write see the same row.
  JWTGUARD_ASSIGN_OR_RETURN(
      const Rows rows,
      conn.exec("WITH changed AS (UPDATE users SET password_hash = $2 WHERE name = $1"
                " AND ($3 = '' OR (password_hash = $3 AND NOT disabled)) RETURNING 1)"
                " SELECT (SELECT count(*) FROM changed), (SELECT count(*) FROM users"
                " WHERE name = $1)",
                Params().add(name).add(password_hash).add(expected_hash),
                connector.statement_deadline()));
  if (rows.size() != 1) return fail(Errc::kStore, "unexpected reply to a password change");
  if (rows.int64(0, 0) > 0) return {};
  if (rows.int64(0, 1) == 0) return fail(Errc::kNotFound, "user");
  return fail(Errc::kRevoked, "password changed meanwhile");
}

Result<void> update_disabled(Conn& conn, const Connector& connector, std::string_view name,
                             bool disabled) {
  JWTGUARD_ASSIGN_OR_RETURN(
      const Rows rows,
      conn.exec("UPDATE users SET disabled = $2 WHERE name = $1",
                Params().add(name).add(boolean(disabled)), connector.statement_deadline()));
  return changed_a_user(rows);
}

Result<void> remove_user(Conn& conn, const Connector& connector, std::string_view name,
                         Timestamp reserved_until) {
  // One statement: the user, its sessions and the reservation change
  // together or not at all.
  JWTGUARD_ASSIGN_OR_RETURN(
      const Rows rows,
      conn.exec("WITH gone AS (DELETE FROM users WHERE name = $1 RETURNING name),"
                " ended AS (DELETE FROM sessions WHERE subject = $1"
                " AND EXISTS (SELECT 1 FROM gone)),"
                " reserved AS (INSERT INTO reserved_names (name, reserved_until)"
                " SELECT name, $2::bigint FROM gone ON CONFLICT (name) DO UPDATE SET"
                " reserved_until = GREATEST(reserved_names.reserved_until,"
                " EXCLUDED.reserved_until))"
                " SELECT count(*) FROM gone",
                Params().add(name).add(reserved_until), connector.statement_deadline()));
  if (rows.int64(0, 0) == 0) return fail(Errc::kNotFound, "user");
  return {};
}

Result<void> purge_reservations(Conn& conn, const Connector& connector, Timestamp now) {
  JWTGUARD_TRY(conn.exec("DELETE FROM reserved_names WHERE reserved_until <= $1", Params().add(now),
                         connector.statement_deadline()));
  return {};
}

Result<std::uint64_t> insert_audit(Conn& conn, const Connector& connector,
                                   const AuditEvent& event) {
  Params params;
  params.add(event.at).add(event.actor).add(event.action).add(event.subject).add(event.detail);
  JWTGUARD_ASSIGN_OR_RETURN(
      const Rows rows,
      conn.exec("INSERT INTO audit_log (happened_at, actor, action, subject, detail)"
                " VALUES ($1, $2, $3, $4, $5) RETURNING id",
                params, connector.statement_deadline()));
  if (rows.size() != 1) return fail(Errc::kStore, "postgresql: no audit id returned");
  return static_cast<std::uint64_t>(rows.int64(0, 0));
}

Result<UserPage> read_user_page(Conn& conn, const Connector& connector, const UserFilter& filter) {
  // COLLATE "C": names compare as bytes, as every store orders them, in the
  // cursor's comparison as in the order. A session counts while neither
  // revoked nor expired, and not last refreshed before the user's "log out
  // everywhere" cutoff.
  JWTGUARD_ASSIGN_OR_RETURN(
      const Rows rows,
      conn.exec("SELECT " JWTGUARD_USER_SUMMARY_COLUMNS ", (SELECT count(*) FROM sessions s"
                " WHERE s.subject = u.name AND s.revoked_at IS NULL AND s.expires_at > $2"
                " AND s.refreshed_at >= coalesce((SELECT cutoff FROM revocations"
                " WHERE kind = 2 AND key = u.name), 0))"
                " FROM users u WHERE ($1::text = '' OR u.name COLLATE \"C\" > $1)"
                " ORDER BY u.name COLLATE \"C\" LIMIT $3",
                Params()
                    .add(filter.cursor)
                    .add(filter.now)
                    .add(static_cast<std::int64_t>(filter.limit + 1)),
                connector.statement_deadline()));
  UserPage page;
  const int shown = std::min(rows.size(), static_cast<int>(filter.limit));
  for (int i = 0; i < shown; ++i) {
    page.entries.push_back(
        UserSummary{.user = stores::read_user(rows.row(i)),
                    .sessions = static_cast<std::size_t>(rows.int64(i, stores::kUserColumns))});
  }
  if (rows.size() > shown) page.next_cursor = page.entries.back().user.name;
  return page;
}

Result<AuditPage> read_audit_page(Conn& conn, const Connector& connector, const AuditFilter& filter,
                                  std::optional<std::uint64_t> before) {
  Params params;
  before ? params.add(static_cast<std::int64_t>(*before)) : params.add_null();
  params.add(filter.subject).add(static_cast<std::int64_t>(filter.limit + 1));
  JWTGUARD_ASSIGN_OR_RETURN(
      const Rows rows,
      conn.exec("SELECT " JWTGUARD_AUDIT_COLUMNS " FROM audit_log"
                " WHERE ($1::bigint IS NULL OR id < $1) AND ($2::text = '' OR subject = $2)"
                " ORDER BY id DESC LIMIT $3",
                params, connector.statement_deadline()));
  AuditPage page;
  const int shown = std::min(rows.size(), static_cast<int>(filter.limit));
  for (int i = 0; i < shown; ++i) page.entries.push_back(stores::read_audit(rows.row(i)));
  if (rows.size() > shown) {
    page.next_cursor = stores::cursor_for(static_cast<std::int64_t>(page.entries.back().id));
  }
  return page;
}

}  // namespace jwtguard::pg
