// The PostgreSQL store's Token Status Lists (jwtguard/store.h, "Token Status
// List"): status_lists and status_entries (schema.h, version 5).
//
// An entry's status is kept true to the revocations by the transaction that
// changes either: the writer's revocation transactions update the entries
// they cover (mark_covered, recompute_uncovered), and allocate() computes a
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

// Inside the writer's transaction, before the revocation (kind, key) is
// written or merged: the cutoff of the kUser revocation it will merge into,
// if there is one (nullopt for the other kinds), locked until the
// transaction ends.
Result<std::optional<Timestamp>> previous_cutoff(Conn& conn, const Connector& connector,
                                                 RevocationKind kind, std::string_view key);

// Inside the writer's transaction, after the revocation (kind, key) was
// written or merged: sets status 1 on the entries it covers now that are
// not set yet (for a kUser revocation, with its merged cutoff). With the
// `previous_cutoff` it merged into, only the entries issued from that
// cutoff on: the ones before it are set already (it set them, or they
// were recorded set under it; an un-revoke deletes it), so a repeated "log
// out everywhere" walks the (usr, issued_at) index over what it adds only.
Result<void> mark_covered(Conn& conn, const Connector& connector, RevocationKind kind,
                          std::string_view key, std::optional<Timestamp> previous_cutoff);

// Inside the writer's transaction, after the revocation (kind, key) was
// deleted: the entries it may have covered go back to 0 unless another
// revocation still covers them.
Result<void> recompute_uncovered(Conn& conn, const Connector& connector, RevocationKind kind,
                                 std::string_view key);

// Drops the lists that are full and whose entries all expired at or before
// `now`, with their entries, in chunks of `chunk` rows (short transactions,
// skipping rows a revocation holds: those go at the next purge). A list is
// first marked retired, so that find_status_list forgets it at once even
// when its entries take several chunks (or the next purge) to delete.
Result<void> purge_status_lists(Conn& conn, const Connector& connector, Timestamp now,
                                std::int64_t chunk);

}  // namespace jwtguard::pg

#endif  // JWTGUARD_POSTGRES_PG_STATUS_H_
