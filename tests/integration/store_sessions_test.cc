// `jwtguard serve` on each store a deployment can use (SQLite, and a real
// redis-server or PostgreSQL the test starts on a loopback port): refresh
// token rotation and reuse detection end to end, and on Redis, each
// revocation key expiring exactly when the token it blocks does.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "integration/service_client.h"
#include "jwtguard/jose.h"
#include "testing/fixtures.h"
#include "testing/redis_server.h"
#include "testing/serve_process.h"
#include "testing/store_servers.h"
#include "testing/subprocess.h"

namespace jwtguard::testing {
namespace {

constexpr char kBinary[] = JWTGUARD_BINARY;
constexpr char kPassword[] = "alice's long password";
constexpr char kRevoked[] = "Token has been revoked";

// The payload of a token jwtguard issued (not verified: the test trusts it).
nlohmann::json claims_of(const std::string& token) {
  auto decoded = decode_jws(token);
  if (!decoded) return nlohmann::json();
  return nlohmann::json::parse(decoded->payload, nullptr, false);
}

class StoreSessionsTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    std::string url = "sqlite:" + dir_.db();
    if (std::string_view(GetParam()) != "sqlite") {
      auto server = start_store_server(GetParam(), dir_.path());
      ASSERT_TRUE(server) << server.error();
      server_ = std::move(*server);
      url = server_->url();
    }
    auto serve = ServeProcess::start({.binary = kBinary,
                                      .store = url,
                                      .flags = {"--threads", "1", "--workers", "2"},
                                      .env = {"JWTGUARD_SECRET=" + random_hex(32)},
                                      .dir = dir_.path()});
    ASSERT_TRUE(serve) << serve.error();
    serve_.emplace(std::move(*serve));
    auto registered = loopback::fetch(
        port(), loopback::post("/auth/register", {}, credentials_json("alice", kPassword)));
    ASSERT_TRUE(registered) << registered.error();
    ASSERT_EQ(registered->status, 201) << describe(*registered);
  }

  void TearDown() override {
    if (HasFailure() && serve_) std::printf("--- jwtguard serve log:\n%s\n", serve_->log().c_str());
    serve_.reset();  // before the store server goes
  }

  std::uint16_t port() const { return serve_->port(); }

  Attempt<TokenPair> login() {
    return pair_of(loopback::fetch(
        port(), loopback::post("/auth/login", {}, credentials_json("alice", kPassword))));
  }

  Attempt<Reply> refresh(const std::string& refresh_token) {
    return loopback::fetch(port(), loopback::post("/auth/refresh", refresh_token));
  }

  // Expects `reply` to be the refusal of a revoked token.
  static void expect_revoked(const Attempt<Reply>& reply, std::string_view what) {
    ASSERT_TRUE(reply) << what << ": " << reply.error();
    EXPECT_EQ(reply->status, 401) << what << ": " << describe(*reply);
    EXPECT_EQ(msg_of(*reply), kRevoked) << what << ": " << describe(*reply);
  }

  ScratchDir dir_;
  std::unique_ptr<StoreServer> server_;
  std::optional<ServeProcess> serve_;
};

// Two honest rotations, then the first refresh token presented again: the
// store sees a refresh token that is no longer the session's current one,
// and the whole session ends, its newest tokens included.
TEST_P(StoreSessionsTest, ReusedRefreshTokenEndsTheSession) {
  auto first = login();
  ASSERT_TRUE(first) << first.error();
  auto second = pair_of(refresh(first->refresh));
  ASSERT_TRUE(second) << "first rotation: " << second.error();
  auto third = pair_of(refresh(second->refresh));
  ASSERT_TRUE(third) << "second rotation: " << third.error();
  EXPECT_NE(third->refresh, second->refresh);
  auto verified = loopback::fetch(port(), loopback::get("/auth/verify", third->access));
  ASSERT_TRUE(verified) << verified.error();
  ASSERT_EQ(verified->status, 200) << describe(*verified);

  expect_revoked(refresh(first->refresh), "the reused refresh token");
  expect_revoked(refresh(third->refresh), "the session's newest refresh token after the reuse");
  expect_revoked(loopback::fetch(port(), loopback::get("/auth/verify", third->access)),
                 "the session's newest access token after the reuse");

  // Only that session ended: a new login works and refreshes.
  auto again = login();
  ASSERT_TRUE(again) << again.error();
  auto rotated = pair_of(refresh(again->refresh));
  EXPECT_TRUE(rotated) << rotated.error();
}

// A refresh token already rotated is refused even when presented right
// after its rotation, before anything else happened in the session.
TEST_P(StoreSessionsTest, RotatedRefreshTokenIsRefusedAtOnce) {
  auto first = login();
  ASSERT_TRUE(first) << first.error();
  auto second = pair_of(refresh(first->refresh));
  ASSERT_TRUE(second) << second.error();
  expect_revoked(refresh(first->refresh), "the rotated refresh token");
  expect_revoked(refresh(second->refresh), "its successor");
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreSessionsTest,
                         ::testing::Values("sqlite", "redis", "postgresql"),
                         [](const auto& info) { return std::string(info.param); });

// --- Redis: each revocation key expires with its token -------------------------

class RedisExpiryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto redis = RedisServer::start(dir_.path() / "redis");
    ASSERT_TRUE(redis) << redis.error();
    redis_.emplace(std::move(*redis));
    auto serve = ServeProcess::start({.binary = kBinary,
                                      .store = redis_->url(),
                                      .flags = {"--threads", "1", "--workers", "2"},
                                      .env = {"JWTGUARD_SECRET=" + random_hex(32)},
                                      .dir = dir_.path()});
    ASSERT_TRUE(serve) << serve.error();
    serve_.emplace(std::move(*serve));
    auto registered = loopback::fetch(
        serve_->port(), loopback::post("/auth/register", {}, credentials_json("alice", kPassword)));
    ASSERT_TRUE(registered) << registered.error();
    ASSERT_EQ(registered->status, 201) << describe(*registered);
  }

  void TearDown() override { serve_.reset(); }

  Attempt<TokenPair> login() {
    return pair_of(loopback::fetch(
        serve_->port(), loopback::post("/auth/login", {}, credentials_json("alice", kPassword))));
  }

  void logout(const std::string& token) {
    auto reply = loopback::fetch(serve_->port(), loopback::del("/auth/logout", token));
    ASSERT_TRUE(reply) << reply.error();
    ASSERT_EQ(reply->status, 200) << describe(*reply);
  }

  // PEXPIRETIME of `key` as redis-cli reads it: the absolute expiry in Unix
  // milliseconds, -1 for a key without one, -2 for a missing key.
  std::string pexpiretime(const std::string& key) {
    RunResult result = run(
        {"redis-cli", "-h", "127.0.0.1", "-p", std::to_string(redis_->port()), "PEXPIRETIME", key});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    std::string out = result.out;
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
  }

  static std::string exp_millis(const nlohmann::json& claims) {
    return std::to_string(claims["exp"].get<std::int64_t>() * 1000);
  }

  ScratchDir dir_;
  std::optional<RedisServer> redis_;
  std::optional<ServeProcess> serve_;
};

// Logging out with an access token revokes it and its session; logging out
// with a refresh token revokes that refresh token (and its session). Each
// revocation key expires at its own token's exp, which differ by days.
TEST_F(RedisExpiryTest, RevocationKeysExpireWithTheirTokens) {
  auto by_access = login();
  ASSERT_TRUE(by_access) << by_access.error();
  auto by_refresh = login();
  ASSERT_TRUE(by_refresh) << by_refresh.error();
  const nlohmann::json access = claims_of(by_access->access);
  const nlohmann::json session_refresh = claims_of(by_access->refresh);
  const nlohmann::json refresh = claims_of(by_refresh->refresh);
  ASSERT_TRUE(access["exp"].is_number_integer()) << access.dump();
  ASSERT_TRUE(refresh["exp"].is_number_integer()) << refresh.dump();
  ASSERT_NE(access["exp"], refresh["exp"]);

  logout(by_access->access);
  EXPECT_EQ(pexpiretime("jwtguard:rev:t:" + access["jti"].get<std::string>()), exp_millis(access));
  // The session's own expiry: its refresh token's exp, which is that
  // expiry in whole seconds, rounded down.
  const std::int64_t session_expiry =
      std::stoll(pexpiretime("jwtguard:rev:s:" + access["sid"].get<std::string>()));
  const std::int64_t refresh_exp = session_refresh["exp"].get<std::int64_t>();
  EXPECT_GE(session_expiry, refresh_exp * 1000);
  EXPECT_LT(session_expiry, (refresh_exp + 1) * 1000);

  logout(by_refresh->refresh);
  EXPECT_EQ(pexpiretime("jwtguard:rev:t:" + refresh["jti"].get<std::string>()),
            exp_millis(refresh));
}

}  // namespace
}  // namespace jwtguard::testing
