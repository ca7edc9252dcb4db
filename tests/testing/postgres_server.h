// A real PostgreSQL server (Debian's package) for tests: a cluster created
// with initdb in a directory the test owns, started with pg_ctl on a free
// loopback port, stopped by PID. PostgreSQL refuses to run as root: when
// the tests run as root, initdb and the server run as the "postgres" system
// user (created by Debian's package), which is given the directory.
#ifndef JWTGUARD_TESTS_TESTING_POSTGRES_SERVER_H_
#define JWTGUARD_TESTS_TESTING_POSTGRES_SERVER_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "testing/serve_process.h"

namespace jwtguard::testing {

class PostgresServer {
 public:
  // initdb (when `dir` holds no cluster yet) and start on 127.0.0.1 and a
  // free port; waits until it accepts connections. Errors say why and carry
  // the server's log.
  static Attempt<PostgresServer> start(const std::filesystem::path& dir);

  PostgresServer(PostgresServer&&) noexcept = default;
  PostgresServer& operator=(PostgresServer&&) noexcept = default;
  ~PostgresServer();  // stops a server still running (immediate mode)

  std::uint16_t port() const { return port_; }
  // "postgresql://USER@127.0.0.1:PORT/DATABASE".
  std::string url(std::string_view database) const;
  // Creates an empty database and returns its URL.
  Attempt<std::string> create_database(std::string_view name);
  bool running() const;

  // A clean shutdown (pg_ctl stop -m fast): data stays in dir.
  Attempt<void> stop();
  // The crash: SIGKILL of the postmaster (pg_ctl stop -m immediate is close).
  void kill();
  // Starts again on the same port with the same data.
  Attempt<void> restart();

  std::string log() const;

 private:
  PostgresServer() = default;
  Attempt<void> launch();

  std::filesystem::path dir_;
  std::string user_;  // the database superuser
  std::uint16_t port_ = 0;
  bool running_ = false;
};

}  // namespace jwtguard::testing

#endif  // JWTGUARD_TESTS_TESTING_POSTGRES_SERVER_H_
