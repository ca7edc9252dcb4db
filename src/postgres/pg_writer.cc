#include "pg_writer.h"

#include <memory>
#include <string>
#include <utility>

#include "util/try.h"

namespace jwtguard::pg {
namespace {

// One batch's transaction on a leased connection.
class PgBatch final : public stores::Batch {
 public:
  PgBatch(Pool::Lease lease, const Connector& connector)
      : lease_(std::move(lease)), connector_(connector) {}
  Conn& conn() { return *lease_; }

  // The head's row lock first, before any other row: every transaction
  // that locks several rows takes it first, so they queue on it and never
  // wait for each other's rows in opposite orders, which would deadlock.
  // (Purges lock no row that another transaction holds: they skip those.)
  Result<void> begin() override {
    return run("BEGIN; SELECT seq FROM jwtguard_feed_head FOR UPDATE");
  }
  Result<void> savepoint() override { return run("SAVEPOINT job"); }
  Result<void> end_savepoint(bool keep) override {
    return run(keep ? "RELEASE SAVEPOINT job" : "ROLLBACK TO SAVEPOINT job; RELEASE job");
  }
  // Only batches where some change succeeded commit: each of them wakes the
  // followers.
  Result<void> commit() override {
    // A body that swallowed a failed statement would leave the transaction
    // failed: COMMIT would then roll everything back.
    if (!conn().in_transaction()) {
      return fail(Errc::kStore, "postgresql: the batch's transaction failed; nothing was written");
    }
    // The NOTIFY is delivered when, and only if, the COMMIT succeeds.
    static const std::string notify_and_commit = std::string("NOTIFY ") + kFeedChannel + "; COMMIT";
    return conn().commit(notify_and_commit.c_str(), connector_.statement_deadline());
  }
  // Best effort: a connection left inside a transaction is closed by the
  // pool rather than reused.
  void rollback() override { static_cast<void>(run("ROLLBACK")); }

 private:
  Result<void> run(const char* sql) { return conn().run(sql, connector_.statement_deadline()); }

  Pool::Lease lease_;
  const Connector& connector_;
};

}  // namespace

Writer::Writer(Pool& pool, const Connector& connector)
    : group_commit_([&pool, &connector]() -> Result<std::unique_ptr<stores::Batch>> {
        JWTGUARD_ASSIGN_OR_RETURN(Pool::Lease lease, pool.acquire());
        return std::make_unique<PgBatch>(std::move(lease), connector);
      }) {}

Result<void> Writer::write(const Body& body) {
  return group_commit_.write(
      [&body](stores::Batch& batch) { return body(static_cast<PgBatch&>(batch).conn()); });
}

}  // namespace jwtguard::pg
