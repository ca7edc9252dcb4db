// The PostgreSQL store's Token Status Lists (jwtguard/store.h, "Token Status
// List"): status_lists and status_entries (schema.h, version 5).
//
// An entry's status is kept true to the revocations by the transaction that
// changes either: the writer's revocation transactions update the entries
// they cover (pg_changes.h, uncover_sql), and allocate() computes a
// new entry's status from the revocations in its own transaction. Both take
// the feed head's row lock first (the writer does it for the revocations),
// so they run one after the other: a revocation committed before the
// allocation took the lock is seen by its INSERT (READ COMMITTED: each
// statement reads what committed before it began), and one committed after
// it finds the entry. Without that lock a revocation and an allocation in
// flight together would each miss the other, leaving a revoked token VALID.
#ifndef JWTGUARD_POSTGRES_PG_STATUS_H_
#define JWTGUARD_POSTGRES_PG_STATUS_H_

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "jwtguard/error.h"
#include "jwtguard/store.h"
#include "pg_conn.h"
#include "pg_connector.h"

namespace jwtguard::pg {

// Store::allocate_status in a transaction of its own on `conn` (idle, from
// the pool). The feed head's lock serializes allocations across instances
// too, so the newest list is never opened twice: two instances that both
// found it full would otherwise each open one, and leave one of them never
// full (and so never purged).
Result<std::vector<StatusRef>> allocate_status(Conn& conn, const Connector& connector,
                                               const std::vector<StatusEntry>& entries,
                                               const StatusListSpec& spec);

// Store::find_status_list, in one statement (one snapshot of the list and
// its statuses). A list being purged (retired) is gone already.
Result<std::optional<StatusListState>> find_status_list(Conn& conn, const Connector& connector,
                                                        std::uint64_t id);

// The statement that, inside the writer's transaction, after the
// revocation ($1: its key) of `kind` was deleted, sets the entries it may
// have covered back to 0 unless another revocation still covers them. (What
// a revocation covers when it is made: pg_changes.cc, the same rule.)
const char* uncover_sql(RevocationKind kind);

// Drops the lists that are full and whose entries all expired at or before
// `now`, with their entries, in chunks of `chunk` rows (short transactions,
// skipping rows a revocation holds: those go at the next purge). A list is
// first marked retired, so that find_status_list forgets it at once even
// when its entries take several chunks (or the next purge) to delete.
Result<void> purge_status_lists(Conn& conn, const Connector& connector, Timestamp now,
                                std::int64_t chunk);

}  // namespace jwtguard::pg

#endif  // JWTGUARD_POSTGRES_PG_STATUS_H_
