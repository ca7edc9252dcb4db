#include "sqlite_accounts.h"

#include "store/rows.h"
#include "store/store_rules.h"
#include "util/try.h"

namespace jwtguard::sqlite {
namespace {

// kNotFound when the statement just run changed no row.
Result<void> changed_a_user(Db& db) {
  if (sqlite3_changes(db.handle()) == 0) return fail(Errc::kNotFound, "user");
  return {};
}

Result<bool> name_reserved(Db& db, std::string_view name, Timestamp at) {
  JWTGUARD_ASSIGN_OR_RETURN(Stmt s, db.prepare("SELECT 1 FROM reserved_names"
                                               " WHERE name = ?1 AND reserved_until > ?2"));
  s.bind(1, name).bind(2, at);
  JWTGUARD_ASSIGN_OR_RETURN(const bool row, s.step());
  JWTGUARD_TRY(s.run());
  return row;
}

}  // namespace

Result<void> insert_user(Db& db, const User& user) {
  // The writer's transaction holds the write lock: no deletion can reserve
  // the name between this check and the insert.
  JWTGUARD_ASSIGN_OR_RETURN(const bool reserved, name_reserved(db, user.name, user.created_at));
  if (reserved) return fail(Errc::kAlreadyExists, "user name reserved");
  JWTGUARD_ASSIGN_OR_RETURN(
      Stmt s, db.prepare("INSERT INTO users (" JWTGUARD_USER_COLUMNS
                         ") VALUES (?1, ?2, ?3, ?4, ?5, NULL) ON CONFLICT (name) DO NOTHING"));
  s.bind(1, user.name).bind(2, user.password_hash);
  s.bind(3, std::int64_t{user.admin}).bind(4, user.created_at).bind(5, std::int64_t{user.disabled});
  JWTGUARD_TRY(s.run());
  if (sqlite3_changes(db.handle()) == 0) return fail(Errc::kAlreadyExists, "user");
  return {};
}

Result<void> insert_session(Db& db, const Session& session) {
  JWTGUARD_ASSIGN_OR_RETURN(Stmt s, db.prepare("INSERT INTO sessions (" JWTGUARD_SESSION_COLUMNS
                                               ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
                                               " ON CONFLICT (sid) DO NOTHING"));
  s.bind(1, session.sid).bind(2, session.user).bind(3, session.created_at);
  s.bind(4, session.refreshed_at).bind(5, session.expires_at);
  s.bind(6, session.client_address).bind(7, session.user_agent).bind(8, session.refresh_jti);
  session.revoked_at ? s.bind(9, *session.revoked_at) : s.bind_null(9);
  s.bind(10, session.previous_refresh_jti);
  JWTGUARD_TRY(s.run());
  if (sqlite3_changes(db.handle()) == 0) return fail(Errc::kAlreadyExists, "session");
  // max() of SQLite is NULL when an argument is: hence the coalesce. A
  // session created late by a slower instance does not move it back.
  JWTGUARD_ASSIGN_OR_RETURN(
      Stmt login, db.prepare("UPDATE users SET last_login_at = max(coalesce(last_login_at, ?2), ?2)"
                             " WHERE name = ?1"));
  return login.bind(1, session.user).bind(2, session.created_at).run();
}

Result<void> update_password(Db& db, std::string_view name, std::string_view password_hash,
                             std::string_view expected_hash) {
  JWTGUARD_ASSIGN_OR_RETURN(Stmt s,
                            db.prepare("UPDATE users SET password_hash = ?2 WHERE name = ?1"
                                       " AND (coalesce(?3, '') = '' OR (password_hash = ?3 AND disabled = 0))"));
  JWTGUARD_TRY(s.bind(1, name).bind(2, password_hash).bind(3, expected_hash).run());
  if (sqlite3_changes(db.handle()) > 0) return {};
  JWTGUARD_ASSIGN_OR_RETURN(Stmt exists, db.prepare("SELECT 1 FROM users WHERE name = ?1"));
  JWTGUARD_ASSIGN_OR_RETURN(const bool found, exists.bind(1, name).step());
  if (!found) return fail(Errc::kNotFound, "user");
  return fail(Errc::kRevoked, "password changed meanwhile");
}

Result<void> update_disabled(Db& db, std::string_view name, bool disabled) {
  JWTGUARD_ASSIGN_OR_RETURN(Stmt s, db.prepare("UPDATE users SET disabled = ?2 WHERE name = ?1"));
  JWTGUARD_TRY(s.bind(1, name).bind(2, std::int64_t{disabled}).run());
  return changed_a_user(db);
}

Result<void> remove_user(Db& db, std::string_view name, Timestamp reserved_until) {
  JWTGUARD_ASSIGN_OR_RETURN(Stmt user, db.prepare("DELETE FROM users WHERE name = ?1"));
  JWTGUARD_TRY(user.bind(1, name).run());
  JWTGUARD_TRY(changed_a_user(db));
  JWTGUARD_ASSIGN_OR_RETURN(Stmt sessions, db.prepare("DELETE FROM sessions WHERE subject = ?1"));
  JWTGUARD_TRY(sessions.bind(1, name).run());
  JWTGUARD_ASSIGN_OR_RETURN(
      Stmt reserve, db.prepare("INSERT INTO reserved_names (name, reserved_until) VALUES (?1, ?2)"
                               " ON CONFLICT (name) DO UPDATE SET"
                               " reserved_until = max(reserved_until, excluded.reserved_until)"));
  return reserve.bind(1, name).bind(2, reserved_until).run();
}

Result<void> purge_reservations(Db& db, Timestamp now) {
  JWTGUARD_ASSIGN_OR_RETURN(Stmt s,
                            db.prepare("DELETE FROM reserved_names WHERE reserved_until <= ?1"));
  return s.bind(1, now).run();
}

Result<std::uint64_t> insert_audit(Db& db, const AuditEvent& event) {
  JWTGUARD_ASSIGN_OR_RETURN(
      Stmt s, db.prepare("INSERT INTO audit_log (happened_at, actor, action, subject, detail)"
                         " VALUES (?1, ?2, ?3, ?4, ?5)"));
  s.bind(1, event.at).bind(2, event.actor).bind(3, event.action);
  s.bind(4, event.subject).bind(5, event.detail);
  JWTGUARD_TRY(s.run());
  return static_cast<std::uint64_t>(sqlite3_last_insert_rowid(db.handle()));
}

Result<UserPage> read_user_page(Db& db, const UserFilter& filter) {
  // Names compare as bytes (SQLite's BINARY collation), as every store
  // orders them. A session counts while neither revoked nor expired, and
  // not last refreshed before the user's "log out everywhere" cutoff.
  JWTGUARD_ASSIGN_OR_RETURN(
      Stmt s,
      db.prepare("SELECT " JWTGUARD_USER_SUMMARY_COLUMNS ", (SELECT count(*) FROM sessions s"
                 " WHERE s.subject = u.name AND s.revoked_at IS NULL AND s.expires_at > ?2"
                 " AND s.refreshed_at >= coalesce((SELECT cutoff FROM revocations"
                 " WHERE kind = 2 AND key = u.name), 0))"
                 " FROM users u WHERE (?1 = '' OR name > ?1) ORDER BY name LIMIT ?3"));
  s.bind(1, filter.cursor).bind(2, filter.now);
  s.bind(3, static_cast<std::int64_t>(filter.limit + 1));
  UserPage page;
  bool more = false;
  JWTGUARD_TRY(s.each_row([&](const Stmt& row) {
    if (page.entries.size() == filter.limit) {
      more = true;
      return;
    }
    page.entries.push_back(
        UserSummary{.user = stores::read_user(row),
                    .sessions = static_cast<std::size_t>(row.int64(stores::kUserColumns))});
  }));
  if (more) page.next_cursor = page.entries.back().user.name;
  return page;
}

Result<AuditPage> read_audit_page(Db& db, const AuditFilter& filter,
                                  std::optional<std::uint64_t> before) {
  JWTGUARD_ASSIGN_OR_RETURN(
      Stmt s, db.prepare("SELECT " JWTGUARD_AUDIT_COLUMNS " FROM audit_log"
                         " WHERE (?1 IS NULL OR id < ?1) AND (?2 = '' OR subject = ?2)"
                         " ORDER BY id DESC LIMIT ?3"));
  before ? s.bind(1, static_cast<std::int64_t>(*before)) : s.bind_null(1);
  s.bind(2, filter.subject).bind(3, static_cast<std::int64_t>(filter.limit + 1));
  AuditPage page;
  bool more = false;
  JWTGUARD_TRY(s.each_row([&](const Stmt& row) {
    if (page.entries.size() == filter.limit) {
      more = true;
      return;
    }
    page.entries.push_back(stores::read_audit(row));
  }));
  if (more) {
    page.next_cursor = stores::cursor_for(static_cast<std::int64_t>(page.entries.back().id));
  }
  return page;
}

}  // namespace jwtguard::sqlite
