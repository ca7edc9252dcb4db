#include "pg_migrate.h"

#include <string>

#include "schema.h"
#include "util/try.h"

namespace jwtguard::pg {
namespace {

// pg_advisory_xact_lock's key for migrations: "jwtguard" in ASCII.
constexpr std::int64_t kMigrationLock = 0x6a77746775617264;

Result<void> refuse_newer(std::int64_t version) {
  if (version <= kSchemaVersion) return {};
  return fail(Errc::kStore, "postgresql: database schema version " + std::to_string(version) +
                                " is newer than this build's " + std::to_string(kSchemaVersion));
}

// The schema version, read without a lock or any DDL: 0 when jwtguard_schema
// does not exist (or holds no row).
Result<std::int64_t> read_version(Conn& conn, const Connector& connector) {
  JWTGUARD_ASSIGN_OR_RETURN(const Rows exists,
                            conn.exec("SELECT to_regclass('jwtguard_schema') IS NOT NULL",
                                      connector.statement_deadline()));
  if (!exists.boolean(0, 0)) return 0;
  JWTGUARD_ASSIGN_OR_RETURN(const Rows rows, conn.exec("SELECT version FROM jwtguard_schema",
                                                       connector.statement_deadline()));
  return rows.size() > 0 ? rows.int64(0, 0) : 0;
}

Result<void> migrate_locked(Conn& conn, const Connector& connector) {
  // Taken before the version is read: otherwise two instances could both
  // find version 0 and both create the tables (one would fail).
  JWTGUARD_TRY(conn.exec("SELECT pg_advisory_xact_lock($1::bigint)", Params().add(kMigrationLock),
                         connector.statement_deadline()));
  JWTGUARD_TRY(conn.run(kSchemaTable, connector.statement_deadline()));
  JWTGUARD_ASSIGN_OR_RETURN(const Rows rows, conn.exec("SELECT version FROM jwtguard_schema",
                                                       connector.statement_deadline()));
  const std::int64_t version = rows.size() > 0 ? rows.int64(0, 0) : 0;
  JWTGUARD_TRY(refuse_newer(version));
  for (auto v = version; v < kSchemaVersion; ++v) {
    if (auto ok = conn.run(kMigrations[v], connector.statement_deadline()); !ok) {
      return fail(Errc::kStore, "migrating to schema version " + std::to_string(v + 1) + ": " +
                                    ok.error().detail());
    }
  }
  JWTGUARD_TRY(
      conn.exec("INSERT INTO jwtguard_schema (version) VALUES ($1::integer)"
                " ON CONFLICT (only_row) DO UPDATE SET version = EXCLUDED.version",
                Params().add(std::int64_t{kSchemaVersion}), connector.statement_deadline()));
  return {};
}

}  // namespace

Result<void> migrate(Conn& conn, const Connector& connector) {
  // An up-to-date database (every open but the first) needs neither the
  // lock nor DDL, so a role with only SELECT, INSERT, UPDATE and DELETE on
  // jwtguard's tables can open it.
  JWTGUARD_ASSIGN_OR_RETURN(const std::int64_t version, read_version(conn, connector));
  JWTGUARD_TRY(refuse_newer(version));
  if (version == kSchemaVersion) return {};
  // The transaction-scoped lock goes with the transaction, even when the
  // connection is lost half-way.
  JWTGUARD_TRY(conn.run("BEGIN", connector.statement_deadline()));
  if (auto ok = migrate_locked(conn, connector); !ok) {
    static_cast<void>(conn.run("ROLLBACK", connector.statement_deadline()));
    return ok;
  }
  return conn.commit("COMMIT", connector.statement_deadline());
}

Result<void> check_durability(Conn& conn, const Connector& connector, const StoreWarning& warn) {
  // reset_val: the session's default (from the server, database or role),
  // before the connector turned synchronous_commit on.
  JWTGUARD_ASSIGN_OR_RETURN(
      const Rows rows,
      conn.exec("SELECT current_setting('fsync'),"
                " (SELECT reset_val FROM pg_settings WHERE name = 'synchronous_commit')",
                connector.statement_deadline()));
  const std::string where = "postgresql at " + connector.target();
  if (rows.text(0, 0) == "off") {
    warn(where +
         " runs with fsync=off: a crash of its machine (power loss, kernel panic) can lose "
         "acknowledged revocations and corrupt the database");
  }
  if (rows.text(0, 1) == "off") {
    warn(where +
         " has synchronous_commit=off: jwtguard turns it on for its own sessions, so that no "
         "acknowledged revocation is lost in a crash, but other applications' commits there "
         "can be");
  }
  return {};
}

}  // namespace jwtguard::pg
