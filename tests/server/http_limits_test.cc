// The login and registration rate limits over real HTTP: floods, guesses
// in parallel, and guesses from another client address.
#include <atomic>
#include <latch>
#include <thread>

#include "server/http_fixture.h"

namespace jwtguard::server {
namespace {

using namespace http_tests;  // NOLINT(google-build-using-namespace): the fixture's helpers

// Behind a proxy: each client's address comes from X-Forwarded-For.
class HttpLimitsTest : public HttpTest {
 protected:
  void configure(ServeConfig& config) override { config.trust_forwarded_for = true; }

  void add_user(std::string_view name) {
    auto created = app_->guard().store().create_user(
        User{std::string(name), password_hash(), /*admin=*/false, SystemClock().now()});
    ASSERT_TRUE(created.has_value()) << created.error().message();
  }

  static Headers from(std::string_view address) {
    return {{"X-Forwarded-For", std::string(address)}};
  }
};

struct FloodResult {
  std::vector<std::string> failed_logins;  // status and body of each
  int created = 0;
  int limited = 0;
  int sent = 0;
};

// 90 connections register, connection c from `address(c)`, for as long as
// `logins` logins of alice (from 192.0.2.7, one after another) last.
template <typename Address>
FloodResult flood_while_logging_in(std::uint16_t port, Address address, int logins) {
  constexpr int kConnections = 90;
  constexpr int kMaxPerConnection = 40;
  std::atomic<bool> logins_done{false};
  std::atomic<int> created{0};
  std::atomic<int> limited{0};
  std::atomic<int> sent{0};
  std::latch flooding(kConnections);
  std::vector<std::thread> flood;
  for (int c = 0; c < kConnections; ++c) {
    flood.emplace_back([&, c] {
      HttpClient client(port);
      for (int i = 0; i < kMaxPerConnection && !logins_done.load(); ++i) {
        std::string name = "flood" + std::to_string(c) + "-" + std::to_string(i);
        Reply reply = client.post_json("/auth/register", credentials(name),
                                       {{"X-Forwarded-For", address(c)}});
        created += reply.status == 201;
        limited += reply.status == 429;
        ++sent;
        if (i == 0) flooding.count_down();
      }
    });
  }
  flooding.wait();  // every flood connection has had an answer
  FloodResult result;
  // Logins may wait behind registrations' hashes on a busy machine: that is
  // allowed, only a refusal is not.
  HttpClient alice(port, seconds(30));
  for (int i = 0; i < logins; ++i) {
    Reply reply =
        alice.post_json("/auth/login", credentials("alice"), {{"X-Forwarded-For", "192.0.2.7"}});
    if (reply.status != 200) {
      result.failed_logins.push_back(std::to_string(reply.status) + " " + reply.error + reply.body);
    }
  }
  logins_done = true;
  for (std::thread& thread : flood) thread.join();
  result.created = created.load();
  result.limited = limited.load();
  result.sent = sent.load();
  return result;
}

// A flood from one address is refused before its hashes: every login from
// another address succeeds, and the flood costs at most its address's
// registrations in hashes.
TEST_F(HttpLimitsTest, RegistrationFloodFromOneAddressLeavesLoginsWorking) {
  add_user("alice");
  FloodResult flood = flood_while_logging_in(
      port(), [](int) { return std::string("203.0.113.66"); }, 10);
  EXPECT_TRUE(flood.failed_logins.empty())
      << flood.failed_logins.size() << " logins failed, the first: " << flood.failed_logins[0];
  EXPECT_LE(flood.created, static_cast<int>(config_.registration_max_per_address));
  EXPECT_GT(flood.limited, 0);
  EXPECT_GT(flood.sent, 90);
}

class HttpRegistrationQueueTest : public HttpLimitsTest {
 protected:
  void configure(ServeConfig& config) override {
    HttpLimitsTest::configure(config);
    config.registration_max_per_address = 1000;
    config.registration_max_total = 100'000;
  }
};

// Registrations within their limits (one per address, from 90 addresses)
// that keep the hashing threads busy still leave room in the queue for
// logins: those wait their turn, and are not refused as overloaded.
TEST_F(HttpRegistrationQueueTest, RegistrationsCannotTakeTheLoginsQueue) {
  add_user("alice");
  FloodResult flood = flood_while_logging_in(
      port(), [](int c) { return "198.18.0." + std::to_string(c + 1); }, 3);
  EXPECT_TRUE(flood.failed_logins.empty())
      << flood.failed_logins.size() << " logins failed, the first: " << flood.failed_logins[0];
  EXPECT_GT(flood.created, 0);
}

class HttpLoginLimitsTest : public HttpLimitsTest {
 protected:
  void configure(ServeConfig& config) override {
    HttpLimitsTest::configure(config);
    config.login_max_failures = 5;
  }
};

class HttpAddressLimitsTest : public HttpLimitsTest {
 protected:
  void configure(ServeConfig& config) override {
    HttpLimitsTest::configure(config);
    config.login_max_failures_per_address = 4;
  }
};

// Someone guessing root's password from one address does not lock root out
// of another.
TEST_F(HttpLoginLimitsTest, FailuresFromOneForwardedAddressDoNotBlockAnother) {
  add_user("root");
  HttpClient client(port());
  std::vector<int> statuses;
  for (int i = 0; i < 8; ++i) {
    statuses.push_back(
        client.post_json("/auth/login", credentials("root", "a guess"), from("198.51.100.9"))
            .status);
  }
  EXPECT_EQ(statuses, (std::vector<int>{401, 401, 401, 401, 401, 429, 429, 429}));
  EXPECT_EQ(client.post_json("/auth/login", credentials("root"), from("198.51.100.9")).status, 429);
  Reply elsewhere = client.post_json("/auth/login", credentials("root"), from("192.0.2.1"));
  EXPECT_EQ(elsewhere.status, 200) << elsewhere.body;
}

class HttpUserBackoffTest : public HttpLimitsTest {
 protected:
  void configure(ServeConfig& config) override {
    HttpLimitsTest::configure(config);
    config.login_max_failures_per_user = 3;
  }
};

// Guesses from many addresses slow the user's logins down, but not from an
// address where the user logged in before: the guesser cannot keep them out.
TEST_F(HttpUserBackoffTest, GuessesFromManyAddressesDoNotKeepTheUserOutOfAKnownAddress) {
  add_user("root");
  HttpClient client(port());
  ASSERT_EQ(client.post_json("/auth/login", credentials("root"), from("192.0.2.1")).status, 200);
  for (int i = 0; i < 3; ++i) {
    std::string address = "198.51.100." + std::to_string(i + 1);
    ASSERT_EQ(client.post_json("/auth/login", credentials("root", "a guess"), from(address)).status,
              401);
  }
  EXPECT_EQ(
      client.post_json("/auth/login", credentials("root", "a guess"), from("198.51.100.9")).status,
      429);
  EXPECT_EQ(client.post_json("/auth/login", credentials("root"), from("203.0.113.5")).status, 429);
  Reply known = client.post_json("/auth/login", credentials("root"), from("192.0.2.1"));
  EXPECT_EQ(known.status, 200) << known.body;
}

// An address that failed for many users is slowed by seconds, not locked
// out for the window: a user behind it gets in after Retry-After.
TEST_F(HttpAddressLimitsTest, AnAddressFailingForManyUsersIsSlowedNotLockedOut) {
  add_user("carol");
  HttpClient client(port());
  for (int i = 0; i < 4; ++i) {
    std::string user = "user" + std::to_string(i);
    ASSERT_EQ(
        client.post_json("/auth/login", credentials(user, "a guess"), from("192.0.2.50")).status,
        401);
  }
  Reply slowed = client.post_json("/auth/login", credentials("carol"), from("192.0.2.50"));
  ASSERT_EQ(slowed.status, 429);
  int wait = std::stoi(slowed.header("Retry-After"));
  EXPECT_GE(wait, 1);
  ASSERT_LE(wait, 2) << "a lockout, not a backoff";
  std::this_thread::sleep_for(seconds(wait));
  Reply later = client.post_json("/auth/login", credentials("carol"), from("192.0.2.50"));
  EXPECT_EQ(later.status, 200) << later.body;
}

class HttpParallelGuessesTest : public HttpLimitsTest {
 protected:
  void configure(ServeConfig& config) override {
    HttpLimitsTest::configure(config);
    config.workers = 4;
    config.login_max_failures = 5;
  }
};

// 40 wrong guesses at once: a 401 means the password was checked, a 429 that
// it was not. At most the limit may be checked, however the workers interleave.
TEST_F(HttpParallelGuessesTest, ParallelGuessesCheckAtMostTheLimit) {
  add_user("root");
  constexpr int kGuesses = 40;
  std::latch ready(kGuesses);
  std::vector<int> statuses(kGuesses);
  std::vector<std::thread> guessers;
  for (int g = 0; g < kGuesses; ++g) {
    guessers.emplace_back([&, g] {
      HttpClient client(port());
      EXPECT_EQ(client.get("/healthz").status, 200);  // connected before the race
      ready.arrive_and_wait();
      statuses[g] = client
                        .post_json("/auth/login", credentials("root", "guess " + std::to_string(g)),
                                   from("198.51.100.23"))
                        .status;
    });
  }
  for (std::thread& thread : guessers) thread.join();
  int checked = std::count(statuses.begin(), statuses.end(), 401);
  int refused = std::count(statuses.begin(), statuses.end(), 429);
  EXPECT_EQ(checked + refused, kGuesses);
  EXPECT_LE(checked, 5);
  EXPECT_GE(checked, 1);
}

}  // namespace
}  // namespace jwtguard::server
