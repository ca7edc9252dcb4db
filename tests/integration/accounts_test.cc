// Account changes across two `jwtguard serve` processes sharing one store, on
// each store a deployment can use (SQLite, and a real redis-server or
// PostgreSQL the test starts on a loopback port): a disable, a deletion or a
// password change made through one instance (or from the command line) ends
// the user's tokens on the other, and the audit log shows it on both.
//
// Waits are bounded polls; nothing here asserts a duration.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

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
constexpr char kAdmin[] = "root";
constexpr char kAdminPassword[] = "the admin's long password";
constexpr char kPassword[] = "alice's long password";
constexpr char kNewPassword[] = "alice's new long password";
constexpr char kRevoked[] = "Token has been revoked";
// Far above the milliseconds a change takes to reach another instance (at
// most the feed wait with SQLite): a loaded machine must not fail the test,
// a change that never arrives must.
constexpr milliseconds kPropagationLimit{10'000};

class AccountsAcrossInstancesTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    url_ = "sqlite:" + dir_.db();
    if (std::string_view(GetParam()) != "sqlite") {
      auto server = start_store_server(GetParam(), dir_.path());
      ASSERT_TRUE(server) << server.error();
      server_ = std::move(*server);
      url_ = server_->url();
    }
    secret_env_ = "JWTGUARD_SECRET=" + random_hex(32);
    std::vector<std::string> create = {"user", "create", kAdmin, "--password-stdin", "--admin"};
    if (std::string_view(GetParam()) == "sqlite") create.push_back("--create");  // a new file
    RunResult created = cli(create, std::string(kAdminPassword) + "\n");
    ASSERT_EQ(created.exit_code, 0) << created.err;
    for (int i = 0; i < 2; ++i) {
      auto instance = ServeProcess::start({.binary = kBinary,
                                           .store = url_,
                                           .flags = {"--threads", "1", "--workers", "2"},
                                           .env = {secret_env_},
                                           .dir = dir_.path()});
      ASSERT_TRUE(instance) << instance.error();
      instances_.push_back(std::make_unique<ServeProcess>(std::move(*instance)));
    }
    auto admin = pair_of(loopback::fetch(
        port(0), loopback::post("/auth/login", {}, credentials_json(kAdmin, kAdminPassword))));
    ASSERT_TRUE(admin) << "admin login: " << admin.error();
    admin_ = admin->access;
    auto registered = loopback::fetch(
        port(0), loopback::post("/auth/register", {}, credentials_json("alice", kPassword)));
    ASSERT_TRUE(registered) << registered.error();
    ASSERT_EQ(registered->status, 201) << describe(*registered);
  }

  void TearDown() override {
    if (HasFailure()) {
      for (std::size_t i = 0; i < instances_.size(); ++i) {
        std::printf("--- instance %zu log:\n%s\n", i, instances_[i]->log().c_str());
      }
    }
    instances_.clear();  // before the store server goes
  }

  RunResult cli(std::vector<std::string> args, const std::string& input = {}) {
    args.insert(args.begin(), kBinary);
    args.push_back("--store");
    args.push_back(url_);
    return run(args, input, {secret_env_});
  }

  std::uint16_t port(int instance) const { return instances_[instance]->port(); }

  Attempt<TokenPair> login(int instance, std::string_view password = kPassword) {
    return pair_of(loopback::fetch(
        port(instance), loopback::post("/auth/login", {}, credentials_json("alice", password))));
  }

  // Polls `request` on `instance` until it is refused as revoked (true), or
  // the limit passes (false).
  bool refused_in_time(int instance, const loopback::Request& request) {
    const auto deadline = SteadyClock::now() + kPropagationLimit;
    for (;;) {
      auto reply = loopback::fetch(port(instance), request);
      if (reply && reply->status == 401 && msg_of(*reply) == kRevoked) return true;
      if (SteadyClock::now() >= deadline) return false;
      std::this_thread::sleep_for(milliseconds(5));
    }
  }

  // The audit actions about alice as instance `instance` lists them.
  std::vector<std::string> audit_of_alice(int instance) {
    auto reply = loopback::fetch(port(instance), loopback::get("/admin/audit?user=alice", admin_));
    EXPECT_TRUE(reply) << reply.error();
    std::vector<std::string> actions;
    if (!reply) return actions;
    auto body = nlohmann::json::parse(reply->body, nullptr, false);
    if (!body.is_object()) return actions;
    for (const auto& event : body["events"]) actions.push_back(event["action"]);
    return actions;
  }

  ScratchDir dir_;
  std::unique_ptr<StoreServer> server_;
  std::string url_;
  std::string secret_env_;
  std::vector<std::unique_ptr<ServeProcess>> instances_;
  std::string admin_;
};

TEST_P(AccountsAcrossInstancesTest, ADisableThroughOneInstanceEndsTheTokensOnTheOther) {
  auto on_b = login(1);
  ASSERT_TRUE(on_b) << on_b.error();
  auto disabled = loopback::fetch(port(0), loopback::post("/admin/users/alice/disable", admin_));
  ASSERT_TRUE(disabled) << disabled.error();
  ASSERT_EQ(disabled->status, 200) << describe(*disabled);
  EXPECT_TRUE(refused_in_time(1, loopback::get("/auth/verify", on_b->access)));
  EXPECT_TRUE(refused_in_time(1, loopback::post("/auth/refresh", on_b->refresh)));
  auto refused = loopback::fetch(
      port(1), loopback::post("/auth/login", {}, credentials_json("alice", kPassword)));
  ASSERT_TRUE(refused) << refused.error();
  EXPECT_EQ(refused->status, 403) << describe(*refused);

  auto enabled = loopback::fetch(port(1), loopback::post("/admin/users/alice/enable", admin_));
  ASSERT_TRUE(enabled) << enabled.error();
  ASSERT_EQ(enabled->status, 200) << describe(*enabled);
  EXPECT_TRUE(login(0).has_value());
  EXPECT_TRUE(refused_in_time(0, loopback::get("/auth/verify", on_b->access)));
  EXPECT_EQ(audit_of_alice(1), (std::vector<std::string>{"user.enable", "user.disable"}));
  EXPECT_EQ(audit_of_alice(0), audit_of_alice(1));
}

TEST_P(AccountsAcrossInstancesTest, ADeletedUsersTokenIsRefusedByTheOtherInstanceAndItsNameKept) {
  auto on_b = login(1);
  ASSERT_TRUE(on_b) << on_b.error();
  auto deleted = loopback::fetch(port(0), loopback::del("/admin/users/alice", admin_));
  ASSERT_TRUE(deleted) << deleted.error();
  ASSERT_EQ(deleted->status, 200) << describe(*deleted);
  EXPECT_TRUE(refused_in_time(1, loopback::get("/auth/verify", on_b->access)));
  EXPECT_TRUE(refused_in_time(1, loopback::post("/auth/refresh", on_b->refresh)));
  for (int i = 0; i < 2; ++i) {
    auto again = loopback::fetch(
        port(i), loopback::post("/auth/register", {}, credentials_json("alice", "someone else's")));
    ASSERT_TRUE(again) << again.error();
    EXPECT_EQ(again->status, 409) << "instance " << i << ": " << describe(*again);
  }
  EXPECT_EQ(audit_of_alice(1), std::vector<std::string>{"user.delete"});
}

TEST_P(AccountsAcrossInstancesTest, APasswordChangeThroughOneInstanceEndsTheOtherSessions) {
  auto on_a = login(0);
  auto on_b = login(1);
  ASSERT_TRUE(on_a && on_b);
  nlohmann::json change = {{"current_password", kPassword}, {"new_password", kNewPassword}};
  auto changed =
      loopback::fetch(port(0), loopback::post("/auth/password", on_a->access, change.dump()));
  ASSERT_TRUE(changed) << changed.error();
  ASSERT_EQ(changed->status, 200) << describe(*changed);
  auto renewed = pair_of(changed);
  ASSERT_TRUE(renewed) << renewed.error();
  EXPECT_TRUE(refused_in_time(1, loopback::get("/auth/verify", on_b->access)));
  EXPECT_TRUE(refused_in_time(1, loopback::get("/auth/verify", on_a->access)));
  auto kept = loopback::fetch(port(1), loopback::get("/auth/verify", renewed->access));
  ASSERT_TRUE(kept) << kept.error();
  EXPECT_EQ(kept->status, 200) << describe(*kept);
  EXPECT_FALSE(login(1, kPassword).has_value());
  EXPECT_TRUE(login(1, kNewPassword).has_value());
}

TEST_P(AccountsAcrossInstancesTest, TheCommandLineEndsTheTokensOnEveryInstance) {
  auto on_a = login(0);
  auto on_b = login(1);
  ASSERT_TRUE(on_a && on_b);
  RunResult reset =
      cli({"user", "set-password", "alice", "--password-stdin"}, std::string(kNewPassword) + "\n");
  ASSERT_EQ(reset.exit_code, 0) << reset.err;
  EXPECT_EQ(reset.out.find(kNewPassword), std::string::npos);
  EXPECT_TRUE(refused_in_time(0, loopback::get("/auth/verify", on_a->access)));
  EXPECT_TRUE(refused_in_time(1, loopback::get("/auth/verify", on_b->access)));
  EXPECT_TRUE(login(1, kNewPassword).has_value());

  auto again = login(0, kNewPassword);
  ASSERT_TRUE(again) << again.error();
  RunResult deleted = cli({"user", "delete", "alice"});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.err;
  EXPECT_TRUE(refused_in_time(1, loopback::get("/auth/verify", again->access)));
  EXPECT_TRUE(refused_in_time(0, loopback::get("/auth/verify", again->access)));
  EXPECT_EQ(audit_of_alice(0), (std::vector<std::string>{"user.delete", "password.reset"}));
}

INSTANTIATE_TEST_SUITE_P(Stores, AccountsAcrossInstancesTest,
                         ::testing::Values("sqlite", "redis", "postgresql"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace jwtguard::testing
