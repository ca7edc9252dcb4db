// `jwtguard serve` on a set `jwtguard keys` rotates: it signs with the
// active key, verifies with every key of the set, publishes their public
// halves and nothing else, and a key removed at once (retire --force)
// revokes everything it signed. Each step restarts the service, which reads
// the set at start as a reload does.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "jose/base64url.h"
#include "testing/fixtures.h"
#include "testing/serve_process.h"
#include "testing/subprocess.h"

namespace jwtguard::testing {
namespace {

using Json = nlohmann::json;

const std::string kBinary = JWTGUARD_BINARY;
constexpr char kPassword[] = "correct horse battery staple";

class KeysRotationServeTest : public ::testing::Test {
 protected:
  RunResult keys(std::vector<std::string> args) {
    args.insert(args.begin(), {kBinary, "keys"});
    return run(args);
  }
  void start() {
    if (serve_) ASSERT_TRUE(serve_->terminate()) << serve_->log();
    serve_.reset();
    auto serve = ServeProcess::start({.binary = kBinary,
                                      .store = "sqlite:" + dir_.db(),
                                      .flags = {"--jwks-file", file_, "--threads", "1"},
                                      .dir = dir_.path()});
    ASSERT_TRUE(serve) << serve.error();
    serve_.emplace(std::move(*serve));
  }
  void TearDown() override {
    if (serve_) EXPECT_TRUE(serve_->terminate()) << serve_->log();
  }
  Json credentials() const { return Json{{"username", "ann"}, {"password", kPassword}}; }
  std::string login() {
    auto reply =
        loopback::fetch(serve_->port(), loopback::post("/auth/login", {}, credentials().dump()));
    if (!reply || reply->status != 200) return {};
    return Json::parse(reply->body).value("access_token", "");
  }
  int me(const std::string& token) { return me_reply(token).status; }
  loopback::Reply me_reply(const std::string& token) {
    auto reply = loopback::fetch(serve_->port(), loopback::get("/auth/me", token));
    return reply ? *reply : loopback::Reply{};
  }
  static std::string kid_of(const std::string& token) {
    auto header = base64url::decode(token.substr(0, token.find('.')));
    return header ? Json::parse(*header).value("kid", "") : "";
  }

  ScratchDir dir_;
  const std::string file_ = (dir_.path() / "keys.jwks.json").string();
  std::optional<ServeProcess> serve_;
};

TEST_F(KeysRotationServeTest, ServeSignsWithTheActiveKeyAndVerifiesWithEveryKey) {
  ASSERT_EQ(keys({"add", file_, "--alg", "ES256", "--kid", "k1"}).exit_code, 0);
  ASSERT_EQ(keys({"add", file_, "--alg", "ES256", "--kid", "k2"}).exit_code, 0);
  start();
  auto registered =
      loopback::fetch(serve_->port(), loopback::post("/auth/register", {}, credentials().dump()));
  ASSERT_TRUE(registered && registered->status == 201);
  const std::string by_k1 = login();
  EXPECT_EQ(kid_of(by_k1), "k1");

  // Step 1 is visible: k2 is published before anything is signed with it,
  // with no private member and none of the file's bookkeeping.
  auto jwks = loopback::fetch(serve_->port(), loopback::get("/.well-known/jwks.json"));
  ASSERT_TRUE(jwks && jwks->status == 200);
  const Json published = Json::parse(jwks->body);
  ASSERT_EQ(published["keys"].size(), 2u);
  EXPECT_EQ(published["keys"][1]["kid"], "k2");
  // docs/operations.md checks each instance with grep -c '"kid":"2027-01"'.
  EXPECT_NE(jwks->body.find("\"kid\":\"k2\""), std::string::npos) << jwks->body;
  for (const char* hidden : {"\"d\"", "added_at", "signed_until", "active_kid"}) {
    EXPECT_EQ(jwks->body.find(hidden), std::string::npos) << hidden << " in " << jwks->body;
  }

  // Step 2: k2 signs, tokens k1 signed still verify.
  ASSERT_EQ(keys({"activate", file_, "--kid", "k2", "--force"}).exit_code, 0);
  start();
  const std::string by_k2 = login();
  EXPECT_EQ(kid_of(by_k2), "k2");
  EXPECT_EQ(me(by_k1), 200);
  EXPECT_EQ(me(by_k2), 200);

  // The emergency: k1 removed at once, everything it signed is refused.
  RunResult retired = keys({"retire", file_, "--kid", "k1", "--force"});
  ASSERT_EQ(retired.exit_code, 0) << retired.err;
  start();
  // Refused as a token no key of the set signed (docs/service.md: 422).
  const loopback::Reply refused = me_reply(by_k1);
  EXPECT_EQ(refused.status, 422);
  EXPECT_NE(refused.body.find("Unknown key id"), std::string::npos) << refused.body;
  EXPECT_EQ(me(by_k2), 200);
}

}  // namespace
}  // namespace jwtguard::testing
