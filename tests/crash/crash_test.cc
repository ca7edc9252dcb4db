// No acknowledged revocation may be lost: a writer process revoking from
// several threads is SIGKILLed at random moments, many times over one
// database; after every kill, every revocation whose call had returned must
// be in the store, and the database must pass SQLite's integrity check.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "jwtguard/store.h"

namespace jwtguard {
namespace {

constexpr int kKills = 24;
constexpr int kThreads = 8;

struct Child {
  pid_t pid = -1;
  int out = -1;  // read end of the child's stdout
};

Child spawn(const std::vector<std::string>& args) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    ::close(fds[0]);
    ::close(fds[1]);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  return Child{pid, fds[0]};
}

std::string read_all(int fd) {
  std::string out;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

// PRAGMA integrity_check's verdict, as the next process to open the file
// sees it: opened for writing (never created), so that SQLite first rolls
// back a hot journal a kill left behind, as any open would; read-only, such
// a database cannot even be read.
std::string integrity(const std::string& path) {
  sqlite3* db = nullptr;
  std::string result = "cannot open";
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      result = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return result;
}

TEST(CrashTest, NoAcknowledgedRevocationIsLostToSigkill) {
  const auto dir = std::filesystem::path(::testing::TempDir()) /
                   ("jwtguard-crash-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const std::string db = (dir / "crash.db").string();

  const unsigned seed = std::random_device{}();
  std::mt19937 rng(seed);
  // Early kills land in the schema setup and the first transactions; later
  // ones in the middle of busy group commits.
  std::uniform_int_distribution<int> delay_ms(5, 300);
  std::size_t acked_total = 0;
  for (int round = 0; round < kKills; ++round) {
    SCOPED_TRACE("seed " + std::to_string(seed) + ", kill " + std::to_string(round));
    Child child =
        spawn({JWTGUARD_CRASH_WRITER, db, std::to_string(kThreads), "r" + std::to_string(round)});
    ASSERT_GT(child.pid, 0);
    std::thread reader;
    std::string output;
    reader = std::thread([&] { output = read_all(child.out); });
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    ASSERT_EQ(::kill(child.pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(child.pid, &status, 0), child.pid);
    reader.join();
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the writer ended by itself (status " << status << ")";

    std::vector<std::string> acked;
    std::istringstream lines(output);
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty()) acked.push_back(line);
    }
    acked_total += acked.size();

    // A writer killed before it created the file (an early kill, a slow
    // start under the sanitizers) acknowledged nothing: nothing to check.
    if (!std::filesystem::exists(db)) {
      EXPECT_TRUE(acked.empty()) << "acknowledged without a database file";
      continue;
    }
    ASSERT_EQ(integrity(db), "ok");
    auto store = open_sqlite_store(db);
    ASSERT_TRUE(store.has_value()) << store.error().message();
    for (const std::string& key : acked) {
      auto found = (*store)->find_revocation(RevocationKind::kToken, key);
      ASSERT_TRUE(found.has_value()) << found.error().message();
      ASSERT_TRUE(found->has_value()) << "acknowledged revocation " << key << " was lost";
    }
  }
  std::printf("%d kills, %zu acknowledged revocations, all present (seed %u)\n", kKills,
              acked_total, seed);
  // The kills must have hit a writer at work, or the test proves nothing.
  EXPECT_GT(acked_total, std::size_t{kKills * 10}) << "the writer barely wrote";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace jwtguard
