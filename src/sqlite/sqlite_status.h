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
// latest) covers.
Result<void> cover_status_entries(Db& db, const Revocation& merged);

// After the revocation of (kind, key) was deleted: sets back to 0 the
// entries of that key that no revocation left covers.
Result<void> recompute_status_entries(Db& db, RevocationKind kind, std::string_view key);

// Deletes the lists that are full and whose entries all expired by `now`,
// with their entries.
Result<void> purge_status_lists(Db& db, Timestamp now);

// The list and its non-zero statuses, in one read transaction.
Result<std::optional<StatusListState>> read_status_list(Db& db, std::uint64_t id);

}  // namespace jwtguard::sqlite

#endif  // JWTGUARD_SQLITE_SQLITE_STATUS_H_
