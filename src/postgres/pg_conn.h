// A thin RAII layer over libpq's C API: one connection, queries with text
// parameters and a client-side deadline, results read as text, and failures
// turned into Errc::kStore results.
//
// Why a client-side deadline on top of the server's statement_timeout: the
// server can only time out what it receives. When the network (or the
// server machine) goes away, libpq would wait for an answer forever; here a
// query gives up at its deadline and the connection is closed, its outcome
// unknown.
//
// A Conn is used by one thread at a time (the pool and the listener
// serialize access); libpq itself is thread-safe across connections.
#ifndef JWTGUARD_POSTGRES_PG_CONN_H_
#define JWTGUARD_POSTGRES_PG_CONN_H_

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "jwtguard/clock.h"
#include "jwtguard/error.h"
#include "store/rows.h"

namespace jwtguard::pg {

using SteadyClock = std::chrono::steady_clock;
using Deadline = SteadyClock::time_point;

// Query parameters ($1, $2...), all sent as text; SQL casts them where the
// type cannot be inferred.
class Params {
 public:
  Params& add(std::string_view text);
  Params& add(std::int64_t value) { return add(std::to_string(value)); }
  Params& add(Timestamp t) { return add(std::int64_t{t.time_since_epoch().count()}); }
  Params& add_null();

  int size() const { return static_cast<int>(values_.size()); }
  // libpq's paramValues: NULL for SQL NULL. Valid until the next add().
  const char* const* values() const;
  // A value holds a NUL character: libpq would cut it there (PostgreSQL's
  // text cannot hold one), so "alice\0x" would become "alice".
  bool has_nul() const { return has_nul_; }

 private:
  std::vector<std::optional<std::string>> values_;
  mutable std::vector<const char*> pointers_;
  bool has_nul_ = false;
};

class Rows;

// One row of a Rows, as the shared readers (store/rows.h) read it. Valid
// while the Rows is.
class Row final : public stores::Row {
 public:
  Row(const Rows& rows, int index) : rows_(rows), index_(index) {}
  bool is_null(int col) const override;
  std::string text(int col) const override;
  std::int64_t int64(int col) const override;
  bool boolean(int col) const override;

 private:
  const Rows& rows_;
  int index_;
};

// A query's result, read as text. Columns are 0-based.
class Rows {
 public:
  explicit Rows(PGresult* result) : result_(result) {}

  int size() const { return PQntuples(result_.get()); }
  bool is_null(int row, int col) const { return PQgetisnull(result_.get(), row, col) != 0; }
  std::string text(int row, int col) const;
  // 0 for NULL. Aborts, naming the column, when the value is not an
  // integer: jwtguard reads only integer columns this way, so that is a bug
  // in its SQL, and a made-up 0 (seq 0, kind token, epoch) could do harm.
  std::int64_t int64(int row, int col) const;
  Timestamp time(int row, int col) const {
    return Timestamp(std::chrono::microseconds(int64(row, col)));
  }
  bool boolean(int row, int col) const { return text(row, col) == "t"; }
  Row row(int index) const { return Row(*this, index); }
  // How many rows an INSERT, UPDATE or DELETE touched.
  std::uint64_t affected() const;
  // The command tag: "COMMIT", "ROLLBACK", "DELETE 3"...
  std::string_view command() const { return PQcmdStatus(result_.get()); }

 private:
  struct Clear {
    void operator()(PGresult* r) const { PQclear(r); }
  };
  std::unique_ptr<PGresult, Clear> result_;
};

class Conn {
 public:
  // Connects (PQconnectStartParams with expand_dbname, so `values` may hold
  // a URL under "dbname"), giving up at `deadline`. The error text is
  // libpq's, on one line; the caller adds context (and removes secrets).
  // `target` ("HOST:PORT") names the server in later errors.
  static tl::expected<std::unique_ptr<Conn>, std::string> connect(
      const std::vector<std::string>& keywords, const std::vector<std::string>& values,
      Deadline deadline, std::string target);

  ~Conn() { PQfinish(conn_); }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  // One statement with parameters (the extended protocol, so values are
  // never spliced into SQL). kStore on failure, with the server's primary
  // message and SQLSTATE: never the DETAIL, which may quote row values such
  // as a password hash. kInvalidArgument for a value PostgreSQL cannot
  // store as text: one holding a NUL, or bytes that are not UTF-8.
  Result<Rows> exec(const char* sql, const Params& params, Deadline deadline);
  Result<Rows> exec(const char* sql, Deadline deadline) { return exec(sql, Params(), deadline); }
  // Several statements without parameters (the simple protocol), e.g.
  // "NOTIFY ...; COMMIT". Fails with the first statement that fails.
  Result<void> run(const char* sql, Deadline deadline);
  // run() for statements that end with COMMIT. The server answers COMMIT in
  // a failed transaction with success and the tag "ROLLBACK": that is
  // kStore here, the transaction having been rolled back.
  Result<void> commit(const char* sql, Deadline deadline);
  // Runs `sql`, a COPY ... TO STDOUT without parameters (the simple
  // protocol), and hands each CopyData message to `row` as it arrives: one
  // row per message (in binary format the first also carries the file
  // header, the last one is the trailer alone). So a result of any size is
  // read in memory for one row at a time, never whole. After `row` fails,
  // the rest is read and dropped (the connection stays usable) and its
  // error returned; else kStore when the statement fails.
  using CopySink = std::function<Result<void>(std::string_view row)>;
  Result<void> copy_out(const char* sql, Deadline deadline, const CopySink& row);

  // One statement of a pipeline; `params` must outlive the call.
  struct Piped {
    const char* sql;
    const Params* params;
  };
  // Sends `statements` at once in libpq's pipeline mode, so that they cost
  // one round trip, each prepared on this connection the first time its SQL
  // is sent, and reads their
  // answers in order: each statement's
  // rows, or its failure as exec() reports it. After the first statement
  // that fails the server skips the rest, each answered kStore ("skipped").
  // `deadline` is asked again after each answer: a deadline per statement,
  // as with exec(). The call's own failure (a value holding a NUL: nothing
  // sent; the connection lost, or a deadline passed: the connection is then
  // abandoned, and the statements may or may not have taken effect) is the
  // outer error.
  Result<std::vector<Result<Rows>>> pipeline(const std::vector<Piped>& statements,
                                             const std::function<Deadline()>& deadline);

  // Waits until a notification arrives (returns how many), `deadline`
  // passes (returns 0), or the connection fails (kStore).
  Result<int> await_notifications(Deadline deadline);
  // Forgets the notifications libpq has read so far; returns how many.
  int drop_notifications();

  // Connected, and not inside a transaction: fit to go back to a pool.
  bool idle() const;
  // Inside a transaction that has not failed: one that may commit.
  bool in_transaction() const { return PQtransactionStatus(conn_) == PQTRANS_INTRANS; }
  // idle(), and the server has not closed the connection meanwhile, which
  // is checked without blocking: a server that shut down or restarted, or
  // that terminated the session, has sent its goodbye (a FATAL error, then
  // the end of the stream) to every idle connection, so a dead one is
  // caught here rather than by a failed query.
  bool alive();

 private:
  Conn(PGconn* conn, std::string target) : conn_(conn), target_(std::move(target)) {}
  // Reads results until libpq has none left; the first error wins.
  Result<Rows> collect(Deadline deadline);
  // pipeline()'s two halves, in pipeline mode.
  Result<void> send_pipeline(const std::vector<Piped>& statements, Deadline deadline);
  Result<std::vector<Result<Rows>>> read_pipeline(std::size_t count,
                                                  const std::function<Deadline()>& deadline);
  // Reads input until libpq has a whole result; false after the deadline
  // (the connection is then abandoned).
  Result<void> await_result(Deadline deadline);
  tl::unexpected<Error> lost(std::string_view what);

  static void on_notice(void* self, const PGresult* notice);

  PGconn* conn_;
  std::string target_;
  // The pipeline's statements prepared on this connection (SQL -> name),
  // and the answers the pipeline under way awaits: a preparation's (its
  // SQL) or a statement's (null).
  std::unordered_map<std::string, std::string> prepared_;
  std::uint64_t next_prepared_ = 0;
  std::vector<const char*> slots_;
  bool broken_ = false;  // a deadline passed mid-query: the protocol state is unknown
  bool doomed_ = false;  // the server sent a FATAL error: it is closing the connection
};

inline bool Row::is_null(int col) const { return rows_.is_null(index_, col); }
inline std::string Row::text(int col) const { return rows_.text(index_, col); }
inline std::int64_t Row::int64(int col) const { return rows_.int64(index_, col); }
inline bool Row::boolean(int col) const { return rows_.boolean(index_, col); }

// `text` on one line: libpq's messages span several, with tabs.
std::string one_line(std::string_view text);

}  // namespace jwtguard::pg

#endif  // JWTGUARD_POSTGRES_PG_CONN_H_
