// The PostgreSQL store against a real server (testing/postgres_server.h):
// the store contract, and what only this backend has: a schema with a
// version, several instances on one database, LISTEN/NOTIFY, outages and
// crashes of the server.
//
// One server serves the whole program (initdb and a start take a second or
// more); every test gets a database of its own. A server that cannot start
// fails every test, saying why.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "postgres/pg_connector.h"
#include "postgres/schema.h"
#include "stores/account_contract.h"
#include "stores/guard_reuse_case.h"
#include "stores/migrated_session_case.h"
#include "stores/namespaced_key_contract.h"
#include "stores/serve_log.h"
#include "stores/snapshot_contract.h"
#include "stores/status_contract.h"
#include "stores/status_two_stores_case.h"
#include "stores/store_contract.h"
#include "testing/postgres_server.h"

namespace jwtguard {
namespace {

using testing::Attempt;
using testing::PostgresServer;
using SteadyClock = std::chrono::steady_clock;

// --- The shared server ----------------------------------------------------------

struct SharedServer {
  std::filesystem::path dir;
  std::optional<PostgresServer> server;
  std::string error;  // why there is no server

  SharedServer()
      : dir(std::filesystem::path(::testing::TempDir()) /
            ("jwtguard-postgres-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(dir);
    auto started = PostgresServer::start(dir);
    if (started) {
      server.emplace(std::move(*started));
    } else {
      error = started.error();
    }
  }
  ~SharedServer() {
    server.reset();  // stops it before its directory goes
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
};

// Started by the first test that asks, from the main thread (the server
// dies with the thread that started it), and stopped at exit.
SharedServer& shared() {
  static SharedServer shared;
  return shared;
}

PostgresServer* server() { return shared().server ? &*shared().server : nullptr; }

// Runs `query` on a connection of its own: the first column of the first
// row ("" when there is none).
Attempt<std::string> sql(const std::string& url, const std::string& query) {
  PGconn* conn = PQconnectdb(url.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string why = PQerrorMessage(conn);
    PQfinish(conn);
    return testing::failed("connecting to " + url + ": " + why);
  }
  PGresult* result = PQexec(conn, query.c_str());
  const auto status = PQresultStatus(result);
  std::string out;
  if (status == PGRES_TUPLES_OK && PQntuples(result) > 0) out = PQgetvalue(result, 0, 0);
  std::string why = PQresultErrorMessage(result);
  PQclear(result);
  PQfinish(conn);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    return testing::failed(query + ": " + why);
  }
  return out;
}

// The value, or the error, for messages and comparisons.
std::string value_of(const Attempt<std::string>& result) {
  return result ? *result : "ERROR: " + result.error();
}

// A fresh database: its name, and its URL.
Attempt<std::pair<std::string, std::string>> fresh_database() {
  if (server() == nullptr) return testing::failed("no PostgreSQL server: " + shared().error);
  static std::atomic<int> counter{0};
  const std::string name = "test_" + std::to_string(counter++);
  auto url = server()->create_database(name);
  if (!url) return tl::unexpected(url.error());
  return std::make_pair(name, *url);
}

// Drops a test's database, to keep the cluster small (crash recovery
// syncs every file in it).
void drop_database(const std::string& name) {
  if (server() == nullptr || !server()->running() || name.empty()) return;
  auto dropped = sql(server()->url("postgres"), "DROP DATABASE " + name + " WITH (FORCE)");
  EXPECT_TRUE(dropped.has_value()) << dropped.error();
}

// --- The contract ---------------------------------------------------------------

struct PostgresBackend {
  // Its durable revocations take about 2 ms each (pg::Writer): a smaller
  // large store, still many COPY rows.
  static constexpr std::size_t kSnapshotRecords = 4'000;
  std::string name;
  std::string url;

  PostgresBackend() {
    auto db = fresh_database();
    if (db) {
      std::tie(name, url) = *db;
    } else {
      ADD_FAILURE() << db.error();
    }
  }
  ~PostgresBackend() { drop_database(name); }

  std::unique_ptr<Store> open() {
    if (url.empty()) return nullptr;
    auto store = open_postgres_store(url);
    EXPECT_TRUE(store.has_value()) << store.error().message();
    return store ? std::move(*store) : nullptr;
  }
};

INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, StoreContractTest, PostgresBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, SnapshotContractTest, PostgresBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, NamespacedKeyContractTest, PostgresBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, DurableStoreTest, PostgresBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, AccountContractTest, PostgresBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, DurableAccountTest, PostgresBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, StatusContractTest, PostgresBackend);

// --- What only PostgreSQL has ---------------------------------------------------

std::int64_t elapsed_ms(SteadyClock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - since).count();
}

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(server(), nullptr) << shared().error;
    // A test that stopped the server and failed before restarting it must
    // not take the next tests down with it.
    if (!server()->running()) {
      ASSERT_TRUE(server()->restart().has_value()) << server()->log();
    }
    auto db = fresh_database();
    ASSERT_TRUE(db.has_value()) << db.error();
    std::tie(name_, url_) = *db;
  }

  void TearDown() override {
    if (server() != nullptr && !server()->running()) {
      auto restarted = server()->restart();
      EXPECT_TRUE(restarted.has_value()) << restarted.error();
    }
    drop_database(name_);
  }

  // Options that collect warnings instead of printing them.
  PostgresOptions options() {
    PostgresOptions o;
    o.warn = [this](std::string_view message) {
      std::lock_guard lock(warnings_mu_);
      warnings_.emplace_back(message);
    };
    return o;
  }

  Result<std::unique_ptr<Store>> open() { return open_postgres_store(url_, options()); }

  // The query's first value, "" for a statement, or "ERROR: ...".
  std::string sql_here(const std::string& query) { return value_of(sql(url_, query)); }

  std::string name_;
  std::string url_;
  std::mutex warnings_mu_;
  std::vector<std::string> warnings_;
};

TEST_F(PostgresStoreTest, MigrationCreatesTheSchemaAndRecordsTheVersion) {
  EXPECT_EQ(sql_here("SELECT to_regclass('revocations') IS NULL"), "t");
  {
    auto store = open();
    ASSERT_OK(store);
    ASSERT_OK((*store)->revoke(token_revocation("kept")));
  }
  for (const char* table : {"jwtguard_schema", "jwtguard_feed_head", "revocations",
                            "revocation_log", "sessions", "users"}) {
    EXPECT_EQ(sql_here("SELECT to_regclass('" + std::string(table) + "') IS NOT NULL"), "t")
        << table;
  }
  EXPECT_EQ(sql_here("SELECT version FROM jwtguard_schema"), std::to_string(pg::kSchemaVersion));
  EXPECT_EQ(sql_here("SELECT count(*) FROM jwtguard_schema"), "1");
  EXPECT_EQ(sql_here("SELECT seq FROM jwtguard_feed_head"), "1");
  // Opening again migrates nothing and loses nothing.
  auto again = open();
  ASSERT_OK(again);
  auto found = (*again)->find_revocation(RevocationKind::kToken, "kept");
  ASSERT_OK(found);
  EXPECT_TRUE(found->has_value());
  EXPECT_EQ(sql_here("SELECT version FROM jwtguard_schema"), std::to_string(pg::kSchemaVersion));
  // A well-configured server (fsync and synchronous_commit on) gets no warning.
  EXPECT_TRUE(warnings_.empty()) << warnings_.front();
}

TEST_F(PostgresStoreTest, ADatabaseOfSchemaVersionTwoMigratesWithItsUsersEnabled) {
  // What a build of schema version 2 left: its migrations, its version, a
  // user, and a session of that user.
  ASSERT_EQ(sql_here(pg::kSchemaTable), "");
  for (int v = 0; v < 2; ++v) ASSERT_EQ(sql_here(pg::kMigrations[v]), "") << v;
  ASSERT_EQ(sql_here("INSERT INTO jwtguard_schema (version) VALUES (2);"
                     "INSERT INTO users (name, password_hash, admin, created_at)"
                     " VALUES ('alice', 'h', true, 7);"
                     "INSERT INTO sessions (sid, subject, created_at, refreshed_at, expires_at,"
                     " refresh_jti) VALUES ('s1', 'alice', 8, 8, 9223372036854775807, 'j1')"),
            "");
  auto store = open();
  ASSERT_OK(store);
  EXPECT_EQ(sql_here("SELECT version FROM jwtguard_schema"), std::to_string(pg::kSchemaVersion));
  auto alice = (*store)->find_user("alice");
  ASSERT_OK(alice);
  ASSERT_TRUE(alice->has_value());
  EXPECT_EQ((*alice)->password_hash, "h");
  EXPECT_TRUE((*alice)->admin);
  EXPECT_FALSE((*alice)->disabled);
  EXPECT_EQ((*alice)->last_login_at, std::nullopt);
  auto page = (*store)->list_users(UserFilter{.now = Timestamp(std::chrono::microseconds(8))});
  ASSERT_OK(page);
  ASSERT_EQ(page->entries.size(), 1u);
  EXPECT_EQ(page->entries[0].sessions, 1u);
  // The tables version 3 added work.
  ASSERT_OK((*store)->delete_user("alice", Timestamp(std::chrono::microseconds(100))));
  EXPECT_ERRC((*store)->create_user(User{.name = "alice",
                                         .password_hash = "h",
                                         .created_at = Timestamp(std::chrono::microseconds(99))}),
              Errc::kAlreadyExists);
  EXPECT_OK((*store)->append_audit(AuditEvent{.actor = "cli", .action = "user.delete"}));
}

TEST_F(PostgresStoreTest, ADatabaseOfSchemaVersionThreeMigratesWithItsSessionsRotating) {
  // What a build of schema version 3 left: a session rotated once, which
  // did not record the token it retired.
  ASSERT_EQ(sql_here(pg::kSchemaTable), "");
  for (int v = 0; v < 3; ++v) ASSERT_EQ(sql_here(pg::kMigrations[v]), "") << v;
  ASSERT_EQ(sql_here("INSERT INTO jwtguard_schema (version) VALUES (3);"
                     "INSERT INTO sessions (sid, subject, created_at, refreshed_at, expires_at,"
                     " refresh_jti) VALUES ('s1', 'alice', 8, 9, 9223372036854775807, 'j1')"),
            "");
  auto store = open();
  ASSERT_OK(store);
  EXPECT_EQ(sql_here("SELECT version FROM jwtguard_schema"), std::to_string(pg::kSchemaVersion));
  testing::expect_the_migrated_session_rotates(**store);
}

TEST_F(PostgresStoreTest, TwoInstancesShareASessionWithinTheReuseInterval) {
  testing::expect_two_instances_share_a_session_within_the_reuse_interval([this] {
    auto store = open();
    EXPECT_TRUE(store.has_value()) << store.error().message();
    return store ? std::move(*store) : nullptr;
  });
}

TEST_F(PostgresStoreTest, UsersPageInByteOrderWhateverTheDatabasesCollation) {
  // The test cluster's databases collate as "C"; this one does not (ICU's
  // English puts "a'b" before "a%b" and "\xc3\xa9t\xc3\xa9" before "z").
  const std::string name = name_ + "_icu";
  ASSERT_EQ(value_of(sql(server()->url("postgres"),
                         "CREATE DATABASE " + name +
                             " TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'")),
            "");
  {
    auto store = open_postgres_store(server()->url(name), options());
    ASSERT_OK(store);
    const std::vector<std::string> names = {"\xc3\xa9t\xc3\xa9", "z", "a'b", "a%b", "a b"};
    for (const auto& user : names) {
      ASSERT_OK((*store)->create_user(User{.name = user, .password_hash = "h"}));
    }
    std::vector<std::string> seen;
    std::string cursor;
    do {
      auto page = (*store)->list_users(UserFilter{.limit = 2, .cursor = cursor});
      ASSERT_OK(page);
      for (const auto& entry : page->entries) seen.push_back(entry.user.name);
      cursor = page->next_cursor;
    } while (!cursor.empty() && seen.size() < 10);
    EXPECT_EQ(seen, (std::vector<std::string>{"a b", "a%b", "a'b", "z", "\xc3\xa9t\xc3\xa9"}));
  }
  drop_database(name);
}

TEST_F(PostgresStoreTest, RefusesADatabaseFromANewerBuild) {
  { ASSERT_OK(open()); }
  ASSERT_EQ(sql_here("UPDATE jwtguard_schema SET version = version + 1"), "");
  auto store = open();
  EXPECT_ERRC(store, Errc::kStore);
  EXPECT_NE(store.error().detail().find("newer"), std::string::npos) << store.error().detail();
}

TEST_F(PostgresStoreTest, InstancesStartingTogetherMigrateOnce) {
  // Without the advisory lock, concurrent CREATE TABLEs fail (a duplicate
  // in pg_type) or a migration runs twice.
  constexpr int kInstances = 6;
  std::vector<std::thread> threads;
  std::atomic<int> opened{0};
  for (int i = 0; i < kInstances; ++i) {
    threads.emplace_back([&] {
      auto store = open();
      EXPECT_TRUE(store.has_value()) << store.error().message();
      if (store) ++opened;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(opened.load(), kInstances);
  EXPECT_EQ(sql_here("SELECT count(*) || ' ' || max(version) FROM jwtguard_schema"),
            "1 " + std::to_string(pg::kSchemaVersion));
}

TEST_F(PostgresStoreTest, AChangeThroughOneStoreWakesAnothersWaitAtOnce) {
  auto a = open();
  auto b = open();
  ASSERT_OK(a);
  ASSERT_OK(b);
  auto start = (*b)->snapshot(kNow);
  ASSERT_OK(start);
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_OK((*a)->revoke(token_revocation("from-a")));
  });
  const auto began = SteadyClock::now();
  auto batch = (*b)->changes_since(start->seq, 10, std::chrono::seconds(30));
  const auto waited = elapsed_ms(began);
  writer.join();
  ASSERT_OK(batch);
  ASSERT_EQ(batch->changes.size(), 1u);
  EXPECT_EQ(batch->changes[0].key, "from-a");
  // Woken by the NOTIFY, not by the end of the wait (a wide margin: the
  // machine may be busy).
  EXPECT_LT(waited, 10'000) << "ms";
}

// Collects the feed after `position`, as a follower does, until `want` changes
// arrived or `patience` ran out. Errors are retried (the server may be
// down); a gap or a skipped number is a failure.
struct Follower {
  Store& store;
  std::uint64_t position;
  std::vector<Change> seen;
  int errors = 0;

  void follow(std::size_t want, std::chrono::milliseconds patience, std::size_t limit = 100) {
    const auto give_up = SteadyClock::now() + patience;
    while (seen.size() < want && SteadyClock::now() < give_up) {
      auto batch = store.changes_since(position, limit, std::chrono::milliseconds(500));
      if (!batch) {
        ++errors;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        continue;
      }
      ASSERT_FALSE(batch->gap) << "at " << position;
      for (const Change& c : batch->changes) {
        ASSERT_EQ(c.seq, position + 1) << "a change skipped or seen twice";
        position = c.seq;
        seen.push_back(c);
      }
      ASSERT_EQ(batch->last_seq, position);
    }
  }
};

TEST_F(PostgresStoreTest, ConcurrentWritersOnTwoStoresFeedAFollowerEveryChangeOnce) {
  auto a = open();
  auto b = open();
  auto c = open();
  ASSERT_OK(a);
  ASSERT_OK(b);
  ASSERT_OK(c);
  auto start = (*c)->snapshot(kNow);
  ASSERT_OK(start);
  constexpr int kThreadsPerStore = 4, kEach = 40;
  constexpr std::size_t kTotal = 2 * kThreadsPerStore * kEach;
  Follower follower{**c, start->seq, {}, 0};
  // Small batches: the follower reads while commits are under way.
  std::thread reader([&] { follower.follow(kTotal, std::chrono::seconds(40), 7); });
  std::mutex mu;
  std::set<std::uint64_t> acknowledged;
  std::vector<std::thread> writers;
  Store* stores[] = {a->get(), b->get()};
  for (int s = 0; s < 2; ++s) {
    for (int t = 0; t < kThreadsPerStore; ++t) {
      writers.emplace_back([&, store = stores[s], s, t] {
        for (int i = 0; i < kEach; ++i) {
          auto key = [&](int n) {
            return std::to_string(s) + "-" + std::to_string(t) + "-" + std::to_string(n);
          };
          // Every third change un-revokes the key revoked just before.
          auto seq = (i % 3 == 2)
                         ? store->unrevoke(RevocationKind::kToken, key(i - 1), kNow).map([](bool) {
                             return std::uint64_t{0};
                           })
                         : store->revoke(token_revocation(key(i)));
          ASSERT_TRUE(seq.has_value()) << seq.error().message();
          std::lock_guard lock(mu);
          if (*seq != 0) acknowledged.insert(*seq);
        }
      });
    }
  }
  for (auto& w : writers) w.join();
  reader.join();
  ASSERT_EQ(follower.seen.size(), kTotal);
  EXPECT_EQ(follower.position, start->seq + kTotal);  // contiguous, checked one by one
  std::set<std::uint64_t> seen_revokes;
  for (const Change& change : follower.seen) {
    if (change.op == Change::Op::kRevoke) seen_revokes.insert(change.seq);
  }
  EXPECT_EQ(seen_revokes, acknowledged);
  auto head = (*a)->snapshot(kNow);
  ASSERT_OK(head);
  EXPECT_EQ(head->seq, follower.position);
}

TEST_F(PostgresStoreTest, AnOutageFailsFastThenCatchesUpExactlyOnce) {
  auto a = open();
  auto b = open();
  ASSERT_OK(a);
  ASSERT_OK(b);
  auto start = (*b)->snapshot(kNow);
  ASSERT_OK(start);
  ASSERT_OK((*a)->revoke(token_revocation("before")));

  // b follows throughout: its LISTEN connection dies with the server.
  Follower follower{**b, start->seq, {}, 0};
  constexpr std::size_t kAfter = 20;
  std::atomic<bool> follow_done{false};
  std::thread reader([&] {
    follower.follow(1 + kAfter, std::chrono::seconds(30));
    follow_done = true;
  });

  ASSERT_TRUE(server()->stop().has_value());
  const std::string where = "postgresql at 127.0.0.1:" + std::to_string(server()->port());
  for (int i = 0; i < 3; ++i) {
    auto began = SteadyClock::now();
    auto revoked = (*a)->revoke(token_revocation("during-" + std::to_string(i)));
    EXPECT_LT(elapsed_ms(began), 1000) << "ms for a revoke while the server is down";
    EXPECT_ERRC(revoked, Errc::kStore);
    EXPECT_NE(revoked.error().detail().find(where), std::string::npos) << revoked.error().detail();
    began = SteadyClock::now();
    auto pinged = (*a)->ping();
    EXPECT_LT(elapsed_ms(began), 1000) << "ms for a ping while the server is down";
    EXPECT_ERRC(pinged, Errc::kStore);
    // Whether this call tried or failed at once in backoff depends on
    // timing; either way the message names the server.
    EXPECT_NE(pinged.error().detail().find(where), std::string::npos) << pinged.error().detail();
    // A wait for changes fails as fast: it can neither LISTEN nor read.
    began = SteadyClock::now();
    EXPECT_ERRC((*a)->changes_since(0, 10, std::chrono::seconds(2)), Errc::kStore);
    EXPECT_LT(elapsed_ms(began), 1000) << "ms for a feed wait while the server is down";
  }

  auto restarted = server()->restart();
  ASSERT_TRUE(restarted.has_value()) << restarted.error();
  const auto back = SteadyClock::now();
  bool recovered = false;
  while (!recovered && elapsed_ms(back) < 10'000) {
    recovered = (*a)->ping().has_value();
    if (!recovered) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(recovered);
  EXPECT_LT(elapsed_ms(back), 5000) << "ms to recover after the restart";

  for (std::size_t i = 0; i < kAfter; ++i) {
    ASSERT_OK((*a)->revoke(token_revocation("after-" + std::to_string(i))));
  }
  reader.join();
  EXPECT_GT(follower.errors, 0) << "the follower never saw the outage";
  ASSERT_TRUE(follow_done);
  ASSERT_EQ(follower.seen.size(), 1 + kAfter);
  EXPECT_EQ(follower.seen[0].key, "before");
  for (std::size_t i = 0; i < kAfter; ++i) {
    EXPECT_EQ(follower.seen[1 + i].key, "after-" + std::to_string(i));
  }
  // The listening connection is back: a change wakes b at once again.
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_OK((*a)->revoke(token_revocation("later")));
  });
  const auto began = SteadyClock::now();
  auto batch = (*b)->changes_since(follower.position, 10, std::chrono::seconds(30));
  const auto waited = elapsed_ms(began);
  writer.join();
  ASSERT_OK(batch);
  ASSERT_EQ(batch->changes.size(), 1u);
  EXPECT_EQ(batch->changes[0].key, "later");
  EXPECT_LT(waited, 10'000) << "ms";
}

TEST_F(PostgresStoreTest, AnAcknowledgedRevocationSurvivesACrashOfTheServer) {
  // The database's default would lose the commit in the crash: the store's
  // sessions must turn synchronous_commit back on.
  ASSERT_EQ(sql_here("ALTER DATABASE " + name_ + " SET synchronous_commit = off"), "");
  // A checkpoint first, so that recovery replays little besides what
  // follows (and the test stays quick).
  ASSERT_EQ(sql_here("CHECKPOINT"), "");
  auto store = open();
  ASSERT_OK(store);
  auto seq = (*store)->revoke(token_revocation("acknowledged"));
  ASSERT_OK(seq);
  auto recoveries = [] {
    const std::string log = server()->log();
    int n = 0;
    for (auto at = log.find("automatic recovery in progress"); at != std::string::npos;
         at = log.find("automatic recovery in progress", at + 1)) {
      ++n;
    }
    return n;
  };
  const int before = recoveries();
  server()->kill();  // immediate: no checkpoint, no clean shutdown
  auto restarted = server()->restart();
  ASSERT_TRUE(restarted.has_value()) << restarted.error();
  EXPECT_EQ(recoveries(), before + 1) << "the restart replayed the WAL";
  store->reset();
  auto reopened = open();
  ASSERT_OK(reopened);
  auto found = (*reopened)->find_revocation(RevocationKind::kToken, "acknowledged");
  ASSERT_OK(found);
  EXPECT_TRUE(found->has_value());
  auto batch = (*reopened)->changes_since(*seq - 1, 10, std::chrono::milliseconds(0));
  ASSERT_OK(batch);
  ASSERT_EQ(batch->changes.size(), 1u);
  EXPECT_EQ(batch->changes[0].key, "acknowledged");
}

TEST_F(PostgresStoreTest, ConnectionsTheServerClosedAreReplacedUnnoticed) {
  auto store = open();
  ASSERT_OK(store);
  auto start = (*store)->snapshot(kNow);
  ASSERT_OK(start);
  // Arms the listening connection.
  ASSERT_OK((*store)->changes_since(start->seq, 10, std::chrono::milliseconds(10)));
  ASSERT_OK((*store)->ping());
  const std::string others =
      "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()";
  ASSERT_EQ(sql_here("SELECT count(*) " + others + " AND query LIKE 'LISTEN%'"), "1");
  ASSERT_NE(sql_here("SELECT count(pg_terminate_backend(pid)) " + others), "0");
  const auto began = SteadyClock::now();
  while (sql_here("SELECT count(*) " + others) != "0" && elapsed_ms(began) < 5000) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // Every pooled connection is dead, and found so before use.
  EXPECT_OK((*store)->ping());
  EXPECT_OK((*store)->revoke(token_revocation("j")));
  // The listener LISTENs again on a new connection.
  auto batch = (*store)->changes_since(start->seq, 10, std::chrono::seconds(1));
  ASSERT_OK(batch);
  ASSERT_EQ(batch->changes.size(), 1u);
  EXPECT_EQ(sql_here("SELECT count(*) " + others + " AND query LIKE 'LISTEN%'"), "1");
}

TEST_F(PostgresStoreTest, AStatementPastItsTimeoutFailsAndIsRolledBack) {
  PostgresOptions o = options();
  o.statement_timeout = std::chrono::milliseconds(300);
  auto store = open_postgres_store(url_, o);
  ASSERT_OK(store);
  // Another session holds the feed head's row lock: the revoke waits.
  PGconn* holder = PQconnectdb(url_.c_str());
  ASSERT_EQ(PQstatus(holder), CONNECTION_OK) << PQerrorMessage(holder);
  PQclear(PQexec(holder, "BEGIN; SELECT seq FROM jwtguard_feed_head FOR UPDATE"));
  const auto began = SteadyClock::now();
  auto revoked = (*store)->revoke(token_revocation("slow"));
  const auto took = elapsed_ms(began);
  PQclear(PQexec(holder, "ROLLBACK"));
  PQfinish(holder);
  EXPECT_ERRC(revoked, Errc::kStore);
  EXPECT_NE(revoked.error().detail().find("statement timeout"), std::string::npos)
      << revoked.error().detail();
  EXPECT_LT(took, 2000) << "ms";
  auto found = (*store)->find_revocation(RevocationKind::kToken, "slow");
  ASSERT_OK(found);
  EXPECT_FALSE(found->has_value());
  // Nothing was numbered for it: the next change follows the last one.
  auto seq = (*store)->revoke(token_revocation("fast"));
  ASSERT_OK(seq);
  EXPECT_EQ(*seq, 1u);
}

TEST_F(PostgresStoreTest, UrlErrorsNeverShowThePassword) {
  auto unused_port = testing::pick_free_port();
  ASSERT_TRUE(unused_port.has_value());
  const std::string port = std::to_string(*unused_port);
  struct Case {
    std::string url;
    Errc code;
  };
  const Case cases[] = {
      // Nobody listens there.
      {"postgresql://jwtguard:hunter2-secret@127.0.0.1:" + port + "/db", Errc::kStore},
      // The server answers, but there is no such database.
      {"postgresql://jwtguard:hunter2-secret@127.0.0.1:" + std::to_string(server()->port()) +
           "/no_such_db",
       Errc::kStore},
      // Not percent-encoding: libpq would quote the token.
      {"postgresql://jwtguard:hunter2%zzsecret@127.0.0.1:" + port + "/db", Errc::kInvalidArgument},
      // An unencoded '@': libpq would take "secret@127..." for the host.
      {"postgresql://jwtguard:hunter2@secret@127.0.0.1:" + port + "/db", Errc::kInvalidArgument},
      {"postgres://127.0.0.1:" + port + "/db?password=hunter2-secret&bogus=1",
       Errc::kInvalidArgument},
      {"mysql://jwtguard:hunter2-secret@127.0.0.1/db", Errc::kInvalidArgument},
  };
  for (const Case& c : cases) {
    const auto began = SteadyClock::now();
    auto store = open_postgres_store(c.url, options());
    EXPECT_LT(elapsed_ms(began), 3000) << c.url;
    ASSERT_FALSE(store.has_value()) << c.url;
    EXPECT_EQ(error_name(store.error().code()), error_name(c.code)) << c.url;
    EXPECT_EQ(store.error().message().find("hunter2"), std::string::npos)
        << store.error().message();
    EXPECT_EQ(store.error().message().find("secret"), std::string::npos) << store.error().message();
  }
  // Both schemes work, through open_store too.
  const std::string plain =
      "postgres://jwtguard@127.0.0.1:" + std::to_string(server()->port()) + "/" + name_;
  EXPECT_OK(open_store(plain));
}

// The service's own log (the start-up settings, "listening", a failed start)
// never shows any part of a password, wherever the URL puts it. The test
// server trusts loopback connections, so a URL with any password opens.
TEST_F(PostgresStoreTest, TheServiceLogsNoPartOfAPasswordInAnyUrlForm) {
  const std::vector<std::string> words = {"Alpha7", "Bravo7", "Charlie7", "Delta7",
                                          "Echo7",  "Fox7",   "Golf7"};
  const std::string encoded = "Alpha7%40Bravo7%2FCharlie7%3FDelta7%23Echo7%3AFox7";
  const std::string user = url_.substr(13, url_.find('@') - 13);  // postgresql://USER@...
  const std::string address = "127.0.0.1:" + std::to_string(server()->port());
  auto free_port = testing::pick_free_port();
  ASSERT_TRUE(free_port.has_value()) << free_port.error();
  testing::ScratchDir dir;
  struct Case {
    std::string url;
    bool starts;
  };
  const Case cases[] = {
      {"postgresql://" + user + ":" + encoded + "@" + address + "/" + name_, true},
      {"postgres://" + user + "@" + address + "/" + name_ +
           "?password=Alpha7@Bravo7/Charlie7:Delta7%23Echo7%26Fox7",
       true},
      {"postgresql:///" + name_ + "?host=127.0.0.1&port=" + std::to_string(server()->port()) +
           "&user=" + user + "&password=" + encoded + "&sslpassword=Golf7",
       true},
      {"postgresql://" + user + ":Alpha7%2FBravo7@" + address + "/" + name_ +
           "?sslmode=disable&sslpassword=Charlie7%3ADelta7",
       true},
      // What libpq would read otherwise is refused, and shown nowhere.
      {"postgresql://" + user + ":Alpha7@Bravo7@" + address + "/" + name_, false},
      {"postgresql://" + user + ":Alpha7/Bravo7@" + address + "/" + name_, false},
      {"postgresql://" + user + ":Alpha7%zzBravo7@" + address + "/" + name_, false},
      {"postgresql://" + user + "@" + address + "/" + name_ + "?password=Alpha7&passwd=Bravo7",
       false},
      // A keyword/value string is no store URL.
      {"host=127.0.0.1 user=" + user + " password=Alpha7Bravo7 dbname=" + name_, false},
      // Nobody listening.
      {"postgresql://" + user + ":" + encoded + "@127.0.0.1:" + std::to_string(*free_port) + "/" +
           name_,
       false},
  };
  for (const Case& c : cases) {
    const std::string log = testing::serve_log(dir.path(), c.url);
    EXPECT_EQ(log.find("\"listening\"") != std::string::npos, c.starts) << c.url << "\n" << log;
    if (!c.starts) {
      // Reported once, on standard error, naming the setting.
      EXPECT_NE(log.find("serve: store (flag --store) \""), std::string::npos) << c.url << "\n"
                                                                               << log;
    }
    testing::expect_none_of(words, log, c.url);
  }
}

TEST_F(PostgresStoreTest, TextPostgresCannotHoldIsRefusedNotCut) {
  auto store = open();
  ASSERT_OK(store);
  ASSERT_OK((*store)->create_user(User{"alice", "h", false, kNow}));
  // Cut at the NUL, this would be alice.
  const std::string nul("alice\0mallory", 13);
  EXPECT_ERRC((*store)->create_user(User{nul, "h2", false, kNow}), Errc::kInvalidArgument);
  EXPECT_ERRC((*store)->find_user(nul), Errc::kInvalidArgument);
  EXPECT_ERRC((*store)->revoke(token_revocation(nul)), Errc::kInvalidArgument);
  EXPECT_ERRC((*store)->revoke(token_revocation("bad-\xff-utf8")), Errc::kInvalidArgument);
  // The store goes on working.
  auto alice = (*store)->find_user("alice");
  ASSERT_OK(alice);
  ASSERT_TRUE(alice->has_value());
  EXPECT_EQ((*alice)->password_hash, "h");
  auto seq = (*store)->revoke(token_revocation("fine"));
  ASSERT_OK(seq);
  EXPECT_EQ(*seq, 1u);
}

TEST_F(PostgresStoreTest, LookupAnswersForTokenSessionAndUserAtOnce) {
  auto store = open();
  ASSERT_OK(store);
  auto none = (*store)->lookup("j", "s", "bob");
  ASSERT_OK(none);
  EXPECT_FALSE(none->token);
  EXPECT_FALSE(none->session);
  EXPECT_FALSE(none->cutoff.has_value());

  ASSERT_OK((*store)->revoke(token_revocation("j")));
  Revocation session;
  session.kind = RevocationKind::kSession;
  session.key = "s";
  session.revoked_at = kNow;
  session.expires_at = kNow + std::chrono::hours(1);
  ASSERT_OK((*store)->revoke_session(session));
  ASSERT_OK((*store)->revoke(user_revocation("bob", kNow + std::chrono::seconds(7))));

  auto all = (*store)->lookup("j", "s", "bob");
  ASSERT_OK(all);
  EXPECT_TRUE(all->token);
  EXPECT_TRUE(all->session);
  EXPECT_EQ(all->cutoff, kNow + std::chrono::seconds(7));
  // Each key is looked up under its own kind only, and empty ones not at all.
  auto crossed = (*store)->lookup("s", "j", "j");
  ASSERT_OK(crossed);
  EXPECT_FALSE(crossed->token);
  EXPECT_FALSE(crossed->session);
  EXPECT_FALSE(crossed->cutoff.has_value());
  auto empty = (*store)->lookup("", "", "");
  ASSERT_OK(empty);
  EXPECT_FALSE(empty->token || empty->session || empty->cutoff);
}

TEST_F(PostgresStoreTest, PurgeDropsExpiredRowsAndOldFeedEntries) {
  auto store = open();
  ASSERT_OK(store);
  using std::chrono::hours;
  Revocation old_entry = token_revocation("old-entry", kNow + hours(1));
  old_entry.revoked_at = kNow - hours(2);  // its feed entry is past retention
  auto first = (*store)->revoke(old_entry);
  ASSERT_OK(first);
  auto middle = (*store)->revoke(token_revocation("expired", kNow - std::chrono::seconds(1)));
  ASSERT_OK(middle);
  Revocation late = token_revocation("old-again", kNow + hours(1));
  late.revoked_at = kNow - hours(3);
  auto third = (*store)->revoke(late);
  ASSERT_OK(third);
  auto last = (*store)->revoke(token_revocation("recent"));
  ASSERT_OK(last);
  ASSERT_OK((*store)->create_session(session("s-expired", "alice", kNow - hours(25))));
  ASSERT_OK((*store)->create_session(session("s-live", "alice", kNow)));

  auto removed = (*store)->purge(kNow, hours(1));
  ASSERT_OK(removed);
  EXPECT_EQ(*removed, 1u);  // "expired"
  EXPECT_EQ(sql_here("SELECT string_agg(key, ',' ORDER BY id) FROM revocations"),
            "old-entry,old-again,recent");
  EXPECT_EQ(sql_here("SELECT string_agg(seq::text, ',' ORDER BY seq) FROM revocation_log"),
            std::to_string(*middle) + "," + std::to_string(*last));
  EXPECT_EQ(sql_here("SELECT string_agg(sid, ',') FROM sessions"), "s-live");

  // A follower from before the first change missed it.
  auto from_start = (*store)->changes_since(*first - 1, 10, std::chrono::milliseconds(0));
  ASSERT_OK(from_start);
  EXPECT_TRUE(from_start->gap);
  // From just after it: the next change, then a stop before the hole, then
  // the gap.
  auto next = (*store)->changes_since(*first, 10, std::chrono::milliseconds(0));
  ASSERT_OK(next);
  EXPECT_FALSE(next->gap);
  ASSERT_EQ(next->changes.size(), 1u);
  EXPECT_EQ(next->changes[0].seq, *middle);
  auto hole = (*store)->changes_since(*middle, 10, std::chrono::milliseconds(0));
  ASSERT_OK(hole);
  EXPECT_TRUE(hole->gap);
  EXPECT_TRUE(hole->changes.empty());
  auto current = (*store)->changes_since(*last, 10, std::chrono::milliseconds(0));
  ASSERT_OK(current);
  EXPECT_FALSE(current->gap);
}

TEST_F(PostgresStoreTest, AFollowerAheadOfTheDatabaseReloads) {
  // The database lost changes the follower applied (restored from an older
  // backup, or recreated): its position is past the head.
  auto store = open();
  ASSERT_OK(store);
  ASSERT_OK((*store)->revoke(token_revocation("j")));
  auto batch = (*store)->changes_since(50, 10, std::chrono::milliseconds(0));
  ASSERT_OK(batch);
  EXPECT_TRUE(batch->gap);
}

TEST_F(PostgresStoreTest, WarnsWhenTheServerMayLoseCommits) {
  ASSERT_EQ(sql_here("ALTER DATABASE " + name_ + " SET synchronous_commit = off"), "");
  { ASSERT_OK(open()); }
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_NE(warnings_[0].find("synchronous_commit=off"), std::string::npos) << warnings_[0];
  warnings_.clear();

  // fsync is the server's own setting (a reload applies it).
  const std::string admin = server()->url("postgres");
  auto set_fsync = [&](const char* value) {
    ASSERT_EQ(value_of(sql(admin, std::string("ALTER SYSTEM SET fsync = ") + value)), "");
    ASSERT_EQ(value_of(sql(admin, "SELECT pg_reload_conf()")), "t");
    const auto began = SteadyClock::now();
    while (value_of(sql(admin, "SHOW fsync")) != value && elapsed_ms(began) < 5000) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_EQ(value_of(sql(admin, "SHOW fsync")), value);
  };
  set_fsync("off");
  auto store = open();
  set_fsync("on");
  ASSERT_OK(store);
  ASSERT_EQ(warnings_.size(), 2u);
  EXPECT_NE(warnings_[0].find("fsync=off"), std::string::npos) << warnings_[0];
  EXPECT_NE(warnings_[0].find("127.0.0.1:" + std::to_string(server()->port())), std::string::npos)
      << warnings_[0];
}

TEST_F(PostgresStoreTest, ARepeatableReadDefaultIsOverridden) {
  // Under repeatable read, a change waiting for the feed head's lock, or a
  // rotation waiting for the session's row, fails with SQLSTATE 40001 once
  // the other commits.
  ASSERT_EQ(sql_here("ALTER DATABASE " + name_ +
                     " SET default_transaction_isolation = 'repeatable read'"),
            "");
  auto a = open();
  auto b = open();
  ASSERT_OK(a);
  ASSERT_OK(b);
  constexpr int kThreadsPerStore = 4, kEach = 10;
  std::vector<std::thread> threads;
  Store* stores[] = {a->get(), b->get()};
  for (int s = 0; s < 2; ++s) {
    for (int t = 0; t < kThreadsPerStore; ++t) {
      threads.emplace_back([&, store = stores[s], s, t] {
        for (int i = 0; i < kEach; ++i) {
          const std::string key =
              std::to_string(s) + "-" + std::to_string(t) + "-" + std::to_string(i);
          auto seq = store->revoke(token_revocation(key));
          EXPECT_TRUE(seq.has_value()) << seq.error().message();
        }
      });
    }
  }
  for (auto& t : threads) t.join();
  threads.clear();
  EXPECT_EQ(sql_here("SELECT count(*) FROM revocations"),
            std::to_string(2 * kThreadsPerStore * kEach));

  ASSERT_OK((*a)->create_session(session("s1", "alice", kNow)));
  std::atomic<int> rotated{0}, reused{0}, failed{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto r = stores[i % 2]->rotate_refresh("s1", "r0", "next" + std::to_string(i), kNow,
                                             kNow + std::chrono::hours(1));
      if (!r) {
        ++failed;
        ADD_FAILURE() << r.error().message();
        return;
      }
      if (*r == Rotation::kRotated) ++rotated;
      if (*r == Rotation::kReused) ++reused;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(rotated.load(), 1);
  EXPECT_EQ(reused.load(), 7);
}

TEST_F(PostgresStoreTest, RefusedChangesInABatchLeaveTheOthersAndTheFeedWhole) {
  // Invalid UTF-8 fails inside the writer's transaction, in the job's
  // savepoint; the jobs batched with it must still commit, and nothing of
  // it may reach the feed.
  auto store = open();
  ASSERT_OK(store);
  auto start = (*store)->snapshot(kNow);
  ASSERT_OK(start);
  constexpr int kThreads = 8, kEach = 20;
  std::mutex mu;
  std::map<std::uint64_t, std::string> acknowledged;  // seq -> key
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const bool bad = (t * kEach + i) % 4 == 3;
        const std::string key = std::to_string(t) + "-" + std::to_string(i) + (bad ? "-\xff" : "");
        auto seq = (*store)->revoke(token_revocation(key));
        if (bad) {
          EXPECT_ERRC(seq, Errc::kInvalidArgument);
          ++refused;
          continue;
        }
        ASSERT_TRUE(seq.has_value()) << seq.error().message();
        std::lock_guard lock(mu);
        EXPECT_TRUE(acknowledged.emplace(*seq, key).second) << "seq " << *seq << " twice";
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(refused.load(), kThreads * kEach / 4);
  EXPECT_EQ(acknowledged.size(), std::size_t{kThreads * kEach * 3 / 4});
  auto batch = (*store)->changes_since(start->seq, 1000, std::chrono::milliseconds(0));
  ASSERT_OK(batch);
  EXPECT_FALSE(batch->gap);
  ASSERT_EQ(batch->changes.size(), acknowledged.size());
  std::uint64_t expected_seq = start->seq;
  for (const Change& change : batch->changes) {
    ASSERT_EQ(change.seq, ++expected_seq) << "the feed has a hole";
    ASSERT_EQ(acknowledged.count(change.seq), 1u) << change.seq;
    EXPECT_EQ(change.key, acknowledged[change.seq]);
  }
  for (const auto& [seq, key] : acknowledged) {
    auto found = (*store)->find_revocation(RevocationKind::kToken, key);
    ASSERT_OK(found);
    EXPECT_TRUE(found->has_value()) << key;
  }
}

// A role that may only read and write jwtguard's existing tables, with a
// connection limit; dropped at the end of the test.
class LimitedRole {
 public:
  LimitedRole(std::function<std::string(const std::string&)> sql_here, std::string db,
              int connection_limit)
      : sql_here_(std::move(sql_here)), name_("dml_" + db) {
    admin_ = server()->url("postgres");
    const std::string statements[] = {
        "CREATE ROLE " + name_ + " LOGIN CONNECTION LIMIT " + std::to_string(connection_limit),
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + name_,
        "GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO " + name_,
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
    };
    for (const std::string& statement : statements) {
      const std::string result = statement.starts_with("CREATE ROLE")
                                     ? value_of(sql(admin_, statement))
                                     : sql_here_(statement);
      EXPECT_EQ(result, "") << statement;
    }
    url_ = "postgresql://" + name_ + "@127.0.0.1:" + std::to_string(server()->port()) + "/" + db;
  }
  ~LimitedRole() {
    EXPECT_EQ(sql_here_("DROP OWNED BY " + name_), "");
    EXPECT_EQ(value_of(sql(admin_, "DROP ROLE " + name_)), "");
  }
  const std::string& url() const { return url_; }

 private:
  std::function<std::string(const std::string&)> sql_here_;
  std::string name_;
  std::string admin_;
  std::string url_;
};

TEST_F(PostgresStoreTest, ARoleWithoutDdlRightsOpensAMigratedDatabase) {
  { ASSERT_OK(open()); }  // migrates, as the owner
  {
    LimitedRole role([this](const std::string& q) { return sql_here(q); }, name_, 10);
    auto store = open_postgres_store(role.url(), options());
    ASSERT_OK(store);
    EXPECT_OK((*store)->revoke(token_revocation("by-dml-role")));
    auto found = (*store)->find_revocation(RevocationKind::kToken, "by-dml-role");
    ASSERT_OK(found);
    EXPECT_TRUE(found->has_value());
    ASSERT_OK((*store)->purge(kNow, std::chrono::hours(1)));
  }
}

TEST_F(PostgresStoreTest, AFollowerThatCannotListenPollsTheFeed) {
  { ASSERT_OK(open()); }
  auto writer = open();
  ASSERT_OK(writer);
  LimitedRole role([this](const std::string& q) { return sql_here(q); }, name_, 1);
  {
    // One connection allowed: the pool's, which opened the store. The
    // listening connection is refused (too many connections for the role).
    PostgresOptions o = options();
    o.connections = 1;
    auto follower = open_postgres_store(role.url(), o);
    ASSERT_OK(follower);
    auto start = (*follower)->snapshot(kNow);
    ASSERT_OK(start);
    std::thread later([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      EXPECT_OK((*writer)->revoke(token_revocation("seen-by-polling")));
    });
    const auto began = SteadyClock::now();
    auto batch = (*follower)->changes_since(start->seq, 10, std::chrono::seconds(30));
    const auto waited = elapsed_ms(began);
    later.join();
    ASSERT_OK(batch);
    ASSERT_EQ(batch->changes.size(), 1u);
    EXPECT_EQ(batch->changes[0].key, "seen-by-polling");
    EXPECT_LT(waited, 10'000) << "ms";
  }
}

TEST_F(PostgresStoreTest, RefusesAZeroStatementTimeout) {
  PostgresOptions o = options();
  o.statement_timeout = std::chrono::milliseconds(0);
  EXPECT_ERRC(open_postgres_store(url_, o), Errc::kInvalidArgument);
}

TEST_F(PostgresStoreTest, ACommitTheServerTurnedIntoARollbackFails) {
  PostgresOptions o = options();
  auto connector = pg::Connector::create(url_, o);
  ASSERT_OK(connector);
  auto conn = (*connector)->connect();
  ASSERT_OK(conn);
  const pg::Deadline deadline = (*connector)->statement_deadline();
  ASSERT_OK((*conn)->run("CREATE TABLE t (x integer)", deadline));
  ASSERT_OK((*conn)->run("BEGIN; INSERT INTO t VALUES (1)", deadline));
  EXPECT_FALSE((*conn)->run("SELECT 1 / 0", deadline).has_value());
  EXPECT_FALSE((*conn)->in_transaction());
  // The server answers this COMMIT with success and the tag "ROLLBACK".
  auto committed = (*conn)->commit("COMMIT", deadline);
  EXPECT_ERRC(committed, Errc::kStore);
  EXPECT_NE(committed.error().detail().find("ROLLBACK"), std::string::npos)
      << committed.error().detail();
  EXPECT_EQ(sql_here("SELECT count(*) FROM t"), "0");
}

TEST_F(PostgresStoreTest, PurgeWorksThroughABacklogInChunks) {
  auto store = open();
  ASSERT_OK(store);
  // More than two chunks of each, as if purges had not run for a while.
  const std::string expired =
      std::to_string((kNow - std::chrono::hours(2)).time_since_epoch().count());
  ASSERT_EQ(sql_here("INSERT INTO revocations (kind, key, expires_at, revoked_at)"
                     " SELECT 0, 'old-' || i, " +
                     expired + ", " + expired + " FROM generate_series(1, 12001) i"),
            "");
  ASSERT_EQ(sql_here("INSERT INTO sessions (sid, subject, created_at, refreshed_at, expires_at,"
                     " refresh_jti) SELECT 's-' || i, 'u', 0, 0, " +
                     expired +
                     ", 'r'"
                     " FROM generate_series(1, 11000) i"),
            "");
  ASSERT_EQ(sql_here("INSERT INTO revocation_log (seq, op, kind, key, cutoff, expires_at,"
                     " logged_at) SELECT -i, 0, 0, 'k', 0, 0, " +
                     expired + " FROM generate_series(1, 10500) i"),
            "");
  ASSERT_OK((*store)->revoke(token_revocation("live")));
  auto removed = (*store)->purge(kNow, std::chrono::hours(1));
  ASSERT_OK(removed);
  EXPECT_EQ(*removed, 12001u);
  EXPECT_EQ(sql_here("SELECT string_agg(key, ',') FROM revocations"), "live");
  EXPECT_EQ(sql_here("SELECT count(*) FROM sessions"), "0");
  EXPECT_EQ(sql_here("SELECT count(*) FROM revocation_log"), "1");
}

TEST_F(PostgresStoreTest, PurgeDoesNotWaitForTheFeedHead) {
  auto store = open();
  ASSERT_OK(store);
  ASSERT_OK((*store)->revoke(token_revocation("expired", kNow - std::chrono::seconds(1))));
  // Another instance's change holds the head's lock (and would for up to
  // its statement timeout).
  PGconn* holder = PQconnectdb(url_.c_str());
  ASSERT_EQ(PQstatus(holder), CONNECTION_OK) << PQerrorMessage(holder);
  PQclear(PQexec(holder, "BEGIN; SELECT seq FROM jwtguard_feed_head FOR UPDATE"));
  auto removed = (*store)->purge(kNow, std::chrono::hours(1));
  PQclear(PQexec(holder, "ROLLBACK"));
  PQfinish(holder);
  ASSERT_OK(removed);
  EXPECT_EQ(*removed, 1u);
}

TEST_F(PostgresStoreTest, StatusListsFromTwoInstancesAreDistinctAndKeptAcrossAReopen) {
  std::vector<StatusListState> before;
  {
    auto a = open();
    auto b = open();
    ASSERT_OK(a);
    ASSERT_OK(b);
    before = testing::allocate_from_two_stores(**a, **b);
  }
  ASSERT_EQ(before.size(), 10u);
  auto store = open();
  ASSERT_OK(store);
  for (const StatusListState& state : before) {
    auto after = (*store)->find_status_list(state.id);
    ASSERT_OK(after);
    ASSERT_TRUE(after->has_value()) << "list " << state.id;
    EXPECT_EQ(**after, state);
  }
  auto next = (*store)->allocate_status({StatusEntry{.jti = "c", .user = "c"}},
                                        StatusListSpec{.bits = 1, .size = 16});
  ASSERT_OK(next);
  EXPECT_EQ(next->front(), (StatusRef{11, 0}));
  ASSERT_OK((*store)->unrevoke(RevocationKind::kSession, "b-s1", kNow));
  EXPECT_EQ(sql_here("SELECT count(*) FROM status_entries WHERE status <> 0"), "1");  // a-5
  EXPECT_EQ(sql_here("SELECT jti FROM status_entries WHERE status <> 0"), "a-5");
}

}  // namespace
}  // namespace jwtguard
