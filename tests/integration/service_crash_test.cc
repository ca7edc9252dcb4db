// The service-level crash test: `jwtguard serve` on a SQLite file answers
// logouts from several client threads and is SIGKILLed in the middle; after
// a restart on the same file, every logout that was answered with 200 must
// still hold (its token and its session refused as revoked), and tokens
// never presented must still work. And the graceful stop: SIGTERM while
// requests are under way answers every one of them, exits 0, and a restart
// sees everything they did; a request that arrives together with SIGTERM
// is answered too.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <latch>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "integration/service_client.h"
#include "testing/fixtures.h"
#include "testing/serve_process.h"
#include "testing/subprocess.h"

namespace jwtguard::testing {
namespace {

using loopback::Connection;
using loopback::Reply;
using SteadyClock = std::chrono::steady_clock;

constexpr char kBinary[] = JWTGUARD_BINARY;
constexpr char kAdmin[] = "admin";
constexpr char kAdminPassword[] = "correct horse battery staple";
constexpr char kRevoked[] = "Token has been revoked";

constexpr int kRounds = 5;
constexpr int kPairsPerRound = 48;
constexpr int kClients = 8;
// A service that has answered no logout by then is stuck: kill it anyway.
constexpr std::chrono::seconds kBurstLimit{10};

// What became of one logout in a burst that ended with SIGKILL.
enum class Fate {
  kNotSent,       // never written: its tokens must still work
  kSent,          // written, no complete answer: either outcome is fine
  kAcknowledged,  // answered 200: it must survive the crash
};

struct LogoutCase {
  TokenPair pair;
  bool with_refresh = false;  // logs out with the refresh token, else the access token
  Fate fate = Fate::kNotSent;
  std::string problem;  // an answer that was neither 200 nor a cut connection
};

// Sends DELETE /auth/logout for each case in turn on one keep-alive
// connection, until the service is gone.
void log_out_all(std::uint16_t port, std::vector<LogoutCase*> cases,
                 std::atomic<int>& acknowledged) {
  auto connection = Connection::open(port);
  for (LogoutCase* c : cases) {
    if (!connection) return;
    c->fate = Fate::kSent;  // before the first byte: a partly written request counts as sent
    const std::string& token = c->with_refresh ? c->pair.refresh : c->pair.access;
    auto reply = connection->exchange(loopback::del("/auth/logout", token));
    if (!reply) {
      connection = Connection::open(port);  // refused once the service is dead
      continue;
    }
    const std::string expected = c->with_refresh ? "Refresh token revoked" : "Access token revoked";
    if (reply->status == 200 && msg_of(*reply) == expected) {
      c->fate = Fate::kAcknowledged;
      acknowledged.fetch_add(1);
    } else {
      c->problem = describe(*reply);
    }
  }
}

class ServiceCrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    secret_env_ = "JWTGUARD_SECRET=" + random_hex(32);
    RunResult created = run({kBinary, "user", "create", kAdmin, "--password-stdin", "--admin",
                             "--create", "--store", store()},
                            std::string(kAdminPassword) + "\n", {secret_env_});
    ASSERT_EQ(created.exit_code, 0) << created.err;
  }

  std::string store() const { return "sqlite:" + dir_.db(); }

  // Eight workers, so that eight logouts can share a commit.
  Attempt<ServeProcess> start() {
    return ServeProcess::start({.binary = kBinary,
                                .store = store(),
                                .flags = {"--threads", "2", "--workers", "8"},
                                .env = {secret_env_},
                                .dir = dir_.path()});
  }

  Attempt<std::string> admin_token(std::uint16_t port) {
    auto pair = pair_of(loopback::fetch(
        port, loopback::post("/auth/login", {}, credentials_json(kAdmin, kAdminPassword))));
    if (!pair) return failed("admin login: " + pair.error());
    return pair->access;
  }

  ScratchDir dir_;
  std::string secret_env_;
};

// After a restart: an acknowledged logout holds (the token, and the session
// through the pair's other token, are revoked); a logout never sent left
// its tokens alone.
void expect_outcome_survived(Connection& connection, const LogoutCase& c,
                             const std::string& where) {
  if (c.fate == Fate::kSent) return;
  auto me = connection.exchange(loopback::get("/auth/me", c.pair.access));
  ASSERT_TRUE(me) << where << ": " << me.error();
  if (c.fate == Fate::kNotSent) {
    EXPECT_EQ(me->status, 200) << where
                               << ": a token never logged out is refused: " << describe(*me);
    return;
  }
  EXPECT_EQ(me->status, 401) << where << ": an acknowledged logout was lost: " << describe(*me);
  EXPECT_EQ(msg_of(*me), kRevoked) << where << ": " << describe(*me);
  if (!c.with_refresh) return;
  auto refreshed = connection.exchange(loopback::post("/auth/refresh", c.pair.refresh));
  ASSERT_TRUE(refreshed) << where << ": " << refreshed.error();
  EXPECT_EQ(refreshed->status, 401)
      << where << ": an acknowledged logout was lost: " << describe(*refreshed);
  EXPECT_EQ(msg_of(*refreshed), kRevoked) << where << ": " << describe(*refreshed);
}

TEST_F(ServiceCrashTest, AcknowledgedLogoutsSurviveSigkill) {
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("random seed " + std::to_string(seed));
  std::mt19937 random(seed);
  auto serve = start();
  ASSERT_TRUE(serve) << serve.error();
  auto admin = admin_token(serve->port());
  ASSERT_TRUE(admin) << admin.error() << "\n" << serve->log();
  int acknowledged_total = 0;
  int rounds_cut_short = 0;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<std::string> identities;
    for (int i = 0; i < kPairsPerRound; ++i) {
      identities.push_back("user-" + std::to_string(round) + "-" + std::to_string(i));
    }
    auto pairs = mint(serve->port(), *admin, identities);
    ASSERT_TRUE(pairs) << pairs.error() << "\n" << serve->log();
    std::vector<LogoutCase> cases;
    for (int i = 0; i < kPairsPerRound; ++i) {
      cases.push_back({.pair = (*pairs)[i], .with_refresh = i % 2 == 1});
    }

    // The kill comes at a random moment once a first logout was answered, or
    // after a random number of answers when the disk is fast enough to
    // finish the burst before that moment.
    const auto kill_at = std::chrono::milliseconds(std::uniform_int_distribution(50, 400)(random));
    const int kill_after =
        std::uniform_int_distribution(kPairsPerRound / 8, kPairsPerRound * 3 / 4)(random);
    std::atomic<int> acknowledged{0};
    std::atomic<int> finished{0};
    std::vector<std::thread> clients;
    const auto burst = SteadyClock::now();
    for (int c = 0; c < kClients; ++c) {
      std::vector<LogoutCase*> mine;
      for (int i = c; i < kPairsPerRound; i += kClients) mine.push_back(&cases[i]);
      clients.emplace_back([&, mine, port = serve->port()] {
        log_out_all(port, mine, acknowledged);
        finished.fetch_add(1);
      });
    }
    for (;;) {
      const auto elapsed = SteadyClock::now() - burst;
      const int answered = acknowledged.load();
      if ((elapsed >= kill_at && answered > 0) || answered >= kill_after ||
          finished.load() == kClients || elapsed >= kBurstLimit) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    const auto killed_after =
        std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - burst);
    serve->kill();
    const std::string killed_log = serve->log();
    for (auto& client : clients) client.join();

    int acked = 0, unanswered = 0;
    for (const LogoutCase& c : cases) {
      EXPECT_EQ(c.problem, "") << "round " << round << ": a logout got an unexpected answer";
      acked += c.fate == Fate::kAcknowledged;
      unanswered += c.fate != Fate::kAcknowledged;
    }
    acknowledged_total += acked;
    rounds_cut_short += unanswered > 0;
    std::printf("round %d: SIGKILL %lld ms into the burst; %d logouts acknowledged, %d not\n",
                round, static_cast<long long>(killed_after.count()), acked, unanswered);

    serve = start();
    ASSERT_TRUE(serve) << "restart after the kill: " << serve.error()
                       << "\nthe killed process's log:\n"
                       << killed_log;
    auto connection = Connection::open(serve->port());
    ASSERT_TRUE(connection) << connection.error();
    for (int i = 0; i < kPairsPerRound; ++i) {
      expect_outcome_survived(*connection, cases[i],
                              "round " + std::to_string(round) + ", logout " + std::to_string(i));
    }
    if (HasFailure()) {
      ADD_FAILURE() << "the killed process's log:\n" << killed_log;
      break;
    }
  }
  // Guards the test itself: it must have killed the service mid-burst with
  // acknowledged logouts behind it, or it proved nothing.
  EXPECT_GT(acknowledged_total, 0);
  EXPECT_GT(rounds_cut_short, 0);
  auto stopped = serve->terminate();
  ASSERT_TRUE(stopped) << stopped.error();
  EXPECT_EQ(*stopped, 0) << serve->log();
}

// One request sent on a connection the service had already accepted, and
// what came back.
struct InFlight {
  loopback::Request request;
  Attempt<Reply> reply = failed("not sent");
  SteadyClock::time_point answered_at;
};

// Opens one connection per request and has each served once (GET /healthz),
// so that each is a connection the service has accepted, not one waiting in
// the listen queue. Then writes all the requests at once, calls
// `all_written` once every write has returned, and collects the answers.
std::vector<InFlight> send_together(std::uint16_t port, std::vector<loopback::Request> requests,
                                    const std::function<void()>& all_written) {
  std::vector<InFlight> sent;
  for (auto& request : requests) sent.push_back({.request = std::move(request)});
  const auto count = static_cast<std::ptrdiff_t>(sent.size());
  std::latch warmed(count);
  std::latch go(1);
  std::latch written(count);
  std::vector<std::thread> clients;
  for (InFlight& in_flight : sent) {
    clients.emplace_back([&, r = &in_flight] {
      auto connection = Connection::open(port, std::chrono::milliseconds(20'000));
      Attempt<Reply> health = connection ? connection->exchange(loopback::get("/healthz"))
                                         : Attempt<Reply>(failed(connection.error()));
      warmed.count_down();
      go.wait();
      if (!health || health->status != 200) {
        r->reply = failed("warm-up: " + (health ? describe(*health) : health.error()));
        return written.count_down();
      }
      auto write = connection->send(r->request);
      written.count_down();
      r->reply = write ? connection->receive() : Attempt<Reply>(failed(write.error()));
      r->answered_at = SteadyClock::now();
    });
  }
  warmed.wait();
  go.count_down();
  written.wait();
  all_written();
  for (auto& client : clients) client.join();
  return sent;
}

TEST_F(ServiceCrashTest, SigtermAnswersRequestsUnderWayThenExitsZero) {
  auto serve = start();
  ASSERT_TRUE(serve) << serve.error();
  auto admin = admin_token(serve->port());
  ASSERT_TRUE(admin) << admin.error() << "\n" << serve->log();
  constexpr int kLogouts = 8;
  // Argon2id: each takes about 0.1 s of a core and the hashing threads take
  // them two at a time, so the last ones are still under way at the SIGTERM
  // below. (At most five: a sixth attempt in parallel meets login_max_failures.)
  constexpr int kLogins = 4;
  std::vector<std::string> identities;
  for (int i = 0; i < kLogouts; ++i) identities.push_back("graceful-" + std::to_string(i));
  auto pairs = mint(serve->port(), *admin, identities);
  ASSERT_TRUE(pairs) << pairs.error();

  std::vector<loopback::Request> requests;
  for (const TokenPair& pair : *pairs) {
    requests.push_back(loopback::del("/auth/logout", pair.access));
  }
  for (int i = 0; i < kLogins; ++i) {
    requests.push_back(loopback::post("/auth/login", {}, credentials_json(kAdmin, kAdminPassword)));
  }
  SteadyClock::time_point sigterm_at;
  Attempt<int> stopped = failed("not stopped");
  const std::vector<InFlight> answered = send_together(serve->port(), std::move(requests), [&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));  // let the service read them
    sigterm_at = SteadyClock::now();
    stopped = serve->terminate();
  });
  ASSERT_TRUE(stopped) << stopped.error();
  EXPECT_EQ(*stopped, 0) << serve->log();
  EXPECT_NE(serve->log().find(R"("connections_cut":"0")"), std::string::npos) << serve->log();

  int answered_after_sigterm = 0;
  std::vector<TokenPair> logged_in;
  for (std::size_t i = 0; i < answered.size(); ++i) {
    const InFlight& r = answered[i];
    const std::string what = r.request.method + " " + r.request.target + " #" + std::to_string(i);
    ASSERT_TRUE(r.reply) << what << " got no answer: " << r.reply.error() << "\n" << serve->log();
    EXPECT_EQ(r.reply->status, 200) << what << ": " << describe(*r.reply);
    answered_after_sigterm += r.answered_at > sigterm_at;
    if (r.request.method == "POST") {
      auto pair = pair_of(r.reply);
      ASSERT_TRUE(pair) << what << ": " << pair.error();
      logged_in.push_back(*pair);
    }
  }
  // Guards the test itself: SIGTERM must have found requests under way.
  EXPECT_GT(answered_after_sigterm, 0);

  auto restarted = start();
  ASSERT_TRUE(restarted) << restarted.error();
  auto connection = Connection::open(restarted->port());
  ASSERT_TRUE(connection) << connection.error();
  for (std::size_t i = 0; i < pairs->size(); ++i) {
    const TokenPair& pair = (*pairs)[i];
    auto me = connection->exchange(loopback::get("/auth/me", pair.access));
    ASSERT_TRUE(me) << me.error();
    EXPECT_EQ(me->status, 401) << "logout " << i << " was lost: " << describe(*me);
    EXPECT_EQ(msg_of(*me), kRevoked) << describe(*me);
    auto refreshed = connection->exchange(loopback::post("/auth/refresh", pair.refresh));
    ASSERT_TRUE(refreshed) << refreshed.error();
    EXPECT_EQ(msg_of(*refreshed), kRevoked)
        << "the session of logout " << i << " was not revoked: " << describe(*refreshed);
  }
  for (std::size_t i = 0; i < logged_in.size(); ++i) {
    auto me = connection->exchange(loopback::get("/auth/me", logged_in[i].access));
    ASSERT_TRUE(me) << me.error();
    EXPECT_EQ(me->status, 200) << "login " << i << ": " << describe(*me);
    // The session the login created was stored: its refresh token works.
    auto refreshed =
        pair_of(connection->exchange(loopback::post("/auth/refresh", logged_in[i].refresh)));
    EXPECT_TRUE(refreshed) << "login " << i << ": " << refreshed.error();
  }
  auto stopped_again = restarted->terminate();
  ASSERT_TRUE(stopped_again) << stopped_again.error();
  EXPECT_EQ(*stopped_again, 0) << restarted->log();
}

// A request that reached the service's socket just as SIGTERM came is under
// way too: it gets its answer (with Connection: close), not a connection
// closed in its face. Requests on kept-alive connections from a proxy
// arrive at any moment, and a POST that got no answer cannot be retried
// blindly. The race is narrow, so it is run many times.
TEST(ServiceStopTest, SigtermAnswersRequestsThatArriveWithIt) {
  constexpr int kStops = 25;
  constexpr int kRequests = 16;
  ScratchDir dir;
  const std::string secret_env = "JWTGUARD_SECRET=" + random_hex(32);
  for (int stop = 0; stop < kStops; ++stop) {
    auto serve = ServeProcess::start({.binary = kBinary,
                                      .store = "memory:",
                                      .flags = {"--threads", "2", "--workers", "2"},
                                      .env = {secret_env},
                                      .dir = dir.path()});
    ASSERT_TRUE(serve) << serve.error();
    Attempt<int> stopped = failed("not stopped");
    const std::vector<InFlight> answered =
        send_together(serve->port(), std::vector(kRequests, loopback::get("/healthz")),
                      [&] { stopped = serve->terminate(); });
    ASSERT_TRUE(stopped) << stopped.error();
    EXPECT_EQ(*stopped, 0) << serve->log();
    int unanswered = 0;
    std::string first_error;
    for (const InFlight& r : answered) {
      if (!r.reply && unanswered++ == 0) first_error = r.reply.error();
    }
    ASSERT_EQ(unanswered, 0) << "stop " << stop << ": " << unanswered << " of " << kRequests
                             << " requests written before SIGTERM got no answer (" << first_error
                             << ")";
  }
}

}  // namespace
}  // namespace jwtguard::testing
