#include "sqlite_db.h"

#include <string>

#include "util/try.h"

namespace jwtguard::sqlite {

Stmt::~Stmt() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Stmt& Stmt::bind(int i, std::int64_t value) { return bound(sqlite3_bind_int64(stmt_, i, value)); }

Stmt& Stmt::bind(int i, std::string_view text) {
  return bound(
      sqlite3_bind_text64(stmt_, i, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
}

Stmt& Stmt::bind_null(int i) { return bound(sqlite3_bind_null(stmt_, i)); }

Stmt& Stmt::bound(int rc) {
  // SQLite's message names the failure, not the value: a bound value may
  // be a password hash.
  if (rc != SQLITE_OK && !bind_error_) bind_error_ = db_->error("bind").value();
  return *this;
}

Result<bool> Stmt::step() {
  // A statement with a parameter left unbound would run with NULL there.
  if (bind_error_) return tl::unexpected(*bind_error_);
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_->error("step");
}

Result<void> Stmt::run() {
  for (;;) {
    JWTGUARD_ASSIGN_OR_RETURN(const bool row, step());
    if (!row) return {};
  }
}

std::string Stmt::text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  if (p == nullptr) return {};
  return std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)));
}

Result<std::unique_ptr<Db>> Db::open(const std::string& path,
                                     std::chrono::milliseconds busy_timeout) {
  sqlite3* handle = nullptr;
  // NOMUTEX: each connection is used by one thread at a time (the store
  // serialises access), so SQLite's own per-connection mutex is not needed.
  const int rc =
      sqlite3_open_v2(path.c_str(), &handle,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<Db> db(new Db(handle));
  if (rc != SQLITE_OK) return db->error("cannot open " + path);
  sqlite3_busy_timeout(handle, static_cast<int>(busy_timeout.count()));
  sqlite3_extended_result_codes(handle, 1);
  // WAL lets readers proceed while a writer commits; synchronous=FULL makes
  // every commit durable (fsync of the WAL) before COMMIT returns.
  JWTGUARD_ASSIGN_OR_RETURN(Stmt mode, db->prepare("PRAGMA journal_mode=WAL"));
  JWTGUARD_ASSIGN_OR_RETURN(const bool row, mode.step());
  if (!row || mode.text(0) != "wal") return db->error("cannot switch to WAL mode");
  JWTGUARD_TRY(db->exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"));
  return db;
}

Db::~Db() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Result<void> Db::exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message != nullptr ? message : "unknown error";
    sqlite3_free(message);
    return fail(Errc::kStore, "sqlite: " + text);
  }
  return {};
}

Result<Stmt> Db::prepare(const char* sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
      return error("prepare");
    }
    it = cache_.emplace(sql, stmt).first;
  }
  return Stmt(*this, it->second);
}

tl::unexpected<Error> Db::error(std::string_view what) const {
  std::string detail = "sqlite ";
  detail += what;
  detail += ": ";
  detail += db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
  return tl::unexpected<Error>(Error(Errc::kStore, std::move(detail)));
}

}  // namespace jwtguard::sqlite
