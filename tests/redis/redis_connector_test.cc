#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "redis/redis_client.h"
#include "testing/fake_scheduler.h"

namespace jwtguard::redis {
namespace {

using std::chrono::milliseconds;

// A loopback port nobody listens on: bound and closed again, so that
// connecting to it is refused at once.
std::uint16_t closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return 0;
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool retrying(const Result<Connection>& connection) {
  return !connection && connection.error().detail().ends_with("(retrying)");
}

// The connector's backoff runs on the clock it is given: with a fake one,
// the delays are seen exactly and nothing sleeps.
TEST(RedisConnector, BacksOffOnTheClockItIsGiven) {
  const std::uint16_t port = closed_port();
  ASSERT_NE(port, 0);
  testing::FakeScheduler clock;
  Connector connector(Settings{.endpoint = {.host = "127.0.0.1", .port = port}}, clock);

  auto first = connector.connect();
  ASSERT_FALSE(first.has_value());
  EXPECT_FALSE(retrying(first));  // it tried
  clock.advance(milliseconds(49));
  EXPECT_TRUE(retrying(connector.connect()));  // it did not
  clock.advance(milliseconds(1));
  auto probe = connector.connect();
  ASSERT_FALSE(probe.has_value());
  EXPECT_FALSE(retrying(probe));  // 50 ms on: it tried again
  clock.advance(milliseconds(99));
  EXPECT_TRUE(retrying(connector.connect()));  // and now waits 100 ms
  clock.advance(milliseconds(1));
  EXPECT_FALSE(retrying(connector.connect()));
}

}  // namespace
}  // namespace jwtguard::redis
