// What only the SQLite store has: a file, a schema version, other processes.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "jwtguard/store.h"
#include "sqlite/schema.h"
#include "stores/migrated_session_case.h"
#include "stores/serve_log.h"
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

TEST_F(SqliteStoreTest, ADatabaseOfSchemaVersionOneMigratesWithItsUsersEnabled) {
  // What a build of schema version 1 left: its one migration, its version,
  // a user, and a session of that user.
  exec(std::string(sqlite::kMigrations[0]) +
       "PRAGMA user_version = 1;"
       "INSERT INTO users (name, password_hash, admin, created_at) VALUES ('alice', 'h', 1, 7);"
       "INSERT INTO sessions (sid, subject, created_at, refreshed_at, expires_at, refresh_jti)"
       " VALUES ('s1', 'alice', 8, 8, 9223372036854775807, 'j1');");
  auto store = open_sqlite_store(path());
  ASSERT_OK(store);
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
  // The tables version 2 added work.
  ASSERT_OK((*store)->delete_user("alice", Timestamp(std::chrono::microseconds(100))));
  EXPECT_ERRC((*store)->create_user(User{.name = "alice",
                                         .password_hash = "h",
                                         .created_at = Timestamp(std::chrono::microseconds(99))}),
              Errc::kAlreadyExists);
  auto id = (*store)->append_audit(AuditEvent{.actor = "cli", .action = "user.delete"});
  ASSERT_OK(id);
  EXPECT_EQ(*id, 1u);
}

TEST_F(SqliteStoreTest, ADatabaseOfSchemaVersionTwoMigratesWithItsSessionsRotating) {
  // What a build of schema version 2 left: a session rotated once, which
  // did not record the token it retired.
  exec(std::string(sqlite::kMigrations[0]) + sqlite::kMigrations[1] +
       "PRAGMA user_version = 2;"
       "INSERT INTO sessions (sid, subject, created_at, refreshed_at, expires_at, refresh_jti)"
       " VALUES ('s1', 'alice', 8, 9, 9223372036854775807, 'j1');");
  auto store = open_sqlite_store(path());
  ASSERT_OK(store);
  testing::expect_the_migrated_session_rotates(**store);
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

// --- File permissions -------------------------------------------------------------------

// The permission bits of `path`, or -1 when it cannot be stat'ed.
int mode_of(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int>(st.st_mode & 07777);
}

// A umask for the test's duration: the usual 022 would let files be
// created 0644 and directories 0755 by anyone who does not ask otherwise.
class Umask {
 public:
  explicit Umask(mode_t mask) : previous_(::umask(mask)) {}
  ~Umask() { ::umask(previous_); }

 private:
  mode_t previous_;
};

TEST_F(SqliteStoreTest, DirectoriesAndFilesItCreatesAreForItsUserOnly) {
  const Umask umask(022);
  const auto db = dir_ / "var" / "data" / "jwtguard.db";
  std::vector<std::string> warnings;
  SqliteOptions options;
  options.warn = [&](std::string_view m) { warnings.emplace_back(m); };
  {
    auto store = open_sqlite_store(db.string(), options);
    ASSERT_OK(store);
    ASSERT_OK((*store)->create_user(User{.name = "alice", .password_hash = "h"}));
    // The WAL and its index exist while the store is open.
    EXPECT_EQ(mode_of(dir_ / "var"), 0700);
    EXPECT_EQ(mode_of(dir_ / "var" / "data"), 0700);
    EXPECT_EQ(mode_of(db), 0600);
    EXPECT_EQ(mode_of(db.string() + "-wal"), 0600);
    EXPECT_EQ(mode_of(db.string() + "-shm"), 0600);
  }
  EXPECT_TRUE(warnings.empty()) << warnings.front();
}

TEST_F(SqliteStoreTest, AnExistingFileOthersCanReadIsOpenedWithAWarning) {
  const Umask umask(022);
  { ASSERT_OK(open_sqlite_store(path())); }
  std::vector<std::string> warnings;
  SqliteOptions options;
  options.warn = [&](std::string_view m) { warnings.emplace_back(m); };
  { ASSERT_OK(open_sqlite_store(path(), options)); }
  EXPECT_TRUE(warnings.empty()) << warnings.front();

  ASSERT_EQ(::chmod(path().c_str(), 0644), 0);
  auto store = open_sqlite_store(path(), options);
  ASSERT_OK(store);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find(path() + " is open to other users (mode 0644)"), std::string::npos)
      << warnings[0];
  EXPECT_NE(warnings[0].find("chmod 600"), std::string::npos) << warnings[0];
  // Still readable and writable: the operator may share it on purpose.
  EXPECT_OK((*store)->create_user(User{.name = "bob", .password_hash = "h"}));
  EXPECT_EQ(mode_of(path()), 0644);
}

// `jwtguard serve`: a store it creates is private; one others can read is
// named in a warning in its log.
TEST_F(SqliteStoreTest, TheServiceCreatesAPrivateStoreAndWarnsAboutAnOpenOne) {
  const Umask umask(022);
  const auto db = dir_ / "var" / "jwtguard.db";
  {
    auto serve = testing::ServeProcess::start({.binary = JWTGUARD_BINARY,
                                               .store = "sqlite:" + db.string(),
                                               .env = {"JWTGUARD_SECRET=" + std::string(64, 'a')},
                                               .dir = dir_});
    ASSERT_TRUE(serve.has_value()) << serve.error();
    // The WAL and its index exist while the service runs.
    EXPECT_EQ(mode_of(dir_ / "var"), 0700);
    EXPECT_EQ(mode_of(db), 0600);
    EXPECT_EQ(mode_of(db.string() + "-wal"), 0600);
    EXPECT_EQ(mode_of(db.string() + "-shm"), 0600);
    auto stopped = serve->terminate();
    ASSERT_TRUE(stopped.has_value()) << stopped.error();
    EXPECT_EQ(serve->log().find("store warning"), std::string::npos) << serve->log();
  }

  ASSERT_EQ(::chmod(db.c_str(), 0644), 0);
  const std::string again = testing::serve_log(dir_, "sqlite:" + db.string());
  EXPECT_NE(again.find("\"listening\""), std::string::npos) << again;
  EXPECT_NE(again.find("store warning"), std::string::npos) << again;
  EXPECT_NE(again.find(db.string() + " is open to other users (mode 0644)"), std::string::npos)
      << again;
}

// Development mode (`make run`): the data directory it creates holds the
// generated signing key and, by default, the store.
TEST_F(SqliteStoreTest, DevelopmentModeCreatesItsDataDirectoryForItsUserOnly) {
  const Umask umask(022);
  const auto var = dir_ / "var";
  auto child = testing::ChildProcess::spawn(
      {.argv = {JWTGUARD_BINARY, "serve", "--listen", "127.0.0.1:0", "--dev", "true", "--data-dir",
                var.string(), "--store", "sqlite:" + (var / "jwtguard.db").string()},
       .stdout_path = dir_ / "dev.stdout",
       .stderr_path = dir_ / "dev.log"});
  ASSERT_TRUE(child.has_value()) << child.error();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (testing::read_file(dir_ / "dev.log").find("\"listening\"") == std::string::npos &&
         child->running() && !child->exited() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const std::string log = testing::read_file(dir_ / "dev.log");
  ASSERT_NE(log.find("\"listening\""), std::string::npos) << log;
  EXPECT_EQ(mode_of(var), 0700);
  EXPECT_EQ(mode_of(var / "signing-key.jwk"), 0600);
  EXPECT_EQ(mode_of(var / "jwtguard.db"), 0600);
  EXPECT_EQ(log.find("store warning"), std::string::npos) << log;
  EXPECT_TRUE(child->signal(SIGTERM));
  auto status = child->wait_for(std::chrono::milliseconds(20'000));
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
      << testing::describe_wait_status(*status);
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
