#include "sqlite_migrate.h"

#include <string>

#include "jwtguard/store.h"
#include "schema.h"
#include "util/try.h"

namespace jwtguard::sqlite {
namespace {

Result<std::int64_t> schema_version(Db& db) {
  JWTGUARD_ASSIGN_OR_RETURN(Stmt stmt, db.prepare("PRAGMA user_version"));
  JWTGUARD_ASSIGN_OR_RETURN(const bool row, stmt.step());
  const std::int64_t version = row ? stmt.int64(0) : 0;
  JWTGUARD_TRY(stmt.run());
  return version;
}

Result<void> migrate_locked(Db& db) {
  // Read under the write lock: another process may have migrated the file
  // between our open and this transaction.
  JWTGUARD_ASSIGN_OR_RETURN(const std::int64_t version, schema_version(db));
  constexpr int kCurrent = static_cast<int>(std::size(kMigrations));
  static_assert(kCurrent == kSqliteSchemaVersion);
  if (version > kCurrent) {
    return fail(Errc::kStore, "database schema version " + std::to_string(version) +
                                  " is newer than this build's " + std::to_string(kCurrent));
  }
  for (auto v = version; v < kCurrent; ++v) JWTGUARD_TRY(db.exec(kMigrations[v]));
  const std::string set_version = "PRAGMA user_version=" + std::to_string(kCurrent);
  return db.exec(set_version.c_str());
}

}  // namespace

Result<void> migrate(Db& db) {
  JWTGUARD_TRY(db.exec("BEGIN IMMEDIATE"));
  if (auto ok = migrate_locked(db); !ok) {
    static_cast<void>(db.exec("ROLLBACK"));
    return ok;
  }
  return db.exec("COMMIT");
}

}  // namespace jwtguard::sqlite
