// The PostgreSQL store's changes to the feed (revoke, revoke_session,
// unrevoke) as the writer's jobs (pg_writer.h): statements that take no
// parameter from each other's answers, so that a batch sends them all at
// once. Each job numbers its change from the feed head, whose row lock the
// writer's transaction already holds (see postgres_store.cc for why a
// counter row), and keeps the Token Status List entries it covers true to
// the revocations (pg_status.h).
#ifndef JWTGUARD_POSTGRES_PG_CHANGES_H_
#define JWTGUARD_POSTGRES_PG_CHANGES_H_

#include <cstdint>
#include <string_view>

#include "jwtguard/clock.h"
#include "jwtguard/revocation.h"
#include "pg_writer.h"

namespace jwtguard::pg {

// The SQL of the PostgreSQL store spells kinds and ops as these numbers.
static_assert(static_cast<int>(RevocationKind::kToken) == 0);
static_assert(static_cast<int>(RevocationKind::kSession) == 1);
static_assert(static_cast<int>(RevocationKind::kUser) == 2);
static_assert(static_cast<int>(Change::Op::kRevoke) == 0);
static_assert(static_cast<int>(Change::Op::kUnrevoke) == 1);

inline std::int64_t number(RevocationKind kind) { return static_cast<std::int64_t>(kind); }

// Adds or merges the revocation (the later cutoff and expiry win; the first
// metadata stays), logs the merged entry, and sets status 1 on the entries
// it covers now that are not set yet: for a kUser revocation only those
// issued from the cutoff it merged into (if any) to the merged one, the
// earlier ones being set already. One statement. Its seq goes to `*seq`.
// kStore when the feed head has no row.
Job revoke_job(const Revocation& revocation, std::uint64_t* seq);

// revoke_job for a kSession revocation, after marking the session revoked
// (if it exists and was not already).
Job revoke_session_job(const Revocation& revocation, std::uint64_t* seq);

// Deletes the revocation (whether there was one goes to `*erased`), sets
// the entries it may have covered back to 0 unless another revocation
// still covers them, un-revokes the session of a kSession revocation, and
// logs the change at `now`.
Job unrevoke_job(RevocationKind kind, std::string_view key, Timestamp now, bool* erased);

}  // namespace jwtguard::pg

#endif  // JWTGUARD_POSTGRES_PG_CHANGES_H_
