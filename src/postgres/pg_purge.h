// The statements a PostgreSQL store's purge runs: each deletes one chunk
// of expired rows, and the purge repeats it until a chunk comes back short,
// so that no transaction holds locks for long nor outlasts the statement
// timeout however large the backlog.
#ifndef JWTGUARD_POSTGRES_PG_PURGE_H_
#define JWTGUARD_POSTGRES_PG_PURGE_H_

#include <cstdint>

namespace jwtguard::pg {

// Purges delete at most this many rows per statement.
constexpr std::int64_t kPurgeChunk = 5000;

// Chunked DELETEs: a subquery picks the chunk's rows by ctid, locking them
// and skipping those another transaction holds (SKIP LOCKED). The rows
// stay locked until the DELETE ends, so their ctids cannot change meanwhile.
// $1: the bound; $2: the chunk size.
constexpr const char* kPurgeSessions =
    "DELETE FROM sessions WHERE ctid = ANY(ARRAY("
    "SELECT ctid FROM sessions WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED))";
constexpr const char* kPurgeFeed =
    "DELETE FROM revocation_log WHERE ctid = ANY(ARRAY("
    "SELECT ctid FROM revocation_log WHERE logged_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED))";
constexpr const char* kPurgeRevocations =
    "DELETE FROM revocations WHERE ctid = ANY(ARRAY("
    "SELECT ctid FROM revocations WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED))";

}  // namespace jwtguard::pg

#endif  // JWTGUARD_POSTGRES_PG_PURGE_H_
