// What only the SQLite store has for status lists: a schema migration, a
// file that outlives the process, and other processes allocating from it.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "jwtguard/store.h"
#include "sqlite/schema.h"
#include "stores/migrated_session_case.h"
#include "testing/fixtures.h"

namespace jwtguard {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;

const Timestamp kT0(microseconds(1'000'000));

StatusEntry entry(std::string jti, std::string sid = "s1") {
  return StatusEntry{.jti = std::move(jti),
                     .session = std::move(sid),
                     .user = "alice",
                     .issued_at = kT0,
                     .expires_at = kT0 + hours(1)};
}

Revocation token_revocation(std::string jti) {
  return Revocation{.kind = RevocationKind::kToken,
                    .key = std::move(jti),
                    .expires_at = kT0 + hours(1),
                    .revoked_at = kT0};
}

class SqliteStatusTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> open() {
    auto store = open_sqlite_store(scratch_.db());
    EXPECT_TRUE(store.has_value()) << store.error().message();
    return store ? std::move(*store) : nullptr;
  }
  void exec(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(scratch_.db().c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }

  // The one number `sql` selects, read past the store.
  std::int64_t count(const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(scratch_.db().c_str(), &db), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK);
    const std::int64_t n = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : -1;
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return n;
  }
  std::int64_t entries_of(std::uint64_t list) {
    return count("SELECT count(*) FROM status_entries WHERE list = " + std::to_string(list));
  }

  testing::ScratchDir scratch_;
};

// Fills list after list of `spec` with `n` entries expiring at `expires`.
void fill(Store& store, std::size_t n, const StatusListSpec& spec, Timestamp expires,
          const std::string& prefix) {
  for (std::size_t done = 0; done < n;) {
    std::vector<StatusEntry> batch;
    for (; batch.size() < 64 && done < n; ++done) {
      StatusEntry e = entry(prefix + std::to_string(done), prefix + std::to_string(done % 7));
      e.expires_at = expires;
      batch.push_back(std::move(e));
    }
    ASSERT_OK(store.allocate_status(batch, spec));
  }
}

TEST_F(SqliteStatusTest, ADatabaseOfSchemaVersionThreeMigratesAndItsRevocationsCoverNewEntries) {
  // What a build of schema version 3 left: a revoked token and a session
  // rotated once.
  exec(std::string(sqlite::kMigrations[0]) + sqlite::kMigrations[1] + sqlite::kMigrations[2] +
       "PRAGMA user_version = 3;"
       "INSERT INTO revocations (kind, key, expires_at, revoked_at)"
       " VALUES (0, 'j-old', 9223372036854775807, 5);"
       "INSERT INTO sessions (sid, subject, created_at, refreshed_at, expires_at, refresh_jti)"
       " VALUES ('s1', 'alice', 8, 9, 9223372036854775807, 'j1');");
  auto store = open();
  ASSERT_NE(store, nullptr);
  testing::expect_the_migrated_session_rotates(*store);
  auto refs = store->allocate_status({entry("j-new"), entry("j-old")}, StatusListSpec{});
  ASSERT_OK(refs);
  EXPECT_EQ(*refs, (std::vector<StatusRef>{{1, 0}, {1, 1}}));
  auto list = store->find_status_list(1);
  ASSERT_OK(list);
  ASSERT_TRUE(list->has_value());
  EXPECT_EQ((*list)->statuses, (decltype((*list)->statuses){{1, 1}}));
}

TEST_F(SqliteStatusTest, ListsAndStatusesSurviveAReopen) {
  std::optional<StatusListState> before;
  {
    auto store = open();
    ASSERT_NE(store, nullptr);
    ASSERT_OK(store->allocate_status({entry("a"), entry("b"), entry("c", "s2")},
                                     StatusListSpec{.bits = 2, .size = 2}));
    ASSERT_OK(store->revoke(token_revocation("b")));
    ASSERT_OK(store->revoke(token_revocation("c")));
    auto found = store->find_status_list(2);
    ASSERT_OK(found);
    before = *found;
  }
  auto store = open();
  ASSERT_NE(store, nullptr);
  auto first = store->find_status_list(1);
  ASSERT_OK(first);
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ((*first)->bits, 2);
  EXPECT_EQ((*first)->allocated, 2u);
  EXPECT_EQ((*first)->statuses, (decltype((*first)->statuses){{1, 1}}));
  auto second = store->find_status_list(2);
  ASSERT_OK(second);
  ASSERT_TRUE(before.has_value());
  EXPECT_EQ(*second, before);
  // Allocation goes on where it was, and the revocations still apply.
  auto next = store->allocate_status({entry("b")}, StatusListSpec{});
  ASSERT_OK(next);
  EXPECT_EQ(next->front(), (StatusRef{2, 1}));
  EXPECT_EQ(store->find_status_list(2).value()->statuses,
            (decltype((*second)->statuses){{0, 1}, {1, 1}}));
}

TEST_F(SqliteStatusTest, TwoStoresOnOneFileAllocateDistinctIndicesAndShareStatuses) {
  auto a = open();
  auto b = open();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  constexpr int kThreads = 4, kBatches = 25;
  const StatusListSpec spec{.bits = 1, .size = 15};
  std::mutex mu;
  std::set<std::pair<std::uint64_t, std::uint64_t>> seen;
  std::size_t handed_out = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 2 * kThreads; ++t) {
    threads.emplace_back([&, t] {
      Store& store = t % 2 == 0 ? *a : *b;
      for (int i = 0; i < kBatches; ++i) {
        const std::string jti = "t" + std::to_string(t) + "-" + std::to_string(i);
        auto refs = store.allocate_status({entry(jti + "a", jti), entry(jti + "r", jti)}, spec);
        ASSERT_TRUE(refs.has_value()) << refs.error().message();
        std::lock_guard lock(mu);
        for (const StatusRef& ref : *refs) {
          EXPECT_TRUE(seen.emplace(ref.list, ref.index).second) << ref.list << "/" << ref.index;
          ++handed_out;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(handed_out, std::size_t{2 * 2 * kThreads * kBatches});
  EXPECT_EQ(seen.size(), handed_out);
  // A session revoked through one store is set in the list the other reads.
  Revocation session = token_revocation("t3-7");
  session.kind = RevocationKind::kSession;
  ASSERT_OK(a->revoke_session(session));
  std::set<std::uint64_t> lists;
  for (const auto& [list, index] : seen) lists.insert(list);
  std::size_t set = 0;
  for (std::uint64_t id : lists) {
    auto found = b->find_status_list(id);
    ASSERT_OK(found);
    ASSERT_TRUE(found->has_value());
    set += (*found)->statuses.size();
  }
  EXPECT_EQ(set, 2u);  // the session's access and refresh entries
}

TEST_F(SqliteStatusTest, APurgeDeletesAListOfSeveralChunksWithAllItsEntries) {
  constexpr std::size_t kBig = 2 * 5000 + 37;  // more than two purge chunks
  auto store = open();
  ASSERT_NE(store, nullptr);
  fill(*store, kBig, StatusListSpec{.bits = 1, .size = kBig}, kT0 + hours(1), "a");
  // List 2 is full too, but one of its tokens is still valid at the purge.
  fill(*store, 9, StatusListSpec{.bits = 1, .size = 10}, kT0 + hours(1), "b");
  fill(*store, 1, StatusListSpec{.bits = 1, .size = 10}, kT0 + hours(3), "c");
  ASSERT_OK(store->revoke(token_revocation("a17")));
  ASSERT_OK(store->revoke(token_revocation("b3")));
  ASSERT_EQ(entries_of(1), static_cast<std::int64_t>(kBig));
  ASSERT_OK(store->purge(kT0 + hours(2), std::chrono::seconds(0)));
  auto gone = store->find_status_list(1);
  ASSERT_OK(gone);
  EXPECT_FALSE(gone->has_value());
  EXPECT_EQ(entries_of(1), 0);
  EXPECT_EQ(count("SELECT count(*) FROM status_lists"), 1);
  auto kept = store->find_status_list(2);
  ASSERT_OK(kept);
  ASSERT_TRUE(kept->has_value());
  EXPECT_EQ((*kept)->statuses, (decltype((*kept)->statuses){{3, 1}}));
  EXPECT_EQ(entries_of(2), 10);
  // The purged list's id is not handed out again.
  auto next = store->allocate_status({entry("d")}, StatusListSpec{});
  ASSERT_OK(next);
  EXPECT_EQ(next->front(), (StatusRef{3, 0}));
}

TEST_F(SqliteStatusTest, AListLeftRetiredIsGoneAtOnceAndTheNextPurgeDeletesIt) {
  {
    auto store = open();
    ASSERT_NE(store, nullptr);
    fill(*store, 3, StatusListSpec{.bits = 2, .size = 3}, kT0 + hours(1), "a");
  }
  // What a purge that retired list 1 and stopped before its entries left.
  exec("UPDATE status_lists SET bits = 0 WHERE id = 1");
  auto store = open();
  ASSERT_NE(store, nullptr);
  auto retired = store->find_status_list(1);
  ASSERT_OK(retired);
  EXPECT_FALSE(retired->has_value());
  ASSERT_EQ(entries_of(1), 3);
  // Nothing expires at kT0, yet the retired list goes.
  ASSERT_OK(store->purge(kT0, std::chrono::seconds(0)));
  EXPECT_EQ(entries_of(1), 0);
  EXPECT_EQ(count("SELECT count(*) FROM status_lists"), 0);
  auto next = store->allocate_status({entry("b")}, StatusListSpec{});
  ASSERT_OK(next);
  EXPECT_EQ(next->front(), (StatusRef{2, 0}));
}

}  // namespace
}  // namespace jwtguard
