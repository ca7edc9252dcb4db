// Group commit for the PostgreSQL store's changes to the feed.
//
// Every change holds the feed head's row lock from its first statement to
// its COMMIT (see postgres_store.cc), so changes commit one after the other,
// across all instances, each paying a disk flush. One thread here runs all
// the jobs that queued up meanwhile in one transaction, each in its own
// savepoint, and acknowledges them once COMMIT has returned: N concurrent
// revocations cost one flush, and none is acknowledged before it is
// durable (synchronous_commit is on, see pg_connector.h).
#ifndef JWTGUARD_POSTGRES_PG_WRITER_H_
#define JWTGUARD_POSTGRES_PG_WRITER_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "jwtguard/error.h"
#include "pg_conn.h"
#include "pg_connector.h"
#include "pg_pool.h"

namespace jwtguard::pg {

class Writer {
 public:
  using Body = std::function<Result<void>(Conn&)>;

  // `pool` and `connector` must outlive the writer.
  Writer(Pool& pool, const Connector& connector);
  // Runs what is queued, then stops.
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Runs `body` on the writer's thread, inside the next batch's transaction
  // (the feed head's row lock already taken), and returns once that
  // transaction has committed: `body`'s own result then, or the commit's
  // failure (in which case the write may or may not have happened). A
  // failing body is undone alone. `changes_feed`: the batch NOTIFYs the
  // followers when this body succeeded. Thread-safe.
  Result<void> write(Body body, bool changes_feed);

 private:
  struct Job {
    Body body;
    bool changes_feed;
    std::optional<Result<void>> result;  // set by the writer thread
  };

  // What the jobs of a batch did, before COMMIT.
  struct Outcome {
    bool any_done = false;  // some job succeeded: there is something to commit
    bool notify = false;    // some successful job changed the feed
  };

  void loop();
  // Runs the jobs in one transaction and commits it. On failure, no job's
  // work is committed (or, when COMMIT's answer is lost, its fate is
  // unknown).
  Result<void> run_batch(const std::vector<Job*>& batch, std::vector<Result<void>>& results);
  // BEGIN, the head's lock, and each job in its savepoint; an error when
  // the transaction can no longer be trusted to commit what succeeded.
  Result<Outcome> begin_and_run(Conn& conn, const std::vector<Job*>& batch,
                                std::vector<Result<void>>& results);
  Result<void> end_savepoint(Conn& conn, bool keep);

  Pool& pool_;
  const Connector& connector_;
  std::mutex mu_;
  std::condition_variable queued_;  // jobs queued, or stopping
  std::condition_variable done_;    // a batch finished
  std::deque<Job*> queue_;
  bool stopping_ = false;
  std::thread thread_;  // last: started once everything above exists
};

}  // namespace jwtguard::pg

#endif  // JWTGUARD_POSTGRES_PG_WRITER_H_
