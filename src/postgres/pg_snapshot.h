// The snapshot a joining instance loads: every live revocation and the feed
// position they are current to, read in one statement.
#ifndef JWTGUARD_POSTGRES_PG_SNAPSHOT_H_
#define JWTGUARD_POSTGRES_PG_SNAPSHOT_H_

#include "jwtguard/clock.h"
#include "jwtguard/error.h"
#include "jwtguard/revocation.h"
#include "pg_conn.h"

namespace jwtguard::pg {

// Every revocation with expires_at > now, and the feed head, from one MVCC
// snapshot (one statement), so the two agree. Streamed with a binary COPY:
// a store of millions of revocations is read a row at a time, never held
// whole as a result, and without parsing numbers from text. kStore when the
// statement fails, the head has no row, or the data is not what the
// statement asked for (a kind outside token/session/user, a row of another
// shape).
Result<Snapshot> read_snapshot(Conn& conn, Timestamp now, Deadline deadline);

}  // namespace jwtguard::pg

#endif  // JWTGUARD_POSTGRES_PG_SNAPSHOT_H_
