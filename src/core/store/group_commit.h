// Group commit for the stores' writes: one writer thread runs every write
// that queued up meanwhile in one transaction and acknowledges them once
// COMMIT has returned. N concurrent writes cost one durable commit (one
// fsync or one flush), and none is acknowledged before it is durable.
//
// The thread, the queue and the batching rules are here; the backend
// supplies the transaction (a Batch: BEGIN, savepoints, COMMIT, ROLLBACK on
// its own connection).
#ifndef JWTGUARD_STORE_GROUP_COMMIT_H_
#define JWTGUARD_STORE_GROUP_COMMIT_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "jwtguard/error.h"

namespace jwtguard::stores {

// One batch's transaction on a backend's connection. Used by the writer
// thread only, one batch at a time. A backend derives from it to give its
// jobs the connection.
class Batch {
 public:
  virtual ~Batch() = default;
  // Starts the transaction (and takes what every batch takes first).
  virtual Result<void> begin() = 0;
  // Marks where the next job starts, so that it can be undone alone.
  virtual Result<void> savepoint() = 0;
  // Keeps (`keep`) or undoes the work since savepoint(). When this fails the
  // transaction's state is unknown (a failed job's work may still be in it).
  virtual Result<void> end_savepoint(bool keep) = 0;
  // Commits; returns once the commit is durable. On failure, nothing may
  // have been committed, or the outcome may be unknown (an answer lost).
  virtual Result<void> commit() = 0;
  // Best effort: abandons the transaction (a failure leaves the connection
  // for the backend to discard).
  virtual void rollback() = 0;

  // A backend whose every round trip costs (a server over a socket) may
  // queue instead: begin() and the jobs only queue their statements, and
  // flush() sends them all at once, without a savepoint per job. The
  // default runs each job as it comes, in its savepoint.
  virtual bool queues() const { return false; }
  // Runs what begin() and the jobs queued. true: all of it succeeded, and
  // the transaction may commit; false: a job's statement failed, and the
  // transaction was rolled back, nothing of the batch written. After false
  // the batch no longer queues: GroupCommit runs the jobs again one at a
  // time, each in its savepoint, which keeps every job but the failing
  // one. An error: the batch failed (what begin() queued failed, or the
  // connection).
  virtual Result<bool> flush() { return true; }
};

class GroupCommit {
 public:
  // A write: runs on the writer thread, inside the batch's transaction.
  using Body = std::function<Result<void>(Batch&)>;
  // Gives the batch a transaction to run in (e.g. on a pooled connection);
  // a failure fails every job of the batch with that error.
  using OpenBatch = std::function<Result<std::unique_ptr<Batch>>()>;

  // Starts the writer thread.
  explicit GroupCommit(OpenBatch open);
  // stop(), then runs what is queued and joins the writer thread.
  ~GroupCommit();
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  // Runs `body` in the next batch and returns once that batch has ended:
  //  * the batch committed: `body`'s own result (a failing body is undone
  //    alone, the other jobs of the batch are kept);
  //  * the batch failed (it could not open or begin, a savepoint could not
  //    be taken or ended, or COMMIT failed): that failure, for every job of
  //    the batch, whose work may then or may not have been written (COMMIT's
  //    answer lost).
  // A lone job runs without a savepoint; a batch where no job succeeded is
  // rolled back rather than committed. A batch that queues() runs its jobs
  // without savepoints first, and again in savepoints when one failed. Jobs run in the order they
  // were queued. kStore "store is closing" once stop() was called. Thread-safe.
  Result<void> write(Body body);

  // Refuses new writes; what is queued still runs. Does not wait.
  void stop();

  // How many batches have ended (committed or not).
  std::uint64_t batches() const;
  // Waits until batches() differs from `seen`, stop() was called, or
  // `until` passes. Returns false once stopped.
  bool wait_for_batch(std::uint64_t seen, std::chrono::steady_clock::time_point until);
  // Jobs queued for the next batch (not yet taken by the writer thread).
  std::size_t pending() const;

 private:
  struct Job {
    Body body;
    std::optional<Result<void>> result;  // set by the writer thread
  };

  void loop();
  // Runs the jobs in one transaction. Each job's own result goes to
  // `results` (in batch order); the return value is the batch's.
  Result<void> run_batch(const std::vector<Job*>& batch, std::vector<Result<void>>& results);
  // The jobs, queued when the batch queues(), else (and again when a
  // queued job failed) one at a time: whether some job succeeded, or an
  // error when the transaction can no longer be trusted to commit it.
  Result<bool> run_jobs(Batch& txn, const std::vector<Job*>& batch,
                        std::vector<Result<void>>& results);
  // BEGIN and each job, queued and sent at once (Batch::queues): whether
  // some job succeeded, or nullopt when a job's statement failed and the
  // jobs must run again in savepoints (the transaction rolled back).
  Result<std::optional<bool>> queue_and_run(Batch& txn, const std::vector<Job*>& batch,
                                            std::vector<Result<void>>& results);
  // BEGIN and each job (in its savepoint when there are several); returns
  // whether some job succeeded, or an error when the transaction can no
  // longer be trusted to commit what succeeded.
  Result<bool> begin_and_run(Batch& txn, const std::vector<Job*>& batch,
                             std::vector<Result<void>>& results);

  OpenBatch open_;
  mutable std::mutex mu_;
  std::condition_variable queued_;  // jobs queued, or stopping
  std::condition_variable done_;    // a batch ended, or stopping
  std::deque<Job*> queue_;
  std::uint64_t batches_ = 0;
  bool stopping_ = false;
  std::thread thread_;  // last: started once everything above exists
};

}  // namespace jwtguard::stores

#endif  // JWTGUARD_STORE_GROUP_COMMIT_H_
