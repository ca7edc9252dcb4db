// What clients can hold open: connections (the cap and the eviction of the
// longest-idle one) and memory (the budget of buffered request bytes),
// against `jwtguard serve` as a process, whose file descriptor limit and
// memory the test controls and reads.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "testing/fixtures.h"
#include "testing/serve_process.h"

namespace jwtguard::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr char kBinary[] = JWTGUARD_BINARY;
constexpr char kSecretEnv[] = "JWTGUARD_SECRET=http-connections-test-secret-of-48-bytes-xxxxxxx";

// A socket connected to 127.0.0.1:port (the kernel completes the handshake
// whether or not the server accepted it), or -1.
int connect_loopback(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  timeval timeout{2, 0};  // no send below may block longer
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  return fd;
}

// Sockets closed when the test ends, whatever happened.
struct Sockets {
  std::vector<int> fds;
  ~Sockets() { close_all(); }
  // Before a stop: a request still being received would hold it up.
  void close_all() {
    for (int fd : fds) ::close(fd);
    fds.clear();
  }
};

// Whether the server closed (or reset) the connection, waiting up to `wait`.
bool closed_by_server(int fd, milliseconds wait) {
  pollfd entry{fd, POLLIN, 0};
  if (::poll(&entry, 1, static_cast<int>(wait.count())) <= 0) return false;
  char byte;
  return ::recv(fd, &byte, 1, MSG_DONTWAIT) <= 0;
}

// The soft limit on open files, set for this process; returns the old one.
rlim_t set_open_files(rlim_t soft) {
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  rlim_t old = limit.rlim_cur;
  limit.rlim_cur = std::min(soft, limit.rlim_max);
  ::setrlimit(RLIMIT_NOFILE, &limit);
  return old;
}

// The test's own client sockets need descriptors too: as many as allowed.
void raise_own_open_files() { set_open_files(RLIM_INFINITY); }

// `jwtguard serve` started with a soft limit of `open_files` descriptors
// (the child inherits the limit in force when it is forked).
Attempt<ServeProcess> start_serve(const ScratchDir& dir, rlim_t open_files,
                                  std::vector<std::string> flags = {}) {
  rlim_t old = set_open_files(open_files);
  flags.insert(flags.end(), {"--threads", "2", "--workers", "1"});
  auto serve = ServeProcess::start({.binary = kBinary,
                                    .store = "memory:",
                                    .flags = flags,
                                    .env = {kSecretEnv},
                                    .dir = dir.path()});
  set_open_files(old);
  return serve;
}

// The resident set of process `pid` in bytes (VmRSS), or 0.
std::size_t resident_bytes(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10) * 1024;
  }
  return 0;
}

// Under `ulimit -n 1024`, 1,100 connections that never send anything
// exhausted the descriptors: every fresh request timed out until the idle
// ones did (60 s). At the cap, the longest-idle connections now close for
// the new ones.
TEST(HttpConnectionsTest, IdleConnectionsOverTheFdLimitDoNotLockOutAFreshClient) {
  raise_own_open_files();
  ScratchDir dir;
  auto serve = start_serve(dir, 1024);
  ASSERT_TRUE(serve) << serve.error();
  EXPECT_NE(serve->log().find("\"max_connections\":\"928\""), std::string::npos) << serve->log();

  Sockets idle;
  for (int i = 0; i < 1100; ++i) {
    int fd = connect_loopback(serve->port());
    ASSERT_GE(fd, 0) << "connection " << i << ": " << std::strerror(errno);
    idle.fds.push_back(fd);
  }
  // Lets the server take the backlog in; the fresh client comes after it.
  std::this_thread::sleep_for(milliseconds(500));

  auto started = steady_clock::now();
  auto reply = loopback::fetch(serve->port(), loopback::get("/healthz"), milliseconds(1000));
  auto took = steady_clock::now() - started;
  ASSERT_TRUE(reply) << reply.error() << "\n" << serve->log();
  EXPECT_EQ(reply->status, 200);
  EXPECT_LT(took, milliseconds(1000));

  // The longest idle went first; the newest is still open.
  EXPECT_TRUE(closed_by_server(idle.fds.front(), milliseconds(2000)));
  EXPECT_FALSE(closed_by_server(idle.fds.back(), milliseconds(0)));
  EXPECT_TRUE(serve->terminate()) << serve->log();
}

TEST(HttpConnectionsTest, TheConfiguredCapIsKeptByClosingTheLongestIdle) {
  ScratchDir dir;
  auto serve = start_serve(dir, 1024, {"--max-connections", "8"});
  ASSERT_TRUE(serve) << serve.error();
  EXPECT_NE(serve->log().find("\"max_connections\":\"8\""), std::string::npos) << serve->log();
  Sockets idle;
  for (int i = 0; i < 12; ++i) {
    idle.fds.push_back(connect_loopback(serve->port()));
    ASSERT_GE(idle.fds.back(), 0);
    std::this_thread::sleep_for(milliseconds(20));  // distinct idle ages
  }
  auto reply = loopback::fetch(serve->port(), loopback::get("/healthz"), milliseconds(1000));
  ASSERT_TRUE(reply) << reply.error();
  EXPECT_EQ(reply->status, 200);
  // 13 connections came for 8 places: the 5 idle the longest made room.
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(closed_by_server(idle.fds[i], milliseconds(2000))) << i;
  for (int i = 5; i < 12; ++i) EXPECT_FALSE(closed_by_server(idle.fds[i], milliseconds(0))) << i;
  idle.close_all();
  EXPECT_TRUE(serve->terminate()) << serve->log();
}

// 3,000 connections each holding most of a 60 KiB body grew the process by
// about 190 MB; the budget of buffered request bytes (32 MiB) now bounds it.
TEST(HttpConnectionsTest, PartialBodiesHeldByManyConnectionsStayWithinTheBudget) {
  raise_own_open_files();
  ScratchDir dir;
  // No request may time out while the test builds up: the memory is held.
  auto serve = start_serve(dir, RLIM_INFINITY, {"--read-timeout", "2m"});
  ASSERT_TRUE(serve) << serve.error();
  auto warm = loopback::fetch(serve->port(), loopback::get("/healthz"));
  ASSERT_TRUE(warm) << warm.error();
  std::size_t before = resident_bytes(serve->pid());
  ASSERT_GT(before, 0u);

  const std::string head =
      "POST /auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
      "Content-Length: 61440\r\n\r\n";
  const std::string part(56 * 1024, 'a');
  Sockets holding;
  int refused = 0;
  for (int i = 0; i < 3000; ++i) {
    int fd = connect_loopback(serve->port());
    ASSERT_GE(fd, 0) << "connection " << i << ": " << std::strerror(errno);
    holding.fds.push_back(fd);
    std::string bytes = head + part;
    if (::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(bytes.size())) {
      ++refused;  // the server answered 503 and closed while this was sent
    }
  }
  std::this_thread::sleep_for(milliseconds(500));  // the server reads what was sent
  std::size_t after = resident_bytes(serve->pid());
  std::size_t growth = after > before ? after - before : 0;
  EXPECT_LT(growth, std::size_t{100} << 20) << "grew by " << (growth >> 20) << " MiB";

  // The connections over the budget were told why.
  pollfd entry{holding.fds.back(), POLLIN, 0};
  ASSERT_EQ(::poll(&entry, 1, 2000), 1);
  char buffer[512] = {};
  ssize_t n = ::recv(holding.fds.back(), buffer, sizeof buffer - 1, 0);
  ASSERT_GT(n, 0) << refused;
  EXPECT_EQ(std::string(buffer, 12), "HTTP/1.1 503") << buffer;
  EXPECT_NE(std::string(buffer).find("Retry-After: 1"), std::string::npos) << buffer;

  auto reply = loopback::fetch(serve->port(), loopback::get("/healthz"));
  ASSERT_TRUE(reply) << reply.error();
  EXPECT_EQ(reply->status, 200);
  holding.close_all();
  EXPECT_TRUE(serve->terminate()) << serve->log();
}

}  // namespace
}  // namespace jwtguard::testing
