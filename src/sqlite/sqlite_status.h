// The SQLite store's status-list statements (jwtguard/store.h, "Token
// Status List"): the writes run inside a group-commit job, in the same
// transaction as the revocation they follow; the read runs on the reader's
// connection, under its lock.
#ifndef JWTGUARD_SQLITE_SQLITE_STATUS_H_
#define JWTGUARD_SQLITE_SQLITE_STATUS_H_

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "jwtguard/error.h"
#include "jwtguard/store.h"
#include "sqlite_db.h"

namespace jwtguard::sqlite {

// Records the entries at the next indices, opening lists of `spec` as the
// newest fills up; each starts at the status the revocations held now give
// it. Arguments as Store::allocate_status checked them.
Result<std::vector<StatusRef>> insert_status_entries(Db& db,
                                                     const std::vector<StatusEntry>& entries,
                                                     const StatusListSpec& spec);

// Sets to 1 the entries that the revocation (as merged: its cutoff is the
// latest) covers and that are not set yet. `previous_cutoff`: the cutoff of
// the kUser revocation it merged into, if there was one; only the entries
// issued from it on are looked at (see cover_status_entries).
Result<void> cover_status_entries(Db& db, const Revocation& merged,
                                  std::optional<Timestamp> previous_cutoff);

// After the revocation of (kind, key) was deleted: sets back to 0 the
// entries of that key that no revocation left covers.
Result<void> recompute_status_entries(Db& db, RevocationKind kind, std::string_view key);

// Retires the lists that are full and whose entries all expired by `now`:
// read_status_list forgets them at once, and purge_retired_entries deletes
// them afterwards, a chunk per transaction. Touches the list rows only.
Result<void> retire_status_lists(Db& db, Timestamp now);

// Deletes up to `chunk` entries of one retired list, and the list itself
// once none is left. False when there was no retired list: the purge is
// done. One call per group-commit job, so that deleting a list of millions
// of entries never holds the writer (and every login and revocation queued
// behind it) for longer than one chunk.
Result<bool> purge_retired_entries(Db& db, std::int64_t chunk);

// The list and its non-zero statuses, in one read transaction.
Result<std::optional<StatusListState>> read_status_list(Db& db, std::uint64_t id);

}  // namespace jwtguard::sqlite

#endif  // JWTGUARD_SQLITE_SQLITE_STATUS_H_
