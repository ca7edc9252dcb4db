// Real servers for integration tests: a child process with its output in
// files (ChildProcess), `jwtguard serve` started on a free loopback port
// (ServeProcess), and a small HTTP/1.1 client with a deadline on every step
// (loopback::Connection) to talk to them.
//
// Only the process a test started is ever signalled, by its PID. Every wait
// is bounded; a child still running when its handle is destroyed is
// SIGKILLed and reaped, and a child dies with the thread that started it
// (PR_SET_PDEATHSIG), so a test that crashes leaves no server behind.
#ifndef JWTGUARD_TESTS_TESTING_SERVE_PROCESS_H_
#define JWTGUARD_TESTS_TESTING_SERVE_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <utility>
#include <vector>

namespace jwtguard::testing {

using Millis = std::chrono::milliseconds;

// What these helpers return: a value, or a message saying what went wrong,
// meant for a gtest failure message.
template <typename T>
using Attempt = tl::expected<T, std::string>;

// The error side of an Attempt.
inline tl::unexpected<std::string> failed(std::string message) {
  return tl::unexpected(std::move(message));
}

struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0] is an absolute path; no PATH lookup
  // Added to the environment. Inherited JWTGUARD_* variables are dropped, so a
  // developer's shell settings cannot change what a test starts.
  std::vector<std::string> env;
  std::filesystem::path stdout_path;  // created (or appended to)
  std::filesystem::path stderr_path;
};

// A child process. Non-copyable; moving transfers the duty to reap it.
class ChildProcess {
 public:
  // Forks and execs. The child's stdin is /dev/null; it receives SIGKILL when
  // the calling thread exits, so call this from a thread that outlives it
  // (the test's own thread). An exec failure shows as exit status 127 with
  // the reason in the stderr file.
  static Attempt<ChildProcess> spawn(const SpawnOptions& options);

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  // SIGKILLs and reaps a child still running.
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  // False once the child has been reaped (by exited(), wait_for() or kill()).
  bool running() const { return pid_ > 0; }

  // Reaps the child if it has exited, without waiting. Returns its wait
  // status when it has (now or earlier), nullopt while it runs.
  std::optional<int> exited();
  // Waits up to `timeout` for the child to exit; its wait status, or nullopt
  // when it is still running at the deadline.
  std::optional<int> wait_for(Millis timeout);
  // Sends `signal` to the child's PID; false when it has been reaped already.
  bool signal(int signal);
  // SIGKILL and reap. Idempotent.
  void kill();

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// "exit 0", "killed by signal 9 (Killed)": a wait status for messages.
std::string describe_wait_status(int status);

// The whole content of a file, or "" when it cannot be read.
std::string read_file(const std::filesystem::path& path);

struct ServeOptions {
  std::string binary;  // the jwtguard executable
  std::string store;   // e.g. "sqlite:/tmp/.../jwtguard.db"
  // Flags after `serve --listen 127.0.0.1:0 --dev false --store STORE`.
  std::vector<std::string> flags;
  // Extra environment entries, e.g. "JWTGUARD_SECRET=...".
  std::vector<std::string> env;
  std::filesystem::path dir;  // where the output files go (the test's ScratchDir)
  // When set, `--log-file` with this path: the log (the "listening" line
  // included) goes there instead of standard error.
  std::filesystem::path log_file;
  Millis start_timeout{20'000};
};

// `jwtguard serve` on 127.0.0.1 and a port the kernel picked.
class ServeProcess {
 public:
  // Starts the service and waits (up to start_timeout) for its "listening"
  // log line. Errors carry the log: a process that exited, or one that did
  // not listen in time (it is killed then).
  static Attempt<ServeProcess> start(const ServeOptions& options);

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return child_.pid(); }
  bool running() const { return child_.running(); }

  // SIGTERM, then waits up to `timeout` for the exit: the exit code. A
  // process that is still running then is SIGKILLed, and that is an error,
  // as is an exit by a signal.
  Attempt<int> terminate(Millis timeout = Millis(20'000));
  // SIGKILL and reap: the crash.
  void kill() { child_.kill(); }

  // Everything the process wrote: its log on stderr, then stdout if any,
  // then the log file if it has one.
  std::string log() const;

 private:
  ServeProcess(ChildProcess child, std::filesystem::path out, std::filesystem::path err,
               std::filesystem::path log_file)
      : child_(std::move(child)),
        out_(std::move(out)),
        err_(std::move(err)),
        log_file_(std::move(log_file)) {}
  ChildProcess child_;
  std::filesystem::path out_;
  std::filesystem::path err_;
  std::filesystem::path log_file_;  // empty: the log is on stderr
  std::uint16_t port_ = 0;
};

// A port that was free on 127.0.0.1 a moment ago (bound to port 0, then
// closed). Someone else may take it before it is used: retry on EADDRINUSE.
Attempt<std::uint16_t> pick_free_port();

namespace loopback {

struct Request {
  std::string method = "GET";
  std::string target = "/";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // sent with Content-Length (always for POST, PUT, PATCH)
};

struct Reply {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The first header of that name (case-insensitive), or "".
  std::string header(std::string_view name) const;
};

// Request helpers: an Authorization: Bearer header when `token` is not empty.
Request get(std::string target, std::string_view token = {});
Request del(std::string target, std::string_view token = {});
Request post(std::string target, std::string_view token = {}, std::string json_body = {});

// One HTTP/1.1 client connection to 127.0.0.1:port. Every step (connect,
// each write, each read) must finish within the timeout given to open(), or
// it fails with "timed out ...". Replies are read by Content-Length, chunked
// encoding, or up to end of stream. Non-copyable, movable.
class Connection {
 public:
  static Attempt<Connection> open(std::uint16_t port, Millis timeout = Millis(10'000));
  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection&& other) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Writes the whole request.
  Attempt<void> send(const Request& request);
  // Reads the next reply (skipping 1xx). Errors say whether the peer closed
  // or reset the connection before a complete reply, or time ran out.
  Attempt<Reply> receive();
  Attempt<Reply> exchange(const Request& request);

 private:
  Connection(int fd, Millis timeout) : fd_(fd), timeout_(timeout) {}
  using Deadline = std::chrono::steady_clock::time_point;
  Attempt<bool> read_more(Deadline deadline);
  Attempt<std::string> read_body(const Reply& reply, Deadline deadline);
  Attempt<std::string> read_chunked(Deadline deadline);
  Attempt<std::string> read_line(Deadline deadline);
  void close();

  int fd_ = -1;
  Millis timeout_;
  std::string buffer_;  // received, not consumed yet
  bool eof_ = false;
};

// One request on a connection of its own.
Attempt<Reply> fetch(std::uint16_t port, const Request& request, Millis timeout = Millis(10'000));

}  // namespace loopback
}  // namespace jwtguard::testing

#endif  // JWTGUARD_TESTS_TESTING_SERVE_PROCESS_H_
