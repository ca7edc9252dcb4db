// What only the SQLite store has: a file, a schema version, other processes.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "jwtguard/store.h"
#include "testing/fixtures.h"

namespace jwtguard {
namespace {

class SqliteStoreTest : public ::testing::Test {
 protected:
  std::string path() const { return scratch_.db(); }

  void exec(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path().c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }

  testing::ScratchDir scratch_;
  const std::filesystem::path& dir_ = scratch_.path();
};

TEST_F(SqliteStoreTest, CreatesTheSchemaAtTheCurrentVersionInWalMode) {
  { ASSERT_OK(open_sqlite_store(path())); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path().c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(stmt, 0), kSqliteSchemaVersion);
  sqlite3_finalize(stmt);
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  // Opening again migrates nothing and loses nothing.
  EXPECT_OK(open_sqlite_store(path()));
}

TEST_F(SqliteStoreTest, RefusesADatabaseFromANewerBuild) {
  { ASSERT_OK(open_sqlite_store(path())); }
  exec("PRAGMA user_version = " + std::to_string(kSqliteSchemaVersion + 1));
  auto store = open_sqlite_store(path());
  EXPECT_ERRC(store, Errc::kStore);
  EXPECT_NE(store.error().detail().find("newer"), std::string::npos) << store.error().detail();
}

TEST_F(SqliteStoreTest, AFileThatIsNotADatabaseIsAStoreError) {
  std::ofstream(path()) << "this is not an SQLite database, just text that is long enough\n";
  EXPECT_ERRC(open_sqlite_store(path()), Errc::kStore);
}

TEST_F(SqliteStoreTest, AnUnwritablePlaceIsAStoreError) {
  std::ofstream(dir_ / "file") << "x";
  // A directory where a file is: the parent cannot be created.
  EXPECT_ERRC(open_sqlite_store((dir_ / "file" / "sub" / "jwtguard.db").string()), Errc::kStore);
  EXPECT_ERRC(open_sqlite_store(""), Errc::kInvalidArgument);
}

TEST_F(SqliteStoreTest, TwoStoresOnOneFileSeeEachOthersWritesThroughTheFeed) {
  auto a = open_sqlite_store(path());
  auto b = open_sqlite_store(path());
  ASSERT_OK(a);
  ASSERT_OK(b);
  auto start = (*b)->snapshot(from_unix_seconds(0));
  ASSERT_OK(start);
  Revocation r;
  r.key = "from-a";
  r.expires_at = from_unix_seconds(2'000'000'000);
  // a commits while b waits: only b's poll of the file can see it (a's
  // commits wake a's own waiters, not b's).
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_OK((*a)->revoke(r));
  });
  auto batch = (*b)->changes_since(start->seq, 10, std::chrono::seconds(10));
  writer.join();
  ASSERT_OK(batch);
  ASSERT_EQ(batch->changes.size(), 1u);
  EXPECT_EQ(batch->changes[0].key, "from-a");
}

}  // namespace
}  // namespace jwtguard
