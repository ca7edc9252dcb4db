// The Redis protocol side of the Redis store, on hiredis (blocking mode):
// commands, connections, a small pool, and the reconnection policy.
//
// Failures are Errc::kStore with a detail that names the server (HOST:PORT,
// never the password). A command whose reply was lost (timeout, closed
// connection) may or may not have run; the detail says so, and the
// connection is thrown away, because a late reply would otherwise be read as
// the answer to the next command.
#ifndef JWTGUARD_REDIS_REDIS_CLIENT_H_
#define JWTGUARD_REDIS_REDIS_CLIENT_H_

#include <hiredis/hiredis.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "jwtguard/error.h"
#include "redis_url.h"
#include "util/backoff.h"

namespace jwtguard::redis {

using std::chrono::milliseconds;

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

// A command's arguments (binary-safe), and what messages call it.
class Command {
 public:
  explicit Command(std::string_view name) : label_(name) { args_.emplace_back(name); }

  Command& arg(std::string_view value) {
    args_.emplace_back(value);
    return *this;
  }
  Command& arg(std::int64_t value) { return arg(std::to_string(value)); }
  Command& arg(std::uint64_t value) { return arg(std::to_string(value)); }
  // How error messages name the command, e.g. "the revoke script" rather
  // than "EVALSHA".
  Command& label(std::string_view text) {
    label_ = text;
    return *this;
  }

  const std::vector<std::string>& args() const { return args_; }
  const std::string& label() const { return label_; }

 private:
  std::vector<std::string> args_;
  std::string label_;
};

// What INFO server said about the server a connection reached. Both are
// empty when INFO was refused (renamed, or denied by an ACL).
struct ServerInfo {
  // New at every start of redis-server, and different on a replica promoted
  // by a failover: a change means the data may not be the data seen before.
  std::string run_id;
  std::string version;  // redis_version, e.g. "7.0.15"
};

// The value of `key` in INFO's "key:value" lines, or nullopt.
std::optional<std::string> info_field(std::string_view text, std::string_view key);

// Whether a redis_version ("7.0.15") is major.minor or later; false for text
// that does not start with "MAJOR.MINOR".
bool version_at_least(std::string_view version, int major, int minor);

struct Settings {
  Endpoint endpoint;
  milliseconds connect_timeout{1000};  // TCP connect, and then AUTH / SELECT
  milliseconds command_timeout{2000};
};

// One connection. Not thread-safe: the pool and the store's feed mutex give
// each to one thread at a time.
class Connection {
 public:
  // Connects (with TCP keepalive), then AUTH and SELECT as the endpoint
  // says; PING when there is neither, so that a server that accepts
  // connections but does not answer is caught here, within connect_timeout.
  // INFO server goes in the same round trip (see server()).
  static Result<Connection> open(const Settings& settings);

  // The server this connection reached, as it was when it opened.
  const ServerInfo& server() const { return server_; }

  // Sends one command and reads its reply. An error reply is a reply (see
  // check()); only a failure to talk is an error here.
  Result<Reply> run(const Command& command);
  // Sends all the commands in one write and reads their replies in order:
  // one round trip.
  Result<std::vector<Reply>> run_all(std::span<const Command> commands);

  // The read/write timeout for the commands that follow.
  Result<void> set_timeout(milliseconds timeout);

  // True once a command failed to complete: the connection must be dropped.
  bool broken() const { return broken_; }
  // True when the server has closed the connection (or sent something
  // unasked) while it sat idle: checked before use, so that a restart of
  // Redis costs no failed command.
  bool closed_by_peer() const;

  const std::string& address() const { return address_; }

 private:
  struct ContextDeleter {
    void operator()(redisContext* c) const { redisFree(c); }
  };
  Connection(redisContext* context, std::string address, milliseconds timeout)
      : context_(context), address_(std::move(address)), timeout_(timeout) {}

  // AUTH / SELECT / PING, and INFO server.
  Result<void> handshake(const Settings& settings);

  // After a failed command: whether the socket timeout expired.
  bool timed_out() const;
  Error lost(const Command& command);

  std::unique_ptr<redisContext, ContextDeleter> context_;
  std::string address_;
  milliseconds timeout_;
  ServerInfo server_;
  bool broken_ = false;
};

// kStore for an error reply ("redis at HOST:PORT: <label> failed: <error>").
Result<void> check(const Connection& connection, const Command& command, const redisReply& reply);

// run() and run_all(), where an error reply is a failure too.
Result<Reply> call(Connection& connection, const Command& command);
Result<std::vector<Reply>> call_all(Connection& connection, std::span<const Command> commands);

// Opens connections, and fails fast while Redis is unreachable: after a
// failed attempt, no new attempt is made for a backoff delay (50 ms, doubling
// up to 2 s, back to 50 ms after a success), and calls meanwhile fail at once
// with kStore "redis at HOST:PORT unreachable: <why> (retrying)". Request
// handlers turn kStore into 503: better at once than after a timeout each.
// While Redis is down, one caller at a time tries (the others fail fast).
// Thread-safe.
class Connector {
 public:
  // `clock` times the backoff and must outlive the Connector.
  explicit Connector(Settings settings, const util::MonotonicClock& clock = util::steady_clock())
      : settings_(std::move(settings)), gate_(util::Backoff(kFirstBackoff, kMaxBackoff), clock) {}

  Result<Connection> connect();
  const Settings& settings() const { return settings_; }

 private:
  static constexpr milliseconds kFirstBackoff{50};
  static constexpr milliseconds kMaxBackoff{2000};

  const Settings settings_;
  util::RetryGate gate_;
};

// A fixed number of connection slots, each opened on first use and reopened
// after it broke. Thread-safe.
class Pool {
 public:
  Pool(Connector& connector, std::size_t size);

  // A connection lent to one caller; back to the pool when destroyed (or
  // dropped, if it broke).
  class Lease {
   public:
    Lease(Lease&& other) noexcept
        : pool_(std::exchange(other.pool_, nullptr)), slot_(other.slot_) {}
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    Connection& operator*() const { return *pool_->slots_[slot_]; }
    Connection* operator->() const { return &**this; }

   private:
    friend class Pool;
    Lease(Pool* pool, std::size_t slot) : pool_(pool), slot_(slot) {}
    Pool* pool_;
    std::size_t slot_;
  };

  // Waits for a free slot and connects it if needed. The wait is bounded by
  // connect_timeout + command_timeout, after which it fails with kStore:
  // enough when holders run a command or two, but snapshot, purge and the
  // listings hold their connection for many round trips, so while those
  // run, other callers may fail when every connection is taken by them.
  Result<Lease> acquire();

 private:
  void release(std::size_t slot);

  Connector& connector_;
  std::vector<std::optional<Connection>> slots_;  // a slot is touched by its lessee only
  std::mutex mu_;
  std::condition_variable freed_;
  std::vector<std::size_t> free_;
};

}  // namespace jwtguard::redis

#endif  // JWTGUARD_REDIS_REDIS_CLIENT_H_
