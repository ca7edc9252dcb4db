#include "pg_writer.h"

#include <memory>
#include <string>
#include <utility>

#include "util/try.h"

namespace jwtguard::pg {
namespace {

// The head's row lock first, before any other row: every transaction that
// locks several rows takes it first, so they queue on it and never wait
// for each other's rows in opposite orders, which would deadlock. (Purges
// lock no row that another transaction holds: they skip those.) Queued, it
// is still the batch's first statement after BEGIN: the server runs a
// pipeline's statements in order.
constexpr const char* kBegin = "BEGIN";
constexpr const char* kLockHead = "SELECT seq FROM jwtguard_feed_head FOR UPDATE";

// One batch's transaction on a leased connection: queued and sent in one
// pipeline (see pg_writer.h), until a job's statement fails; then one
// statement at a time, each job in its savepoint.
class PgBatch final : public stores::Batch {
 public:
  PgBatch(Pool::Lease lease, const Connector& connector)
      : lease_(std::move(lease)), connector_(connector) {}

  bool queues() const override { return queueing_; }

  Result<void> begin() override {
    if (!queueing_) return run((std::string(kBegin) + "; " + kLockHead).c_str());
    queued_.assign({Queued{kBegin, &no_params_, nullptr}, Queued{kLockHead, &no_params_, nullptr}});
    return {};
  }

  Result<void> run(const Job& job) {
    // Refused before anything is sent, so that the job fails alone even
    // without a savepoint.
    for (const Step& step : job) {
      if (step.params.has_nul()) {
        return fail(Errc::kInvalidArgument, "postgresql cannot store a NUL character in text");
      }
    }
    if (queueing_) {
      for (const Step& step : job) queued_.push_back(Queued{step.sql, &step.params, &step});
      return {};
    }
    for (const Step& step : job) {
      JWTGUARD_ASSIGN_OR_RETURN(const Rows rows, conn().exec(step.sql, step.params, deadline()));
      if (step.read) JWTGUARD_TRY(step.read(rows));
    }
    return {};
  }

  Result<bool> flush() override {
    std::vector<Conn::Piped> piped;
    piped.reserve(queued_.size());
    for (const Queued& q : queued_) piped.push_back(Conn::Piped{q.sql, q.params});
    JWTGUARD_ASSIGN_OR_RETURN(auto answers, conn().pipeline(piped, [this] { return deadline(); }));
    for (std::size_t i = 0; i < answers.size(); ++i) {
      const Step* step = queued_[i].step;
      // BEGIN's or the lock's failure (a statement timeout waiting for
      // the head, say) is the batch's.
      if (step == nullptr && !answers[i]) return tl::unexpected(std::move(answers[i]).error());
      if (step == nullptr) continue;
      const bool done = answers[i] && (!step->read || step->read(*answers[i]));
      if (!done) {
        // Some job failed, and the transaction has (or, for a failed
        // reading, may have) its work: none of it may commit.
        JWTGUARD_TRY(run("ROLLBACK"));
        queueing_ = false;
        return false;
      }
    }
    return true;
  }

  Result<void> savepoint() override { return run("SAVEPOINT job"); }
  Result<void> end_savepoint(bool keep) override {
    return run(keep ? "RELEASE SAVEPOINT job" : "ROLLBACK TO SAVEPOINT job; RELEASE job");
  }
  // Only batches where some change succeeded commit: each of them wakes the
  // followers.
  Result<void> commit() override {
    // A job that swallowed a failed statement would leave the transaction
    // failed: COMMIT would then roll everything back.
    if (!conn().in_transaction()) {
      return fail(Errc::kStore, "postgresql: the batch's transaction failed; nothing was written");
    }
    // The NOTIFY is delivered when, and only if, the COMMIT succeeds.
    static const std::string notify_and_commit = std::string("NOTIFY ") + kFeedChannel + "; COMMIT";
    return conn().commit(notify_and_commit.c_str(), deadline());
  }
  // Best effort: a connection left inside a transaction is closed by the
  // pool rather than reused.
  void rollback() override { static_cast<void>(run("ROLLBACK")); }

 private:
  // A queued statement; `step` is null for the batch's own (BEGIN, lock).
  struct Queued {
    const char* sql;
    const Params* params;
    const Step* step;
  };

  Conn& conn() { return *lease_; }
  Deadline deadline() const { return connector_.statement_deadline(); }
  Result<void> run(const char* sql) { return conn().run(sql, deadline()); }

  Pool::Lease lease_;
  const Connector& connector_;
  bool queueing_ = true;
  const Params no_params_;
  // Point into the jobs, which outlive the batch (GroupCommit::write).
  std::vector<Queued> queued_;
};

}  // namespace

Writer::Writer(Pool& pool, const Connector& connector)
    : group_commit_([&pool, &connector]() -> Result<std::unique_ptr<stores::Batch>> {
        JWTGUARD_ASSIGN_OR_RETURN(Pool::Lease lease, pool.acquire());
        return std::make_unique<PgBatch>(std::move(lease), connector);
      }) {}

Result<void> Writer::write(const Job& job) {
  return group_commit_.write(
      [&job](stores::Batch& batch) { return static_cast<PgBatch&>(batch).run(job); });
}

}  // namespace jwtguard::pg
