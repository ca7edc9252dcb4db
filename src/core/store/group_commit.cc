#include "store/group_commit.h"

#include <utility>

#include "util/try.h"

namespace jwtguard::stores {

GroupCommit::GroupCommit(OpenBatch open) : open_(std::move(open)), thread_([this] { loop(); }) {}

GroupCommit::~GroupCommit() {
  stop();
  thread_.join();
}

void GroupCommit::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  queued_.notify_all();
  done_.notify_all();  // wakes wait_for_batch
}

Result<void> GroupCommit::write(Body body) {
  Job job{std::move(body), std::nullopt};
  std::unique_lock lock(mu_);
  if (stopping_) return fail(Errc::kStore, "store is closing");
  queue_.push_back(&job);
  queued_.notify_all();
  done_.wait(lock, [&] { return job.result.has_value(); });
  return std::move(*job.result);
}

std::uint64_t GroupCommit::batches() const {
  std::lock_guard lock(mu_);
  return batches_;
}

bool GroupCommit::wait_for_batch(std::uint64_t seen, std::chrono::steady_clock::time_point until) {
  std::unique_lock lock(mu_);
  done_.wait_until(lock, until, [&] { return batches_ != seen || stopping_; });
  return !stopping_;
}

std::size_t GroupCommit::pending() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void GroupCommit::loop() {
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
      ++batches_;
    }
    done_.notify_all();
  }
}

Result<void> GroupCommit::run_batch(const std::vector<Job*>& batch,
                                    std::vector<Result<void>>& results) {
  JWTGUARD_ASSIGN_OR_RETURN(const std::unique_ptr<Batch> txn, open_());
  auto any_done = run_jobs(*txn, batch, results);
  if (!any_done || !*any_done) {
    // Nothing to keep: every job failed alone, or the transaction is in
    // doubt and nothing in it may be acknowledged.
    txn->rollback();
    if (!any_done) return tl::unexpected(std::move(any_done).error());
    return {};
  }
  auto committed = txn->commit();
  if (!committed) txn->rollback();
  return committed;
}

Result<bool> GroupCommit::run_jobs(Batch& txn, const std::vector<Job*>& batch,
                                   std::vector<Result<void>>& results) {
  if (txn.queues()) {
    JWTGUARD_ASSIGN_OR_RETURN(const std::optional<bool> any_done,
                              queue_and_run(txn, batch, results));
    if (any_done) return *any_done;
    // A job's statement failed: again, one at a time, each in its
    // savepoint, to keep the others.
    results.clear();
  }
  return begin_and_run(txn, batch, results);
}

Result<std::optional<bool>> GroupCommit::queue_and_run(Batch& txn, const std::vector<Job*>& batch,
                                                       std::vector<Result<void>>& results) {
  JWTGUARD_TRY(txn.begin());
  bool any_done = false;
  for (Job* job : batch) {
    // A job that fails here has queued nothing (e.g. a value refused
    // before it is sent): it fails alone.
    Result<void> result = job->body(txn);
    any_done = any_done || result.has_value();
    results.push_back(std::move(result));
  }
  JWTGUARD_ASSIGN_OR_RETURN(const bool flushed, txn.flush());
  if (!flushed) return std::nullopt;
  return std::optional<bool>(any_done);
}

Result<bool> GroupCommit::begin_and_run(Batch& txn, const std::vector<Job*>& batch,
                                        std::vector<Result<void>>& results) {
  JWTGUARD_TRY(txn.begin());
  // A savepoint per job lets one fail alone; a lone job needs none (its
  // failure rolls the whole transaction back).
  const bool alone = batch.size() == 1;
  bool any_done = false;
  for (Job* job : batch) {
    if (!alone) JWTGUARD_TRY(txn.savepoint());
    Result<void> result = job->body(txn);
    if (!alone) JWTGUARD_TRY(txn.end_savepoint(result.has_value()));
    any_done = any_done || result.has_value();
    results.push_back(std::move(result));
  }
  return any_done;
}

}  // namespace jwtguard::stores
