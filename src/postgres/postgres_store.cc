// The "postgresql://" store.
//
// Statements run on a pool of connections (pg_pool.h). Changes to the feed
// (revoke, unrevoke, revoke_session) go through one writer thread that
// commits them in batches (pg_writer.h); other writes (sessions, users,
// purges) are single statements on pooled connections, which PostgreSQL
// group-commits by itself. Every write is acknowledged after its COMMIT
// returned, with synchronous_commit on (pg_connector.h).
//
// The feed. Each change takes its seq from the one-row counter
// jwtguard_feed_head (UPDATE ... SET seq = seq + 1 RETURNING seq) in the
// transaction that makes it, which holds the counter row's lock until
// COMMIT (pg::Writer takes it first thing). So the next change cannot get
// its number before this one has committed (or rolled back, which rolls
// the counter back too): seqs are contiguous and
// follow commit order, across every instance sharing the database. A
// follower reading "seq > after" can therefore never skip a change. With a
// sequence (bigserial) it could: numbers are handed out at INSERT, not at
// commit, so 11 may commit while 10 is still in flight; a follower that
// reads 11 moves past 10, and when 10 commits it is never read. Contiguity
// also makes gaps exact: a missing number was purged.
//
// Each change transaction also NOTIFYs the feed channel (delivered at
// commit); followers LISTEN on a connection of their own (pg::Listener).
#include <algorithm>
#include <climits>
#include <cstdio>
#include <thread>

#include "jwtguard/store.h"
#include "pg_changes.h"
#include "pg_conn.h"
#include "pg_connector.h"
#include "pg_feed.h"
#include "pg_migrate.h"
#include "pg_pool.h"
#include "pg_purge.h"
#include "pg_snapshot.h"
#include "pg_status.h"
#include "pg_writer.h"
#include "postgres_accounts.h"
#include "store/rows.h"
#include "store/store_rules.h"
#include "util/try.h"

namespace jwtguard {
namespace {

using pg::Conn;
using pg::number;
using pg::Params;
using pg::Rows;

// --- Waiting ---------------------------------------------------------------------

// changes_since's longest wait, and how often it reads the feed when it
// cannot LISTEN.
constexpr std::chrono::milliseconds kLongestWait = std::chrono::hours(1);
constexpr std::chrono::milliseconds kPollInterval{100};

// --- The store -------------------------------------------------------------------

class PostgresStore final : public Store {
 public:
  PostgresStore(std::unique_ptr<pg::Connector> connector, std::size_t connections)
      : connector_(std::move(connector)),
        pool_(*connector_, connections),
        listener_(*connector_),
        writer_(pool_, *connector_) {}

  void adopt(std::unique_ptr<Conn> conn) { pool_.adopt(std::move(conn)); }

  // --- Revocations ---------------------------------------------------------

  Result<std::uint64_t> do_revoke(const Revocation& revocation) override {
    std::uint64_t seq = 0;
    JWTGUARD_TRY(writer_.write(pg::revoke_job(revocation, &seq)));
    return seq;
  }

  Result<bool> do_unrevoke(RevocationKind kind, std::string_view key, Timestamp now) override {
    bool erased = false;
    JWTGUARD_TRY(writer_.write(pg::unrevoke_job(kind, key, now, &erased)));
    return erased;
  }

  Result<std::optional<Revocation>> do_find_revocation(RevocationKind kind,
                                                       std::string_view key) override {
    JWTGUARD_ASSIGN_OR_RETURN(const Rows rows,
                              query("SELECT " JWTGUARD_REVOCATION_COLUMNS
                                    " FROM revocations WHERE kind = $1 AND key = $2",
                                    Params().add(number(kind)).add(key)));
    if (rows.size() == 0) return std::optional<Revocation>();
    return std::optional<Revocation>(stores::read_revocation(rows.row(0)));
  }

  Result<RevocationPage> do_list_revocations(const RevocationFilter& filter,
                                             std::optional<std::int64_t> start) override {
    Params params;
    start ? params.add(*start) : params.add_null();
    filter.kind ? params.add(number(*filter.kind)) : params.add_null();
    params.add(filter.user);
    filter.token_type ? params.add(token_type_name(*filter.token_type)) : params.add_null();
    params.add(static_cast<std::int64_t>(filter.limit + 1));
    JWTGUARD_ASSIGN_OR_RETURN(
        const Rows rows,
        query("SELECT " JWTGUARD_REVOCATION_COLUMNS ", id FROM revocations"
              " WHERE ($1::bigint IS NULL OR id < $1) AND ($2::smallint IS NULL OR kind = $2)"
              " AND ($3::text = '' OR subject = $3) AND ($4::text IS NULL OR token_type = $4)"
              " ORDER BY id DESC LIMIT $5",
              params));
    RevocationPage page;
    const int shown = std::min(rows.size(), static_cast<int>(filter.limit));
    for (int i = 0; i < shown; ++i) page.entries.push_back(stores::read_revocation(rows.row(i)));
    if (rows.size() > shown) {
      page.next_cursor = stores::cursor_for(rows.int64(shown - 1, stores::kRevocationColumns));
    }
    return page;
  }

  Result<Snapshot> do_snapshot(Timestamp now) override {
    return on_conn([&](Conn& conn) { return pg::read_snapshot(conn, now, deadline()); });
  }

  Result<ChangeBatch> do_changes_since(std::uint64_t after, std::size_t limit,
                                       std::chrono::milliseconds max_wait) override {
    // Clamped so that now() + max_wait cannot overflow; a follower asks
    // again anyway.
    max_wait = std::clamp(max_wait, std::chrono::milliseconds(0), kLongestWait);
    const pg::Deadline until = pg::SteadyClock::now() + max_wait;
    for (;;) {
      // LISTEN (again, after a lost connection) before reading: see
      // pg::Listener for why nothing is lost in this order. When it cannot
      // (the listening connection alone fails, e.g. at the server's
      // connection limit), the feed is still readable: poll it instead.
      std::optional<std::uint64_t> armed;
      const bool waits = max_wait.count() > 0 && limit > 0;
      if (waits) {
        if (auto wakes = listener_.arm(); wakes) armed = *wakes;
      }
      auto batch = read_changes(after, limit);
      if (!batch || batch->gap || !batch->changes.empty()) return batch;
      const auto now = pg::SteadyClock::now();
      if (!waits || now >= until) return batch;
      if (armed) {
        listener_.wait(*armed, until);
      } else {
        std::this_thread::sleep_until(std::min(until, now + kPollInterval));
      }
    }
  }

  Result<std::size_t> do_purge(Timestamp now, std::chrono::seconds feed_retention) override {
    // Not through the writer, and without the feed head's lock: a purge
    // writes nothing to the feed (followers drop expired entries by
    // themselves, and find purged feed entries as gaps, seqs being
    // contiguous), so it needs no place in the feed's order. Each chunk is
    // a short transaction of its own, so that a backlog neither outlasts
    // the statement timeout nor holds locks for long, and rows that a
    // change holds are skipped (the next purge gets them): a purge never
    // waits for a writer, so the two cannot deadlock.
    JWTGUARD_TRY(purge_chunks(pg::kPurgeSessions, Params().add(now)));
    JWTGUARD_TRY(purge_chunks(pg::kPurgeFeed, Params().add(now - feed_retention)));
    JWTGUARD_TRY(
        on_conn([&](Conn& conn) { return pg::purge_reservations(conn, *connector_, now); }));
    JWTGUARD_TRY(on_conn([&](Conn& conn) {
      return pg::purge_status_lists(conn, *connector_, now, pg::kPurgeChunk);
    }));
    return purge_chunks(pg::kPurgeRevocations, Params().add(now));
  }

  // --- Sessions ------------------------------------------------------------

  Result<void> do_create_session(const Session& session) override {
    return on_conn([&](Conn& conn) { return pg::insert_session(conn, *connector_, session); });
  }

  Result<std::optional<Session>> do_find_session(std::string_view sid) override {
    JWTGUARD_ASSIGN_OR_RETURN(
        const Rows rows, query("SELECT " JWTGUARD_SESSION_COLUMNS " FROM sessions WHERE sid = $1",
                               Params().add(sid)));
    if (rows.size() == 0) return std::optional<Session>();
    return std::optional<Session>(stores::read_session(rows.row(0)));
  }

  Result<std::vector<Session>> do_list_sessions(std::string_view user, Timestamp now) override {
    // COLLATE "C": byte order, as the other stores sort, whatever the
    // database's collation.
    JWTGUARD_ASSIGN_OR_RETURN(
        const Rows rows,
        query("SELECT " JWTGUARD_SESSION_COLUMNS
              " FROM sessions WHERE subject = $1 AND revoked_at IS NULL"
              " AND expires_at > $2 ORDER BY created_at DESC, sid COLLATE \"C\" DESC",
              Params().add(user).add(now)));
    std::vector<Session> out;
    for (int i = 0; i < rows.size(); ++i) out.push_back(stores::read_session(rows.row(i)));
    return out;
  }

  Result<Rotation> do_rotate_refresh(std::string_view sid, std::string_view presented_jti,
                                     std::string_view next_jti, Timestamp now,
                                     Timestamp next_expires_at) override {
    // Exactly one winner: a concurrent UPDATE of the same row waits for the
    // first to commit, then re-checks its WHERE against the new row (READ
    // COMMITTED), where refresh_jti is no longer the presented one.
    JWTGUARD_ASSIGN_OR_RETURN(
        const Rows rotated,
        query("UPDATE sessions SET previous_refresh_jti = refresh_jti, refresh_jti = $3,"
              " refreshed_at = $4, expires_at = $5"
              " WHERE sid = $1 AND refresh_jti = $2 AND revoked_at IS NULL",
              Params().add(sid).add(presented_jti).add(next_jti).add(now).add(next_expires_at)));
    if (rotated.affected() == 1) return Rotation::kRotated;
    // Only a loser reads why.
    JWTGUARD_ASSIGN_OR_RETURN(
        const Rows rows,
        query("SELECT revoked_at IS NOT NULL FROM sessions WHERE sid = $1", Params().add(sid)));
    if (rows.size() == 0) return Rotation::kUnknown;
    return rows.boolean(0, 0) ? Rotation::kRevoked : Rotation::kReused;
  }

  Result<std::uint64_t> do_revoke_session(const Revocation& revocation) override {
    std::uint64_t seq = 0;
    JWTGUARD_TRY(writer_.write(pg::revoke_session_job(revocation, &seq)));
    return seq;
  }

  // --- Users ---------------------------------------------------------------

  Result<void> do_create_user(const User& user) override {
    return on_conn([&](Conn& conn) { return pg::insert_user(conn, *connector_, user); });
  }

  Result<std::optional<User>> do_find_user(std::string_view name) override {
    JWTGUARD_ASSIGN_OR_RETURN(
        const Rows rows,
        query("SELECT " JWTGUARD_USER_COLUMNS " FROM users WHERE name = $1", Params().add(name)));
    if (rows.size() == 0) return std::optional<User>();
    return std::optional<User>(stores::read_user(rows.row(0)));
  }

  Result<void> do_set_admin(std::string_view name, bool admin) override {
    JWTGUARD_ASSIGN_OR_RETURN(const Rows rows, query("UPDATE users SET admin = $2 WHERE name = $1",
                                                     Params().add(name).add(admin ? "t" : "f")));
    if (rows.affected() == 0) return fail(Errc::kNotFound, "user");
    return {};
  }

  Result<void> do_set_password(std::string_view name, std::string_view hash,
                               std::string_view expected) override {
    return on_conn(
        [&](Conn& conn) { return pg::update_password(conn, *connector_, name, hash, expected); });
  }

  Result<void> do_set_disabled(std::string_view name, bool disabled) override {
    return on_conn(
        [&](Conn& conn) { return pg::update_disabled(conn, *connector_, name, disabled); });
  }

  Result<void> do_delete_user(std::string_view name, Timestamp reserved_until) override {
    return on_conn(
        [&](Conn& conn) { return pg::remove_user(conn, *connector_, name, reserved_until); });
  }

  Result<UserPage> do_list_user_page(const UserFilter& filter) override {
    return on_conn([&](Conn& conn) { return pg::read_user_page(conn, *connector_, filter); });
  }

  Result<std::uint64_t> do_append_audit(const AuditEvent& event) override {
    return on_conn([&](Conn& conn) { return pg::insert_audit(conn, *connector_, event); });
  }

  Result<AuditPage> do_list_audit(const AuditFilter& filter,
                                  std::optional<std::uint64_t> before) override {
    return on_conn(
        [&](Conn& conn) { return pg::read_audit_page(conn, *connector_, filter, before); });
  }

  Result<std::vector<User>> do_list_users() override {
    JWTGUARD_ASSIGN_OR_RETURN(
        const Rows rows,
        query("SELECT " JWTGUARD_USER_COLUMNS " FROM users ORDER BY name COLLATE \"C\"", Params()));
    std::vector<User> out;
    for (int i = 0; i < rows.size(); ++i) out.push_back(stores::read_user(rows.row(i)));
    return out;
  }

  Result<Timestamp> do_raise_token_horizon(Timestamp at) override {
    JWTGUARD_ASSIGN_OR_RETURN(
        const Rows rows,
        query("INSERT INTO jwtguard_meta (name, value) VALUES ('token_horizon', $1)"
              " ON CONFLICT (name) DO UPDATE SET value = GREATEST(jwtguard_meta.value, "
              "EXCLUDED.value)"
              " RETURNING value",
              Params().add(at)));
    if (rows.size() != 1) return fail(Errc::kStore, "postgresql: no token horizon returned");
    return rows.time(0, 0);
  }

  // --- Strict mode ---------------------------------------------------------

  Result<Hits> do_lookup(std::string_view jti, std::string_view sid,
                         std::string_view user) override {
    // One round trip: strict mode asks on every check.
    JWTGUARD_ASSIGN_OR_RETURN(
        const Rows rows,
        query("SELECT $1::text <> '' AND EXISTS (SELECT 1 FROM revocations WHERE kind = 0 AND key "
              "= $1),"
              " $2::text <> '' AND EXISTS (SELECT 1 FROM revocations WHERE kind = 1 AND key = $2),"
              " (SELECT cutoff FROM revocations WHERE kind = 2 AND key = $3 AND $3::text <> '')",
              Params().add(jti).add(sid).add(user)));
    Hits hits;
    hits.token = rows.boolean(0, 0);
    hits.session = rows.boolean(0, 1);
    if (!rows.is_null(0, 2)) hits.cutoff = rows.time(0, 2);
    return hits;
  }

  Result<void> do_ping() override {
    JWTGUARD_TRY(query("SELECT 1", Params()));
    return {};
  }

  // --- Token Status List (pg_status.h) ---------------------------------------

  Result<std::vector<StatusRef>> do_allocate_status(const std::vector<StatusEntry>& entries,
                                                    const StatusListSpec& spec) override {
    return on_conn(
        [&](Conn& conn) { return pg::allocate_status(conn, *connector_, entries, spec); });
  }

  Result<std::optional<StatusListState>> do_find_status_list(std::uint64_t id) override {
    return on_conn([&](Conn& conn) { return pg::find_status_list(conn, *connector_, id); });
  }

 private:
  pg::Deadline deadline() const { return connector_->statement_deadline(); }

  // `body` on a pooled connection (an account's statements).
  template <typename Body>
  auto on_conn(const Body& body) -> decltype(body(std::declval<Conn&>())) {
    JWTGUARD_ASSIGN_OR_RETURN(pg::Pool::Lease lease, pool_.acquire());
    return body(*lease);
  }

  // One statement on a pooled connection, in a transaction of its own.
  Result<Rows> query(const char* sql, const Params& params) {
    JWTGUARD_ASSIGN_OR_RETURN(pg::Pool::Lease lease, pool_.acquire());
    return lease->exec(sql, params, deadline());
  }

  Result<ChangeBatch> read_changes(std::uint64_t after, std::size_t limit) {
    JWTGUARD_ASSIGN_OR_RETURN(pg::Pool::Lease lease, pool_.acquire());
    return pg::read_changes(*lease, *connector_, after, limit);
  }

  // Runs a chunked DELETE (its last parameter the chunk size) until a
  // chunk deletes fewer rows than it may; returns how many it deleted.
  Result<std::size_t> purge_chunks(const char* sql, Params params) {
    params.add(pg::kPurgeChunk);
    std::size_t total = 0;
    for (;;) {
      JWTGUARD_ASSIGN_OR_RETURN(const Rows rows, query(sql, params));
      total += static_cast<std::size_t>(rows.affected());
      if (rows.affected() < static_cast<std::uint64_t>(pg::kPurgeChunk)) return total;
    }
  }

  std::unique_ptr<pg::Connector> connector_;
  pg::Pool pool_;
  pg::Listener listener_;
  pg::Writer writer_;  // last: its thread uses the pool until it is destroyed
};

void warn_on_stderr(std::string_view message) {
  std::fprintf(stderr, "jwtguard: warning: %.*s\n", static_cast<int>(message.size()),
               message.data());
}

}  // namespace

Result<std::unique_ptr<Store>> open_postgres_store(std::string_view url,
                                                   const PostgresOptions& options) {
  if (options.connections == 0) return fail(Errc::kInvalidArgument, "connections must be >= 1");
  // A statement timeout of 0 would mean none: a statement could then hold
  // the feed head's lock, and block every instance's changes, forever.
  if (options.connect_timeout.count() <= 0 || options.statement_timeout.count() <= 0) {
    return fail(Errc::kInvalidArgument, "timeouts must be positive");
  }
  JWTGUARD_ASSIGN_OR_RETURN(std::unique_ptr<pg::Connector> connector,
                            pg::Connector::create(url, options));
  // At open, a failure is reported as it is (no backoff yet to speak of).
  JWTGUARD_ASSIGN_OR_RETURN(std::unique_ptr<Conn> conn, connector->connect());
  JWTGUARD_TRY(pg::migrate(*conn, *connector));
  const StoreWarning warn = options.warn ? options.warn : StoreWarning(warn_on_stderr);
  JWTGUARD_TRY(pg::check_durability(*conn, *connector, warn));
  auto store = std::make_unique<PostgresStore>(std::move(connector), options.connections);
  store->adopt(std::move(conn));
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace jwtguard
