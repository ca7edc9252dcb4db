// The PostgreSQL store's writer (pg_writer.h) against a real server: many
// callers at once, so that their changes share batches, each batch sent in
// one pipeline. What it must keep from the slower writer it replaced: a
// change is acknowledged only once committed, one change's failure costs
// the others of its batch nothing, and the feed stays contiguous, with
// exactly the acknowledged changes.
//
// One server for the program (testing/postgres_server.h); each test gets a
// database of its own.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "jwtguard/store.h"
#include "testing/fixtures.h"
#include "testing/postgres_server.h"

namespace jwtguard {
namespace {

using testing::PostgresServer;

constexpr int kCallers = 32;
const Timestamp kNow = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());

struct SharedServer {
  std::filesystem::path dir;
  std::optional<PostgresServer> server;
  std::string error;

  SharedServer()
      : dir(std::filesystem::path(::testing::TempDir()) /
            ("jwtguard-pgwriter-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(dir);
    auto started = PostgresServer::start(dir);
    if (started) {
      server.emplace(std::move(*started));
    } else {
      error = started.error();
    }
  }
  ~SharedServer() {
    server.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
};

// Started by the first test, from the main thread, and stopped at exit.
SharedServer& shared() {
  static SharedServer shared;
  return shared;
}

Revocation revocation(RevocationKind kind, std::string key) {
  Revocation r;
  r.kind = kind;
  r.key = std::move(key);
  r.revoked_at = kNow;
  r.expires_at = kNow + std::chrono::hours(1);
  if (kind == RevocationKind::kUser) r.cutoff = kNow;
  r.user = "u";
  return r;
}

// The acknowledged changes, by seq, as the callers saw them.
class Acknowledged {
 public:
  void add(std::uint64_t seq, const std::string& key) {
    std::lock_guard lock(mu_);
    EXPECT_TRUE(by_seq_.emplace(seq, key).second) << "seq " << seq << " acknowledged twice";
  }
  const std::map<std::uint64_t, std::string>& by_seq() const { return by_seq_; }

 private:
  std::mutex mu_;
  std::map<std::uint64_t, std::string> by_seq_;
};

class PostgresWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(shared().server.has_value()) << shared().error;
    if (!server().running()) {
      ASSERT_TRUE(server().restart().has_value()) << server().log();
    }
    static std::atomic<int> counter{0};
    name_ = "writer_" + std::to_string(counter++);
    auto url = server().create_database(name_);
    ASSERT_TRUE(url.has_value()) << url.error();
    url_ = *url;
  }

  PostgresServer& server() { return *shared().server; }

  std::unique_ptr<Store> open() {
    auto store = open_postgres_store(url_);
    EXPECT_TRUE(store.has_value()) << store.error().message();
    return store ? std::move(*store) : nullptr;
  }

  // Through a store opened afresh: every acknowledged change is in the
  // feed, in a feed without holes, and its revocation is there.
  void expect_durable(const Acknowledged& acknowledged, std::size_t at_most) {
    auto reopened = open();
    ASSERT_NE(reopened, nullptr);
    std::vector<Change> feed;
    for (std::uint64_t position = 0;;) {
      auto batch = reopened->changes_since(position, 1000, std::chrono::milliseconds(0));
      ASSERT_OK(batch);
      ASSERT_FALSE(batch->gap);
      if (batch->changes.empty()) break;
      for (const Change& change : batch->changes) {
        ASSERT_EQ(change.seq, position + 1) << "the feed has a hole";
        position = change.seq;
        feed.push_back(change);
      }
    }
    EXPECT_LE(feed.size(), at_most);
    for (const auto& [seq, key] : acknowledged.by_seq()) {
      ASSERT_LE(seq, feed.size()) << key << " acknowledged at " << seq << ", not in the feed";
      EXPECT_EQ(feed[seq - 1].key, key) << "seq " << seq;
      auto found = reopened->find_revocation(feed[seq - 1].kind, key);
      ASSERT_OK(found);
      EXPECT_TRUE(found->has_value()) << key << " acknowledged, then lost";
    }
  }

  std::string name_;
  std::string url_;
};

TEST_F(PostgresWriterTest, ThirtyTwoCallersAreAllDurableAfterAReopen) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  constexpr int kEach = 40;
  Acknowledged acknowledged;
  std::vector<std::thread> threads;
  for (int t = 0; t < kCallers; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        // Every kind, so that each statement of the batch's pipeline is
        // exercised among the others.
        const std::string key = std::to_string(t) + "-" + std::to_string(i);
        Result<std::uint64_t> seq;
        switch (i % 4) {
          case 0:
          case 1:
            seq = store->revoke(revocation(RevocationKind::kToken, "t" + key));
            break;
          case 2:
            seq = store->revoke_session(revocation(RevocationKind::kSession, "s" + key));
            break;
          case 3:
            seq = store->revoke(revocation(RevocationKind::kUser, "u" + key));
            break;
        }
        ASSERT_OK(seq);
        acknowledged.add(*seq, (i % 4 < 2 ? "t" : i % 4 == 2 ? "s" : "u") + key);
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(acknowledged.by_seq().size(), std::size_t{kCallers * kEach});
  store.reset();
  expect_durable(acknowledged, kCallers * kEach);
}

TEST_F(PostgresWriterTest, AJobThatFailsOnTheServerCostsTheOthersOfItsBatchNothing) {
  // Bytes that are not UTF-8 pass the client and fail on the server, in
  // the middle of a batch's pipeline: the batch must run again without it.
  auto store = open();
  ASSERT_NE(store, nullptr);
  constexpr int kEach = 20;
  Acknowledged acknowledged;
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kCallers; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const bool bad = (t + i) % 7 == 3;
        const std::string key = std::to_string(t) + "-" + std::to_string(i) + (bad ? "\xff" : "");
        auto seq = store->revoke(revocation(RevocationKind::kToken, key));
        if (bad) {
          EXPECT_ERRC(seq, Errc::kInvalidArgument);
          ++refused;
          continue;
        }
        ASSERT_OK(seq);
        acknowledged.add(*seq, key);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_GT(refused.load(), 0);
  EXPECT_EQ(acknowledged.by_seq().size() + refused.load(), std::size_t{kCallers * kEach});
  store.reset();
  // Nothing of a refused change reached the feed: it holds exactly the
  // acknowledged ones.
  expect_durable(acknowledged, acknowledged.by_seq().size());
}

TEST_F(PostgresWriterTest, ACommitThatFailsAcknowledgesNoneOfItsBatch) {
  // A deferred constraint fails at COMMIT, after the batch's pipeline went
  // through: a revocation of a "doomed-" key makes its whole batch's COMMIT
  // fail (what a lost answer to COMMIT looks like to the callers, too).
  auto store = open();  // creates the schema
  ASSERT_NE(store, nullptr);
  PGconn* admin = PQconnectdb(url_.c_str());
  ASSERT_EQ(PQstatus(admin), CONNECTION_OK) << PQerrorMessage(admin);
  PGresult* created =
      PQexec(admin,
             "CREATE FUNCTION refuse_doomed() RETURNS trigger LANGUAGE plpgsql AS"
             " $$BEGIN IF NEW.key LIKE 'doomed-%' THEN RAISE EXCEPTION 'doomed'; END IF;"
             " RETURN NULL; END$$;"
             " CREATE CONSTRAINT TRIGGER refuse_doomed AFTER INSERT ON revocations"
             " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_doomed()");
  ASSERT_EQ(PQresultStatus(created), PGRES_COMMAND_OK) << PQresultErrorMessage(created);
  PQclear(created);
  PQfinish(admin);
  constexpr int kEach = 20;
  Acknowledged acknowledged;
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kCallers; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const bool doomed = (t * kEach + i) % 50 == 7;
        const std::string key =
            (doomed ? "doomed-" : "") + std::to_string(t) + "-" + std::to_string(i);
        auto seq = store->revoke(revocation(RevocationKind::kToken, key));
        if (doomed) EXPECT_ERRC(seq, Errc::kStore);
        if (!seq) {
          ++failed;
          continue;
        }
        acknowledged.add(*seq, key);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_GE(failed.load(), kCallers * kEach / 50);
  EXPECT_GT(acknowledged.by_seq().size(), 0u);
  store.reset();
  expect_durable(acknowledged, acknowledged.by_seq().size());
}

TEST_F(PostgresWriterTest, ConnectionsKilledMidBatchLoseNothingAcknowledged) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  constexpr int kEach = 60;
  Acknowledged acknowledged;
  std::atomic<int> failed{0};
  std::atomic<bool> writing{true};
  // Terminates every other session of the database, again and again, while
  // the callers write: batches die with their connection at any point of
  // the pipeline or of the COMMIT.
  std::thread killer([&] {
    PGconn* admin = PQconnectdb(url_.c_str());
    ASSERT_EQ(PQstatus(admin), CONNECTION_OK) << PQerrorMessage(admin);
    for (int round = 0; round < 200 && writing; ++round) {
      std::this_thread::sleep_for(std::chrono::milliseconds(15));
      PQclear(PQexec(admin,
                     "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                     " WHERE datname = current_database() AND pid <> pg_backend_pid()"));
    }
    PQfinish(admin);
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kCallers; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const std::string key = std::to_string(t) + "-" + std::to_string(i);
        auto seq = store->revoke(revocation(RevocationKind::kToken, key));
        if (!seq) {
          // Failed, or its outcome unknown: not acknowledged either way.
          EXPECT_EQ(seq.error().code(), Errc::kStore) << seq.error().detail();
          ++failed;
          continue;
        }
        acknowledged.add(*seq, key);
      }
    });
  }
  for (auto& t : threads) t.join();
  writing = false;
  killer.join();
  EXPECT_GT(failed.load(), 0) << "no batch was interrupted: the test proved nothing";
  EXPECT_GT(acknowledged.by_seq().size(), 0u);
  store.reset();
  expect_durable(acknowledged, kCallers * kEach);
}

}  // namespace
}  // namespace jwtguard
