// A thin RAII layer over the SQLite C API: a connection, prepared statements
// cached per connection, and errors turned into Errc::kStore results.
#ifndef JWTGUARD_SQLITE_SQLITE_DB_H_
#define JWTGUARD_SQLITE_SQLITE_DB_H_

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "jwtguard/clock.h"
#include "jwtguard/error.h"
#include "store/rows.h"
#include "util/try.h"

namespace jwtguard::sqlite {

class Db;

// A prepared statement, reset and unbound when the Stmt handle goes away so
// the cached statement can be reused. Its current row is a stores::Row.
class Stmt final : public stores::Row {
 public:
  Stmt(Db& db, sqlite3_stmt* stmt) : db_(&db), stmt_(stmt) {}
  Stmt(Stmt&& other) noexcept
      : db_(other.db_),
        stmt_(std::exchange(other.stmt_, nullptr)),
        bind_error_(std::move(other.bind_error_)) {}
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt() override;

  // Parameters are 1-based, as in SQLite. A bind that fails (an index out
  // of range, a value over SQLITE_LIMIT_LENGTH, no memory) makes the
  // statement fail: the next step() returns kStore with SQLite's message
  // (never the value, which may be a password hash) and runs nothing.
  Stmt& bind(int i, std::int64_t value);
  Stmt& bind(int i, std::string_view text);
  Stmt& bind(int i, Timestamp t) { return bind(i, t.time_since_epoch().count()); }
  Stmt& bind_null(int i);

  // true: a row is ready; false: done. kStore on failure, or when a bind
  // failed.
  Result<bool> step();
  // Steps to completion, ignoring rows.
  Result<void> run();

  // Steps to completion, calling read(*this) for each row.
  template <typename Read>
  Result<void> each_row(Read read) {
    for (;;) {
      JWTGUARD_ASSIGN_OR_RETURN(const bool row, step());
      if (!row) return {};
      read(static_cast<const Stmt&>(*this));
    }
  }

  // read(*this) of the first row, or none when there is no row.
  template <typename Read>
  auto first_row(Read read) -> Result<std::optional<decltype(read(std::declval<const Stmt&>()))>> {
    using Value = decltype(read(std::declval<const Stmt&>()));
    JWTGUARD_ASSIGN_OR_RETURN(const bool row, step());
    if (!row) return std::optional<Value>();
    return std::optional<Value>(read(static_cast<const Stmt&>(*this)));
  }

  std::int64_t int64(int col) const override { return sqlite3_column_int64(stmt_, col); }
  std::string text(int col) const override;
  bool is_null(int col) const override { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  // Booleans are stored as integers.
  bool boolean(int col) const override { return int64(col) != 0; }

 private:
  // Keeps the first failed bind's error for step().
  Stmt& bound(int rc);

  Db* db_;
  sqlite3_stmt* stmt_;
  std::optional<Error> bind_error_;
};

class Db {
 public:
  // Opens (or creates) the database file with the connection settings every
  // jwtguard connection uses: WAL, synchronous=FULL, the busy timeout.
  static Result<std::unique_ptr<Db>> open(const std::string& path,
                                          std::chrono::milliseconds busy_timeout);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Runs SQL text that returns no rows (several statements allowed).
  Result<void> exec(const char* sql);
  // A cached prepared statement for `sql`, which must be a string literal (the
  // cache is keyed by its address).
  Result<Stmt> prepare(const char* sql);

  // A kStore error naming what failed and SQLite's message.
  tl::unexpected<Error> error(std::string_view what) const;

  sqlite3* handle() { return db_; }

 private:
  explicit Db(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::map<const char*, sqlite3_stmt*> cache_;
};

}  // namespace jwtguard::sqlite

#endif  // JWTGUARD_SQLITE_SQLITE_DB_H_
