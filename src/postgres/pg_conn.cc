#include "pg_conn.h"

#include <poll.h>

#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "util/try.h"

namespace jwtguard::pg {
namespace {

// Waits until `fd` is ready for `events` (1), `deadline` passes (0), or poll
// fails (-1). Hang-ups and errors count as ready: the next libpq call sees
// them.
int wait_for_socket(int fd, short events, Deadline deadline) {
  if (fd < 0) return -1;
  for (;;) {
    int timeout_ms = -1;
    if (deadline != Deadline::max()) {
      const auto left = deadline - SteadyClock::now();
      if (left <= SteadyClock::duration::zero()) return 0;
      const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
      timeout_ms = static_cast<int>(std::min<std::int64_t>(ms, INT_MAX));
    }
    pollfd p{fd, events, 0};
    const int rc = ::poll(&p, 1, timeout_ms);
    if (rc > 0) return 1;
    if (rc < 0 && errno != EINTR) return -1;
  }
}

// A failed statement: the server's primary message and SQLSTATE, or
// libpq's own message when the failure was on our side (a lost connection).
Error statement_error(const PGresult* result) {
  const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  std::string detail = "postgresql: ";
  detail += primary != nullptr ? primary : one_line(PQresultErrorMessage(result));
  if (state != nullptr) {
    detail += " (SQLSTATE ";
    detail += state;
    detail += ")";
  }
  // Not UTF-8, or not representable in the database's encoding: the
  // caller's value, not the store, is at fault.
  const std::string_view code = state != nullptr ? state : "";
  const bool bad_text = code == "22021" || code == "22P05";
  return Error(bad_text ? Errc::kInvalidArgument : Errc::kStore, std::move(detail));
}

}  // namespace

std::string one_line(std::string_view text) {
  std::string out;
  for (char c : text) {
    const bool space = c == '\n' || c == '\t' || c == '\r' || c == ' ';
    if (space) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// --- Params ------------------------------------------------------------------

Params& Params::add(std::string_view text) {
  has_nul_ = has_nul_ || text.find('\0') != std::string_view::npos;
  values_.emplace_back(std::string(text));
  return *this;
}

Params& Params::add_null() {
  values_.emplace_back(std::nullopt);
  return *this;
}

const char* const* Params::values() const {
  pointers_.clear();
  for (const auto& v : values_) pointers_.push_back(v ? v->c_str() : nullptr);
  return pointers_.data();
}

// --- Rows --------------------------------------------------------------------

std::string Rows::text(int row, int col) const {
  return std::string(PQgetvalue(result_.get(), row, col),
                     static_cast<std::size_t>(PQgetlength(result_.get(), row, col)));
}

std::int64_t Rows::int64(int row, int col) const {
  const char* p = PQgetvalue(result_.get(), row, col);
  const char* end = p + PQgetlength(result_.get(), row, col);
  if (p == end && is_null(row, col)) return 0;
  std::int64_t value = 0;
  const auto [stop, error] = std::from_chars(p, end, value);
  if (error != std::errc() || stop != end) {
    std::fprintf(stderr, "jwtguard: postgresql column %d holds \"%.*s\", not an integer\n", col,
                 static_cast<int>(end - p), p);
    std::abort();
  }
  return value;
}

std::uint64_t Rows::affected() const {
  const char* text = PQcmdTuples(result_.get());
  std::uint64_t n = 0;
  std::from_chars(text, text + std::strlen(text), n);
  return n;
}

// --- Conn --------------------------------------------------------------------

tl::expected<std::unique_ptr<Conn>, std::string> Conn::connect(
    const std::vector<std::string>& keywords, const std::vector<std::string>& values,
    Deadline deadline, std::string target) {
  std::vector<const char*> k, v;
  for (const auto& s : keywords) k.push_back(s.c_str());
  for (const auto& s : values) v.push_back(s.c_str());
  k.push_back(nullptr);
  v.push_back(nullptr);
  // The asynchronous connect, so that the deadline covers every step (DNS
  // aside) with millisecond precision: libpq's own connect_timeout counts
  // whole seconds, at least 2, and per host.
  PGconn* raw = PQconnectStartParams(k.data(), v.data(), /*expand_dbname=*/1);
  if (raw == nullptr) return tl::unexpected(std::string("out of memory"));
  std::unique_ptr<Conn> conn(new Conn(raw, std::move(target)));
  if (PQstatus(raw) == CONNECTION_BAD) return tl::unexpected(one_line(PQerrorMessage(raw)));
  // As the libpq manual says: act as if the first poll asked for writing.
  PostgresPollingStatusType state = PGRES_POLLING_WRITING;
  while (state != PGRES_POLLING_OK) {
    if (state == PGRES_POLLING_FAILED) return tl::unexpected(one_line(PQerrorMessage(raw)));
    const short events = state == PGRES_POLLING_READING ? POLLIN : POLLOUT;
    // The socket may change between calls (several hosts or addresses).
    const int ready = wait_for_socket(PQsocket(raw), events, deadline);
    if (ready == 0) return tl::unexpected(std::string("timed out"));
    if (ready < 0) {
      const std::string why = one_line(PQerrorMessage(raw));
      return tl::unexpected(why.empty() ? std::string("poll: ") + std::strerror(errno) : why);
    }
    state = PQconnectPoll(raw);
  }
  PQsetNoticeReceiver(raw, &Conn::on_notice, conn.get());
  return conn;
}

Result<Rows> Conn::exec(const char* sql, const Params& params, Deadline deadline) {
  if (params.has_nul()) {
    return fail(Errc::kInvalidArgument, "postgresql cannot store a NUL character in text");
  }
  if (broken_) return lost("connection abandoned after a timeout");
  if (PQsendQueryParams(conn_, sql, params.size(), nullptr, params.values(), nullptr, nullptr,
                        /*resultFormat=*/0) == 0) {
    return lost("cannot send");
  }
  return collect(deadline);
}

Result<void> Conn::run(const char* sql, Deadline deadline) {
  if (broken_) return lost("connection abandoned after a timeout");
  if (PQsendQuery(conn_, sql) == 0) return lost("cannot send");
  JWTGUARD_TRY(collect(deadline));
  return {};
}

Result<void> Conn::commit(const char* sql, Deadline deadline) {
  if (broken_) return lost("connection abandoned after a timeout");
  if (PQsendQuery(conn_, sql) == 0) return lost("cannot send");
  JWTGUARD_ASSIGN_OR_RETURN(const Rows rows, collect(deadline));
  if (rows.command() != "COMMIT") {
    return fail(Errc::kStore, "postgresql at " + target_ + ": COMMIT answered " +
                                  std::string(rows.command()) + ": the transaction had failed");
  }
  return {};
}

Result<void> Conn::await_result(Deadline deadline) {
  while (PQisBusy(conn_) != 0) {
    const int ready = wait_for_socket(PQsocket(conn_), POLLIN, deadline);
    if (ready == 0) {
      broken_ = true;
      return fail(Errc::kStore, "postgresql at " + target_ +
                                    ": no answer before the deadline (connection dropped; "
                                    "the statement may or may not have taken effect)");
    }
    if (ready < 0 || PQconsumeInput(conn_) == 0) return lost("connection lost");
  }
  return {};
}

Result<Rows> Conn::collect(Deadline deadline) {
  std::optional<Rows> last;
  std::optional<Error> error;
  for (;;) {
    JWTGUARD_TRY(await_result(deadline));
    PGresult* result = PQgetResult(conn_);
    if (result == nullptr) break;
    const ExecStatusType status = PQresultStatus(result);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
      last.emplace(result);
    } else {
      if (!error) error = statement_error(result);
      PQclear(result);
    }
  }
  if (error) return tl::unexpected(*error);
  if (!last) return lost("no result");
  return std::move(*last);
}

Result<std::vector<Result<Rows>>> Conn::pipeline(const std::vector<Piped>& statements,
                                                 const std::function<Deadline()>& deadline) {
  for (const Piped& statement : statements) {
    if (statement.params->has_nul()) {
      return fail(Errc::kInvalidArgument, "postgresql cannot store a NUL character in text");
    }
  }
  if (broken_) return lost("connection abandoned after a timeout");
  // Non-blocking while the statements go out: with many of them, the
  // server's answers could fill the socket's buffers while libpq is still
  // writing, each side then waiting for the other. libpq reads meanwhile.
  if (PQsetnonblocking(conn_, 1) != 0 || PQenterPipelineMode(conn_) == 0) {
    broken_ = true;
    return fail(Errc::kStore, "postgresql at " + target_ + ": cannot enter pipeline mode");
  }
  auto read = [&]() -> Result<std::vector<Result<Rows>>> {
    JWTGUARD_TRY(send_pipeline(statements, deadline()));
    return read_pipeline(statements.size(), deadline);
  }();
  // Anything short of the whole exchange leaves the protocol's state
  // unknown: the pool must not reuse the connection.
  if (!read || PQexitPipelineMode(conn_) == 0 || PQsetnonblocking(conn_, 0) != 0) broken_ = true;
  return read;
}

Result<void> Conn::send_pipeline(const std::vector<Piped>& statements, Deadline deadline) {
  slots_.clear();
  for (const Piped& statement : statements) {
    // Prepared once per connection: the server then no longer parses and
    // plans it from scratch each time, much of its cost per change. Taken
    // as prepared at once; read_pipeline() forgets it if that failed.
    auto [at, added] = prepared_.try_emplace(statement.sql, "");
    if (added) {
      at->second = "jwtguard_" + std::to_string(next_prepared_++);
      slots_.push_back(statement.sql);
      if (PQsendPrepare(conn_, at->second.c_str(), statement.sql, 0, nullptr) == 0) {
        return lost("cannot send");
      }
    }
    slots_.push_back(nullptr);
    if (PQsendQueryPrepared(conn_, at->second.c_str(), statement.params->size(),
                            statement.params->values(), nullptr, nullptr,
                            /*resultFormat=*/0) == 0) {
      return lost("cannot send");
    }
  }
  if (PQpipelineSync(conn_) == 0) return lost("cannot send");
  for (;;) {
    const int flushed = PQflush(conn_);
    if (flushed == 0) return {};
    if (flushed < 0) return lost("cannot send");
    const int ready = wait_for_socket(PQsocket(conn_), POLLIN | POLLOUT, deadline);
    if (ready == 0) {
      return fail(Errc::kStore, "postgresql at " + target_ +
                                    ": could not send before the deadline (connection dropped)");
    }
    if (ready < 0 || PQconsumeInput(conn_) == 0) return lost("connection lost");
  }
}

Result<std::vector<Result<Rows>>> Conn::read_pipeline(std::size_t count,
                                                      const std::function<Deadline()>& deadline) {
  std::vector<Result<Rows>> answers;
  answers.reserve(count);
  // Each answer (a statement's, or a preparation's) ends with a null
  // result; the Sync's closes the pipeline.
  std::optional<Result<Rows>> answer;
  std::size_t slot = 0;
  for (;;) {
    JWTGUARD_TRY(await_result(deadline()));
    PGresult* result = PQgetResult(conn_);
    if (result == nullptr) {
      if (!answer || slot == slots_.size()) return lost("no result");
      if (const char* prepared = slots_[slot++]; prepared == nullptr) {
        answers.push_back(std::move(*answer));
      } else if (!*answer) {
        prepared_.erase(prepared);  // skipped, or failed: prepared next time
      }
      answer.reset();
      continue;
    }
    const ExecStatusType status = PQresultStatus(result);
    if (status == PGRES_PIPELINE_SYNC) {
      PQclear(result);
      break;
    }
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
      answer.emplace(Rows(result));
      continue;
    }
    answer.emplace(
        tl::unexpected(status == PGRES_PIPELINE_ABORTED
                           ? Error(Errc::kStore, "postgresql: skipped: an earlier statement failed")
                           : statement_error(result)));
    PQclear(result);
  }
  if (answers.size() != count) return lost("answers missing from the pipeline");
  return answers;
}

Result<void> Conn::copy_out(const char* sql, Deadline deadline, const CopySink& row) {
  if (broken_) return lost("connection abandoned after a timeout");
  if (PQsendQuery(conn_, sql) == 0) return lost("cannot send");
  JWTGUARD_TRY(await_result(deadline));
  PGresult* first = PQgetResult(conn_);
  if (PQresultStatus(first) != PGRES_COPY_OUT) {
    const Error error = first != nullptr ? statement_error(first)
                                         : Error(Errc::kStore, "postgresql: COPY gave no result");
    PQclear(first);
    static_cast<void>(collect(deadline));  // whatever follows the error
    return tl::unexpected(error);
  }
  PQclear(first);
  std::optional<Error> refused;  // the sink's error: the rest is dropped
  for (;;) {
    char* data = nullptr;
    const int size = PQgetCopyData(conn_, &data, /*async=*/1);
    if (size > 0) {
      if (!refused) {
        if (auto taken = row(std::string_view(data, static_cast<std::size_t>(size))); !taken) {
          refused = taken.error();
        }
      }
      PQfreemem(data);
    } else if (size == 0) {  // nothing whole yet
      const int ready = wait_for_socket(PQsocket(conn_), POLLIN, deadline);
      if (ready == 0) {
        broken_ = true;
        return fail(Errc::kStore,
                    "postgresql at " + target_ + ": COPY not done before the deadline");
      }
      if (ready < 0 || PQconsumeInput(conn_) == 0) return lost("connection lost");
    } else if (size == -1) {  // done: the statement's own result follows
      break;
    } else {
      return lost("COPY failed");
    }
  }
  JWTGUARD_TRY(collect(deadline));
  if (refused) return tl::unexpected(*refused);
  return {};
}

Result<int> Conn::await_notifications(Deadline deadline) {
  for (;;) {
    int count = 0;
    while (PGnotify* note = PQnotifies(conn_)) {
      ++count;
      PQfreemem(note);
    }
    if (count > 0) return count;
    const int ready = wait_for_socket(PQsocket(conn_), POLLIN, deadline);
    if (ready == 0) return 0;
    if (ready < 0 || PQconsumeInput(conn_) == 0 || PQstatus(conn_) != CONNECTION_OK) {
      return lost("connection lost");
    }
  }
}

int Conn::drop_notifications() {
  int count = 0;
  while (PGnotify* note = PQnotifies(conn_)) {
    ++count;
    PQfreemem(note);
  }
  return count;
}

bool Conn::idle() const {
  return !broken_ && PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) == PQTRANS_IDLE;
}

void Conn::on_notice(void* self, const PGresult* notice) {
  // Notices ("relation already exists, skipping") are not errors; libpq
  // would print them on stderr. But a FATAL error received while idle (a
  // session terminated, the server shutting down) reaches here too, as a
  // notice, and may come well before the end of the stream: the
  // connection is as good as closed.
  const char* severity = PQresultErrorField(notice, PG_DIAG_SEVERITY_NONLOCALIZED);
  if (severity != nullptr &&
      (std::strcmp(severity, "FATAL") == 0 || std::strcmp(severity, "PANIC") == 0)) {
    static_cast<Conn*>(self)->doomed_ = true;
  }
}

bool Conn::alive() {
  if (!idle() || doomed_) return false;
  // An idle connection has nothing to read unless the server spoke first:
  // a notification, a notice, or its last words and the end of the stream
  // (read in more than one go, hence the few rounds).
  for (int round = 0; round < 4; ++round) {
    pollfd p{PQsocket(conn_), POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) break;
    if (PQconsumeInput(conn_) == 0) return false;
    // Parses what was read, so that a FATAL error reaches on_notice.
    static_cast<void>(PQisBusy(conn_));
  }
  return PQstatus(conn_) == CONNECTION_OK && !doomed_;
}

tl::unexpected<Error> Conn::lost(std::string_view what) {
  std::string detail = "postgresql at " + target_ + ": ";
  detail += what;
  if (const std::string why = broken_ ? "" : one_line(PQerrorMessage(conn_)); !why.empty()) {
    detail += ": ";
    detail += why;
  }
  return fail(Errc::kStore, std::move(detail));
}

}  // namespace jwtguard::pg
