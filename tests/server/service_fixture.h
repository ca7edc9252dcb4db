// The fixture of the handler tests: a Service over a Guard with a memory
// store and a FakeClock, and requests built by hand.
#ifndef JWTGUARD_TESTS_SERVER_SERVICE_FIXTURE_H_
#define JWTGUARD_TESTS_SERVER_SERVICE_FIXTURE_H_

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "jwtguard/guard.h"
#include "jwtguard/jose.h"
#include "jwtguard/password.h"
#include "jwtguard/store.h"
#include "server/service.h"
#include "testing/fixtures.h"

// Its own namespace: the HTTP tests' fixture defines other constants of the
// same names, and both are linked into one test binary.
namespace jwtguard::server::service_tests {

using jwtguard::testing::FakeClock;
using nlohmann::json;
using std::chrono::minutes;
using std::chrono::seconds;

// 64 bytes: enough for HS384, which the allowlist test signs with.
inline constexpr std::string_view kSecret =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
inline constexpr std::string_view kPassword = "correct horse battery";
inline constexpr std::string_view kBareChallenge = R"(Bearer realm="jwtguard")";
inline const Peer kPeer{"10.0.0.1"};

// The RFC 6750 challenge of a failed token check.
inline std::string token_challenge(std::string_view description) {
  return std::string(kBareChallenge) + R"(, error="invalid_token", error_description=")" +
         std::string(description) + "\"";
}

// One Argon2id hash of kPassword for every user the tests create directly.
inline const std::string& password_hash() {
  static const std::string hash = hash_password(kPassword).value();
  return hash;
}

using Fields = std::vector<std::pair<std::string, std::string>>;

inline Fields bearer(std::string_view token) {
  return {{"Authorization", "Bearer " + std::string(token)}};
}

inline Request make_request(http::verb method, std::string_view target, const Fields& fields = {},
                            std::string body = {}) {
  Request request{method, target, 11};
  for (const auto& [name, value] : fields) request.set(name, value);
  request.body() = std::move(body);
  request.prepare_payload();
  return request;
}

inline int status(const Response& response) { return static_cast<int>(response.result_int()); }

inline std::string header(const Response& response, http::field field) {
  return std::string(response[field]);
}

inline json body_of(const Response& response) {
  return json::parse(response.body(), nullptr, false);
}

inline std::string msg(const Response& response) {
  json body = body_of(response);
  if (!body.is_object() || !body.contains("msg") || !body["msg"].is_string()) return {};
  return body["msg"].get<std::string>();
}

// Expects `response` to be the error `code` with body {"msg": message}.
inline void expect_error(const Response& response, int code, std::string_view message) {
  EXPECT_EQ(status(response), code) << response.body();
  EXPECT_EQ(body_of(response), json({{"msg", message}})) << response.body();
}

inline GuardOptions guard_options() {
  GuardOptions options;
  options.issuer.algorithm = Algorithm::kHS256;
  options.verify.algorithms = {Algorithm::kHS256};  // as App configures it
  options.background = false;
  return options;
}

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { start(); }

  // A new Guard on an empty memory store, and a Service over it.
  void start(ServiceOptions options = {}, GuardOptions guard = guard_options()) {
    service_.reset();
    guard_.reset();
    auto opened = Guard::open(Key::from_secret(kSecret).value(), KeySet(), open_memory_store(),
                              std::move(guard), clock_);
    ASSERT_OK(opened);
    guard_ = std::move(*opened);
    auto created = Service::create(Service::Parts{*guard_, guard_->store(), metrics_, clock_},
                                   std::move(options));
    ASSERT_OK(created);
    service_ = std::move(*created);
  }

  // What a Service over this fixture's Guard works with.
  Service::Parts parts() { return Service::Parts{*guard_, guard_->store(), metrics_, clock_}; }

  Response handle(const Request& request, const Peer& peer = kPeer) {
    return service_->handle(request, peer).response;
  }
  Response get(std::string_view target, const Fields& fields = {}) {
    return handle(make_request(http::verb::get, target, fields));
  }
  Response del(std::string_view target, const Fields& fields = {}) {
    return handle(make_request(http::verb::delete_, target, fields));
  }
  Response post(std::string_view target, const Fields& fields = {}) {
    return handle(make_request(http::verb::post, target, fields));
  }
  Response post_json(std::string_view target, std::string body, Fields fields = {},
                     const Peer& peer = kPeer) {
    fields.emplace_back("Content-Type", "application/json");
    return handle(make_request(http::verb::post, target, fields, std::move(body)), peer);
  }
  Response post_form(std::string_view target, std::string form, Fields fields = {}) {
    fields.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    return handle(make_request(http::verb::post, target, fields, std::move(form)));
  }

  Response register_user(std::string_view username, std::string_view password) {
    return post_json("/auth/register", json{{"username", username}, {"password", password}}.dump());
  }
  Response login(std::string_view username, std::string_view password, const Peer& peer = kPeer,
                 Fields fields = {}) {
    return post_json("/auth/login", json{{"username", username}, {"password", password}}.dump(),
                     std::move(fields), peer);
  }

  // A user with kPassword, straight into the store.
  void add_user(const std::string& name, bool admin = false) {
    ASSERT_OK(guard_->store().create_user(User{name, password_hash(), admin, clock_.now()}));
  }
  // A login through the Guard (no password check, no rate limit).
  TokenPair tokens(std::string_view user = "alice") {
    auto pair = guard_->login(user, {}, ClientInfo{kPeer.address, "test-agent"});
    EXPECT_TRUE(pair.has_value()) << pair.error().message();
    return pair.value_or(TokenPair{});
  }
  std::string admin_token() {
    add_user("root", /*admin=*/true);
    return tokens("root").access.token;
  }

  FakeClock clock_;
  Metrics metrics_;
  std::unique_ptr<Guard> guard_;
  std::unique_ptr<Service> service_;
};

}  // namespace jwtguard::server::service_tests

#endif  // JWTGUARD_TESTS_SERVER_SERVICE_FIXTURE_H_
