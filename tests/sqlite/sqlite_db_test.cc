// sqlite::Db and sqlite::Stmt: a failed bind fails its statement.
#include "sqlite/sqlite_db.h"

#include <gtest/gtest.h>

#include <string>

#include "testing/fixtures.h"

namespace jwtguard::sqlite {
namespace {

class SqliteDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = Db::open(scratch_.db(), std::chrono::milliseconds(1000));
    ASSERT_OK(db);
    db_ = std::move(*db);
    ASSERT_OK(db_->exec("CREATE TABLE t (v TEXT)"));
  }

  Result<std::int64_t> rows_in_t() {
    auto count = db_->prepare("SELECT count(*) FROM t");
    if (!count) return tl::unexpected(count.error());
    auto row = count->step();
    if (!row) return tl::unexpected(row.error());
    return count->int64(0);
  }

  testing::ScratchDir scratch_;
  std::unique_ptr<Db> db_;
};

TEST_F(SqliteDbTest, ABoundValueRunsTheStatement) {
  auto insert = db_->prepare("INSERT INTO t (v) VALUES (?1)");
  ASSERT_OK(insert);
  ASSERT_OK(insert->bind(1, std::string_view("x")).run());
  EXPECT_EQ(rows_in_t(), 1);
}

TEST_F(SqliteDbTest, ATextOverTheLengthLimitFailsTheStatementWithoutQuotingIt) {
  sqlite3_limit(db_->handle(), SQLITE_LIMIT_LENGTH, 16);
  const std::string secret = "$argon2id$v=19$m=65536,t=3,p=4$secret-hash";
  {
    auto insert = db_->prepare("INSERT INTO t (v) VALUES (?1)");
    ASSERT_OK(insert);
    const auto ran = insert->bind(1, std::string_view(secret)).run();
    EXPECT_ERRC(ran, Errc::kStore);
    EXPECT_NE(ran.error().message().find("bind"), std::string::npos) << ran.error().message();
    EXPECT_EQ(ran.error().message().find("argon2"), std::string::npos) << ran.error().message();
  }
  EXPECT_EQ(rows_in_t(), 0);
}

TEST_F(SqliteDbTest, AParameterOutOfRangeFailsTheStatement) {
  {
    auto insert = db_->prepare("INSERT INTO t (v) VALUES (?1)");
    ASSERT_OK(insert);
    // Without the check, ?1 would be NULL and the row inserted.
    EXPECT_ERRC(insert->bind(2, std::string_view("x")).run(), Errc::kStore);
  }
  EXPECT_EQ(rows_in_t(), 0);
}

TEST_F(SqliteDbTest, TheFirstFailedBindIsTheOneReported) {
  sqlite3_limit(db_->handle(), SQLITE_LIMIT_LENGTH, 16);
  auto insert = db_->prepare("INSERT INTO t (v) VALUES (?1)");
  ASSERT_OK(insert);
  const auto ran = insert->bind(1, std::string_view(std::string(64, 'a'))).bind_null(7).run();
  EXPECT_ERRC(ran, Errc::kStore);
  EXPECT_NE(ran.error().message().find("too big"), std::string::npos) << ran.error().message();
}

TEST_F(SqliteDbTest, AFailedBindDoesNotOutliveItsStatementHandle) {
  {
    auto insert = db_->prepare("INSERT INTO t (v) VALUES (?1)");
    ASSERT_OK(insert);
    EXPECT_ERRC(insert->bind(2, std::string_view("x")).run(), Errc::kStore);
  }
  // The cached statement, handed out again, binds and runs afresh.
  auto again = db_->prepare("INSERT INTO t (v) VALUES (?1)");
  ASSERT_OK(again);
  ASSERT_OK(again->bind(1, std::string_view("y")).run());
  EXPECT_EQ(rows_in_t(), 1);
}

}  // namespace
}  // namespace jwtguard::sqlite
