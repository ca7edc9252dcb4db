// The "sqlite:PATH" store.
//
// Two connections: one owned by a writer thread, one for reads (behind a
// mutex). Every write is a job handed to the writer thread, which runs all
// the jobs that queued up meanwhile in one transaction, each inside its own
// savepoint, and acknowledges them after COMMIT: with synchronous=FULL that
// is after the WAL reached the disk. N concurrent revocations cost one fsync
// (group commit), and none is acknowledged before it is durable.
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "jwtguard/store.h"
#include "schema.h"
#include "sqlite_db.h"
#include "sqlite_files.h"
#include "store/store_rules.h"
#include "util/try.h"

namespace jwtguard {
namespace {

using sqlite::Db;
using sqlite::Stmt;

Result<std::int64_t> schema_version(Db& db) {
  auto stmt = db.prepare("PRAGMA user_version");
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = stmt->step();
  if (!row) return tl::unexpected(row.error());
  const std::int64_t version = *row ? stmt->int64(0) : 0;
  JWTGUARD_TRY(stmt->run());
  return version;
}

Result<void> migrate_locked(Db& db) {
  // Read under the write lock: another process may have migrated the file
  // between our open and this transaction.
  auto version = schema_version(db);
  if (!version) return tl::unexpected(version.error());
  constexpr int kCurrent = static_cast<int>(std::size(sqlite::kMigrations));
  static_assert(kCurrent == kSqliteSchemaVersion);
  if (*version > kCurrent) {
    return fail(Errc::kStore, "database schema version " + std::to_string(*version) +
                                  " is newer than this build's " + std::to_string(kCurrent));
  }
  for (auto v = *version; v < kCurrent; ++v) JWTGUARD_TRY(db.exec(sqlite::kMigrations[v]));
  const std::string set_version = "PRAGMA user_version=" + std::to_string(kCurrent);
  return db.exec(set_version.c_str());
}

// Brings the schema to this build's version, in one transaction.
Result<void> migrate(Db& db) {
  JWTGUARD_TRY(db.exec("BEGIN IMMEDIATE"));
  if (auto ok = migrate_locked(db); !ok) {
    static_cast<void>(db.exec("ROLLBACK"));
    return ok;
  }
  return db.exec("COMMIT");
}

Revocation read_revocation(const Stmt& s) {
  Revocation r;
  r.kind = static_cast<RevocationKind>(s.int64(0));
  r.key = s.text(1);
  r.cutoff = s.time(2);
  r.expires_at = s.time(3);
  r.revoked_at = s.time(4);
  if (!s.is_null(5)) r.token_type = parse_token_type(s.text(5));
  r.user = s.text(6);
  r.session = s.text(7);
  r.revoked_by = s.text(8);
  r.reason = s.text(9);
  return r;
}
#define REVOCATION_COLUMNS \
  "kind, key, cutoff, expires_at, revoked_at, token_type, subject, session, revoked_by, reason"

Session read_session(const Stmt& s) {
  Session out;
  out.sid = s.text(0);
  out.user = s.text(1);
  out.created_at = s.time(2);
  out.refreshed_at = s.time(3);
  out.expires_at = s.time(4);
  out.client_address = s.text(5);
  out.user_agent = s.text(6);
  out.refresh_jti = s.text(7);
  if (!s.is_null(8)) out.revoked_at = s.time(8);
  return out;
}
#define SESSION_COLUMNS                                                              \
  "sid, subject, created_at, refreshed_at, expires_at, client_address, user_agent, " \
  "refresh_jti, revoked_at"

User read_user(const Stmt& s) { return User{s.text(0), s.text(1), s.int64(2) != 0, s.time(3)}; }

class SqliteStore final : public Store {
 public:
  SqliteStore(std::unique_ptr<Db> writer, std::unique_ptr<Db> reader)
      : writer_db_(std::move(writer)), reader_(std::move(reader)) {
    writer_thread_ = std::thread([this] { write_loop(); });
  }

  ~SqliteStore() override {
    {
      std::lock_guard lock(queue_mu_);
      stopping_ = true;
    }
    queue_cv_.notify_all();
    writer_thread_.join();
  }

  Result<std::uint64_t> do_revoke(const Revocation& revocation) override {
    std::uint64_t seq = 0;
    JWTGUARD_TRY(write([&](Db& db) -> Result<void> {
      auto s = upsert_revocation(db, revocation);
      if (!s) return tl::unexpected(s.error());
      seq = *s;
      return {};
    }));
    return seq;
  }

  Result<bool> do_unrevoke(RevocationKind kind, std::string_view key, Timestamp now) override {
    bool erased = false;
    JWTGUARD_TRY(write([&](Db& db) -> Result<void> {
      auto del = db.prepare("DELETE FROM revocations WHERE kind = ?1 AND key = ?2");
      if (!del) return tl::unexpected(del.error());
      JWTGUARD_TRY(del->bind(1, static_cast<std::int64_t>(kind)).bind(2, key).run());
      erased = sqlite3_changes(db.handle()) > 0;
      if (kind == RevocationKind::kSession) {
        auto restore = db.prepare("UPDATE sessions SET revoked_at = NULL WHERE sid = ?1");
        if (!restore) return tl::unexpected(restore.error());
        JWTGUARD_TRY(restore->bind(1, key).run());
      }
      auto seq = log_change(db, stores::unrevoke_change(kind, key, 0), now);
      if (!seq) return tl::unexpected(seq.error());
      return {};
    }));
    return erased;
  }

  Result<std::optional<Revocation>> do_find_revocation(RevocationKind kind,
                                                       std::string_view key) override {
    std::lock_guard lock(reader_mu_);
    auto s = reader_->prepare("SELECT " REVOCATION_COLUMNS
                              " FROM revocations WHERE kind = ?1 AND key = ?2");
    if (!s) return tl::unexpected(s.error());
    s->bind(1, static_cast<std::int64_t>(kind)).bind(2, key);
    return s->first_row(read_revocation);
  }

  Result<RevocationPage> do_list_revocations(const RevocationFilter& filter,
                                             std::optional<std::int64_t> start) override {
    std::lock_guard lock(reader_mu_);
    auto s = reader_->prepare("SELECT " REVOCATION_COLUMNS
                              ", id FROM revocations"
                              " WHERE (?1 IS NULL OR id < ?1) AND (?2 IS NULL OR kind = ?2)"
                              " AND (?3 = '' OR subject = ?3) AND (?4 IS NULL OR token_type = ?4)"
                              " ORDER BY id DESC LIMIT ?5");
    if (!s) return tl::unexpected(s.error());
    start ? s->bind(1, *start) : s->bind_null(1);
    filter.kind ? s->bind(2, static_cast<std::int64_t>(*filter.kind)) : s->bind_null(2);
    s->bind(3, filter.user);
    filter.token_type ? s->bind(4, token_type_name(*filter.token_type)) : s->bind_null(4);
    s->bind(5, static_cast<std::int64_t>(filter.limit + 1));
    RevocationPage page;
    std::int64_t last_id = 0;
    for (;;) {
      auto row = s->step();
      if (!row) return tl::unexpected(row.error());
      if (!*row) break;
      if (page.entries.size() == filter.limit) {
        page.next_cursor = stores::cursor_for(last_id);
        break;
      }
      page.entries.push_back(read_revocation(*s));
      last_id = s->int64(10);
    }
    return page;
  }

  Result<Snapshot> do_snapshot(Timestamp now) override {
    std::lock_guard lock(reader_mu_);
    // One read transaction: the rows and the feed position agree.
    JWTGUARD_TRY(reader_->exec("BEGIN"));
    auto out = read_snapshot(now);
    static_cast<void>(reader_->exec("COMMIT"));
    return out;
  }

  Result<ChangeBatch> do_changes_since(std::uint64_t after, std::size_t limit,
                                       std::chrono::milliseconds max_wait) override {
    const auto deadline = std::chrono::steady_clock::now() + max_wait;
    for (;;) {
      // Taken before reading, so that a commit landing during the read
      // still ends the wait below.
      std::uint64_t seen = 0;
      {
        std::lock_guard lock(queue_mu_);
        seen = commits_;
      }
      auto batch = read_changes(after, limit);
      if (!batch || batch->gap || !batch->changes.empty()) return batch;
      // Commits of this process wake us at once; those of other processes
      // are seen at the next poll.
      std::unique_lock lock(queue_mu_);
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return batch;
      commit_cv_.wait_until(lock, std::min(deadline, now + kFeedPoll),
                            [&] { return commits_ != seen || stopping_; });
      if (stopping_) return batch;
    }
  }

  Result<std::size_t> do_purge(Timestamp now, std::chrono::seconds feed_retention) override {
    std::size_t removed = 0;
    JWTGUARD_TRY(write([&](Db& db) -> Result<void> {
      auto del = db.prepare("DELETE FROM revocations WHERE expires_at <= ?1");
      if (!del) return tl::unexpected(del.error());
      JWTGUARD_TRY(del->bind(1, now).run());
      removed = static_cast<std::size_t>(sqlite3_changes(db.handle()));
      auto sessions = db.prepare("DELETE FROM sessions WHERE expires_at <= ?1");
      if (!sessions) return tl::unexpected(sessions.error());
      JWTGUARD_TRY(sessions->bind(1, now).run());
      // Remember the newest change purged, so a follower behind it reloads.
      auto floor = db.prepare(
          "UPDATE meta SET value = max(value, (SELECT coalesce(max(seq), 0) FROM revocation_log"
          " WHERE logged_at <= ?1)) WHERE name = 'feed_purged_through'");
      if (!floor) return tl::unexpected(floor.error());
      JWTGUARD_TRY(floor->bind(1, now - feed_retention).run());
      auto log = db.prepare("DELETE FROM revocation_log WHERE logged_at <= ?1");
      if (!log) return tl::unexpected(log.error());
      return log->bind(1, now - feed_retention).run();
    }));
    return removed;
  }

  Result<void> do_create_session(const Session& session) override {
    return write([&](Db& db) -> Result<void> {
      auto s = db.prepare("INSERT INTO sessions (" SESSION_COLUMNS
                          ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
                          " ON CONFLICT (sid) DO NOTHING");
      if (!s) return tl::unexpected(s.error());
      s->bind(1, session.sid).bind(2, session.user).bind(3, session.created_at);
      s->bind(4, session.refreshed_at).bind(5, session.expires_at);
      s->bind(6, session.client_address).bind(7, session.user_agent).bind(8, session.refresh_jti);
      session.revoked_at ? s->bind(9, *session.revoked_at) : s->bind_null(9);
      JWTGUARD_TRY(s->run());
      if (sqlite3_changes(db.handle()) == 0) return fail(Errc::kAlreadyExists, "session");
      return {};
    });
  }

  Result<std::optional<Session>> do_find_session(std::string_view sid) override {
    std::lock_guard lock(reader_mu_);
    auto s = reader_->prepare("SELECT " SESSION_COLUMNS " FROM sessions WHERE sid = ?1");
    if (!s) return tl::unexpected(s.error());
    s->bind(1, sid);
    return s->first_row(read_session);
  }

  Result<std::vector<Session>> do_list_sessions(std::string_view user, Timestamp now) override {
    std::lock_guard lock(reader_mu_);
    auto s = reader_->prepare("SELECT " SESSION_COLUMNS
                              " FROM sessions WHERE subject = ?1 AND revoked_at IS NULL"
                              " AND expires_at > ?2 ORDER BY created_at DESC, sid DESC");
    if (!s) return tl::unexpected(s.error());
    s->bind(1, user).bind(2, now);
    std::vector<Session> out;
    JWTGUARD_TRY(s->each_row([&](const Stmt& row) { out.push_back(read_session(row)); }));
    return out;
  }

  Result<Rotation> do_rotate_refresh(std::string_view sid, std::string_view presented_jti,
                                     std::string_view next_jti, Timestamp now,
                                     Timestamp next_expires_at) override {
    Rotation outcome = Rotation::kUnknown;
    JWTGUARD_TRY(write([&](Db& db) -> Result<void> {
      auto find = db.prepare("SELECT refresh_jti, revoked_at FROM sessions WHERE sid = ?1");
      if (!find) return tl::unexpected(find.error());
      find->bind(1, sid);
      auto row = find->step();
      if (!row) return tl::unexpected(row.error());
      if (!*row) return {};
      if (!find->is_null(1)) {
        outcome = Rotation::kRevoked;
        return {};
      }
      if (find->text(0) != presented_jti) {
        outcome = Rotation::kReused;
        return {};
      }
      auto update = db.prepare(
          "UPDATE sessions SET refresh_jti = ?2, refreshed_at = ?3, expires_at = ?4"
          " WHERE sid = ?1");
      if (!update) return tl::unexpected(update.error());
      update->bind(1, sid).bind(2, next_jti).bind(3, now).bind(4, next_expires_at);
      JWTGUARD_TRY(update->run());
      outcome = Rotation::kRotated;
      return {};
    }));
    return outcome;
  }

  Result<std::uint64_t> do_revoke_session(const Revocation& revocation) override {
    std::uint64_t seq = 0;
    JWTGUARD_TRY(write([&](Db& db) -> Result<void> {
      auto mark =
          db.prepare("UPDATE sessions SET revoked_at = ?2 WHERE sid = ?1 AND revoked_at IS NULL");
      if (!mark) return tl::unexpected(mark.error());
      JWTGUARD_TRY(mark->bind(1, revocation.key).bind(2, revocation.revoked_at).run());
      auto s = upsert_revocation(db, revocation);
      if (!s) return tl::unexpected(s.error());
      seq = *s;
      return {};
    }));
    return seq;
  }

  Result<void> do_create_user(const User& user) override {
    return write([&](Db& db) -> Result<void> {
      auto s = db.prepare(
          "INSERT INTO users (name, password_hash, admin, created_at) VALUES (?1, ?2, ?3, ?4)"
          " ON CONFLICT (name) DO NOTHING");
      if (!s) return tl::unexpected(s.error());
      s->bind(1, user.name).bind(2, user.password_hash);
      s->bind(3, std::int64_t{user.admin}).bind(4, user.created_at);
      JWTGUARD_TRY(s->run());
      if (sqlite3_changes(db.handle()) == 0) return fail(Errc::kAlreadyExists, "user");
      return {};
    });
  }

  Result<std::optional<User>> do_find_user(std::string_view name) override {
    std::lock_guard lock(reader_mu_);
    auto s = reader_->prepare(
        "SELECT name, password_hash, admin, created_at FROM users WHERE name = ?1");
    if (!s) return tl::unexpected(s.error());
    s->bind(1, name);
    return s->first_row(read_user);
  }

  Result<void> do_set_admin(std::string_view name, bool admin) override {
    return write([&](Db& db) -> Result<void> {
      auto s = db.prepare("UPDATE users SET admin = ?2 WHERE name = ?1");
      if (!s) return tl::unexpected(s.error());
      JWTGUARD_TRY(s->bind(1, name).bind(2, std::int64_t{admin}).run());
      if (sqlite3_changes(db.handle()) == 0) return fail(Errc::kNotFound, "user");
      return {};
    });
  }

  Result<std::vector<User>> do_list_users() override {
    std::lock_guard lock(reader_mu_);
    auto s =
        reader_->prepare("SELECT name, password_hash, admin, created_at FROM users ORDER BY name");
    if (!s) return tl::unexpected(s.error());
    std::vector<User> out;
    JWTGUARD_TRY(s->each_row([&](const Stmt& row) { out.push_back(read_user(row)); }));
    return out;
  }

  // A row of `meta`, which the first schema version already has.
  Result<Timestamp> do_raise_token_horizon(Timestamp at) override {
    Timestamp recorded{};
    JWTGUARD_TRY(write([&](Db& db) -> Result<void> {
      auto s = db.prepare(
          "INSERT INTO meta (name, value) VALUES ('token_horizon', ?1)"
          " ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)"
          " RETURNING value");
      if (!s) return tl::unexpected(s.error());
      s->bind(1, at);
      auto row = s->step();
      if (!row) return tl::unexpected(row.error());
      if (!*row) return fail(Errc::kStore, "sqlite: no token horizon returned");
      recorded = s->time(0);
      return s->run();
    }));
    return recorded;
  }

  Result<void> do_ping() override {
    std::lock_guard lock(reader_mu_);
    auto s = reader_->prepare("SELECT 1");
    if (!s) return tl::unexpected(s.error());
    return s->run();
  }

 private:
  using Body = std::function<Result<void>(Db&)>;
  struct Job {
    Body body;
    std::optional<Result<void>> result;  // set by the writer thread
  };
  static constexpr auto kFeedPoll = std::chrono::milliseconds(50);

  // Queues `body` for the writer thread and waits until its transaction has
  // committed (or failed). The body runs inside a savepoint: its failure
  // undoes only its own changes.
  Result<void> write(Body body) {
    Job job{std::move(body), std::nullopt};
    std::unique_lock lock(queue_mu_);
    if (stopping_) return fail(Errc::kStore, "store is closing");
    queue_.push_back(&job);
    queue_cv_.notify_all();
    done_cv_.wait(lock, [&] { return job.result.has_value(); });
    return std::move(*job.result);
  }

  void write_loop() {
    std::vector<Job*> batch;
    std::vector<Result<void>> results;
    for (;;) {
      {
        std::unique_lock lock(queue_mu_);
        queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, and nothing left to write
        batch.assign(queue_.begin(), queue_.end());
        queue_.clear();
      }
      results.clear();
      auto committed = run_batch(batch, results);
      {
        std::lock_guard lock(queue_mu_);
        for (std::size_t i = 0; i < batch.size(); ++i) {
          batch[i]->result = committed ? std::move(results[i]) : committed;
        }
        ++commits_;
      }
      done_cv_.notify_all();
      commit_cv_.notify_all();
    }
  }

  // One transaction for the whole batch. Each job's own result goes to
  // `results` (in batch order); the return value is the transaction's.
  Result<void> run_batch(const std::vector<Job*>& batch, std::vector<Result<void>>& results) {
    Db& db = *writer_db_;
    JWTGUARD_TRY(db.exec("BEGIN IMMEDIATE"));
    for (Job* job : batch) {
      if (auto ok = db.exec("SAVEPOINT job"); !ok) {
        results.push_back(std::move(ok));
        continue;
      }
      Result<void> result = job->body(db);
      if (!result) static_cast<void>(db.exec("ROLLBACK TO job"));
      static_cast<void>(db.exec("RELEASE job"));
      results.push_back(std::move(result));
    }
    if (auto ok = db.exec("COMMIT"); !ok) {
      static_cast<void>(db.exec("ROLLBACK"));
      return ok;
    }
    return {};
  }

  static Result<std::uint64_t> log_change(Db& db, const Change& change, Timestamp at) {
    auto s = db.prepare(
        "INSERT INTO revocation_log (op, kind, key, cutoff, expires_at, logged_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (!s) return tl::unexpected(s.error());
    s->bind(1, static_cast<std::int64_t>(change.op));
    s->bind(2, static_cast<std::int64_t>(change.kind)).bind(3, change.key);
    s->bind(4, change.cutoff).bind(5, change.expires_at).bind(6, at);
    JWTGUARD_TRY(s->run());
    return static_cast<std::uint64_t>(sqlite3_last_insert_rowid(db.handle()));
  }

  static Result<std::uint64_t> upsert_revocation(Db& db, const Revocation& r) {
    auto s =
        db.prepare("INSERT INTO revocations (" REVOCATION_COLUMNS
                   ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
                   " ON CONFLICT (kind, key) DO UPDATE SET cutoff = max(cutoff, excluded.cutoff),"
                   " expires_at = max(expires_at, excluded.expires_at)"
                   " RETURNING cutoff, expires_at");
    if (!s) return tl::unexpected(s.error());
    s->bind(1, static_cast<std::int64_t>(r.kind)).bind(2, r.key).bind(3, r.cutoff);
    s->bind(4, r.expires_at).bind(5, r.revoked_at);
    r.token_type ? s->bind(6, token_type_name(*r.token_type)) : s->bind_null(6);
    s->bind(7, r.user).bind(8, r.session).bind(9, r.revoked_by).bind(10, r.reason);
    auto row = s->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return fail(Errc::kStore, "sqlite: upsert returned no row");
    Revocation merged = r;
    merged.cutoff = s->time(0);
    merged.expires_at = s->time(1);
    JWTGUARD_TRY(s->run());
    return log_change(db, stores::revoke_change(merged, 0), r.revoked_at);
  }

  Result<Snapshot> read_snapshot(Timestamp now) {
    Snapshot out;
    auto seq = reader_->prepare(
        "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'revocation_log'), 0)");
    if (!seq) return tl::unexpected(seq.error());
    auto row = seq->step();
    if (!row) return tl::unexpected(row.error());
    out.seq = static_cast<std::uint64_t>(seq->int64(0));
    JWTGUARD_TRY(seq->run());
    auto s = reader_->prepare(
        "SELECT kind, key, cutoff, expires_at FROM revocations WHERE expires_at > ?1");
    if (!s) return tl::unexpected(s.error());
    s->bind(1, now);
    JWTGUARD_TRY(s->each_row([&](const Stmt& row) {
      out.entries.push_back(Change{.op = Change::Op::kRevoke,
                                   .kind = static_cast<RevocationKind>(row.int64(0)),
                                   .key = row.text(1),
                                   .cutoff = row.time(2),
                                   .expires_at = row.time(3)});
    }));
    return out;
  }

  Result<ChangeBatch> read_changes(std::uint64_t after, std::size_t limit) {
    std::lock_guard lock(reader_mu_);
    // One read transaction: a purge committing between reading the floor and
    // reading the log must not hide the changes it deleted.
    JWTGUARD_TRY(reader_->exec("BEGIN"));
    auto out = read_changes_locked(after, limit);
    static_cast<void>(reader_->exec("COMMIT"));
    return out;
  }

  Result<ChangeBatch> read_changes_locked(std::uint64_t after, std::size_t limit) {
    ChangeBatch batch;
    batch.last_seq = after;
    auto floor = reader_->prepare("SELECT value FROM meta WHERE name = 'feed_purged_through'");
    if (!floor) return tl::unexpected(floor.error());
    auto row = floor->step();
    if (!row) return tl::unexpected(row.error());
    const auto purged = *row ? static_cast<std::uint64_t>(floor->int64(0)) : 0;
    JWTGUARD_TRY(floor->run());
    if (after < purged) {
      batch.gap = true;
      return batch;
    }
    auto s = reader_->prepare(
        "SELECT seq, op, kind, key, cutoff, expires_at FROM revocation_log"
        " WHERE seq > ?1 ORDER BY seq LIMIT ?2");
    if (!s) return tl::unexpected(s.error());
    s->bind(1, static_cast<std::int64_t>(after)).bind(2, static_cast<std::int64_t>(limit));
    JWTGUARD_TRY(s->each_row([&](const Stmt& row) {
      batch.changes.push_back(Change{.seq = static_cast<std::uint64_t>(row.int64(0)),
                                     .op = static_cast<Change::Op>(row.int64(1)),
                                     .kind = static_cast<RevocationKind>(row.int64(2)),
                                     .key = row.text(3),
                                     .cutoff = row.time(4),
                                     .expires_at = row.time(5)});
      batch.last_seq = batch.changes.back().seq;
    }));
    return batch;
  }

  std::unique_ptr<Db> writer_db_;  // used by the writer thread only
  std::unique_ptr<Db> reader_;
  std::mutex reader_mu_;

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;   // jobs queued, or stopping
  std::condition_variable done_cv_;    // a batch finished
  std::condition_variable commit_cv_;  // for feed waiters
  std::deque<Job*> queue_;
  std::uint64_t commits_ = 0;
  bool stopping_ = false;
  std::thread writer_thread_;
};

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path,
                                                 const SqliteOptions& options) {
  if (path.empty()) return fail(Errc::kInvalidArgument, "empty database path");
  JWTGUARD_TRY(sqlite::prepare_files(path, options.warn));
  auto writer = Db::open(path, options.busy_timeout);
  if (!writer) return tl::unexpected(writer.error());
  JWTGUARD_TRY(migrate(**writer));
  auto reader = Db::open(path, options.busy_timeout);
  if (!reader) return tl::unexpected(reader.error());
  return std::unique_ptr<Store>(new SqliteStore(std::move(*writer), std::move(*reader)));
}

}  // namespace jwtguard
