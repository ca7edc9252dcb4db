// A real PostgreSQL server (Debian's package) for tests: a cluster created
// with initdb in a directory the test owns, and its postmaster run as a child
// of the test process on a free loopback port, so that it is stopped by its
// PID and dies with the test (it is never daemonized, and only the server a
// test started is ever signalled). PostgreSQL refuses to run as root: when
// the tests run as root, initdb and the server run as the "postgres" system
// user (created by Debian's package), which is given the data directory.
//
// The binaries are looked up under /usr/lib/postgresql/*/bin (the highest
// version). When they are missing, start() fails saying to run `make deps`.
#ifndef JWTGUARD_TESTS_TESTING_POSTGRES_SERVER_H_
#define JWTGUARD_TESTS_TESTING_POSTGRES_SERVER_H_

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "testing/serve_process.h"

namespace jwtguard::testing {

class PostgresServer {
 public:
  // initdb (when `dir` holds no cluster yet) and start on 127.0.0.1 and a
  // free port; waits until it accepts connections. Errors say why and carry
  // the server's log. Call from a thread that outlives the server (the
  // server is killed when the thread that started it exits).
  static Attempt<PostgresServer> start(const std::filesystem::path& dir);

  PostgresServer(PostgresServer&&) noexcept = default;
  PostgresServer& operator=(PostgresServer&&) noexcept = default;
  ~PostgresServer();  // stops a server still running (immediate mode)

  std::uint16_t port() const { return port_; }
  // "postgresql://USER@127.0.0.1:PORT/DATABASE" (no password: trust auth).
  std::string url(std::string_view database) const;
  // Creates an empty database and returns its URL. `name` is a plain SQL
  // identifier: lower-case letters, digits and underscores.
  Attempt<std::string> create_database(std::string_view name);
  bool running() const;

  // A clean shutdown (what pg_ctl stop -m fast does: SIGINT): data stays in
  // dir.
  Attempt<void> stop();
  // The crash, as far as the data is concerned: an immediate shutdown
  // (SIGQUIT, what pg_ctl stop -m immediate does) ends every server process
  // at once, with no checkpoint, so the next start replays the WAL. Not a
  // SIGKILL of the postmaster: that would leave its backends running as
  // orphans, holding the shared memory that the next start must have for
  // itself. SIGKILL only if the server is not gone after 10 s.
  void kill();
  // Starts again on the same port with the same data.
  Attempt<void> restart();

  std::string log() const;

 private:
  PostgresServer() = default;
  // Runs the postmaster and waits until it accepts connections.
  Attempt<void> launch();
  // Runs one of the cluster's programs (initdb, pg_isready, psql) to its end.
  Attempt<void> run_tool(const std::string& name, std::vector<std::string> args,
                         Millis timeout) const;
  std::vector<std::string> command(const std::string& program, std::vector<std::string> args) const;
  void stop_with(int signal, Millis timeout);

  std::filesystem::path dir_;
  std::filesystem::path bindir_;  // /usr/lib/postgresql/N/bin
  std::string user_;              // the database superuser
  bool as_postgres_ = false;      // running as root: programs run as "postgres"
  std::uint16_t port_ = 0;
  // The running postmaster. Mutable: running() reaps it when it has exited.
  mutable std::optional<ChildProcess> postmaster_;
};

}  // namespace jwtguard::testing

#endif  // JWTGUARD_TESTS_TESTING_POSTGRES_SERVER_H_
