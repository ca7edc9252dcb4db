#include "testing/postgres_server.h"

#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <thread>

namespace jwtguard::testing {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr const char* kMakeDeps =
    "PostgreSQL's server binaries are needed (Debian package \"postgresql\"): run `make deps`";
constexpr Millis kStartTimeout{30'000};
constexpr Millis kToolTimeout{30'000};

// The bin directory of the highest PostgreSQL version installed the Debian
// way (/usr/lib/postgresql/15/bin), or empty.
std::filesystem::path find_bindir() {
  std::filesystem::path best;
  int best_version = -1;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    const std::string name = entry.path().filename().string();
    int version = 0;
    auto [end, error] = std::from_chars(name.data(), name.data() + name.size(), version);
    if (error != std::errc() || end != name.data() + name.size()) continue;
    const auto bin = entry.path() / "bin";
    if (::access((bin / "initdb").c_str(), X_OK) != 0) continue;
    if (::access((bin / "postgres").c_str(), X_OK) != 0) continue;
    if (version > best_version) {
      best_version = version;
      best = bin;
    }
  }
  return best;
}

// The "postgres" user must be able to reach `dir` (and its data directory
// inside): every directory above it must let others through.
Attempt<void> check_reachable(const std::filesystem::path& dir, uid_t uid) {
  for (auto p = std::filesystem::absolute(dir);; p = p.parent_path()) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) return failed(p.string() + ": " + std::strerror(errno));
    if (st.st_uid != uid && (st.st_mode & S_IXOTH) == 0) {
      return failed("the postgres user cannot reach " + dir.string() + ": " + p.string() +
                    " is not searchable by others (chmod o+x, or set TEST_TMPDIR elsewhere)");
    }
    if (p == p.parent_path()) return {};
  }
}

// The end of the log since `offset`: what the last start wrote.
std::string log_since(const std::filesystem::path& log, std::size_t offset) {
  std::string text = read_file(log);
  return offset < text.size() ? text.substr(offset) : text;
}

// A start that failed for a reason that goes away: the port was taken, or
// the previous server's processes had not let go of its shared memory yet.
bool worth_retrying(std::string_view log) {
  return log.find("could not bind") != std::string_view::npos ||
         log.find("Address already in use") != std::string_view::npos ||
         log.find("shared memory block is still in use") != std::string_view::npos;
}

}  // namespace

Attempt<PostgresServer> PostgresServer::start(const std::filesystem::path& dir) {
  PostgresServer server;
  server.dir_ = dir;
  server.user_ = "jwtguard";
  server.bindir_ = find_bindir();
  if (server.bindir_.empty()) {
    return failed("no initdb and postgres under /usr/lib/postgresql/*/bin. " +
                  std::string(kMakeDeps));
  }
  const auto data = dir / "data";
  std::error_code ec;
  std::filesystem::create_directories(data, ec);
  if (ec) return failed("cannot create " + data.string() + ": " + ec.message());
  if (::geteuid() == 0) {
    // PostgreSQL refuses to run as root.
    server.as_postgres_ = true;
    const passwd* pw = ::getpwnam("postgres");
    if (pw == nullptr)
      return failed("running as root and there is no \"postgres\" user. " + std::string(kMakeDeps));
    if (::access("/usr/bin/setpriv", X_OK) != 0) return failed("/usr/bin/setpriv is missing");
    if (auto ok = check_reachable(dir, pw->pw_uid); !ok) return tl::unexpected(ok.error());
    if (::chown(data.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      return failed("cannot give " + data.string() + " to postgres: " + std::strerror(errno));
    }
  }
  // The server refuses a data directory that others can read.
  ::chmod(data.c_str(), 0700);
  if (!std::filesystem::exists(data / "PG_VERSION")) {
    // --no-sync: a crash of the machine during the tests loses nothing of
    // value. The server itself runs with fsync on.
    auto ok = server.run_tool("initdb",
                              {"-D", data.string(), "-U", server.user_, "--auth=trust", "-E",
                               "UTF8", "--locale=C", "--no-sync"},
                              Millis(120'000));
    if (!ok) return tl::unexpected(ok.error());
  }
  if (auto ok = server.launch(); !ok) return tl::unexpected(ok.error());
  return server;
}

PostgresServer::~PostgresServer() {
  if (running()) stop_with(SIGQUIT, Millis(10'000));
}

std::string PostgresServer::url(std::string_view database) const {
  return "postgresql://" + user_ + "@127.0.0.1:" + std::to_string(port_) + "/" +
         std::string(database);
}

Attempt<std::string> PostgresServer::create_database(std::string_view name) {
  const bool plain = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
  if (!plain) return failed("not a plain database name: " + std::string(name));
  auto ok =
      run_tool("psql",
               {"-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", std::to_string(port_),
                "-U", user_, "-d", "postgres", "-c", "CREATE DATABASE " + std::string(name)},
               kToolTimeout);
  if (!ok) return tl::unexpected(ok.error());
  return url(name);
}

bool PostgresServer::running() const {
  // exited() reaps a postmaster that died; a moved-from handle has no PID.
  return postmaster_ && !postmaster_->exited() && postmaster_->running();
}

Attempt<void> PostgresServer::stop() {
  if (!running()) return failed("the server is not running");
  // SIGINT is the fast shutdown: clients are disconnected, a checkpoint is
  // written, the postmaster exits.
  postmaster_->signal(SIGINT);
  const auto status = postmaster_->wait_for(kStartTimeout);
  if (!status) {
    postmaster_->kill();
    postmaster_.reset();
    return failed("the server did not stop within 30 s (killed):\n" + log());
  }
  postmaster_.reset();
  return {};
}

void PostgresServer::kill() {
  if (running()) stop_with(SIGQUIT, Millis(10'000));
}

void PostgresServer::stop_with(int signal, Millis timeout) {
  postmaster_->signal(signal);
  if (!postmaster_->wait_for(timeout)) postmaster_->kill();
  postmaster_.reset();
}

Attempt<void> PostgresServer::restart() {
  if (running()) return failed("the server is still running");
  return launch();
}

std::string PostgresServer::log() const { return read_file(dir_ / "postgres.log"); }

Attempt<void> PostgresServer::launch() {
  const bool fixed_port = port_ != 0;
  const auto log_path = dir_ / "postgres.log";
  // A port someone else took is worth a few other ports; the same port (a
  // restart) is worth waiting for a little.
  const auto give_up = SteadyClock::now() + Millis(10'000);
  for (int attempt = 0;; ++attempt) {
    if (!fixed_port) {
      auto port = pick_free_port();
      if (!port) return tl::unexpected(port.error());
      port_ = *port;
    }
    const std::size_t offset = read_file(log_path).size();
    // No Unix-domain socket: the tests connect over TCP, and a socket path
    // under a long scratch directory could exceed the 107 bytes allowed.
    // fsync is on (the default) but not fixed here: settings given on the
    // command line outrank ALTER SYSTEM, which a test uses to turn it off.
    auto child = ChildProcess::spawn(
        {.argv =
             command("postgres", {"-D", (dir_ / "data").string(), "-p", std::to_string(port_), "-c",
                                  "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="}),
         .env = {"LC_ALL=C"},
         .stdout_path = log_path,
         .stderr_path = log_path});
    if (!child) return tl::unexpected(child.error());
    const auto deadline = SteadyClock::now() + kStartTimeout;
    for (;;) {
      if (auto status = child->exited()) {
        const std::string tail = log_since(log_path, offset);
        if (worth_retrying(tail) && attempt < 5 && SteadyClock::now() < give_up) break;
        return failed("postgres exited (" + describe_wait_status(*status) + "):\n" + tail);
      }
      // pg_isready succeeds once the server accepts connections (not
      // merely the TCP port: recovery may still be running).
      if (run_tool("pg_isready",
                   {"-q", "-h", "127.0.0.1", "-p", std::to_string(port_), "-U", user_, "-d",
                    "postgres", "-t", "2"},
                   Millis(5'000))) {
        postmaster_ = std::move(*child);
        return {};
      }
      if (SteadyClock::now() >= deadline) {
        child->kill();
        return failed("postgres did not accept connections within 30 s:\n" +
                      log_since(log_path, offset));
      }
      std::this_thread::sleep_for(Millis(50));
    }
    std::this_thread::sleep_for(Millis(200));
  }
}

std::vector<std::string> PostgresServer::command(const std::string& program,
                                                 std::vector<std::string> args) const {
  std::vector<std::string> argv;
  const bool server_side = program == "initdb" || program == "postgres";
  if (server_side && as_postgres_) {
    // setpriv execs the program in its own process, so the PID we hold is
    // the postmaster's. Changing the user clears the parent-death signal
    // that ChildProcess set; --pdeathsig keep restores it.
    argv = {"/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres",
            "--init-groups",    "--pdeathsig=keep", "--"};
  }
  argv.push_back((bindir_ / program).string());
  argv.insert(argv.end(), std::make_move_iterator(args.begin()),
              std::make_move_iterator(args.end()));
  return argv;
}

Attempt<void> PostgresServer::run_tool(const std::string& name, std::vector<std::string> args,
                                       Millis timeout) const {
  const auto out = dir_ / (name + ".log");
  std::error_code ignored;
  std::filesystem::remove(out, ignored);
  auto child = ChildProcess::spawn({.argv = command(name, std::move(args)),
                                    .env = {"LC_ALL=C"},
                                    .stdout_path = out,
                                    .stderr_path = out});
  if (!child) return tl::unexpected(child.error());
  const auto status = child->wait_for(timeout);
  if (!status) {
    child->kill();
    return failed(name + " did not finish within " + std::to_string(timeout.count()) + " ms");
  }
  if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
    return failed(name + " failed (" + describe_wait_status(*status) + "): " + read_file(out));
  }
  return {};
}

}  // namespace jwtguard::testing
