// The command line (docs/cli.md) against the SQLite file a running service
// uses: users it creates can log in at once, and revocations it writes reach
// the service through the store's change feed.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "testing/fixtures.h"
#include "testing/serve_process.h"
#include "testing/subprocess.h"

namespace jwtguard::testing {
namespace {

using std::chrono::milliseconds;
using json = nlohmann::json;

constexpr char kBinary[] = JWTGUARD_BINARY;
constexpr char kPassword[] = "correct horse battery";
// The feed is polled every 50 ms; five seconds is a bound, not an estimate.
constexpr milliseconds kPropagationBound{5000};

class CliWithServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto serve = ServeProcess::start({.binary = kBinary,
                                      .store = store(),
                                      .flags = {"--threads", "1", "--workers", "2"},
                                      .env = {secret_env_},
                                      .dir = dir_.path()});
    ASSERT_TRUE(serve) << serve.error();
    serve_.emplace(std::move(*serve));
  }
  void TearDown() override {
    if (serve_) {
      EXPECT_TRUE(serve_->terminate()) << serve_->log();
    }
  }

  std::string store() const { return "sqlite:" + dir_.db(); }

  RunResult cli(std::vector<std::string> args, const std::string& input = {}) {
    args.insert(args.begin(), kBinary);
    args.insert(args.end(), {"--store", store()});
    return run(args, input, {secret_env_});
  }

  // {"access_token", "refresh_token", ...} of a login, or an empty object.
  json login(const std::string& user) {
    auto reply = loopback::fetch(
        serve_->port(), loopback::post("/auth/login", {},
                                       json{{"username", user}, {"password", kPassword}}.dump()));
    if (!reply || reply->status != 200) return json::object();
    return json::parse(reply->body, nullptr, false);
  }

  int status_of(const loopback::Request& request) {
    auto reply = loopback::fetch(serve_->port(), request);
    return reply ? reply->status : -1;
  }

  // Polls until `request` answers `status`, up to kPropagationBound.
  bool eventually_status(const loopback::Request& request, int status) {
    auto deadline = std::chrono::steady_clock::now() + kPropagationBound;
    while (std::chrono::steady_clock::now() < deadline) {
      if (status_of(request) == status) return true;
      std::this_thread::sleep_for(milliseconds(20));
    }
    return false;
  }

  ScratchDir dir_;
  std::string secret_env_ = "JWTGUARD_SECRET=cli-with-service-test-secret-of-48-bytes-xxxxxxxx";
  std::optional<ServeProcess> serve_;
};

TEST_F(CliWithServiceTest, UserCreatedByTheCliLogsInAtOnce) {
  RunResult created =
      cli({"user", "create", "bob", "--password-stdin"}, std::string(kPassword) + "\n");
  ASSERT_EQ(created.exit_code, 0) << created.err;
  json tokens = login("bob");
  ASSERT_TRUE(tokens.contains("access_token")) << tokens.dump();
  EXPECT_EQ(status_of(loopback::get("/auth/me", tokens["access_token"].get<std::string>())), 200);
}

TEST_F(CliWithServiceTest, AdminGrantedByTheCliPassesAdminChecks) {
  ASSERT_EQ(
      cli({"user", "create", "carol", "--password-stdin"}, std::string(kPassword) + "\n").exit_code,
      0);
  std::string access = login("carol").value("access_token", "");
  ASSERT_FALSE(access.empty());
  EXPECT_EQ(status_of(loopback::get("/admin/revocations", access)), 403);
  RunResult granted = cli({"user", "grant-admin", "carol"});
  ASSERT_EQ(granted.exit_code, 0) << granted.err;
  EXPECT_EQ(status_of(loopback::get("/admin/revocations", access)), 200);
}

TEST_F(CliWithServiceTest, RevocationsWrittenByTheCliReachTheService) {
  ASSERT_EQ(
      cli({"user", "create", "dave", "--password-stdin"}, std::string(kPassword) + "\n").exit_code,
      0);
  json first = login("dave");
  json second = login("dave");
  std::string first_access = first.value("access_token", "");
  std::string second_access = second.value("access_token", "");
  ASSERT_FALSE(first_access.empty());
  ASSERT_FALSE(second_access.empty());

  // One token, by the token itself (decoded by the CLI, not verified).
  RunResult by_token = cli({"revoke", "--token", first_access, "--reason", "test"});
  ASSERT_EQ(by_token.exit_code, 0) << by_token.err;
  EXPECT_TRUE(eventually_status(loopback::get("/auth/me", first_access), 401));
  EXPECT_EQ(status_of(loopback::get("/auth/me", second_access)), 200);

  // Everything of the user: the second login's tokens too, but not a login after.
  RunResult by_user = cli({"revoke", "--user", "dave"});
  ASSERT_EQ(by_user.exit_code, 0) << by_user.err;
  EXPECT_TRUE(eventually_status(loopback::get("/auth/me", second_access), 401));
  EXPECT_TRUE(
      eventually_status(loopback::post("/auth/refresh", second.value("refresh_token", "")), 401));
  std::string after = login("dave").value("access_token", "");
  ASSERT_FALSE(after.empty());
  EXPECT_EQ(status_of(loopback::get("/auth/me", after)), 200);
}

// An application's end-user is not the jwtguard user of the same name: the
// CLI logs out the one it is told to, by namespace.
TEST_F(CliWithServiceTest, RevokeByUserNamesTheNamespace) {
  for (const char* name : {"root", "erin"}) {
    std::vector<std::string> args = {"user", "create", name, "--password-stdin"};
    if (std::string(name) == "root") args.push_back("--admin");
    ASSERT_EQ(cli(args, std::string(kPassword) + "\n").exit_code, 0);
  }
  const std::string admin = login("root").value("access_token", "");
  const std::string user_access = login("erin").value("access_token", "");
  auto minted = loopback::fetch(serve_->port(),
                                loopback::post("/admin/tokens", admin, R"({"identity":"erin"})"));
  ASSERT_TRUE(minted && minted->status == 200) << (minted ? minted->body : minted.error());
  const std::string app_access =
      json::parse(minted->body, nullptr, false).value("access_token", "");
  ASSERT_FALSE(app_access.empty());

  RunResult app = cli({"revoke", "--user", "erin", "--namespace", "app"});
  ASSERT_EQ(app.exit_code, 0) << app.err;
  EXPECT_EQ(app.out, "revoked user erin (namespace app)\n");
  EXPECT_TRUE(eventually_status(loopback::get("/auth/verify", app_access), 401));
  EXPECT_EQ(status_of(loopback::get("/auth/verify", user_access)), 200);

  RunResult own = cli({"revoke", "--user", "erin"});
  ASSERT_EQ(own.exit_code, 0) << own.err;
  EXPECT_TRUE(eventually_status(loopback::get("/auth/verify", user_access), 401));

  EXPECT_EQ(cli({"revoke", "--user", "erin", "--namespace", "ldap"}).exit_code, 2);
  EXPECT_EQ(cli({"revoke", "--jti", "j", "--namespace", "app"}).exit_code, 2);
}

TEST_F(CliWithServiceTest, CliAndServiceRefuseAShortPasswordWithTheSameWords) {
  RunResult created = cli({"user", "create", "erin", "--password-stdin"}, "12345\n");
  EXPECT_EQ(created.exit_code, 2) << created.err;
  auto reply = loopback::fetch(
      serve_->port(), loopback::post("/auth/register", {},
                                     json{{"username", "erin"}, {"password", "12345"}}.dump()));
  ASSERT_TRUE(reply) << reply.error();
  ASSERT_EQ(reply->status, 400) << reply->body;
  const std::string message = json::parse(reply->body).value("msg", "");
  ASSERT_FALSE(message.empty()) << reply->body;
  EXPECT_NE(created.err.find(message), std::string::npos) << created.err << " vs " << message;
}

// --- keys from `jwtguard keys generate`, used by `serve` -------------------------

class GeneratedKeysTest : public ::testing::Test {
 protected:
  // `jwtguard keys generate ARGS` written to a file of the scratch directory.
  std::string generate(const std::string& name, std::vector<std::string> args) {
    args.insert(args.begin(), {kBinary, "keys", "generate"});
    RunResult r = run(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return write(name, r.out);
  }
  std::string write(const std::string& name, const std::string& content) {
    const std::string path = (dir_.path() / name).string();
    std::ofstream(path) << content;
    return path;
  }

  // The header of an access token the service issues, started with `flags`.
  json issued_header(const std::vector<std::string>& flags, std::string* token = nullptr) {
    auto serve = ServeProcess::start(
        {.binary = kBinary, .store = "sqlite:" + dir_.db(), .flags = flags, .dir = dir_.path()});
    if (!serve) {
      ADD_FAILURE() << serve.error();
      return json::object();
    }
    const std::string user = "user" + std::to_string(users_++);
    const std::string credentials = json{{"username", user}, {"password", kPassword}}.dump();
    auto registered =
        loopback::fetch(serve->port(), loopback::post("/auth/register", {}, credentials));
    EXPECT_TRUE(registered && registered->status == 201);
    auto login = loopback::fetch(serve->port(), loopback::post("/auth/login", {}, credentials));
    EXPECT_TRUE(serve->terminate()) << serve->log();
    if (!login || login->status != 200) {
      ADD_FAILURE() << "login failed: " << serve->log();
      return json::object();
    }
    const std::string access = json::parse(login->body)["access_token"];
    if (token != nullptr) *token = access;
    RunResult decoded = run({kBinary, "token", "decode", access});
    return json::parse(decoded.out)["header"];
  }

  ScratchDir dir_;
  int users_ = 0;
};

TEST_F(GeneratedKeysTest, ServeSignsWithTheAlgorithmAGeneratedJwkNames) {
  const std::string jwk = generate("signing.jwk", {"--alg", "ES256", "--kid", "k1"});
  std::string token;
  const json header = issued_header({"--key-file", jwk}, &token);
  EXPECT_EQ(header.value("alg", ""), "ES256") << header.dump();
  EXPECT_EQ(header.value("kid", ""), "k1") << header.dump();
  // The public JWK Set of the private key verifies what the service signed.
  const std::string jwks = write("public.jwks.json", run({kBinary, "keys", "public", jwk}).out);
  EXPECT_EQ(run({kBinary, "keys", "public", jwk}).out.find("\"d\""), std::string::npos)
      << "no private member";
  RunResult verified = run({kBinary, "token", "verify", "--jwks", jwks, token});
  EXPECT_EQ(verified.exit_code, 0) << verified.err;
}

TEST_F(GeneratedKeysTest, ServeTakesTheJwkSetAndThePemKeysGenerateWrites) {
  const std::string jwks = generate("signing.jwks.json", {"--alg", "EdDSA", "--format", "jwks"});
  EXPECT_EQ(issued_header({"--jwks-file", jwks}).value("alg", ""), "EdDSA");
  const std::string pem = generate("signing.pem", {"--alg", "ES384", "--format", "pem"});
  EXPECT_EQ(issued_header({"--key-file", pem}).value("alg", ""), "ES384");
  const std::string hmac = generate("hmac.jwk", {"--alg", "HS512"});
  EXPECT_EQ(issued_header({"--key-file", hmac}).value("alg", ""), "HS512");
}

TEST_F(GeneratedKeysTest, AnAlgorithmThatContradictsTheKeyIsRefused) {
  const std::string jwk = generate("signing.jwk", {"--alg", "ES256"});
  RunResult r =
      run({"timeout", "-s", "KILL", "20", kBinary, "serve", "--listen", "127.0.0.1:0", "--dev",
           "false", "--store", "memory:", "--key-file", jwk, "--algorithm", "RS256"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("keys.algorithm (flag --algorithm) is RS256, but the key of "
                       "keys.key_file (flag --key-file) is for ES256"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace jwtguard::testing
