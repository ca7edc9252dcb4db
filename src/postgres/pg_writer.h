// Group commit for the PostgreSQL store's changes to the feed.
//
// Every change holds the feed head's row lock from its first statement to
// its COMMIT (see postgres_store.cc), so changes commit one after the other,
// across all instances, each paying a disk flush. One thread here
// (stores::GroupCommit) runs all the jobs that queued up meanwhile in one
// transaction and acknowledges them once COMMIT has returned: N concurrent
// revocations cost one flush, and none is acknowledged before it is
// durable (synchronous_commit is on, see pg_connector.h).
//
// Round trips, not the flush, were what limited it: a job is a few
// statements, and with a savepoint around each job a batch of 32
// revocations took some 160 round trips. So a job is a list of statements
// whose parameters do not depend on each other's answers (a revocation is
// one statement, pg_changes.h), and a batch sends BEGIN, the head's lock
// and every job's statements in one pipeline, without savepoints, then
// NOTIFY and COMMIT: two round trips for the batch. When a job's statement
// fails, the server skips the rest of the pipeline; the transaction is
// rolled back and the batch runs again the slow way, each job in its
// savepoint, so that one job's failure still costs no other job its
// change.
#ifndef JWTGUARD_POSTGRES_PG_WRITER_H_
#define JWTGUARD_POSTGRES_PG_WRITER_H_

#include <functional>
#include <vector>

#include "jwtguard/error.h"
#include "pg_conn.h"
#include "pg_connector.h"
#include "pg_pool.h"
#include "store/group_commit.h"

namespace jwtguard::pg {

// One statement of a change, and what to make of its answer.
struct Step {
  const char* sql;
  Params params;
  // Reads the statement's rows (e.g. the seq a change was given); its
  // failure fails the job. May be empty. May run more than once, when the
  // batch runs again: the last run's reading is the one that committed.
  std::function<Result<void>(const Rows&)> read;
};

// A change: its statements, in order. None may take its parameters from an
// earlier one's answer: they are sent before any answer is back.
using Job = std::vector<Step>;

class Writer {
 public:
  // `pool` and `connector` must outlive the writer.
  Writer(Pool& pool, const Connector& connector);
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Runs `job` on the writer's thread, inside the next batch's transaction
  // on a pooled connection (the feed head's row lock taken first), and
  // returns once that transaction has ended, as stores::GroupCommit::write
  // says: the job's own result when the batch committed (a failing job is
  // undone alone: a statement's failure, a reading's, or kInvalidArgument
  // for a value holding a NUL, refused before anything is sent), else the
  // batch's failure (a lease, BEGIN or the head's lock, a savepoint, the
  // connection or COMMIT failed; after COMMIT's answer is lost the change
  // may or may not have happened). A batch that commits NOTIFYs the feed's
  // followers. Runs what is queued before it is destroyed. Thread-safe.
  Result<void> write(const Job& job);

 private:
  stores::GroupCommit group_commit_;
};

}  // namespace jwtguard::pg

#endif  // JWTGUARD_POSTGRES_PG_WRITER_H_
