// `jwtguard serve` as a process, its log in a file at debug level: every
// route that receives or returns a token, a password or a secret is driven
// over HTTP on its success and failure paths, and afterwards neither the log
// file nor standard error holds any of them, nor a token's payload or
// signature segment alone.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "integration/service_client.h"
#include "testing/fixtures.h"
#include "testing/forged_tokens.h"
#include "testing/serve_process.h"
#include "testing/subprocess.h"

namespace jwtguard::testing {
namespace {

constexpr char kBinary[] = JWTGUARD_BINARY;
constexpr char kSecret[] = "log-test-signing-secret-of-more-than-32-bytes";
constexpr char kAdminPassword[] = "admin's password nobody may read";
constexpr char kAlicePassword[] = "alice's password nobody may read";
constexpr char kWrongPassword[] = "a wrong password nobody may read";
constexpr char kShortPassword[] = "pw-shrt";
constexpr char kDavePassword[] = "dave's password nobody may read";
constexpr char kDaveNewPassword[] = "dave's new password nobody may read";
constexpr char kResetPassword[] = "the reset password nobody may read";

std::string json_of(std::initializer_list<std::pair<const char*, const char*>> members) {
  nlohmann::json body = nlohmann::json::object();
  for (const auto& [name, value] : members) body[name] = value;
  return body.dump();
}

loopback::Request form(std::string target, std::string_view bearer, std::string_view token) {
  loopback::Request request = loopback::post(std::move(target), bearer);
  request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  request.body = "token=" + std::string(token);
  return request;
}

// `token` with the last character of its signature changed: a token that
// fails verification but carries a real payload.
std::string tampered(std::string token) {
  token.back() = token.back() == 'A' ? 'B' : 'A';
  return token;
}

class LogSecretsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = "sqlite:" + dir_.db();
    RunResult created = run({kBinary, "user", "create", "root", "--password-stdin", "--admin",
                             "--create", "--store", store_},
                            std::string(kAdminPassword) + "\n", {secret_env()});
    ASSERT_EQ(created.exit_code, 0) << created.err;
    secrets_ = {kSecret,        kAdminPassword, kAlicePassword,   kWrongPassword,
                kShortPassword, kDavePassword,  kDaveNewPassword, kResetPassword};
    auto serve =
        ServeProcess::start({.binary = kBinary,
                             .store = store_,
                             .flags = {"--log-level", "debug", "--threads", "1", "--workers", "2"},
                             .env = {secret_env()},
                             .dir = dir_.path(),
                             .log_file = dir_.path() / "jwtguard.log"});
    ASSERT_TRUE(serve) << serve.error();
    serve_.emplace(std::move(*serve));
  }

  void TearDown() override {
    if (serve_ && serve_->running()) {
      auto stopped = serve_->terminate();
      EXPECT_TRUE(stopped) << stopped.error();
    }
  }

  static std::string secret_env() { return std::string("JWTGUARD_SECRET=") + kSecret; }

  // Sends `request`, expects `status`, and remembers every token the reply
  // holds as a secret.
  Reply expect(const loopback::Request& request, int status) {
    auto reply = loopback::fetch(serve_->port(), request);
    EXPECT_TRUE(reply) << request.method << " " << request.target << ": " << reply.error();
    if (!reply) return {};
    EXPECT_EQ(reply->status, status)
        << request.method << " " << request.target << ": " << describe(*reply);
    auto body = nlohmann::json::parse(reply->body, nullptr, false);
    for (const char* name : {"access_token", "refresh_token"}) {
      if (body.is_object() && body[name].is_string()) remember(body[name].get<std::string>());
    }
    return *reply;
  }

  // A token and, on their own, its payload and signature segments.
  void remember(const std::string& token) {
    secrets_.insert(token);
    auto first = token.find('.');
    auto last = token.rfind('.');
    if (first == std::string::npos || first == last) return;
    secrets_.insert(token.substr(first + 1, last - first - 1));
    secrets_.insert(token.substr(last + 1));
  }

  TokenPair login(std::string_view user, std::string_view password) {
    Reply reply = expect(loopback::post("/auth/login", {}, credentials_json(user, password)), 200);
    auto pair = pair_of(reply);
    EXPECT_TRUE(pair) << pair.error();
    return pair ? *pair : TokenPair{};
  }

  ScratchDir dir_;
  std::string store_;
  std::optional<ServeProcess> serve_;
  std::set<std::string> secrets_;
};

TEST_F(LogSecretsTest, NoTokenPasswordOrSecretOnAnyRoute) {
  using loopback::del;
  using loopback::get;
  using loopback::post;
  const std::string alice = credentials_json("alice", kAlicePassword);

  // register
  expect(post("/auth/register", {}, alice), 201);
  expect(post("/auth/register", {}, alice), 409);
  expect(post("/auth/register", {}, credentials_json("bob", kShortPassword)), 400);
  // login
  TokenPair admin = login("root", kAdminPassword);
  TokenPair first = login("alice", kAlicePassword);
  TokenPair second = login("alice", kAlicePassword);
  expect(post("/auth/login", {}, credentials_json("alice", kWrongPassword)), 401);
  expect(post("/auth/login", {}, credentials_json("nobody", kWrongPassword)), 401);
  // me and verify
  expect(get("/auth/me", first.access), 200);
  expect(get("/auth/verify", first.access), 200);
  expect(get("/auth/verify", tampered(first.access)), 422);
  // introspect (admin only)
  expect(form("/oauth/introspect", admin.access, first.access), 200);
  expect(form("/oauth/introspect", admin.access, tampered(first.refresh)), 200);
  expect(form("/oauth/introspect", first.access, second.access), 403);
  expect(form("/oauth/introspect", tampered(admin.access), first.access), 422);
  // admin tokens
  Reply minted = expect(post("/admin/tokens", admin.access, R"({"identity":"carol"})"), 200);
  auto carol = pair_of(minted);
  ASSERT_TRUE(carol) << carol.error();
  expect(post("/admin/tokens", first.access, R"({"identity":"mallory"})"), 403);
  expect(post("/admin/tokens", admin.access, R"({"identity":""})"), 400);
  // admin revocations
  expect(get("/admin/revocations", admin.access), 200);
  expect(get("/admin/revocations", first.access), 403);
  expect(post("/admin/revocations", admin.access, R"({"jti":"some-jti"})"), 200);
  expect(post("/admin/revocations", first.access, R"({"jti":"some-jti"})"), 403);
  expect(del("/admin/revocations/some-jti", first.access), 403);
  expect(del("/admin/revocations/some-jti", admin.access), 200);
  // accounts: a fresh login, a password change, an admin's reset, disable,
  // enable, listing and audit, and a deletion of one's own account
  expect(post("/auth/register", {}, credentials_json("dave", kDavePassword)), 201);
  TokenPair dave = login("dave", kDavePassword);
  expect(post("/auth/fresh-login", dave.access, json_of({{"password", kWrongPassword}})), 401);
  expect(post("/auth/fresh-login", dave.access, json_of({{"password", kDavePassword}})), 200);
  expect(post("/auth/password", dave.access,
              json_of({{"current_password", kWrongPassword}, {"new_password", kDaveNewPassword}})),
         401);
  expect(post("/auth/password", dave.access,
              json_of({{"current_password", kDavePassword}, {"new_password", kShortPassword}})),
         400);
  expect(post("/auth/password", dave.access,
              json_of({{"current_password", kDavePassword}, {"new_password", kDaveNewPassword}})),
         200);
  expect(
      post("/admin/users/dave/password", admin.access, json_of({{"new_password", kResetPassword}})),
      200);
  expect(post("/admin/users/dave/disable", admin.access, json_of({{"reason", "a test"}})), 200);
  expect(post("/admin/users/dave/enable", admin.access), 200);
  expect(get("/admin/users", admin.access), 200);
  expect(get("/admin/audit", admin.access), 200);
  TokenPair again = login("dave", kResetPassword);
  loopback::Request own = del("/auth/account", again.access);
  own.headers.emplace_back("Content-Type", "application/json");
  own.body = json_of({{"password", kResetPassword}});
  expect(own, 200);
  expect(del("/admin/users/dave", admin.access), 404);
  // refresh: rotation, an access token instead, a forged one, then reuse
  auto rotated = pair_of(expect(post("/auth/refresh", first.refresh), 200));
  ASSERT_TRUE(rotated) << rotated.error();
  expect(post("/auth/refresh", first.access), 422);
  expect(post("/auth/refresh", tampered(second.refresh)), 422);
  expect(post("/auth/refresh", first.refresh), 401);
  // OAuth revoke, of a good and a forged token
  expect(form("/oauth/revoke", {}, carol->refresh), 200);
  expect(form("/oauth/revoke", {}, tampered(carol->access)), 200);
  // logout and logout everywhere, each twice
  expect(del("/auth/logout", second.access), 200);
  expect(del("/auth/logout", second.access), 401);
  expect(post("/auth/logout-all", admin.access), 200);
  expect(post("/auth/logout-all", admin.access), 401);
  expect(del("/auth/logout", tampered(carol->access)), 422);

  auto stopped = serve_->terminate();  // flushes the log
  ASSERT_TRUE(stopped) << stopped.error();
  EXPECT_EQ(*stopped, 0);
  const std::string log = read_file(dir_.path() / "jwtguard.log");
  const std::string everything = serve_->log();  // stderr, stdout and the log file
  // The access log saw every route driven above.
  for (std::string_view route : {"POST /auth/register",
                                 "POST /auth/login",
                                 "GET /auth/me",
                                 "GET /auth/verify",
                                 "POST /oauth/introspect",
                                 "POST /admin/tokens",
                                 "GET /admin/revocations",
                                 "POST /admin/revocations",
                                 "DELETE /admin/revocations/{jti}",
                                 "POST /auth/refresh",
                                 "POST /oauth/revoke",
                                 "DELETE /auth/logout",
                                 "POST /auth/logout-all",
                                 "POST /auth/fresh-login",
                                 "POST /auth/password",
                                 "POST /admin/users/{name}/password",
                                 "POST /admin/users/{name}/disable",
                                 "POST /admin/users/{name}/enable",
                                 "GET /admin/users",
                                 "GET /admin/audit",
                                 "DELETE /auth/account",
                                 "DELETE /admin/users/{name}"}) {
    EXPECT_NE(log.find(R"("route":")" + std::string(route) + "\""), std::string::npos)
        << "no access log line for " << route << "\n"
        << log;
  }
  ASSERT_GT(secrets_.size(), 30u);
  for (const std::string& secret : secrets_) {
    EXPECT_EQ(everything.find(secret), std::string::npos) << "the log holds " << secret;
  }
}

}  // namespace
}  // namespace jwtguard::testing
