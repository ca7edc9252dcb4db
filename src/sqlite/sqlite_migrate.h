// The SQLite store's schema migrations (schema.h), applied at open.
#ifndef JWTGUARD_SQLITE_SQLITE_MIGRATE_H_
#define JWTGUARD_SQLITE_SQLITE_MIGRATE_H_

#include "jwtguard/error.h"
#include "sqlite_db.h"

namespace jwtguard::sqlite {

// Brings the schema to this build's version, in one transaction (so that
// processes opening the same file at once migrate it once). kStore when
// the file's schema is newer than this build's, or a statement fails.
Result<void> migrate(Db& db);

}  // namespace jwtguard::sqlite

#endif  // JWTGUARD_SQLITE_SQLITE_MIGRATE_H_
