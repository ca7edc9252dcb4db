#include "stores/postgres/pg_writer.h"

#include <string>

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
  // The head's row lock first, before any other row: every transaction
  // that locks several rows (these batches, purges included) takes it
  // first, so they queue on it and never wait for each other's rows in
  // opposite orders, which would deadlock.
  if (auto ok = conn.run("BEGIN; SELECT seq FROM jwtguard_feed_head FOR UPDATE",
                         connector_.statement_deadline());
      !ok) {
    static_cast<void>(conn.run("ROLLBACK", connector_.statement_deadline()));
    return ok;
  }
  // A savepoint per job lets one fail alone; a lone job needs none.
  const bool alone = batch.size() == 1;
  bool any_done = false, notify = false;
  for (Job* job : batch) {
    if (!alone) {
      if (auto ok = conn.run("SAVEPOINT job", connector_.statement_deadline()); !ok) {
        results.push_back(std::move(ok));
        continue;
      }
    }
    Result<void> result = job->body(conn);
    if (!alone) {
      static_cast<void>(
          conn.run(result ? "RELEASE SAVEPOINT job" : "ROLLBACK TO SAVEPOINT job; RELEASE job",
                   connector_.statement_deadline()));
    }
    any_done = any_done || result.has_value();
    notify = notify || (result.has_value() && job->changes_feed);
    results.push_back(std::move(result));
  }
  if (!any_done) {
    static_cast<void>(conn.run("ROLLBACK", connector_.statement_deadline()));
    return {};
  }
  // The NOTIFY is delivered when, and only if, the COMMIT succeeds.
  static const std::string notify_and_commit = std::string("NOTIFY ") + kFeedChannel + "; COMMIT";
  if (auto ok =
          conn.run(notify ? notify_and_commit.c_str() : "COMMIT", connector_.statement_deadline());
      !ok) {
    static_cast<void>(conn.run("ROLLBACK", connector_.statement_deadline()));
    return ok;
  }
  return {};
}

}  // namespace jwtguard::pg
