// Opening a PostgreSQL database: bringing its schema to this build's
// version, and telling the operator when the server may lose commits.
#ifndef JWTGUARD_POSTGRES_PG_MIGRATE_H_
#define JWTGUARD_POSTGRES_PG_MIGRATE_H_

#include "jwtguard/error.h"
#include "jwtguard/store.h"
#include "pg_conn.h"
#include "pg_connector.h"

namespace jwtguard::pg {

// Runs the migrations the database lacks (schema.h), in one transaction
// under an advisory lock: instances starting together take turns, and each
// finds the work done by the one before. A database already at this
// build's version is only read (no lock, no DDL). kStore when the database holds a
// schema newer than this build's, or a migration fails (e.g. a table of the
// same name that is not jwtguard's).
Result<void> migrate(Conn& conn, const Connector& connector);

// Warns when the server is set to acknowledge commits it may lose:
// fsync=off (a crash of its machine loses them, and may corrupt the
// database), or synchronous_commit=off for this database or role (which
// the connector overrides for jwtguard's own sessions).
Result<void> check_durability(Conn& conn, const Connector& connector, const StoreWarning& warn);

}  // namespace jwtguard::pg

#endif  // JWTGUARD_POSTGRES_PG_MIGRATE_H_
