// The fixture of the HTTP tests: an in-process App on a loopback port with a
// scratch directory, and the helpers the tests share.
#ifndef JWTGUARD_TESTS_SERVER_HTTP_FIXTURE_H_
#define JWTGUARD_TESTS_SERVER_HTTP_FIXTURE_H_

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "jwtguard/password.h"
#include "jwtguard/store.h"
#include "server/app.h"
#include "server/http_client.h"
#include "testing/fixtures.h"

// Its own namespace: the handler tests' fixture defines other constants of
// the same names, and both are linked into one test binary.
namespace jwtguard::server::http_tests {

namespace http = boost::beast::http;
using jwtguard::testing::AfterSend;
using jwtguard::testing::bearer;
using jwtguard::testing::Headers;
using jwtguard::testing::HttpClient;
using jwtguard::testing::parse_replies;
using jwtguard::testing::raw_exchange;
using jwtguard::testing::RawConnection;
using jwtguard::testing::Reply;
using jwtguard::testing::ScratchDir;
using jwtguard::testing::status_codes;
using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

inline constexpr std::string_view kSecret = "an HS256 secret of at least 32 bytes, for tests only";
inline constexpr std::string_view kPassword = "correct horse battery";
inline constexpr std::size_t kBodyLimit = 64 * 1024;

inline const std::string& password_hash() {
  static const std::string hash = hash_password(kPassword).value();
  return hash;
}

inline json credentials(std::string_view user, std::string_view password = kPassword) {
  return {{"username", user}, {"password", password}};
}

struct Tokens {
  std::string access;
  std::string refresh;
};

inline Tokens tokens_of(const Reply& reply) {
  json body = reply.json();
  if (!body.is_object() || !body["access_token"].is_string()) return {};
  Tokens tokens{body["access_token"].get<std::string>(), {}};
  if (body["refresh_token"].is_string()) tokens.refresh = body["refresh_token"].get<std::string>();
  return tokens;
}

// A request as bytes, for the raw tests.
inline std::string raw_request(std::string_view method, std::string_view target,
                               std::string_view headers = {}, std::string_view body = {}) {
  std::string out = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: t\r\n";
  out += headers;
  if (!body.empty()) out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  out += "\r\n";
  out += body;
  return out;
}

class HttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.listen = "127.0.0.1:0";
    config_.store = "memory:";
    config_.secret = kSecret;
    config_.dev = false;
    config_.data_dir = (dir_.path() / "var").string();
    config_.log_file = (dir_.path() / "jwtguard.log").string();
    config_.threads = 2;
    config_.workers = 2;
    config_.shutdown_timeout = seconds(2);
    configure(config_);
    start();
  }

  // Changes the configuration before the App starts.
  virtual void configure(ServeConfig& /*config*/) {}

  void start() {
    auto app = App::start(config_);
    ASSERT_OK(app);
    app_ = std::move(*app);
  }

  void restart() {
    app_->stop();
    app_.reset();
    start();
  }

  std::uint16_t port() const { return app_->port(); }

  // POST /auth/register, then POST /auth/login.
  Tokens register_and_login(HttpClient& client, std::string_view user,
                            const Headers& headers = {}) {
    Reply registered = client.post_json("/auth/register", credentials(user));
    EXPECT_EQ(registered.status, 201) << registered.error << registered.body;
    Reply login = client.post_json("/auth/login", credentials(user), headers);
    EXPECT_EQ(login.status, 200) << login.error << login.body;
    return tokens_of(login);
  }

  // An admin user in the store, and an access token of theirs.
  std::string admin_token(std::string_view name = "root") {
    auto created = app_->guard().store().create_user(
        User{std::string(name), password_hash(), /*admin=*/true, SystemClock().now()});
    EXPECT_TRUE(created.has_value()) << created.error().message();
    auto pair = app_->guard().login(name);
    EXPECT_TRUE(pair.has_value()) << pair.error().message();
    return pair ? pair->access.token : std::string();
  }

  ScratchDir dir_;
  ServeConfig config_;
  std::unique_ptr<App> app_;
};

}  // namespace jwtguard::server::http_tests

#endif  // JWTGUARD_TESTS_SERVER_HTTP_FIXTURE_H_
