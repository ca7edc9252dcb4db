// Where revocations, sessions and users live.
//
// One interface, several backends: "memory:" (tests, throwaway runs),
// "sqlite:PATH" (the embedded default), "redis://HOST:PORT/DB" and
// "postgresql://..." (shared by several instances). Every backend passes the
// same contract test suite (tests/stores/).
//
// Contract common to every backend:
//  * Every method is thread-safe.
//  * A write returns only once it is durable in the backend (for SQLite: the
//    transaction is committed with synchronous=FULL). An error means the
//    write may or may not have happened. Repeating a revocation, an
//    un-revoke or a session revocation is always safe (they are idempotent);
//    repeating a create_* that did happen returns kAlreadyExists.
//  * Failures of the backend itself are Errc::kStore, with a detail that
//    never contains a password hash.
//  * No method throws.
#ifndef JWTGUARD_STORE_H_
#define JWTGUARD_STORE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "jwtguard/error.h"
#include "jwtguard/revocation.h"

namespace jwtguard {

// --- Token Status List (draft-ietf-oauth-status-list) ----------------------
//
// A store that issues status lists keeps, for every token the Guard issued
// with a "status" claim, the entry below under its (list, index), and keeps
// each entry's status true to the revocations it holds: an entry's status
// is 1 (INVALID) exactly when one of the store's revocations covers it, 0
// (VALID) otherwise, whatever way the revocation came (revoke,
// revoke_session, unrevoke, another instance). A revocation covers an entry
// when it is the kToken revocation of entry.jti, the kSession revocation of
// entry.session, or a kUser revocation of entry.user whose cutoff is later
// than entry.issued_at. A revocation the store purged as expired leaves the
// statuses it set as they are (no token it covered can still be accepted).

// A token's place in the store's status lists, as the Guard records it
// when it issues the token.
struct StatusEntry {
  std::string jti;         // the token's token_key; never empty. Not unique: a
                           // copy of a refresh token (refresh_reuse_interval)
                           // shares its jti and gets an entry of its own.
  std::string session;     // its session_key ("sid"); empty when it has none
  std::string user;        // its subject's key (subject_key()); never empty
  Timestamp issued_at{};   // its iat_ms: a kUser cutoff later than this covers it
  Timestamp expires_at{};  // after this it cannot be accepted (exp + leeway)
};

// Where an entry sits: the list's id (1, 2, ...) and the index in it.
struct StatusRef {
  std::uint64_t list = 0;
  std::uint64_t index = 0;
  friend bool operator==(const StatusRef&, const StatusRef&) = default;
};

// The shape of a list the store opens when the newest one is full.
struct StatusListSpec {
  int bits = 1;                     // 1, 2, 4 or 8
  std::uint64_t size = 1ULL << 20;  // statuses per list; 1 .. 2^31
};

// A list as the store holds it now.
struct StatusListState {
  std::uint64_t id = 0;
  int bits = 1;
  std::uint64_t size = 0;       // as opened; never changes
  std::uint64_t allocated = 0;  // indices handed out so far: 0 .. allocated-1
  Timestamp expires_at{};       // the latest expires_at of its entries
  // Every index whose status is not 0, ascending, with its status.
  std::vector<std::pair<std::uint64_t, std::uint8_t>> statuses;
  friend bool operator==(const StatusListState&, const StatusListState&) = default;
};

// The public methods are not virtual: each checks its arguments, the same
// way for every backend, and then calls the backend's private do_* method,
// which may take them as checked. A backend implements the do_* methods.
class Store {
 public:
  virtual ~Store() = default;
  Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // --- Revocations --------------------------------------------------------

  // Adds the revocation, or merges it into the one with the same kind and
  // key: the later cutoff and the later expiry win, the first revoked_at and
  // metadata stay. Either way a Change is appended to the feed, dated
  // revoked_at for the feed's retention. Returns the Change's seq.
  // kInvalidArgument for an empty key, or a kUser revocation without cutoff.
  Result<std::uint64_t> revoke(const Revocation& revocation);

  // Removes the revocation; true if there was one. Appends a kUnrevoke
  // Change either way (another instance may still hold the entry), dated
  // `now` for the feed's retention. Un-revoking a session also clears the
  // session's revoked_at, so it can be refreshed again. kInvalidArgument for
  // an empty key.
  Result<bool> unrevoke(RevocationKind kind, std::string_view key, Timestamp now);

  Result<std::optional<Revocation>> find_revocation(RevocationKind kind, std::string_view key);

  // kInvalidArgument for a limit outside 1..1000 or a cursor that is not one
  // this store hands out (a positive row number).
  Result<RevocationPage> list_revocations(const RevocationFilter& filter);

  // Every revocation with expires_at > now, and the feed position after them.
  Result<Snapshot> snapshot(Timestamp now);

  // The changes committed after `after`, oldest first, at most `limit`. When
  // there are none, waits up to `max_wait` for one (a backend may return
  // earlier with none). Sets ChangeBatch::gap when changes after `after`
  // were purged from the feed.
  Result<ChangeBatch> changes_since(std::uint64_t after, std::size_t limit,
                                    std::chrono::milliseconds max_wait);

  // Deletes revocations and sessions that expired at or before `now`, and
  // feed entries dated (revoked_at, or the unrevoke's `now`) at or before
  // now - feed_retention. Returns how many revocations it deleted.
  Result<std::size_t> purge(Timestamp now, std::chrono::seconds feed_retention);

  // --- Sessions -----------------------------------------------------------

  // kAlreadyExists when the sid is taken. Also sets the last_login_at of
  // the user named session.user, if there is one, to session.created_at
  // (when later), in the same transaction.
  Result<void> create_session(const Session& session);

  Result<std::optional<Session>> find_session(std::string_view sid);

  // The user's sessions that are neither revoked nor expired at `now`, newest
  // first.
  Result<std::vector<Session>> list_sessions(std::string_view user, Timestamp now);

  // Atomically: if `presented_jti` is the session's current refresh token,
  // makes `next_jti` current and `presented_jti` the previous_refresh_jti,
  // sets refreshed_at = now and expires_at = next_expires_at, and returns
  // kRotated. Otherwise changes nothing and
  // says why (kReused, kRevoked, kUnknown). Two callers presenting the same
  // token concurrently: exactly one gets kRotated.
  Result<Rotation> rotate_refresh(std::string_view sid, std::string_view presented_jti,
                                  std::string_view next_jti, Timestamp now,
                                  Timestamp next_expires_at);

  // Marks the session revoked (revoked_at) and records a kSession
  // revocation, in one transaction. Idempotent; works for an unknown sid too
  // (a token may carry a sid the store never saw).
  Result<std::uint64_t> revoke_session(const Revocation& revocation);

  // --- Users --------------------------------------------------------------

  // kAlreadyExists when the name is taken, or reserved by a deleted user
  // (delete_user) until a later instant than user.created_at;
  // kInvalidArgument for an empty name.
  Result<void> create_user(const User& user);
  Result<std::optional<User>> find_user(std::string_view name);
  // kNotFound for an unknown user.
  Result<void> set_admin(std::string_view name, bool admin);
  Result<std::vector<User>> list_users();
  // kNotFound for an unknown user; kInvalidArgument for an empty hash. With
  // `expected_hash`, a compare-and-set: the hash changes only while the
  // stored one is still `expected_hash` and the user is not disabled, else
  // kRevoked ("password changed meanwhile"), so that a change made on the
  // strength of the old password never overwrites one made meanwhile (a
  // reset, another change) nor undoes a disable.
  Result<void> set_password(std::string_view name, std::string_view password_hash,
                            std::string_view expected_hash = {});
  // kNotFound for an unknown user.
  Result<void> set_disabled(std::string_view name, bool disabled);
  // Removes the user (its password hash with it) and every session recorded
  // under its name, in one transaction, and reserves the name until
  // `reserved_until`: create_user refuses it until then (the tokens the
  // user held may be presented until then, and must never be taken for
  // someone else's). kNotFound for an unknown user. purge() forgets a
  // reservation once it has passed.
  Result<void> delete_user(std::string_view name, Timestamp reserved_until);
  // A page of users by name (UserFilter), each with its live sessions
  // counted (neither revoked nor expired at filter.now, nor last refreshed
  // before the cutoff of a kUser revocation keyed by the name: "log out
  // everywhere" does not mark each session), never with its hash. kInvalidArgument for a limit
  // outside 1..1000.
  Result<UserPage> list_users(const UserFilter& filter);

  // --- Audit ----------------------------------------------------------------

  // Records the event and returns its id (ids grow). kInvalidArgument for
  // an empty action.
  Result<std::uint64_t> append_audit(const AuditEvent& event);
  // Newest first (AuditFilter). kInvalidArgument for a limit outside
  // 1..1000 or a cursor this store did not hand out.
  Result<AuditPage> list_audit(const AuditFilter& filter);

  // --- Token horizon ---------------------------------------------------------

  // The latest instant at which a token issued so far through a Guard on
  // this store may expire, as Guards record it: what a revocation that
  // knows no token's own exp (a bare jti, a user cutoff) must outlive, even
  // when the lifetimes configured later are shorter. Raises the recorded
  // instant to `at` when `at` is later (durably, like any write), and
  // returns the recorded instant. A store that never recorded one starts
  // from the epoch.
  Result<Timestamp> raise_token_horizon(Timestamp at);

  // --- Strict mode ---------------------------------------------------------

  // What the store itself holds against a token right now, for checks that
  // must not trust the local index alone (check = "store"). Empty arguments
  // are not looked up. The default do_lookup asks find_revocation once per
  // key; shared backends answer in one round trip.
  struct Hits {
    bool token = false;               // a kToken revocation of `jti`
    bool session = false;             // a kSession revocation of `sid`
    std::optional<Timestamp> cutoff;  // the kUser revocation of `user`
  };
  Result<Hits> lookup(std::string_view jti, std::string_view sid, std::string_view user);

  // --- Token Status List (see StatusEntry above) -----------------------------

  // Records the entries (1 .. 64 of them) and hands out one index per
  // entry, in order, durably and atomically (all or none recorded), each
  // (list, index) never handed out before by this store nor by any other
  // process sharing it, even after purge() dropped its list or a failed
  // call (which may burn indices). Indices come in order from the newest
  // list while it has room; when it is full (allocated == size), a new list
  // of `spec` is opened with an id greater than every id before, and the
  // batch may go on in it. Each entry's initial status follows the store's
  // revocations as they are at the commit (a session revoked meanwhile
  // covers a token issued in it). kInvalidArgument for no entries or more
  // than 64, an empty jti or user, or a spec with bits not 1, 2, 4 or 8 or
  // a size outside 1 .. 2^31.
  Result<std::vector<StatusRef>> allocate_status(const std::vector<StatusEntry>& entries,
                                                 const StatusListSpec& spec);

  // The list with this id; nullopt for one this store never opened or has
  // purged. purge(now) drops a list (and its entries) once it is full and
  // its expires_at is at or before `now`: every token it holds has expired.
  Result<std::optional<StatusListState>> find_status_list(std::uint64_t id);

  // --- Health -------------------------------------------------------------

  // Whether the backend answers (a cheap query). For readiness probes.
  Result<void> ping();

 private:
  // What each backend implements, called with arguments checked as the
  // public method says.
  virtual Result<std::uint64_t> do_revoke(const Revocation& revocation) = 0;
  virtual Result<bool> do_unrevoke(RevocationKind kind, std::string_view key, Timestamp now) = 0;
  virtual Result<std::optional<Revocation>> do_find_revocation(RevocationKind kind,
                                                               std::string_view key) = 0;
  // `start`: the row to list from (exclusive), decoded from filter.cursor;
  // none for the first page.
  virtual Result<RevocationPage> do_list_revocations(const RevocationFilter& filter,
                                                     std::optional<std::int64_t> start) = 0;
  virtual Result<Snapshot> do_snapshot(Timestamp now) = 0;
  virtual Result<ChangeBatch> do_changes_since(std::uint64_t after, std::size_t limit,
                                               std::chrono::milliseconds max_wait) = 0;
  virtual Result<std::size_t> do_purge(Timestamp now, std::chrono::seconds feed_retention) = 0;
  virtual Result<void> do_create_session(const Session& session) = 0;
  virtual Result<std::optional<Session>> do_find_session(std::string_view sid) = 0;
  virtual Result<std::vector<Session>> do_list_sessions(std::string_view user, Timestamp now) = 0;
  virtual Result<Rotation> do_rotate_refresh(std::string_view sid, std::string_view presented_jti,
                                             std::string_view next_jti, Timestamp now,
                                             Timestamp next_expires_at) = 0;
  virtual Result<std::uint64_t> do_revoke_session(const Revocation& revocation) = 0;
  virtual Result<void> do_create_user(const User& user) = 0;
  virtual Result<std::optional<User>> do_find_user(std::string_view name) = 0;
  virtual Result<void> do_set_admin(std::string_view name, bool admin) = 0;
  virtual Result<std::vector<User>> do_list_users() = 0;
  // `expected_hash`: empty for an unconditional change.
  virtual Result<void> do_set_password(std::string_view name, std::string_view password_hash,
                                       std::string_view expected_hash) = 0;
  virtual Result<void> do_set_disabled(std::string_view name, bool disabled) = 0;
  virtual Result<void> do_delete_user(std::string_view name, Timestamp reserved_until) = 0;
  // filter.cursor: the name to list from (exclusive), empty for the first
  // page.
  virtual Result<UserPage> do_list_user_page(const UserFilter& filter) = 0;
  virtual Result<std::uint64_t> do_append_audit(const AuditEvent& event) = 0;
  // `before`: the id to list from (exclusive), none for the first page.
  virtual Result<AuditPage> do_list_audit(const AuditFilter& filter,
                                          std::optional<std::uint64_t> before) = 0;
  virtual Result<Timestamp> do_raise_token_horizon(Timestamp at) = 0;
  virtual Result<Hits> do_lookup(std::string_view jti, std::string_view sid, std::string_view user);
  virtual Result<void> do_ping() = 0;
  // Status lists: a backend without them fails with kStore.
  virtual Result<std::vector<StatusRef>> do_allocate_status(const std::vector<StatusEntry>& entries,
                                                            const StatusListSpec& spec);
  virtual Result<std::optional<StatusListState>> do_find_status_list(std::uint64_t id);
};

// A store that lives in this process and dies with it.
std::unique_ptr<Store> open_memory_store();

// Where a store reports what the operator should know but that does not stop
// it (e.g. "Redis persists nothing"). Called from the opening thread.
using StoreWarning = std::function<void(std::string_view message)>;

struct SqliteOptions {
  // How long a writer waits for another process's lock before failing.
  std::chrono::milliseconds busy_timeout{5000};
  StoreWarning warn;  // unset: warnings go to stderr
};

// Opens (creating it and its parent directories when missing) the SQLite
// database at `path`, in WAL mode with synchronous=FULL, and migrates its
// schema to the current version. The database holds password hashes and
// sessions: directories it creates are 0700, and the database file it
// creates is 0600 (and so are the -wal and -shm files SQLite creates beside
// it). An existing database, -wal or -shm file that other users may read or
// write is opened as it is, with a warning through SqliteOptions::warn. Writes from concurrent
// callers share one transaction (group commit). Other processes may use the same file; they see
// each other's revocations through the feed. kStore when the file cannot be opened or holds a
// schema newer than this build knows.
Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path,
                                                 const SqliteOptions& options = {});

struct RedisOptions {
  std::chrono::milliseconds connect_timeout{1000};
  // A command that takes longer fails with kStore (its effect is unknown).
  std::chrono::milliseconds command_timeout{2000};
  // Connections for reads and writes (the change feed has its own).
  std::size_t connections = 4;
  // At open, Redis's persistence settings are read. Neither AOF nor RDB
  // snapshots: revocations would be lost on a Redis restart. A warning by
  // default; with this set, opening fails with kStore.
  bool require_persistence = false;
  // The change feed (a stream) is trimmed to about this many entries; a
  // follower that falls further behind reloads a snapshot.
  std::size_t feed_max_length = 1'000'000;
  StoreWarning warn;  // unset: warnings go to stderr
};

// Opens the store at "redis://[:PASSWORD@]HOST[:PORT][/DB]" (port 6379 and
// database 0 by default; Redis 7.0 or later, else kStore). A write is
// acknowledged once Redis replied: as durable as its persistence settings
// make it (appendfsync always: fsynced before the reply). Revocations
// expire with the token they block (PXAT); a stream carries the change feed.
// After a lost connection, calls fail with kStore while it reconnects with
// backoff. kStore when Redis cannot be reached at open; kInvalidArgument for
// a malformed URL.
Result<std::unique_ptr<Store>> open_redis_store(std::string_view url,
                                                const RedisOptions& options = {});

struct PostgresOptions {
  std::chrono::milliseconds connect_timeout{2000};
  // A statement that takes longer fails with kStore: the server cancels and
  // rolls it back. If the server cannot even be told (a client-side deadline
  // a little later), the outcome is unknown, as for any store error. Must be
  // positive (kInvalidArgument at open).
  std::chrono::milliseconds statement_timeout{5000};
  // Connections for reads and writes (the change feed has its own).
  std::size_t connections = 4;
  StoreWarning warn;  // unset: warnings go to stderr
};

// Opens the store at a libpq URL ("postgresql://USER[:PASSWORD]@HOST:PORT/DB"
// or "postgres://..."), creating and migrating jwtguard's tables. The change
// feed is a table numbered by a monotonic sequence, announced by NOTIFY.
// After a lost connection, calls fail with kStore while it reconnects with
// backoff.
Result<std::unique_ptr<Store>> open_postgres_store(std::string_view url,
                                                   const PostgresOptions& options = {});

struct StoreOptions {
  SqliteOptions sqlite;
  RedisOptions redis;
  PostgresOptions postgres;
};

// "memory:", "sqlite:PATH", "redis://..." or "postgresql://..." (also
// "postgres://..."). kInvalidArgument for any other URL.
Result<std::unique_ptr<Store>> open_store(std::string_view url, const StoreOptions& options = {});

// `url` as it may be shown in a log or a message: every password in it
// replaced by "***". The URL is read by the parser of the backend that
// open_store would use (libpq's for PostgreSQL), so the redaction finds the
// password wherever that backend would: in the user information or a
// query parameter (password=, sslpassword=), percent-encoded or not. A URL
// that backend refuses is shown as its scheme and "(malformed, not shown)",
// and a text that is no store URL at all as its scheme, if it has one
// ("mysql:... (not a store URL, rest not shown)"), else as "(not a store URL,
// not shown)".
// "memory:" and "sqlite:PATH" (which hold no password) are returned as they
// are. Never throws.
std::string redact_store_url(std::string_view url);

// The SQLite schema version this build writes.
inline constexpr int kSqliteSchemaVersion = 4;

}  // namespace jwtguard

#endif  // JWTGUARD_STORE_H_
