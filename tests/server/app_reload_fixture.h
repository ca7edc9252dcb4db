// The fixture of the reload tests: an in-process App started from a TOML
// text, reloaded from other TOML texts as `jwtguard serve` does on SIGHUP
// (load_serve_config, then App::reload), with a JWK Set of two ES256 keys
// ("k1", "k2") in its scratch directory.
#ifndef JWTGUARD_TESTS_SERVER_APP_RELOAD_FIXTURE_H_
#define JWTGUARD_TESTS_SERVER_APP_RELOAD_FIXTURE_H_

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "jose/base64url.h"
#include "jwtguard/keys.h"
#include "server/app.h"
#include "server/http_client.h"
#include "testing/fixtures.h"

namespace jwtguard::server::reload_tests {

using jwtguard::testing::bearer;
using jwtguard::testing::HttpClient;
using jwtguard::testing::Reply;
using jwtguard::testing::ScratchDir;
using nlohmann::json;

inline constexpr std::string_view kPassword = "correct horse battery";

inline json credentials(std::string_view user, std::string_view password = kPassword) {
  return {{"username", user}, {"password", password}};
}

// The "kid" of a token's header, or "" when it has none.
inline std::string kid_of(const std::string& token) {
  auto header = base64url::decode(token.substr(0, token.find('.')));
  if (!header) return "(not base64url)";
  return json::parse(*header).value("kid", "");
}

// The kids of a JWK Set document.
inline std::vector<std::string> kids_of(const std::string& jwks) {
  std::vector<std::string> kids;
  const json set = json::parse(jwks);
  for (const json& key : set["keys"]) kids.push_back(key.value("kid", ""));
  return kids;
}

class ReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* kid : {"k1", "k2"}) {
      auto key = Key::generate(Algorithm::kES256, kid);
      ASSERT_OK(key);
      auto jwk = key->to_jwk(/*include_private=*/true);
      ASSERT_OK(jwk);
      jwks_[kid] = json::parse(*jwk);
    }
    write_jwks({"k1", "k2"});
  }

  // Writes the JWK Set file with the keys named.
  void write_jwks(const std::vector<std::string>& kids) {
    json set{{"keys", json::array()}};
    for (const std::string& kid : kids) set["keys"].push_back(jwks_[kid]);
    std::ofstream(jwks_path()) << set.dump();
  }

  std::string jwks_path() const { return (dir_.path() / "keys.jwks").string(); }
  std::string log_path() const { return (dir_.path() / "jwtguard.log").string(); }

  // A whole configuration: the fixed part, then `top` (dotted keys at the
  // top level, such as keys.kid = "k1"), then `tables` ([tokens] ...).
  std::string toml(std::string_view top, std::string_view tables = {}) const {
    return "listen = \"127.0.0.1:0\"\nstore = \"memory:\"\ndev = false\nthreads = 2\n"
           "workers = 2\ndata_dir = \"" +
           (dir_.path() / "var").string() + "\"\nkeys.jwks_file = \"" + jwks_path() +
           "\"\nlog.file = \"" + log_path() + "\"\n" + std::string(top) + "\n" +
           std::string(tables);
  }

  Result<ServeConfig> load(const std::string& text) {
    return load_serve_config_text(text, "jwtguard.toml", {}, {});
  }

  void start(const std::string& text) {
    auto config = load(text);
    ASSERT_OK(config);
    auto app = App::start(*config);
    ASSERT_OK(app);
    app_ = std::move(*app);
  }

  Result<ReloadReport> reload(const std::string& text) { return app_->reload(load(text)); }

  // POST /auth/register (once per user), then POST /auth/login.
  Reply login(HttpClient& client, std::string_view user) {
    (void)client.post_json("/auth/register", credentials(user));
    return client.post_json("/auth/login", credentials(user));
  }

  std::string access_token(HttpClient& client, std::string_view user) {
    Reply reply = login(client, user);
    EXPECT_EQ(reply.status, 200) << reply.body;
    return reply.json().value("access_token", "");
  }

  std::string log() const {
    std::ifstream in(log_path());
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  std::string metric(HttpClient& client, std::string_view sample) {
    const std::string text = client.get("/metrics").body;
    const auto at = text.find(std::string("\n") + std::string(sample) + " ");
    if (at == std::string::npos) return "(missing)";
    const auto value = at + sample.size() + 2;
    return text.substr(value, text.find('\n', value) - value);
  }

  ScratchDir dir_;
  std::map<std::string, json> jwks_;
  std::unique_ptr<App> app_;
};

}  // namespace jwtguard::server::reload_tests

#endif  // JWTGUARD_TESTS_SERVER_APP_RELOAD_FIXTURE_H_
