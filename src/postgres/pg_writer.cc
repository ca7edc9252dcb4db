#include "pg_writer.h"

#include <string>

#include "util/try.h"

namespace jwtguard::pg {

Writer::Writer(Pool& pool, const Connector& connector)
    : pool_(pool), connector_(connector), thread_([this] { loop(); }) {}

Writer::~Writer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  queued_.notify_all();
  thread_.join();
}

Result<void> Writer::write(Body body, bool changes_feed) {
  Job job{std::move(body), changes_feed, std::nullopt};
  std::unique_lock lock(mu_);
  if (stopping_) return fail(Errc::kStore, "store is closing");
  queue_.push_back(&job);
  queued_.notify_all();
  done_.wait(lock, [&] { return job.result.has_value(); });
  return std::move(*job.result);
}

void Writer::loop() {
  std::vector<Job*> batch;
  std::vector<Result<void>> results;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      queued_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to write
      batch.assign(queue_.begin(), queue_.end());
      queue_.clear();
    }
    results.clear();
    auto committed = run_batch(batch, results);
    {
      std::lock_guard lock(mu_);
      for (std::size_t i = 0; i < batch.size(); ++i) {
        batch[i]->result = committed ? std::move(results[i]) : committed;
      }
    }
    done_.notify_all();
  }
}

Result<void> Writer::run_batch(const std::vector<Job*>& batch, std::vector<Result<void>>& results) {
  auto lease = pool_.acquire();
  if (!lease) return tl::unexpected(lease.error());
  Conn& conn = **lease;
  auto outcome = begin_and_run(conn, batch, results);
  if (!outcome || !outcome->any_done) {
    // Best effort: a connection left inside a transaction is closed by the
    // pool rather than reused.
    static_cast<void>(conn.run("ROLLBACK", connector_.statement_deadline()));
    if (!outcome) return tl::unexpected(outcome.error());
    return {};
  }
  // A body that swallowed a failed statement would leave the transaction
  // failed: COMMIT would then roll everything back.
  if (!conn.in_transaction()) {
    static_cast<void>(conn.run("ROLLBACK", connector_.statement_deadline()));
    return fail(Errc::kStore, "postgresql: the batch's transaction failed; nothing was written");
  }
  // The NOTIFY is delivered when, and only if, the COMMIT succeeds.
  static const std::string notify_and_commit = std::string("NOTIFY ") + kFeedChannel + "; COMMIT";
  auto committed = conn.commit(outcome->notify ? notify_and_commit.c_str() : "COMMIT",
                               connector_.statement_deadline());
  if (!committed) static_cast<void>(conn.run("ROLLBACK", connector_.statement_deadline()));
  return committed;
}

Result<Writer::Outcome> Writer::begin_and_run(Conn& conn, const std::vector<Job*>& batch,
                                              std::vector<Result<void>>& results) {
  // The head's row lock first, before any other row: every transaction
  // that locks several rows takes it first, so they queue on it and never
  // wait for each other's rows in opposite orders, which would deadlock.
  // (Purges lock no row that another transaction holds: they skip those.)
  JWTGUARD_TRY(conn.run("BEGIN; SELECT seq FROM jwtguard_feed_head FOR UPDATE",
                        connector_.statement_deadline()));
  // A savepoint per job lets one fail alone; a lone job needs none.
  const bool alone = batch.size() == 1;
  Outcome outcome;
  for (Job* job : batch) {
    if (!alone) JWTGUARD_TRY(conn.run("SAVEPOINT job", connector_.statement_deadline()));
    Result<void> result = job->body(conn);
    if (!alone) JWTGUARD_TRY(end_savepoint(conn, result.has_value()));
    outcome.any_done = outcome.any_done || result.has_value();
    outcome.notify = outcome.notify || (result.has_value() && job->changes_feed);
    results.push_back(std::move(result));
  }
  return outcome;
}

// Keeps or undoes one job's work. When this fails, the transaction is in an
// unknown state (a failed job's statements may still be in it): the whole
// batch must fail, none of it acknowledged.
Result<void> Writer::end_savepoint(Conn& conn, bool keep) {
  return conn.run(keep ? "RELEASE SAVEPOINT job" : "ROLLBACK TO SAVEPOINT job; RELEASE job",
                  connector_.statement_deadline());
}

}  // namespace jwtguard::pg
