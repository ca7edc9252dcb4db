// The SQLite schema and its migrations.
//
// The version lives in PRAGMA user_version. kMigrations[i] takes a database
// from version i to version i + 1; opening a database runs the missing ones
// in one transaction. Never edit a migration that has shipped: add one.
#ifndef JWTGUARD_SQLITE_SCHEMA_H_
#define JWTGUARD_SQLITE_SCHEMA_H_

namespace jwtguard::sqlite {

// Times are INTEGER microseconds since the Unix epoch. `kind` is 0 token
// (jti), 1 session (sid), 2 user. `revocation_log` is the change feed; its
// AUTOINCREMENT key never reuses a number, even after a purge.
inline constexpr const char* kMigrations[] = {
    R"sql(
CREATE TABLE meta (
  name  TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO meta (name, value) VALUES ('feed_purged_through', 0);

CREATE TABLE revocations (
  id         INTEGER PRIMARY KEY,
  kind       INTEGER NOT NULL,
  key        TEXT NOT NULL,
  cutoff     INTEGER NOT NULL DEFAULT 0,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER NOT NULL,
  token_type TEXT,
  subject    TEXT NOT NULL DEFAULT '',
  session    TEXT NOT NULL DEFAULT '',
  revoked_by TEXT NOT NULL DEFAULT '',
  reason     TEXT NOT NULL DEFAULT '',
  UNIQUE (kind, key)
);
CREATE INDEX revocations_by_expiry ON revocations (expires_at);
CREATE INDEX revocations_by_subject ON revocations (subject, id);

CREATE TABLE revocation_log (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  op         INTEGER NOT NULL,
  kind       INTEGER NOT NULL,
  key        TEXT NOT NULL,
  cutoff     INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  logged_at  INTEGER NOT NULL
);
CREATE INDEX revocation_log_by_time ON revocation_log (logged_at);

CREATE TABLE sessions (
  sid            TEXT PRIMARY KEY,
  subject        TEXT NOT NULL,
  created_at     INTEGER NOT NULL,
  refreshed_at   INTEGER NOT NULL,
  expires_at     INTEGER NOT NULL,
  client_address TEXT NOT NULL DEFAULT '',
  user_agent     TEXT NOT NULL DEFAULT '',
  refresh_jti    TEXT NOT NULL,
  revoked_at     INTEGER
);
CREATE INDEX sessions_by_subject ON sessions (subject, created_at);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

CREATE TABLE users (
  name          TEXT PRIMARY KEY,
  password_hash TEXT NOT NULL,
  admin         INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL
);
)sql",
    // Version 2: accounts. A user may be disabled and records its last
    // login; a deleted user's name stays reserved until its tokens have
    // expired (reserved_names); account changes are recorded (audit_log,
    // AUTOINCREMENT so that an id is never handed out twice).
    R"sql(
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN last_login_at INTEGER;

CREATE TABLE reserved_names (
  name           TEXT PRIMARY KEY,
  reserved_until INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE audit_log (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  happened_at INTEGER NOT NULL,
  actor       TEXT NOT NULL,
  action      TEXT NOT NULL,
  subject     TEXT NOT NULL,
  detail      TEXT NOT NULL
);
CREATE INDEX audit_log_by_subject ON audit_log (subject, id);
)sql",
    // Version 3: browser sessions. A session remembers the refresh token its
    // last rotation retired, so that a second tab presenting it within the
    // reuse interval is not taken for a thief; sessions recorded before have
    // none ('': no rotation to forgive).
    R"sql(
ALTER TABLE sessions ADD COLUMN previous_refresh_jti TEXT NOT NULL DEFAULT '';
)sql",
    // Version 4: Token Status Lists. A list's id is AUTOINCREMENT so that a
    // purged list's id (and so its URL and indices) is never handed out
    // again. An entry is a token issued with a status claim; the indexes
    // are the ones a revocation's UPDATE needs (by jti, by sid, by user and
    // issued_at for a cutoff), and a partial one over the few non-zero
    // statuses that publishing a list reads.
    R"sql(
CREATE TABLE status_lists (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  bits       INTEGER NOT NULL,
  size       INTEGER NOT NULL,
  allocated  INTEGER NOT NULL DEFAULT 0,
  expires_at INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE status_entries (
  list       INTEGER NOT NULL,
  idx        INTEGER NOT NULL,
  jti        TEXT NOT NULL,
  sid        TEXT NOT NULL,
  usr        TEXT NOT NULL,
  issued_at  INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  status     INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (list, idx)
) WITHOUT ROWID;
CREATE INDEX status_entries_by_jti ON status_entries (jti);
CREATE INDEX status_entries_by_sid ON status_entries (sid) WHERE sid <> '';
CREATE INDEX status_entries_by_user ON status_entries (usr, issued_at);
CREATE INDEX status_entries_set ON status_entries (list, idx, status) WHERE status <> 0;
)sql",
};

}  // namespace jwtguard::sqlite

#endif  // JWTGUARD_SQLITE_SCHEMA_H_
