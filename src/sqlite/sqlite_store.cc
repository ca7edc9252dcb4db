// The "sqlite:PATH" store.
//
// Two connections: one owned by a writer thread, one for reads (behind a
// mutex). Every write is a job handed to the writer thread, which runs all
// the jobs that queued up meanwhile in one transaction, each inside its own
// savepoint, and acknowledges them after COMMIT (stores::GroupCommit): with
// synchronous=FULL that is after the WAL reached the disk. N concurrent
// revocations cost one fsync (group commit), and none is acknowledged before
// it is durable.
#include <functional>
#include <mutex>

#include "jwtguard/store.h"
#include "sqlite_accounts.h"
#include "sqlite_db.h"
#include "sqlite_files.h"
#include "sqlite_migrate.h"
#include "sqlite_revocations.h"
#include "sqlite_status.h"
#include "store/group_commit.h"
#include "store/rows.h"
#include "store/store_rules.h"
#include "util/try.h"

namespace jwtguard {
namespace {

using sqlite::Db;
using sqlite::log_change;
using sqlite::number;
using sqlite::Stmt;
using sqlite::upsert_revocation;

// The writer connection's transaction, as the group commit drives it.
class SqliteBatch final : public stores::Batch {
 public:
  explicit SqliteBatch(Db& db) : db_(db) {}
  Db& db() { return db_; }

  // IMMEDIATE: the write lock from the start, so that no statement of a job
  // waits for another process's writer mid-batch.
  Result<void> begin() override { return db_.exec("BEGIN IMMEDIATE"); }
  Result<void> savepoint() override { return db_.exec("SAVEPOINT job"); }
  Result<void> end_savepoint(bool keep) override {
    return db_.exec(keep ? "RELEASE job" : "ROLLBACK TO job; RELEASE job");
  }
  Result<void> commit() override { return db_.exec("COMMIT"); }
  void rollback() override { static_cast<void>(db_.exec("ROLLBACK")); }

 private:
  Db& db_;
};

// An int64 from the statement's one row (0 when there is none).
Result<std::int64_t> single_int64(Stmt& s) {
  JWTGUARD_ASSIGN_OR_RETURN(const bool row, s.step());
  const std::int64_t value = row ? s.int64(0) : 0;
  JWTGUARD_TRY(s.run());
  return value;
}

class SqliteStore final : public Store {
 public:
  SqliteStore(std::unique_ptr<Db> writer, std::unique_ptr<Db> reader)
      : writer_db_(std::move(writer)),
        reader_(std::move(reader)),
        group_commit_([this]() -> Result<std::unique_ptr<stores::Batch>> {
          return std::make_unique<SqliteBatch>(*writer_db_);
        }) {}

  Result<std::uint64_t> do_revoke(const Revocation& revocation) override {
    std::uint64_t seq = 0;
    JWTGUARD_TRY(write([&](Db& db) -> Result<void> {
      JWTGUARD_ASSIGN_OR_RETURN(seq, upsert_revocation(db, revocation));
      return {};
    }));
    return seq;
  }

  Result<bool> do_unrevoke(RevocationKind kind, std::string_view key, Timestamp now) override {
    bool erased = false;
    JWTGUARD_TRY(write([&](Db& db) -> Result<void> {
      JWTGUARD_ASSIGN_OR_RETURN(Stmt del,
                                db.prepare("DELETE FROM revocations WHERE kind = ?1 AND key = ?2"));
      JWTGUARD_TRY(del.bind(1, number(kind)).bind(2, key).run());
      erased = sqlite3_changes(db.handle()) > 0;
      JWTGUARD_TRY(sqlite::recompute_status_entries(db, kind, key));
      if (kind == RevocationKind::kSession) {
        JWTGUARD_ASSIGN_OR_RETURN(
            Stmt restore, db.prepare("UPDATE sessions SET revoked_at = NULL WHERE sid = ?1"));
        JWTGUARD_TRY(restore.bind(1, key).run());
      }
      JWTGUARD_TRY(log_change(db, stores::unrevoke_change(kind, key, 0), now));
      return {};
    }));
    return erased;
  }

  Result<std::optional<Revocation>> do_find_revocation(RevocationKind kind,
                                                       std::string_view key) override {
    std::lock_guard lock(reader_mu_);
    JWTGUARD_ASSIGN_OR_RETURN(
        Stmt s, reader_->prepare("SELECT " JWTGUARD_REVOCATION_COLUMNS " FROM revocations"
                                 " WHERE kind = ?1 AND key = ?2"));
    s.bind(1, number(kind)).bind(2, key);
    return s.first_row([](const Stmt& row) { return stores::read_revocation(row); });
  }

  Result<RevocationPage> do_list_revocations(const RevocationFilter& filter,
                                             std::optional<std::int64_t> start) override {
    std::lock_guard lock(reader_mu_);
    JWTGUARD_ASSIGN_OR_RETURN(
        Stmt s,
        reader_->prepare("SELECT " JWTGUARD_REVOCATION_COLUMNS ", id FROM revocations"
                         " WHERE (?1 IS NULL OR id < ?1) AND (?2 IS NULL OR kind = ?2)"
                         " AND (?3 = '' OR subject = ?3) AND (?4 IS NULL OR token_type = ?4)"
                         " ORDER BY id DESC LIMIT ?5"));
    start ? s.bind(1, *start) : s.bind_null(1);
    filter.kind ? s.bind(2, number(*filter.kind)) : s.bind_null(2);
    s.bind(3, filter.user);
    filter.token_type ? s.bind(4, token_type_name(*filter.token_type)) : s.bind_null(4);
    s.bind(5, static_cast<std::int64_t>(filter.limit + 1));
    RevocationPage page;
    std::int64_t last_id = 0;
    for (;;) {
      JWTGUARD_ASSIGN_OR_RETURN(const bool row, s.step());
      if (!row) break;
      if (page.entries.size() == filter.limit) {
        page.next_cursor = stores::cursor_for(last_id);
        break;
      }
      page.entries.push_back(stores::read_revocation(s));
      last_id = s.int64(stores::kRevocationColumns);
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
      const std::uint64_t seen = group_commit_.batches();
      auto batch = read_changes(after, limit);
      if (!batch || batch->gap || !batch->changes.empty()) return batch;
      // Commits of this process wake us at once; those of other processes
      // are seen at the next poll.
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return batch;
      if (!group_commit_.wait_for_batch(seen, std::min(deadline, now + kFeedPoll))) return batch;
    }
  }

  Result<std::size_t> do_purge(Timestamp now, std::chrono::seconds feed_retention) override {
    std::size_t removed = 0;
    JWTGUARD_TRY(write([&](Db& db) -> Result<void> {
      JWTGUARD_ASSIGN_OR_RETURN(Stmt del,
                                db.prepare("DELETE FROM revocations WHERE expires_at <= ?1"));
      JWTGUARD_TRY(del.bind(1, now).run());
      removed = static_cast<std::size_t>(sqlite3_changes(db.handle()));
      JWTGUARD_ASSIGN_OR_RETURN(Stmt sessions,
                                db.prepare("DELETE FROM sessions WHERE expires_at <= ?1"));
      JWTGUARD_TRY(sessions.bind(1, now).run());
      JWTGUARD_TRY(sqlite::purge_reservations(db, now));
      JWTGUARD_TRY(sqlite::retire_status_lists(db, now));
      // Remember the newest change purged, so a follower behind it reloads.
      JWTGUARD_ASSIGN_OR_RETURN(
          Stmt floor,
          db.prepare("UPDATE meta SET value = max(value, (SELECT coalesce(max(seq), 0) FROM"
                     " revocation_log WHERE logged_at <= ?1)) WHERE name = 'feed_purged_through'"));
      JWTGUARD_TRY(floor.bind(1, now - feed_retention).run());
      JWTGUARD_ASSIGN_OR_RETURN(Stmt log,
                                db.prepare("DELETE FROM revocation_log WHERE logged_at <= ?1"));
      return log.bind(1, now - feed_retention).run();
    }));
    // Also the lists a purge retired before (it failed or its process
    // ended midway).
    for (bool more = true; more;) {
      JWTGUARD_TRY(write([&](Db& db) -> Result<void> {
        JWTGUARD_ASSIGN_OR_RETURN(more, sqlite::purge_retired_entries(db, kPurgeChunk));
        return {};
      }));
    }
    return removed;
  }

  Result<void> do_create_session(const Session& session) override {
    return write([&](Db& db) { return sqlite::insert_session(db, session); });
  }

  Result<std::optional<Session>> do_find_session(std::string_view sid) override {
    std::lock_guard lock(reader_mu_);
    JWTGUARD_ASSIGN_OR_RETURN(Stmt s, reader_->prepare("SELECT " JWTGUARD_SESSION_COLUMNS
                                                       " FROM sessions WHERE sid = ?1"));
    s.bind(1, sid);
    return s.first_row([](const Stmt& row) { return stores::read_session(row); });
  }

  Result<std::vector<Session>> do_list_sessions(std::string_view user, Timestamp now) override {
    std::lock_guard lock(reader_mu_);
    JWTGUARD_ASSIGN_OR_RETURN(
        Stmt s, reader_->prepare("SELECT " JWTGUARD_SESSION_COLUMNS
                                 " FROM sessions WHERE subject = ?1 AND revoked_at IS NULL"
                                 " AND expires_at > ?2 ORDER BY created_at DESC, sid DESC"));
    s.bind(1, user).bind(2, now);
    std::vector<Session> out;
    JWTGUARD_TRY(s.each_row([&](const Stmt& row) { out.push_back(stores::read_session(row)); }));
    return out;
  }

  Result<Rotation> do_rotate_refresh(std::string_view sid, std::string_view presented_jti,
                                     std::string_view next_jti, Timestamp now,
                                     Timestamp next_expires_at) override {
    Rotation outcome = Rotation::kUnknown;
    JWTGUARD_TRY(write([&](Db& db) -> Result<void> {
      JWTGUARD_ASSIGN_OR_RETURN(outcome, rotate_locked(db, sid, presented_jti));
      if (outcome != Rotation::kRotated) return {};
      JWTGUARD_ASSIGN_OR_RETURN(Stmt update,
                                db.prepare("UPDATE sessions SET previous_refresh_jti = refresh_jti,"
                                           " refresh_jti = ?2, refreshed_at = ?3, expires_at = ?4"
                                           " WHERE sid = ?1"));
      update.bind(1, sid).bind(2, next_jti).bind(3, now).bind(4, next_expires_at);
      return update.run();
    }));
    return outcome;
  }

  Result<std::uint64_t> do_revoke_session(const Revocation& revocation) override {
    std::uint64_t seq = 0;
    JWTGUARD_TRY(write([&](Db& db) -> Result<void> {
      JWTGUARD_ASSIGN_OR_RETURN(Stmt mark, db.prepare("UPDATE sessions SET revoked_at = ?2"
                                                      " WHERE sid = ?1 AND revoked_at IS NULL"));
      JWTGUARD_TRY(mark.bind(1, revocation.key).bind(2, revocation.revoked_at).run());
      JWTGUARD_ASSIGN_OR_RETURN(seq, upsert_revocation(db, revocation));
      return {};
    }));
    return seq;
  }

  Result<void> do_create_user(const User& user) override {
    return write([&](Db& db) { return sqlite::insert_user(db, user); });
  }

  Result<std::optional<User>> do_find_user(std::string_view name) override {
    std::lock_guard lock(reader_mu_);
    JWTGUARD_ASSIGN_OR_RETURN(
        Stmt s, reader_->prepare("SELECT " JWTGUARD_USER_COLUMNS " FROM users WHERE name = ?1"));
    s.bind(1, name);
    return s.first_row([](const Stmt& row) { return stores::read_user(row); });
  }

  Result<void> do_set_admin(std::string_view name, bool admin) override {
    return write([&](Db& db) -> Result<void> {
      JWTGUARD_ASSIGN_OR_RETURN(Stmt s, db.prepare("UPDATE users SET admin = ?2 WHERE name = ?1"));
      JWTGUARD_TRY(s.bind(1, name).bind(2, std::int64_t{admin}).run());
      if (sqlite3_changes(db.handle()) == 0) return fail(Errc::kNotFound, "user");
      return {};
    });
  }

  Result<void> do_set_password(std::string_view name, std::string_view hash,
                               std::string_view expected) override {
    return write([&](Db& db) { return sqlite::update_password(db, name, hash, expected); });
  }

  Result<void> do_set_disabled(std::string_view name, bool disabled) override {
    return write([&](Db& db) { return sqlite::update_disabled(db, name, disabled); });
  }

  Result<void> do_delete_user(std::string_view name, Timestamp reserved_until) override {
    return write([&](Db& db) { return sqlite::remove_user(db, name, reserved_until); });
  }

  Result<UserPage> do_list_user_page(const UserFilter& filter) override {
    std::lock_guard lock(reader_mu_);
    return sqlite::read_user_page(*reader_, filter);
  }

  Result<std::uint64_t> do_append_audit(const AuditEvent& event) override {
    std::uint64_t id = 0;
    JWTGUARD_TRY(write([&](Db& db) -> Result<void> {
      JWTGUARD_ASSIGN_OR_RETURN(id, sqlite::insert_audit(db, event));
      return {};
    }));
    return id;
  }

  Result<AuditPage> do_list_audit(const AuditFilter& filter,
                                  std::optional<std::uint64_t> before) override {
    std::lock_guard lock(reader_mu_);
    return sqlite::read_audit_page(*reader_, filter, before);
  }

  Result<std::vector<User>> do_list_users() override {
    std::lock_guard lock(reader_mu_);
    JWTGUARD_ASSIGN_OR_RETURN(
        Stmt s, reader_->prepare("SELECT " JWTGUARD_USER_COLUMNS " FROM users ORDER BY name"));
    std::vector<User> out;
    JWTGUARD_TRY(s.each_row([&](const Stmt& row) { out.push_back(stores::read_user(row)); }));
    return out;
  }

  // A row of `meta`, which the first schema version already has.
  Result<Timestamp> do_raise_token_horizon(Timestamp at) override {
    Timestamp recorded{};
    JWTGUARD_TRY(write([&](Db& db) -> Result<void> {
      JWTGUARD_ASSIGN_OR_RETURN(
          Stmt s, db.prepare("INSERT INTO meta (name, value) VALUES ('token_horizon', ?1)"
                             " ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)"
                             " RETURNING value"));
      s.bind(1, at);
      JWTGUARD_ASSIGN_OR_RETURN(const bool row, s.step());
      if (!row) return fail(Errc::kStore, "sqlite: no token horizon returned");
      recorded = s.time(0);
      return s.run();
    }));
    return recorded;
  }

  Result<std::vector<StatusRef>> do_allocate_status(const std::vector<StatusEntry>& entries,
                                                    const StatusListSpec& spec) override {
    std::vector<StatusRef> refs;
    JWTGUARD_TRY(write([&](Db& db) -> Result<void> {
      JWTGUARD_ASSIGN_OR_RETURN(refs, sqlite::insert_status_entries(db, entries, spec));
      return {};
    }));
    return refs;
  }

  Result<std::optional<StatusListState>> do_find_status_list(std::uint64_t id) override {
    std::lock_guard lock(reader_mu_);
    return sqlite::read_status_list(*reader_, id);
  }

  Result<void> do_ping() override {
    std::lock_guard lock(reader_mu_);
    JWTGUARD_ASSIGN_OR_RETURN(Stmt s, reader_->prepare("SELECT 1"));
    return s.run();
  }

 private:
  static constexpr auto kFeedPoll = std::chrono::milliseconds(50);
  // Status list entries a purge deletes per write job: about the cost of a
  // batch of revocations, so a retired list of millions is deleted between
  // the other writes instead of ahead of all of them.
  static constexpr std::int64_t kPurgeChunk = 5000;

  // Queues `body` for the writer thread and waits until its transaction has
  // committed (or failed): see stores::GroupCommit::write.
  Result<void> write(const std::function<Result<void>(Db&)>& body) {
    return group_commit_.write(
        [&body](stores::Batch& batch) { return body(static_cast<SqliteBatch&>(batch).db()); });
  }

  // Whether the session's refresh token may rotate: kRotated when
  // `presented_jti` is its current one and the session is not revoked.
  static Result<Rotation> rotate_locked(Db& db, std::string_view sid,
                                        std::string_view presented_jti) {
    JWTGUARD_ASSIGN_OR_RETURN(
        Stmt find, db.prepare("SELECT refresh_jti, revoked_at FROM sessions WHERE sid = ?1"));
    find.bind(1, sid);
    JWTGUARD_ASSIGN_OR_RETURN(const bool row, find.step());
    if (!row) return Rotation::kUnknown;
    if (!find.is_null(1)) return Rotation::kRevoked;
    if (find.text(0) != presented_jti) return Rotation::kReused;
    return Rotation::kRotated;
  }

  Result<Snapshot> read_snapshot(Timestamp now) {
    Snapshot out;
    JWTGUARD_ASSIGN_OR_RETURN(Stmt seq,
                              reader_->prepare("SELECT coalesce((SELECT seq FROM sqlite_sequence"
                                               " WHERE name = 'revocation_log'), 0)"));
    JWTGUARD_ASSIGN_OR_RETURN(const std::int64_t head, single_int64(seq));
    out.seq = static_cast<std::uint64_t>(head);
    JWTGUARD_ASSIGN_OR_RETURN(Stmt s, reader_->prepare("SELECT " JWTGUARD_ENTRY_COLUMNS
                                                       " FROM revocations WHERE expires_at > ?1"));
    s.bind(1, now);
    JWTGUARD_TRY(
        s.each_row([&](const Stmt& row) { out.entries.push_back(stores::read_entry(row)); }));
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
    JWTGUARD_ASSIGN_OR_RETURN(
        Stmt floor, reader_->prepare("SELECT value FROM meta WHERE name = 'feed_purged_through'"));
    JWTGUARD_ASSIGN_OR_RETURN(const std::int64_t purged, single_int64(floor));
    if (after < static_cast<std::uint64_t>(purged)) {
      batch.gap = true;
      return batch;
    }
    JWTGUARD_ASSIGN_OR_RETURN(
        Stmt s, reader_->prepare("SELECT " JWTGUARD_CHANGE_COLUMNS " FROM revocation_log"
                                 " WHERE seq > ?1 ORDER BY seq LIMIT ?2"));
    s.bind(1, static_cast<std::int64_t>(after)).bind(2, static_cast<std::int64_t>(limit));
    JWTGUARD_TRY(s.each_row([&](const Stmt& row) {
      batch.changes.push_back(stores::read_change(row));
      batch.last_seq = batch.changes.back().seq;
    }));
    return batch;
  }

  std::unique_ptr<Db> writer_db_;  // used by the writer thread only
  std::unique_ptr<Db> reader_;
  std::mutex reader_mu_;
  stores::GroupCommit group_commit_;  // last: its thread uses writer_db_ until it is destroyed
};

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path,
                                                 const SqliteOptions& options) {
  if (path.empty()) return fail(Errc::kInvalidArgument, "empty database path");
  JWTGUARD_TRY(sqlite::prepare_files(path, options.warn));
  JWTGUARD_ASSIGN_OR_RETURN(std::unique_ptr<Db> writer, Db::open(path, options.busy_timeout));
  JWTGUARD_TRY(sqlite::migrate(*writer));
  JWTGUARD_ASSIGN_OR_RETURN(std::unique_ptr<Db> reader, Db::open(path, options.busy_timeout));
  return std::unique_ptr<Store>(new SqliteStore(std::move(writer), std::move(reader)));
}

}  // namespace jwtguard
