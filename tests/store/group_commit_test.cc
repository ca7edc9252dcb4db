// stores::GroupCommit against a fake transaction that logs each step.
#include "store/group_commit.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "testing/fixtures.h"
#include "util/try.h"

namespace jwtguard::stores {
namespace {

using Log = std::vector<std::string>;

// What the fake transactions did, and which of their steps fail.
class FakeDb {
 public:
  // The `occurrence`-th time (from 1) that `step` runs, it fails with `error`.
  void fail(const std::string& step, int occurrence, Error error) {
    std::lock_guard lock(mu_);
    failures_.insert_or_assign({step, occurrence}, std::move(error));
  }

  Result<void> record(const std::string& step) {
    std::lock_guard lock(mu_);
    log_.push_back(step);
    const int occurrence = ++counts_[step];
    if (auto it = failures_.find({step, occurrence}); it != failures_.end()) {
      return tl::unexpected(it->second);
    }
    return {};
  }

  Log log() const {
    std::lock_guard lock(mu_);
    return log_;
  }

 private:
  mutable std::mutex mu_;
  Log log_;
  std::map<std::string, int> counts_;
  std::map<std::pair<std::string, int>, Error> failures_;
};

class FakeBatch final : public Batch {
 public:
  // `queueing`: a batch whose jobs only queue their work, as
  // PostgreSQL's pipelined batches do (Batch::queues).
  FakeBatch(FakeDb& db, bool queueing = false) : db_(db), queueing_(queueing) {}
  FakeDb& db() { return db_; }
  bool queues() const override { return queueing_; }
  // A queued job whose work will fail on the "server", at the flush.
  void queue_failing() { failing_queued_ = true; }
  Result<bool> flush() override {
    JWTGUARD_TRY(db_.record("FLUSH"));
    if (!failing_queued_) return true;
    static_cast<void>(db_.record("ROLLBACK"));
    queueing_ = false;
    return false;
  }
  Result<void> begin() override { return db_.record("BEGIN"); }
  Result<void> savepoint() override { return db_.record("SAVEPOINT"); }
  Result<void> end_savepoint(bool keep) override {
    return db_.record(keep ? "RELEASE" : "ROLLBACK TO");
  }
  Result<void> commit() override { return db_.record("COMMIT"); }
  void rollback() override { static_cast<void>(db_.record("ROLLBACK")); }

 private:
  FakeDb& db_;
  bool queueing_;
  bool failing_queued_ = false;
};

// A job that logs its name and returns `result`.
GroupCommit::Body job(std::string name, Result<void> result = {}) {
  return [name = std::move(name), result = std::move(result)](Batch& batch) {
    static_cast<void>(static_cast<FakeBatch&>(batch).db().record("job " + name));
    return result;
  };
}

// A job whose work fails on the server: queued, it succeeds until the
// flush finds it out; run on its own, it fails with `error`.
GroupCommit::Body failing_on_server(std::string name, Error error) {
  return [name = std::move(name), error = std::move(error)](Batch& batch) -> Result<void> {
    auto& fake = static_cast<FakeBatch&>(batch);
    static_cast<void>(fake.db().record("job " + name));
    if (!fake.queues()) return tl::unexpected(error);
    fake.queue_failing();
    return {};
  };
}

Result<void> failure(Errc code, const char* message) {
  return tl::unexpected(Error(code, message));
}

class GroupCommitTest : public ::testing::Test {
 protected:
  // Holds the writer thread inside a first batch (one job, "gate"), so that
  // the writes queued meanwhile make up the next batch.
  void hold_writer() {
    std::promise<void> entered;
    gate_thread_ = std::thread([this, &entered] {
      gate_result_ = commits_.write([this, &entered](Batch& batch) {
        static_cast<void>(static_cast<FakeBatch&>(batch).db().record("job gate"));
        entered.set_value();
        release_.get_future().wait();
        return Result<void>();
      });
    });
    entered.get_future().wait();
  }

  // Queues `body` from a thread of its own; returns once it is queued, so
  // that writes queue in the order of the calls.
  void queue(GroupCommit::Body body) {
    const std::size_t before = commits_.pending();
    results_.emplace_back();
    auto* result = &results_.back();
    writers_.emplace_back(
        [this, body = std::move(body), result] { *result = commits_.write(body); });
    while (commits_.pending() == before) std::this_thread::yield();
  }

  // Lets the gate's batch end, then waits for every queued write.
  void release_writer() {
    release_.set_value();
    gate_thread_.join();
    for (auto& t : writers_) t.join();
    ASSERT_TRUE(gate_result_.has_value());
    ASSERT_OK(*gate_result_);
  }

  const Result<void>& result(std::size_t i) { return *results_.at(i); }

  FakeDb db_;
  bool queueing_ = false;  // whether the batches queue (set before the first write)
  GroupCommit commits_{[this]() -> Result<std::unique_ptr<Batch>> {
    return std::make_unique<FakeBatch>(db_, queueing_);
  }};
  std::promise<void> release_;
  std::thread gate_thread_;
  std::optional<Result<void>> gate_result_;
  std::deque<std::optional<Result<void>>> results_;
  std::vector<std::thread> writers_;
};

const Log kGateBatch = {"BEGIN", "job gate", "COMMIT"};

Log after_gate(const Log& log) {
  EXPECT_GE(log.size(), kGateBatch.size());
  EXPECT_EQ(Log(log.begin(), log.begin() + 3), kGateBatch);
  return Log(log.begin() + 3, log.end());
}

TEST_F(GroupCommitTest, ALoneJobRunsWithoutASavepointAndCommits) {
  ASSERT_OK(commits_.write(job("a")));
  EXPECT_EQ(db_.log(), (Log{"BEGIN", "job a", "COMMIT"}));
  EXPECT_EQ(commits_.batches(), 1u);
}

TEST_F(GroupCommitTest, ALoneFailingJobIsRolledBackWithItsOwnError) {
  EXPECT_ERRC(commits_.write(job("a", failure(Errc::kAlreadyExists, "user"))),
              Errc::kAlreadyExists);
  EXPECT_EQ(db_.log(), (Log{"BEGIN", "job a", "ROLLBACK"}));
}

TEST_F(GroupCommitTest, ConcurrentWritesShareOneTransactionInTheOrderTheyQueued) {
  hold_writer();
  queue(job("b"));
  queue(job("c"));
  queue(job("d"));
  release_writer();
  for (std::size_t i = 0; i < 3; ++i) EXPECT_OK(result(i));
  EXPECT_EQ(after_gate(db_.log()),
            (Log{"BEGIN", "SAVEPOINT", "job b", "RELEASE", "SAVEPOINT", "job c", "RELEASE",
                 "SAVEPOINT", "job d", "RELEASE", "COMMIT"}));
  EXPECT_EQ(commits_.batches(), 2u);
}

TEST_F(GroupCommitTest, AFailingJobIsUndoneAloneAndTheOthersCommit) {
  hold_writer();
  queue(job("b"));
  queue(job("c", failure(Errc::kAlreadyExists, "session")));
  queue(job("d"));
  release_writer();
  EXPECT_OK(result(0));
  EXPECT_ERRC(result(1), Errc::kAlreadyExists);
  EXPECT_OK(result(2));
  EXPECT_EQ(after_gate(db_.log()),
            (Log{"BEGIN", "SAVEPOINT", "job b", "RELEASE", "SAVEPOINT", "job c", "ROLLBACK TO",
                 "SAVEPOINT", "job d", "RELEASE", "COMMIT"}));
}

TEST_F(GroupCommitTest, ABatchWhereEveryJobFailedIsRolledBackAndEachGetsItsOwnError) {
  hold_writer();
  queue(job("b", failure(Errc::kAlreadyExists, "user")));
  queue(job("c", failure(Errc::kNotFound, "user")));
  release_writer();
  EXPECT_ERRC(result(0), Errc::kAlreadyExists);
  EXPECT_ERRC(result(1), Errc::kNotFound);
  const Log log = after_gate(db_.log());
  ASSERT_FALSE(log.empty());
  EXPECT_EQ(log.back(), "ROLLBACK");
  EXPECT_EQ(std::count(log.begin(), log.end(), "COMMIT"), 0);
}

TEST_F(GroupCommitTest, AFailedCommitFailsEveryJobOfTheBatchWithTheCommitsError) {
  db_.fail("COMMIT", 2, Error(Errc::kStore, "disk full"));
  hold_writer();
  queue(job("b"));
  queue(job("c", failure(Errc::kAlreadyExists, "session")));
  release_writer();
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_ERRC(result(i), Errc::kStore);
    EXPECT_EQ(result(i).error().detail(), "disk full");
  }
  const Log log = after_gate(db_.log());
  EXPECT_EQ(Log(log.end() - 2, log.end()), (Log{"COMMIT", "ROLLBACK"}));
}

// A savepoint that cannot be ended leaves the transaction in doubt (the
// failed job's work may still be in it): nothing of it is committed, and
// no job is acknowledged, not even those before.
TEST_F(GroupCommitTest, ASavepointThatCannotBeEndedFailsTheWholeBatch) {
  db_.fail("ROLLBACK TO", 1, Error(Errc::kStore, "no such savepoint"));
  hold_writer();
  queue(job("b"));
  queue(job("c", failure(Errc::kAlreadyExists, "session")));
  queue(job("d"));
  release_writer();
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_ERRC(result(i), Errc::kStore);
    EXPECT_EQ(result(i).error().detail(), "no such savepoint");
  }
  EXPECT_EQ(after_gate(db_.log()), (Log{"BEGIN", "SAVEPOINT", "job b", "RELEASE", "SAVEPOINT",
                                        "job c", "ROLLBACK TO", "ROLLBACK"}));
}

TEST_F(GroupCommitTest, ASavepointThatCannotBeTakenFailsTheWholeBatch) {
  db_.fail("SAVEPOINT", 2, Error(Errc::kStore, "out of memory"));
  hold_writer();
  queue(job("b"));
  queue(job("c"));
  release_writer();
  for (std::size_t i = 0; i < 2; ++i) EXPECT_ERRC(result(i), Errc::kStore);
  EXPECT_EQ(after_gate(db_.log()),
            (Log{"BEGIN", "SAVEPOINT", "job b", "RELEASE", "SAVEPOINT", "ROLLBACK"}));
}

TEST_F(GroupCommitTest, AFailedBeginFailsEveryJobAndRunsNone) {
  db_.fail("BEGIN", 2, Error(Errc::kStore, "database is locked"));
  hold_writer();
  queue(job("b"));
  queue(job("c"));
  release_writer();
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_ERRC(result(i), Errc::kStore);
    EXPECT_EQ(result(i).error().detail(), "database is locked");
  }
  EXPECT_EQ(after_gate(db_.log()), (Log{"BEGIN", "ROLLBACK"}));
}

// --- Batches that queue (Batch::queues) ------------------------------------

const Log kQueuedGateBatch = {"BEGIN", "job gate", "FLUSH", "COMMIT"};

Log after_queued_gate(const Log& log) {
  EXPECT_GE(log.size(), kQueuedGateBatch.size());
  EXPECT_EQ(Log(log.begin(), log.begin() + 4), kQueuedGateBatch);
  return Log(log.begin() + 4, log.end());
}

TEST_F(GroupCommitTest, QueuedJobsAreFlushedAtOnceWithoutSavepoints) {
  queueing_ = true;
  hold_writer();
  queue(job("b"));
  queue(job("c"));
  release_writer();
  EXPECT_OK(result(0));
  EXPECT_OK(result(1));
  EXPECT_EQ(after_queued_gate(db_.log()), (Log{"BEGIN", "job b", "job c", "FLUSH", "COMMIT"}));
}

TEST_F(GroupCommitTest, AJobFailingAtTheFlushRunsTheBatchAgainInSavepoints) {
  queueing_ = true;
  hold_writer();
  queue(job("b"));
  queue(failing_on_server("c", Error(Errc::kInvalidArgument, "not UTF-8")));
  queue(job("d"));
  release_writer();
  EXPECT_OK(result(0));
  EXPECT_ERRC(result(1), Errc::kInvalidArgument);
  EXPECT_OK(result(2));
  EXPECT_EQ(after_queued_gate(db_.log()),
            (Log{"BEGIN", "job b", "job c", "job d", "FLUSH", "ROLLBACK", "BEGIN", "SAVEPOINT",
                 "job b", "RELEASE", "SAVEPOINT", "job c", "ROLLBACK TO", "SAVEPOINT", "job d",
                 "RELEASE", "COMMIT"}));
}

TEST_F(GroupCommitTest, AFailedFlushFailsEveryJobOfTheBatch) {
  queueing_ = true;
  db_.fail("FLUSH", 2, Error(Errc::kStore, "connection lost"));
  hold_writer();
  queue(job("b"));
  queue(job("c"));
  release_writer();
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_ERRC(result(i), Errc::kStore);
    EXPECT_EQ(result(i).error().detail(), "connection lost");
  }
  EXPECT_EQ(after_queued_gate(db_.log()), (Log{"BEGIN", "job b", "job c", "FLUSH", "ROLLBACK"}));
}

TEST(GroupCommit, ABatchThatCannotOpenFailsEveryJob) {
  GroupCommit commits(
      []() -> Result<std::unique_ptr<Batch>> { return fail(Errc::kStore, "no connection"); });
  const auto written = commits.write([](Batch&) -> Result<void> {
    ADD_FAILURE() << "the job ran without a transaction";
    return {};
  });
  EXPECT_ERRC(written, Errc::kStore);
  EXPECT_EQ(written.error().detail(), "no connection");
}

TEST_F(GroupCommitTest, StopRunsWhatIsQueuedAndRefusesNewWrites) {
  hold_writer();
  queue(job("b"));
  queue(job("c"));
  commits_.stop();
  const auto refused = commits_.write(job("late"));
  EXPECT_ERRC(refused, Errc::kStore);
  EXPECT_EQ(refused.error().detail(), "store is closing");
  EXPECT_FALSE(commits_.wait_for_batch(commits_.batches(),
                                       std::chrono::steady_clock::now() + std::chrono::hours(1)));
  release_writer();
  EXPECT_OK(result(0));
  EXPECT_OK(result(1));
  EXPECT_EQ(after_gate(db_.log()), (Log{"BEGIN", "SAVEPOINT", "job b", "RELEASE", "SAVEPOINT",
                                        "job c", "RELEASE", "COMMIT"}));
}

TEST_F(GroupCommitTest, WaitForBatchReturnsOnceABatchHasEnded) {
  const std::uint64_t seen = commits_.batches();
  std::thread writer([this] { EXPECT_OK(commits_.write(job("a"))); });
  // Far off: only the batch's end (or a lost wake-up, failing below) ends it.
  EXPECT_TRUE(
      commits_.wait_for_batch(seen, std::chrono::steady_clock::now() + std::chrono::seconds(30)));
  EXPECT_NE(commits_.batches(), seen);
  writer.join();
}

}  // namespace
}  // namespace jwtguard::stores
