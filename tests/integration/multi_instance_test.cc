// Three `jwtguard serve` processes sharing one store, for Redis and for
// PostgreSQL (each started by the test on a free loopback port): a
// revocation through one instance is refused by the others within
// milliseconds (the distribution is printed), log out everywhere through one
// is honoured by all, a store outage turns writes into 503 while checks go
// on and loses nothing acknowledged, and an instance SIGKILLed during a
// revocation burst has everything once restarted.
//
// Timing is printed, never asserted (bench/cluster_bench measures it); the
// assertions are about outcomes, with bounded waits.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "integration/service_client.h"
#include "testing/fixtures.h"
#include "testing/serve_process.h"
#include "testing/store_servers.h"
#include "testing/subprocess.h"

namespace jwtguard::testing {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

constexpr char kBinary[] = JWTGUARD_BINARY;
constexpr char kAdmin[] = "admin";
constexpr char kAdminPassword[] = "correct horse battery staple";
constexpr char kRevoked[] = "Token has been revoked";
// How long a change may take to reach another instance before the test
// calls it lost. Far above the expected milliseconds: a loaded CI machine
// must not fail the test, a lost change must.
constexpr milliseconds kPropagationLimit{10'000};

int revocation_count() {
  const char* text = std::getenv("JWTGUARD_PROPAGATION_REVOCATIONS");
  return text != nullptr ? std::max(1, std::atoi(text)) : 1000;
}

// Sends `request` until `done` says the reply is the awaited one, or the
// limit passes. Returns the last reply (or why there was none).
template <typename Done>
Attempt<Reply> poll(Connection& connection, const loopback::Request& request, Done done,
                    milliseconds limit = kPropagationLimit) {
  const auto deadline = SteadyClock::now() + limit;
  for (;;) {
    auto reply = connection.exchange(request);
    if (!reply) return reply;
    if (done(*reply) || SteadyClock::now() >= deadline) return reply;
    std::this_thread::sleep_for(milliseconds(1));
  }
}

bool refused_as_revoked(const Reply& reply) {
  return reply.status == 401 && msg_of(reply) == kRevoked;
}

struct Percentiles {
  double p50, p90, p99, max;
};

Percentiles percentiles(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  auto at = [&](double q) {
    return values[std::min(values.size() - 1, static_cast<std::size_t>(q * values.size()))];
  };
  return {at(0.50), at(0.90), at(0.99), values.back()};
}

class MultiInstanceTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    auto server = start_store_server(GetParam(), dir_.path());
    ASSERT_TRUE(server) << server.error();
    server_ = std::move(*server);
    secret_env_ = "JWTGUARD_SECRET=" + random_hex(32);
    RunResult created = run({kBinary, "user", "create", kAdmin, "--password-stdin", "--admin",
                             "--store", server_->url()},
                            std::string(kAdminPassword) + "\n", {secret_env_});
    ASSERT_EQ(created.exit_code, 0) << created.err;
    for (int i = 0; i < 3; ++i) {
      auto instance = start_instance();
      ASSERT_TRUE(instance) << instance.error();
      instances_.push_back(std::make_unique<ServeProcess>(std::move(*instance)));
    }
    auto admin = pair_of(loopback::fetch(
        port(0), loopback::post("/auth/login", {}, credentials_json(kAdmin, kAdminPassword))));
    ASSERT_TRUE(admin) << "admin login: " << admin.error();
    admin_ = admin->access;
  }

  void TearDown() override {
    if (HasFailure()) {
      for (std::size_t i = 0; i < instances_.size(); ++i) {
        if (!instances_[i]) continue;
        std::printf("--- instance %zu log:\n%s\n", i, instances_[i]->log().c_str());
      }
    }
    instances_.clear();  // before the store server goes
  }

  Attempt<ServeProcess> start_instance() {
    return ServeProcess::start({.binary = kBinary,
                                .store = server_->url(),
                                .flags = {"--threads", "1", "--workers", "4"},
                                .env = {secret_env_},
                                .dir = dir_.path()});
  }

  std::uint16_t port(int instance) const { return instances_[instance]->port(); }

  Attempt<std::vector<TokenPair>> mint_pairs(int count, std::string_view prefix) {
    std::vector<std::string> identities;
    for (int i = 0; i < count; ++i) identities.push_back(std::string(prefix) + std::to_string(i));
    return mint(port(0), admin_, identities);
  }

  // Every access token in `revoked` is refused as revoked by every instance
  // (after at most kPropagationLimit each).
  void expect_refused_everywhere(const std::vector<std::string>& revoked, std::string_view what) {
    for (int i = 0; i < static_cast<int>(instances_.size()); ++i) {
      auto connection = Connection::open(port(i));
      ASSERT_TRUE(connection) << connection.error();
      for (std::size_t t = 0; t < revoked.size(); ++t) {
        auto reply =
            poll(*connection, loopback::get("/auth/verify", revoked[t]), refused_as_revoked);
        ASSERT_TRUE(reply) << reply.error();
        EXPECT_TRUE(refused_as_revoked(*reply))
            << what << " #" << t << " is not refused by instance " << i << ": " << describe(*reply);
        if (HasFailure()) return;
      }
    }
  }

  ScratchDir dir_;
  std::unique_ptr<StoreServer> server_;
  std::string secret_env_;
  std::vector<std::unique_ptr<ServeProcess>> instances_;
  std::string admin_;
};

// Revoke through A; B and C must refuse the token. The delay from A's 200 to
// each instance's first 401 is recorded and printed.
TEST_P(MultiInstanceTest, ARevocationThroughOneInstanceIsRefusedByTheOthers) {
  const int count = revocation_count();
  auto pairs = mint_pairs(count, "propagation-");
  ASSERT_TRUE(pairs) << pairs.error();
  auto a = Connection::open(port(0));
  auto b = Connection::open(port(1));
  auto c = Connection::open(port(2));
  ASSERT_TRUE(a && b && c);
  std::vector<double> delays_ms;
  for (int i = 0; i < count; ++i) {
    const std::string& token = (*pairs)[i].access;
    if (i % 100 == 0) {  // the token works everywhere before
      auto before = b->exchange(loopback::get("/auth/verify", token));
      ASSERT_TRUE(before) << before.error();
      ASSERT_EQ(before->status, 200) << describe(*before);
    }
    auto logout = a->exchange(loopback::del("/auth/logout", token));
    ASSERT_TRUE(logout) << logout.error();
    ASSERT_EQ(logout->status, 200) << describe(*logout);
    const auto acknowledged = SteadyClock::now();
    for (Connection* other : {&*b, &*c}) {
      auto reply = poll(*other, loopback::get("/auth/verify", token), refused_as_revoked);
      ASSERT_TRUE(reply) << reply.error();
      ASSERT_TRUE(refused_as_revoked(*reply))
          << "revocation " << i << " did not reach another instance within "
          << kPropagationLimit.count() << " ms: " << describe(*reply);
      delays_ms.push_back(
          std::chrono::duration<double, std::milli>(SteadyClock::now() - acknowledged).count());
    }
  }
  const Percentiles p = percentiles(delays_ms);
  std::printf(
      "%s: propagation A -> B, C over %d revocations (%zu observations): "
      "p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
      GetParam(), count, delays_ms.size(), p.p50, p.p90, p.p99, p.max);
}

// POST /auth/logout-all through B: A and C refuse every token the user had,
// and a new login works everywhere.
TEST_P(MultiInstanceTest, LogoutEverywhereThroughOneInstanceIsHonouredByAll) {
  const std::string credentials = credentials_json("carol", "carol's long password");
  auto registered = loopback::fetch(port(0), loopback::post("/auth/register", {}, credentials));
  ASSERT_TRUE(registered) << registered.error();
  ASSERT_EQ(registered->status, 201) << describe(*registered);
  auto on_a = pair_of(loopback::fetch(port(0), loopback::post("/auth/login", {}, credentials)));
  auto on_c = pair_of(loopback::fetch(port(2), loopback::post("/auth/login", {}, credentials)));
  auto on_b = pair_of(loopback::fetch(port(1), loopback::post("/auth/login", {}, credentials)));
  ASSERT_TRUE(on_a && on_b && on_c);
  auto all = loopback::fetch(port(1), loopback::post("/auth/logout-all", on_b->access));
  ASSERT_TRUE(all) << all.error();
  ASSERT_EQ(all->status, 200) << describe(*all);
  expect_refused_everywhere({on_a->access, on_b->access, on_c->access},
                            "an access token of carol's after log out everywhere");
  // Refreshing is refused too, on every instance, the one where the session
  // started or not.
  for (int i = 0; i < 3; ++i) {
    for (const std::string& refresh : {on_a->refresh, on_c->refresh}) {
      auto refreshed = loopback::fetch(port(i), loopback::post("/auth/refresh", refresh));
      ASSERT_TRUE(refreshed) << refreshed.error();
      EXPECT_TRUE(refused_as_revoked(*refreshed))
          << "instance " << i << ": " << describe(*refreshed);
    }
  }
  auto again = pair_of(loopback::fetch(port(0), loopback::post("/auth/login", {}, credentials)));
  ASSERT_TRUE(again) << again.error();
  for (int i = 0; i < 3; ++i) {
    auto me = loopback::fetch(port(i), loopback::get("/auth/me", again->access));
    ASSERT_TRUE(me) << me.error();
    EXPECT_EQ(me->status, 200) << "instance " << i << ": " << describe(*me);
  }
}

// Logouts through A and B run while the store is stopped and started again.
// Each is answered 200 or 503; every 200 holds on every instance afterwards,
// while checks went on from the index during the outage.
TEST_P(MultiInstanceTest, AStoreOutageRefusesWritesLosesNothingAndIsCaughtUp) {
  auto pairs = mint_pairs(400, "outage-");
  ASSERT_TRUE(pairs) << pairs.error();
  const TokenPair& untouched = pairs->back();  // never logged out
  const TokenPair& early = (*pairs)[0];        // logged out before the outage
  auto logout = loopback::fetch(port(0), loopback::del("/auth/logout", early.access));
  ASSERT_TRUE(logout && logout->status == 200);
  // Every instance has the logout before the store stops: what the outage
  // must not lose is a revocation an instance already holds, not one still
  // on its way through the store's feed (which an outage right after the
  // commit may delay, as the burst below allows for).
  for (int i = 0; i < 3; ++i) {
    auto connection = Connection::open(port(i));
    ASSERT_TRUE(connection) << connection.error();
    auto held = poll(*connection, loopback::get("/auth/verify", early.access), refused_as_revoked);
    ASSERT_TRUE(held && refused_as_revoked(*held)) << "instance " << i;
  }

  ASSERT_TRUE(server_->stop());
  // Writes: 503 with the store's message. Readiness: not ready.
  auto refused = loopback::fetch(port(0), loopback::del("/auth/logout", (*pairs)[1].access));
  ASSERT_TRUE(refused) << refused.error();
  EXPECT_EQ(refused->status, 503) << describe(*refused);
  EXPECT_NE(msg_of(*refused).find("store is unavailable"), std::string::npos) << describe(*refused);
  for (int i = 0; i < 3; ++i) {
    auto ready = loopback::fetch(port(i), loopback::get("/readyz"));
    ASSERT_TRUE(ready) << ready.error();
    EXPECT_EQ(ready->status, 503) << "instance " << i << ": " << describe(*ready);
    // Checks go on from the index.
    auto valid = loopback::fetch(port(i), loopback::get("/auth/verify", untouched.access));
    ASSERT_TRUE(valid) << valid.error();
    EXPECT_EQ(valid->status, 200) << describe(*valid);
    auto revoked = loopback::fetch(port(i), loopback::get("/auth/verify", early.access));
    ASSERT_TRUE(revoked) << revoked.error();
    EXPECT_TRUE(refused_as_revoked(*revoked)) << describe(*revoked);
  }

  // A burst through A and B across the store's restart.
  std::mutex mu;
  std::vector<std::string> acknowledged{early.access};
  std::vector<std::string> problems;
  std::atomic<int> unavailable{0};
  std::atomic<bool> stop_burst{false};
  std::vector<std::thread> clients;
  for (int client = 0; client < 4; ++client) {
    clients.emplace_back([&, client] {
      auto connection = Connection::open(port(client % 2));
      // A refused logout is tried again with the same token, so that a slow
      // restart (a busy machine) cannot use up the tokens before the store
      // is back; bounded, in case it never comes back.
      // A 503 whose change was committed anyway (its answer lost with the
      // store) makes the retry a 401 for a revoked token: that logout took.
      int refusals_left = 4000;
      bool retrying = false;
      for (std::size_t i = 2 + client; i + 1 < pairs->size() && !stop_burst;) {
        if (!connection) break;
        const std::string& token = (*pairs)[i].access;
        auto reply = connection->exchange(loopback::del("/auth/logout", token));
        const bool refused = reply && reply->status == 503;
        {
          std::lock_guard lock(mu);
          if (reply && (reply->status == 200 || (retrying && reply->status == 401))) {
            acknowledged.push_back(token);
          } else if (refused) {
            ++unavailable;
          } else {
            problems.push_back(reply ? describe(*reply) : reply.error());
          }
        }
        retrying = refused;
        if (!refused) {
          i += 4;
        } else if (--refusals_left == 0) {
          break;
        } else {
          std::this_thread::sleep_for(milliseconds(5));
        }
      }
    });
  }
  std::this_thread::sleep_for(milliseconds(300));
  auto restarted = server_->restart();
  ASSERT_TRUE(restarted) << restarted.error();
  // Every instance becomes ready again (reconnection with backoff).
  for (int i = 0; i < 3; ++i) {
    auto connection = Connection::open(port(i));
    ASSERT_TRUE(connection) << connection.error();
    auto ready =
        poll(*connection, loopback::get("/readyz"), [](const Reply& r) { return r.status == 200; });
    ASSERT_TRUE(ready) << ready.error();
    EXPECT_EQ(ready->status, 200) << "instance " << i << " not ready again: " << describe(*ready);
  }
  std::this_thread::sleep_for(milliseconds(300));  // logouts after the return
  stop_burst = true;
  for (auto& client : clients) client.join();
  EXPECT_TRUE(problems.empty()) << problems.size() << " answers were neither 200 nor 503, e.g. "
                                << problems.front();
  std::printf("%s: outage burst: %zu logouts acknowledged, %d refused with 503\n", GetParam(),
              acknowledged.size(), unavailable.load());
  // Guards the test itself: the burst saw the outage and the recovery.
  EXPECT_GT(unavailable.load(), 0);
  EXPECT_GT(acknowledged.size(), 1u);

  // A revocation after the return reaches every instance, as do all those
  // acknowledged before: nothing acknowledged was lost.
  auto after = loopback::fetch(port(2), loopback::del("/auth/logout", (*pairs)[1].access));
  ASSERT_TRUE(after && after->status == 200) << (after ? describe(*after) : after.error());
  acknowledged.push_back((*pairs)[1].access);
  expect_refused_everywhere(acknowledged, "an acknowledged logout");
  auto valid = loopback::fetch(port(1), loopback::get("/auth/verify", untouched.access));
  ASSERT_TRUE(valid) << valid.error();
  EXPECT_EQ(valid->status, 200) << describe(*valid);
}

// Logouts through A and B from several clients; A is SIGKILLed in the middle
// and started again: it refuses everything acknowledged by either, as do B
// and C.
TEST_P(MultiInstanceTest, AnInstanceKilledDuringABurstHasEverythingAfterARestart) {
  auto pairs = mint_pairs(600, "burst-");
  ASSERT_TRUE(pairs) << pairs.error();
  std::mutex mu;
  std::vector<std::string> acknowledged;
  std::atomic<int> acknowledged_by_a{0};
  std::vector<std::thread> clients;
  for (int client = 0; client < 6; ++client) {
    clients.emplace_back([&, client] {
      const int instance = client % 2;  // A or B
      auto connection = Connection::open(port(instance));
      for (std::size_t i = client; i < pairs->size(); i += 6) {
        if (!connection) return;  // A is gone
        const std::string& token = (*pairs)[i].access;
        auto reply = connection->exchange(loopback::del("/auth/logout", token));
        if (!reply) return;  // cut by the kill: either outcome is fine
        if (reply->status != 200) continue;
        std::lock_guard lock(mu);
        acknowledged.push_back(token);
        if (instance == 0) ++acknowledged_by_a;
      }
    });
  }
  // Kill A once it has acknowledged some, mid-burst.
  const auto deadline = SteadyClock::now() + std::chrono::seconds(30);
  while (acknowledged_by_a.load() < 40 && SteadyClock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(1));
  }
  instances_[0]->kill();
  for (auto& client : clients) client.join();
  EXPECT_GE(acknowledged_by_a.load(), 40);
  auto restarted = start_instance();
  ASSERT_TRUE(restarted) << restarted.error();
  instances_[0] = std::make_unique<ServeProcess>(std::move(*restarted));
  std::printf("%s: %zu logouts acknowledged, %d of them by the instance that was killed\n",
              GetParam(), acknowledged.size(), acknowledged_by_a.load());
  expect_refused_everywhere(acknowledged, "an acknowledged logout");
}

INSTANTIATE_TEST_SUITE_P(Stores, MultiInstanceTest, ::testing::Values("redis", "postgresql"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace jwtguard::testing
