// The PostgreSQL store's connections: a pool for statements, and one
// connection that LISTENs for the change feed's notifications.
#ifndef JWTGUARD_POSTGRES_PG_POOL_H_
#define JWTGUARD_POSTGRES_PG_POOL_H_

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "jwtguard/error.h"
#include "pg_conn.h"
#include "pg_connector.h"

namespace jwtguard::pg {

// Up to `size` sessions, each used by one caller at a time. Connections are
// made lazily; one that failed or was left inside a transaction is closed
// rather than reused, and one the server closed while it sat idle is found
// and replaced before use. Thread-safe.
class Pool {
 public:
  // Exclusive use of one connection; gives it back when destroyed.
  class Lease {
   public:
    Lease(Pool* pool, std::unique_ptr<Conn> conn) : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&& other) noexcept
        : pool_(std::exchange(other.pool_, nullptr)), conn_(std::move(other.conn_)) {}
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (pool_ != nullptr) pool_->release(std::move(conn_));
    }
    Conn& operator*() { return *conn_; }
    Conn* operator->() { return conn_.get(); }

   private:
    Pool* pool_;
    std::unique_ptr<Conn> conn_;
  };

  // `connector` must outlive the pool.
  Pool(Connector& connector, std::size_t size) : connector_(connector), size_(size) {}

  // A connection: an idle one, or a new one (which fails fast during an
  // outage, see Connector::connect). Waits for one to be given back when
  // all are in use, up to one statement deadline (the statement timeout
  // plus max(1 s, the connect timeout), see Connector::statement_deadline);
  // kStore then.
  Result<Lease> acquire();
  // Takes a connection made elsewhere (the one that migrated the schema).
  void adopt(std::unique_ptr<Conn> conn);

 private:
  void release(std::unique_ptr<Conn> conn);

  Connector& connector_;
  const std::size_t size_;
  std::mutex mu_;
  std::condition_variable released_;
  std::vector<std::unique_ptr<Conn>> idle_;
  std::size_t busy_ = 0;  // leased, or being connected
};

// The connection that LISTENs on the feed's channel, shared by every caller
// waiting for a change. One waiter at a time polls its socket; the others
// wait for that one to report. Thread-safe.
//
// The order that loses nothing: arm(), then read the feed, then wait(). A
// change that the read missed committed after it began, hence after the
// LISTEN, so its notification comes (NOTIFY is delivered at commit to every
// session listening by then) and moves the count. When the connection is
// lost, wait() returns and the next arm() connects and LISTENs again; the
// read after it catches up on whatever was missed meanwhile, since the feed
// is read by position, not from the notifications.
class Listener {
 public:
  // `connector` must outlive the listener.
  explicit Listener(Connector& connector) : connector_(connector) {}

  // Makes sure the connection is up and listening, and returns the count of
  // wake-ups so far. kStore when it cannot (the server is unreachable).
  Result<std::uint64_t> arm();
  // Returns when the count has moved past `seen` (a notification, or the
  // connection was lost), or at `deadline`.
  void wait(std::uint64_t seen, Deadline deadline);

 private:
  Connector& connector_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::unique_ptr<Conn> conn_;  // listening; null when lost
  bool polling_ = false;        // a waiter is reading conn_ without the lock
  std::uint64_t wakes_ = 0;
};

// The channel NOTIFY and LISTEN use.
inline constexpr const char* kFeedChannel = "jwtguard_feed";

}  // namespace jwtguard::pg

#endif  // JWTGUARD_POSTGRES_PG_POOL_H_
