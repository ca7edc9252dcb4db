// A real redis-server (Debian's package) for tests: started on a free
// loopback port with its data in a directory the test owns, stopped by PID.
// AOF is on with appendfsync always unless the options say otherwise, so a
// write Redis acknowledged survives a SIGKILL of the server.
#ifndef JWTGUARD_TESTS_TESTING_REDIS_SERVER_H_
#define JWTGUARD_TESTS_TESTING_REDIS_SERVER_H_

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "testing/serve_process.h"

namespace jwtguard::testing {

struct RedisServerOptions {
  bool appendonly = true;
  std::string appendfsync = "always";  // "always", "everysec" or "no"
  bool rdb = false;                    // RDB snapshots (save "..."), off: save ""
  std::string password;                // requirepass, when not empty
  // More redis.conf lines, e.g. `rename-command CONFIG ""` (which only a
  // configuration file can say).
  std::vector<std::string> extra_config;
};

class RedisServer {
 public:
  // Starts redis-server on 127.0.0.1 and a free port, its data and log in
  // `dir` (created when missing), and waits until it answers PING. Errors
  // say why and carry the server's log.
  static Attempt<RedisServer> start(const std::filesystem::path& dir,
                                    RedisServerOptions options = {});

  RedisServer(RedisServer&&) noexcept = default;
  RedisServer& operator=(RedisServer&&) noexcept = default;
  ~RedisServer();  // SIGKILLs a server still running

  std::uint16_t port() const { return port_; }
  // "redis://127.0.0.1:PORT/DB" (with the password when there is one).
  std::string url(int db = 0) const;
  bool running() const { return child_ && child_->running(); }

  // SIGTERM and wait for the exit (Redis flushes its AOF): data stays in dir.
  Attempt<void> stop();
  // SIGKILL: the crash.
  void kill();
  // Starts again on the same port with the same data, after stop() or kill().
  // Fails, saying so, when another process took the port meanwhile.
  Attempt<void> restart();

  std::string log() const;

 private:
  RedisServer() = default;
  Attempt<void> launch();

  std::filesystem::path dir_;
  RedisServerOptions options_;
  std::uint16_t port_ = 0;
  std::optional<ChildProcess> child_;  // none before the first launch
};

}  // namespace jwtguard::testing

#endif  // JWTGUARD_TESTS_TESTING_REDIS_SERVER_H_
