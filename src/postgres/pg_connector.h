// How the PostgreSQL store opens sessions: the URL read once, every session
// set up the same way, and a backoff shared by all of them while the server
// cannot be reached.
#ifndef JWTGUARD_POSTGRES_PG_CONNECTOR_H_
#define JWTGUARD_POSTGRES_PG_CONNECTOR_H_

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jwtguard/error.h"
#include "jwtguard/store.h"
#include "pg_conn.h"
#include "postgres_url.h"
#include "util/backoff.h"

namespace jwtguard::pg {

class Connector {
 public:
  // Reads a "postgresql://" or "postgres://" URL. kInvalidArgument when it
  // is not one libpq can read, with a message that never holds the password
  // (libpq's messages may quote the part of the URL they stumbled on, which
  // can be the password). A password must be percent-encoded where it holds
  // '@', '/' or ':'; a URL that would be ambiguous is refused for that reason.
  static Result<std::unique_ptr<Connector>> create(std::string_view url,
                                                   const PostgresOptions& options);

  // A new session, ready for use, whatever the database's or role's
  // defaults: statement_timeout set from the options,
  // idle_in_transaction_session_timeout a little longer (a client that died
  // mid-transaction releases its locks), transactions read committed, and
  // synchronous_commit on, so that COMMIT returns only once the commit is
  // on disk. kStore when it
  // cannot connect. After a failure, later calls fail at once, with
  // "postgresql at HOST:PORT unreachable: ... (retrying)", until the next
  // attempt is due (50 ms, doubling up to 2 s; reset by a success) and
  // while another caller's attempt is under way: callers (an HTTP request)
  // learn of an outage at once rather than each waiting for a timeout.
  Result<std::unique_ptr<Conn>> connect();

  // The deadline for a statement issued now: the server's statement_timeout
  // plus time for its answer to travel. Past it, the connection is dropped
  // and the statement's outcome is unknown (unlike the server's own
  // timeout, which rolls the statement back).
  Deadline statement_deadline() const;

  // "HOST:PORT", for messages.
  const std::string& target() const { return target_; }
  // `text` with every form of the password in the URL replaced by "***".
  std::string redact(std::string text) const;

 private:
  Connector() = default;
  Result<std::unique_ptr<Conn>> attempt();
  std::chrono::milliseconds idle_in_transaction_timeout() const;

  std::vector<std::string> keywords_;
  std::vector<std::string> values_;
  std::vector<std::string> secrets_;  // longest first
  std::string target_;
  std::chrono::milliseconds connect_timeout_{};
  std::chrono::milliseconds statement_timeout_{};

  static constexpr std::chrono::milliseconds kFirstRetry{50};
  static constexpr std::chrono::milliseconds kLongestRetry{2000};
  util::RetryGate gate_{util::Backoff(kFirstRetry, kLongestRetry)};
};

}  // namespace jwtguard::pg

#endif  // JWTGUARD_POSTGRES_PG_CONNECTOR_H_
