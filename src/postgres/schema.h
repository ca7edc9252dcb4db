// The PostgreSQL schema and its migrations.
//
// The version lives in jwtguard_schema (one row). kMigrations[i] takes a
// database from version i to version i + 1; opening a database runs the
// missing ones in one transaction (PostgreSQL's DDL is transactional),
// under an advisory lock so that instances starting together take turns.
// Never edit a migration that has shipped: add one.
//
// The tables are those of the SQLite store (src/sqlite/schema.h), with the
// same meaning, plus jwtguard_feed_head. Times are bigint microseconds since
// the Unix epoch, not timestamptz: that is exactly what a Timestamp holds,
// so values round-trip without a conversion or a session time zone, compare
// as the SQLite store's do, and the two schemas stay alike. (By hand:
// to_timestamp(expires_at / 1e6).) `kind` is 0 token (jti), 1 session
// (sid), 2 user; `op` is 0 revoke, 1 unrevoke.
//
// The change feed is revocation_log, numbered by jwtguard_feed_head, a
// one-row counter that every change increments in its own transaction (see
// postgres_store.cc for why not a sequence).
#ifndef JWTGUARD_POSTGRES_SCHEMA_H_
#define JWTGUARD_POSTGRES_SCHEMA_H_

#include <iterator>

namespace jwtguard::pg {

// Created (when missing) under the migration lock, before the version is
// read again there; not a migration, since it holds the migrations' own
// state.
inline constexpr const char* kSchemaTable = R"sql(
CREATE TABLE IF NOT EXISTS jwtguard_schema (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  version  integer NOT NULL
)
)sql";

inline constexpr const char* kMigrations[] = {
    R"sql(
CREATE TABLE jwtguard_feed_head (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  seq      bigint NOT NULL
);
INSERT INTO jwtguard_feed_head (seq) VALUES (0);

CREATE TABLE revocations (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind       smallint NOT NULL,
  key        text NOT NULL,
  cutoff     bigint NOT NULL DEFAULT 0,
  expires_at bigint NOT NULL,
  revoked_at bigint NOT NULL,
  token_type text,
  subject    text NOT NULL DEFAULT '',
  session    text NOT NULL DEFAULT '',
  revoked_by text NOT NULL DEFAULT '',
  reason     text NOT NULL DEFAULT '',
  UNIQUE (kind, key)
);
CREATE INDEX revocations_by_expiry ON revocations (expires_at);
CREATE INDEX revocations_by_subject ON revocations (subject, id);

CREATE TABLE revocation_log (
  seq        bigint PRIMARY KEY,
  op         smallint NOT NULL,
  kind       smallint NOT NULL,
  key        text NOT NULL,
  cutoff     bigint NOT NULL,
  expires_at bigint NOT NULL,
  logged_at  bigint NOT NULL
);
CREATE INDEX revocation_log_by_time ON revocation_log (logged_at);

CREATE TABLE sessions (
  sid            text PRIMARY KEY,
  subject        text NOT NULL,
  created_at     bigint NOT NULL,
  refreshed_at   bigint NOT NULL,
  expires_at     bigint NOT NULL,
  client_address text NOT NULL DEFAULT '',
  user_agent     text NOT NULL DEFAULT '',
  refresh_jti    text NOT NULL,
  revoked_at     bigint
);
CREATE INDEX sessions_by_subject ON sessions (subject, created_at);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

CREATE TABLE users (
  name          text PRIMARY KEY,
  password_hash text NOT NULL,
  admin         boolean NOT NULL DEFAULT false,
  created_at    bigint NOT NULL
);
)sql",
    // Version 2: named values that are neither revocations, sessions nor
    // users (the token horizon).
    R"sql(
CREATE TABLE jwtguard_meta (
  name  text PRIMARY KEY,
  value bigint NOT NULL
);
)sql",
    // Version 3: accounts. A user may be disabled and records its last
    // login; a deleted user's name stays reserved until its tokens have
    // expired (reserved_names); account changes are recorded (audit_log,
    // whose identity never hands out an id twice). Listings order names
    // as bytes (COLLATE "C"), whatever the database's collation: the index
    // lets them page without sorting every user.
    R"sql(
ALTER TABLE users ADD COLUMN disabled boolean NOT NULL DEFAULT false,
                  ADD COLUMN last_login_at bigint;
CREATE INDEX users_by_name_bytes ON users (name COLLATE "C");

CREATE TABLE reserved_names (
  name           text PRIMARY KEY,
  reserved_until bigint NOT NULL
);

CREATE TABLE audit_log (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  happened_at bigint NOT NULL,
  actor       text NOT NULL,
  action      text NOT NULL,
  subject     text NOT NULL,
  detail      text NOT NULL
);
CREATE INDEX audit_log_by_subject ON audit_log (subject, id);
)sql",
    // Version 4: browser sessions. A session remembers the refresh token its
    // last rotation retired (GuardOptions::refresh_reuse_interval); sessions
    // recorded before have none.
    R"sql(
ALTER TABLE sessions ADD COLUMN previous_refresh_jti text NOT NULL DEFAULT '';
)sql",
    // Version 5: Token Status Lists (pg_status.h). A list's id comes from an
    // identity, which never hands out a value twice (not after a rollback,
    // nor after its row was deleted), so a purged list's URL never names
    // another list. expires_at is the latest expiry of its entries; a list
    // being purged is retired first (its entries go in chunks). An entry's
    // status is kept by the transactions that change revocations; the
    // partial index holds only the set ones, which is what a published list
    // reads. sid is '' for a token without a session.
    R"sql(
CREATE TABLE status_lists (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  bits       smallint NOT NULL,
  size       bigint NOT NULL,
  allocated  bigint NOT NULL DEFAULT 0,
  expires_at bigint NOT NULL DEFAULT 0,
  retired    boolean NOT NULL DEFAULT false
);

CREATE TABLE status_entries (
  list       bigint NOT NULL,
  idx        bigint NOT NULL,
  jti        text NOT NULL,
  sid        text NOT NULL,
  usr        text NOT NULL,
  issued_at  bigint NOT NULL,
  expires_at bigint NOT NULL,
  status     smallint NOT NULL,
  PRIMARY KEY (list, idx)
);
CREATE INDEX status_entries_by_jti ON status_entries (jti);
CREATE INDEX status_entries_by_sid ON status_entries (sid) WHERE sid <> '';
CREATE INDEX status_entries_by_user ON status_entries (usr, issued_at);
CREATE INDEX status_entries_set ON status_entries (list, idx) WHERE status <> 0;
)sql",
};

// The schema version this build writes.
inline constexpr int kSchemaVersion = static_cast<int>(std::size(kMigrations));

}  // namespace jwtguard::pg

#endif  // JWTGUARD_POSTGRES_SCHEMA_H_
