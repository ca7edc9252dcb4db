// The PostgreSQL store's change feed: revocation_log, numbered from the
// one-row counter jwtguard_feed_head (see postgres_store.cc for why a
// counter row and not a sequence). The changes that write it: pg_changes.h.
#ifndef JWTGUARD_POSTGRES_PG_FEED_H_
#define JWTGUARD_POSTGRES_PG_FEED_H_

#include <cstddef>
#include <cstdint>

#include "jwtguard/clock.h"
#include "jwtguard/error.h"
#include "jwtguard/revocation.h"
#include "pg_conn.h"
#include "pg_connector.h"

namespace jwtguard::pg {

// Up to `limit` changes after `after`, in one statement (one snapshot of
// the head and the log). Stops at the first missing seq; `gap` when nothing
// is readable although the head moved (purged), or the head is behind
// `after` (the database lost changes the caller saw). kStore when the head
// has no row.
Result<ChangeBatch> read_changes(Conn& conn, const Connector& connector, std::uint64_t after,
                                 std::size_t limit);

}  // namespace jwtguard::pg

#endif  // JWTGUARD_POSTGRES_PG_FEED_H_
