// The SQLite store's revocation writes, shared by revoke and
// revoke_session: each runs inside a job of the writer's transaction.
#ifndef JWTGUARD_SQLITE_SQLITE_REVOCATIONS_H_
#define JWTGUARD_SQLITE_SQLITE_REVOCATIONS_H_

#include <cstdint>

#include "jwtguard/error.h"
#include "jwtguard/revocation.h"
#include "sqlite_db.h"

namespace jwtguard::sqlite {

// How a kind is stored: 0 token, 1 session, 2 user.
inline std::int64_t number(RevocationKind kind) { return static_cast<std::int64_t>(kind); }

// Appends the change to the feed, dated `at` for its retention; returns its
// seq.
Result<std::uint64_t> log_change(Db& db, const Change& change, Timestamp at);

// Adds or merges the revocation (the later cutoff and expiry win; the first
// metadata stays), sets the status entries the merged revocation covers,
// and logs the merged entry. Returns the change's seq.
Result<std::uint64_t> upsert_revocation(Db& db, const Revocation& revocation);

}  // namespace jwtguard::sqlite

#endif  // JWTGUARD_SQLITE_SQLITE_REVOCATIONS_H_
