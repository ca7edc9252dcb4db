// The service over real HTTP: an in-process App on a loopback port, and a
// client that speaks HTTP/1.1 (or raw bytes) to it.
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

namespace jwtguard::server {
namespace {

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

constexpr std::string_view kSecret = "an HS256 secret of at least 32 bytes, for tests only";
constexpr std::string_view kPassword = "correct horse battery";
constexpr std::size_t kBodyLimit = 64 * 1024;

const std::string& password_hash() {
  static const std::string hash = hash_password(kPassword).value();
  return hash;
}

json credentials(std::string_view user, std::string_view password = kPassword) {
  return {{"username", user}, {"password", password}};
}

struct Tokens {
  std::string access;
  std::string refresh;
};

Tokens tokens_of(const Reply& reply) {
  json body = reply.json();
  if (!body.is_object() || !body["access_token"].is_string()) return {};
  Tokens tokens{body["access_token"].get<std::string>(), {}};
  if (body["refresh_token"].is_string()) tokens.refresh = body["refresh_token"].get<std::string>();
  return tokens;
}

// A request as bytes, for the raw tests.
std::string raw_request(std::string_view method, std::string_view target,
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

// --- the seed scenario and every endpoint's success path ---------------------

TEST_F(HttpTest, SeedScenarioLogoutRevokesTheAccessAndRefreshTokens) {
  HttpClient client(port());
  Tokens tokens = register_and_login(client, "alice");
  Reply me = client.get("/auth/me", bearer(tokens.access));
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.json()["sub"], "alice");

  Reply logout = client.del("/auth/logout", bearer(tokens.access));
  EXPECT_EQ(logout.status, 200);
  EXPECT_EQ(logout.msg(), "Access token revoked");

  Reply refused = client.get("/auth/me", bearer(tokens.access));
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(refused.msg(), "Token has been revoked");
  EXPECT_NE(refused.header("WWW-Authenticate").find(R"(error="invalid_token")"), std::string::npos);
  Reply refresh = client.post("/auth/refresh", bearer(tokens.refresh));
  EXPECT_EQ(refresh.status, 401);
  EXPECT_EQ(refresh.msg(), "Token has been revoked");
}

// One JSON line per request, with what an operator needs, and never a
// token, a password or the signing secret.
TEST_F(HttpTest, AccessLogHasALinePerRequestAndNoSecrets) {
  HttpClient client(port());
  Tokens tokens = register_and_login(client, "alice");
  ASSERT_EQ(client.get("/auth/me", bearer(tokens.access)).status, 200);
  Reply refreshed = client.post("/auth/refresh", bearer(tokens.refresh));
  ASSERT_EQ(refreshed.status, 200);
  ASSERT_EQ(client.del("/auth/logout", bearer(tokens.access)).status, 200);
  ASSERT_EQ(client.post_json("/auth/login", credentials("alice", "a wrong password")).status, 401);
  app_->stop();  // flushes the log

  std::ifstream file(config_.log_file);
  std::vector<json> requests;
  std::string everything;
  for (std::string line; std::getline(file, line);) {
    everything += line + "\n";
    json entry = json::parse(line, nullptr, false);
    ASSERT_TRUE(entry.is_object()) << "not a JSON line: " << line;
    if (entry["event"] == "request") requests.push_back(entry);
  }
  ASSERT_EQ(requests.size(), 6u) << everything;
  EXPECT_EQ(requests[0]["route"], "POST /auth/register");
  EXPECT_EQ(requests[2]["route"], "GET /auth/me");
  EXPECT_EQ(requests[2]["status"], 200);
  EXPECT_EQ(requests[2]["subject"], "alice");
  EXPECT_EQ(requests[2]["client"], "127.0.0.1");
  EXPECT_TRUE(requests[2]["latency_ms"].is_number());
  EXPECT_EQ(requests[5]["status"], 401);
  const Tokens rotated = tokens_of(refreshed);  // named: the views below must not dangle
  for (std::string_view secret :
       {std::string_view(tokens.access), std::string_view(tokens.refresh),
        std::string_view(rotated.access), std::string_view(rotated.refresh), kPassword,
        std::string_view("a wrong password"), kSecret}) {
    EXPECT_EQ(everything.find(secret), std::string::npos) << "the log holds " << secret;
  }
  // Not even a token's signature or payload alone.
  EXPECT_EQ(everything.find(tokens.access.substr(tokens.access.rfind('.') + 1)), std::string::npos);
}

TEST_F(HttpTest, HealthReadinessAndMetrics) {
  HttpClient client(port());
  EXPECT_EQ(client.get("/healthz").json(), json({{"status", "ok"}}));
  EXPECT_EQ(client.get("/readyz").json(), json({{"status", "ready"}}));
  Reply metrics = client.get("/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find(R"(jwtguard_http_requests_total{route="GET /healthz",code="200"} 1)"),
            std::string::npos)
      << metrics.body;
}

TEST_F(HttpTest, JwksOfAnHmacServiceIsEmpty) {
  HttpClient client(port());
  Reply reply = client.get("/.well-known/jwks.json");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.json(), json::parse(R"({"keys": []})"));
}

TEST_F(HttpTest, VerifyAnswersTheGatewayHeaders) {
  HttpClient client(port());
  auto pair = app_->guard().login("alice");
  ASSERT_OK(pair);
  Reply reply = client.get("/auth/verify", bearer(pair->access.token));
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.header("X-Auth-Subject"), "alice");
  EXPECT_EQ(reply.header("X-Auth-Jti"), pair->access.jti);
  EXPECT_EQ(reply.header("X-Auth-Session"), pair->access.sid);
}

TEST_F(HttpTest, RefreshRotatesAndTheNewTokensWork) {
  HttpClient client(port());
  auto pair = app_->guard().login("alice");
  ASSERT_OK(pair);
  Reply reply = client.post("/auth/refresh", bearer(pair->refresh.token));
  ASSERT_EQ(reply.status, 200) << reply.body;
  Tokens rotated = tokens_of(reply);
  EXPECT_NE(rotated.refresh, pair->refresh.token);
  EXPECT_EQ(client.get("/auth/me", bearer(rotated.access)).status, 200);
  EXPECT_EQ(client.post("/auth/refresh", bearer(rotated.refresh)).status, 200);
}

TEST_F(HttpTest, ReusedRefreshTokenRevokesTheWholeSession) {
  HttpClient client(port());
  auto pair = app_->guard().login("alice");
  ASSERT_OK(pair);
  Tokens rotated = tokens_of(client.post("/auth/refresh", bearer(pair->refresh.token)));
  ASSERT_FALSE(rotated.refresh.empty());

  Reply reused = client.post("/auth/refresh", bearer(pair->refresh.token));
  EXPECT_EQ(reused.status, 401);
  EXPECT_EQ(reused.msg(), "Token has been revoked");
  EXPECT_EQ(client.post("/auth/refresh", bearer(rotated.refresh)).msg(), "Token has been revoked");
  EXPECT_EQ(client.get("/auth/me", bearer(rotated.access)).msg(), "Token has been revoked");
}

TEST_F(HttpTest, LogoutAllFollowedAtOnceByALoginThatWorks) {
  HttpClient client(port());
  Tokens first = register_and_login(client, "alice");
  auto second = app_->guard().login("alice");
  ASSERT_OK(second);
  Reply all = client.post("/auth/logout-all", bearer(first.access));
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(client.get("/auth/me", bearer(second->access.token)).status, 401);

  Tokens fresh = tokens_of(client.post_json("/auth/login", credentials("alice")));
  EXPECT_EQ(client.get("/auth/me", bearer(fresh.access)).status, 200);
  EXPECT_EQ(client.post("/auth/refresh", bearer(fresh.refresh)).status, 200);
}

TEST_F(HttpTest, SessionsShowTheClientAddressAndUserAgent) {
  HttpClient client(port());
  Tokens tokens = register_and_login(client, "alice", {{"User-Agent", "TestBrowser/2.0"}});
  Reply reply = client.get("/auth/sessions", bearer(tokens.access));
  ASSERT_EQ(reply.status, 200) << reply.body;
  json sessions = reply.json()["sessions"];
  ASSERT_EQ(sessions.size(), 1u) << sessions;
  EXPECT_EQ(sessions[0]["client_address"], "127.0.0.1");
  EXPECT_EQ(sessions[0]["user_agent"], "TestBrowser/2.0");
  EXPECT_EQ(sessions[0]["current"], true);
}

// Header bytes are not UTF-8 by necessity; the sessions list must still
// answer (found by service_test; this is what a client sees).
TEST_F(HttpTest, SessionsOfALoginWithANonUtf8UserAgentAreNot5xx) {
  HttpClient client(port());
  Tokens tokens = register_and_login(client, "alice", {{"User-Agent", "Agent/\xff"}});
  Reply reply = client.get("/auth/sessions", bearer(tokens.access));
  EXPECT_EQ(reply.status, 200) << reply.body;
}

TEST_F(HttpTest, DeleteSessionRevokesThatSession) {
  HttpClient client(port());
  auto current = app_->guard().login("alice");
  auto other = app_->guard().login("alice");
  ASSERT_OK(current);
  ASSERT_OK(other);
  Reply reply = client.del("/auth/sessions/" + other->access.sid, bearer(current->access.token));
  EXPECT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(client.get("/auth/me", bearer(other->access.token)).status, 401);
  EXPECT_EQ(client.get("/auth/me", bearer(current->access.token)).status, 200);
}

TEST_F(HttpTest, OauthRevokeAndIntrospect) {
  HttpClient client(port());
  std::string admin = admin_token();
  auto pair = app_->guard().login("alice");
  ASSERT_OK(pair);
  Reply active =
      client.post_form("/oauth/introspect", "token=" + pair->access.token, bearer(admin));
  EXPECT_EQ(active.json()["active"], true) << active.body;
  Reply revoked = client.post_form("/oauth/revoke", "token=" + pair->refresh.token);
  EXPECT_EQ(revoked.status, 200);
  Reply inactive =
      client.post_form("/oauth/introspect", "token=" + pair->access.token, bearer(admin));
  EXPECT_EQ(inactive.json(), json({{"active", false}}));
}

TEST_F(HttpTest, AdminRevokesListsAndUnrevokes) {
  HttpClient client(port());
  std::string admin = admin_token();
  auto pair = app_->guard().login("alice");
  ASSERT_OK(pair);
  Reply created = client.post_json(
      "/admin/revocations", {{"jti", pair->access.jti}, {"reason", "stolen"}}, bearer(admin));
  EXPECT_EQ(created.status, 200) << created.body;
  EXPECT_EQ(client.get("/auth/me", bearer(pair->access.token)).status, 401);

  // A revocation by jti alone knows neither the token's user nor its type.
  json listed = client.get("/admin/revocations?limit=10", bearer(admin)).json();
  ASSERT_EQ(listed["revocations"].size(), 1u) << listed;
  EXPECT_EQ(listed["revocations"][0]["key"], pair->access.jti);
  EXPECT_EQ(listed["revocations"][0]["reason"], "stolen");

  Reply removed = client.del("/admin/revocations/" + pair->access.jti, bearer(admin));
  EXPECT_EQ(removed.status, 200) << removed.body;
  EXPECT_EQ(client.get("/auth/me", bearer(pair->access.token)).status, 200);
}

TEST_F(HttpTest, AdminMintsTokens) {
  HttpClient client(port());
  Reply minted = client.post_json("/admin/tokens",
                                  {{"identity", "service-a"}, {"claims", {{"scope", "read"}}}},
                                  bearer(admin_token()));
  ASSERT_EQ(minted.status, 200) << minted.body;
  Reply me = client.get("/auth/me", bearer(tokens_of(minted).access));
  EXPECT_EQ(me.json()["sub"], "service-a");
  EXPECT_EQ(me.json()["claims"]["scope"], "read");
}

TEST_F(HttpTest, KeepAliveServesManyRequestsOnOneConnection) {
  HttpClient client(port());
  for (int i = 0; i < 5; ++i) ASSERT_EQ(client.get("/healthz").status, 200);
  EXPECT_EQ(client.connections_opened(), 1);
}

// --- restarts (SQLite) --------------------------------------------------------

class SqliteRestartTest : public HttpTest {
 protected:
  void configure(ServeConfig& config) override { config.store = "sqlite:" + dir_.db(); }

  // alice registers and logs in twice; the first session logs out.
  void SetUp() override {
    HttpTest::SetUp();
    HttpClient client(port());
    logged_out_ = register_and_login(client, "alice");
    kept_ = tokens_of(client.post_json("/auth/login", credentials("alice")));
    ASSERT_EQ(client.del("/auth/logout", bearer(logged_out_.access)).status, 200);
  }

  Tokens logged_out_;
  Tokens kept_;
};

TEST_F(SqliteRestartTest, RevokedTokensStayRevoked) {
  restart();
  HttpClient client(port());
  EXPECT_EQ(client.get("/auth/me", bearer(logged_out_.access)).msg(), "Token has been revoked");
  EXPECT_EQ(client.post("/auth/refresh", bearer(logged_out_.refresh)).msg(),
            "Token has been revoked");
}

TEST_F(SqliteRestartTest, ValidTokensStayValid) {
  restart();
  HttpClient client(port());
  EXPECT_EQ(client.get("/auth/me", bearer(kept_.access)).status, 200);
  Reply refreshed = client.post("/auth/refresh", bearer(kept_.refresh));
  EXPECT_EQ(refreshed.status, 200) << refreshed.body;
}

TEST_F(SqliteRestartTest, UsersStay) {
  restart();
  HttpClient client(port());
  EXPECT_EQ(client.post_json("/auth/login", credentials("alice")).status, 200);
  EXPECT_EQ(client.post_json("/auth/register", credentials("alice")).status, 409);
}

TEST_F(SqliteRestartTest, LogoutEverywhereStays) {
  HttpClient before(port());
  ASSERT_EQ(before.post("/auth/logout-all", bearer(kept_.access)).status, 200);
  restart();
  HttpClient client(port());
  EXPECT_EQ(client.get("/auth/me", bearer(kept_.access)).msg(), "Token has been revoked");
}

// --- bad input over the wire ----------------------------------------------------

TEST_F(HttpTest, MalformedJsonIs400) {
  HttpClient client(port());
  Reply reply = client.request(http::verb::post, "/auth/register", {}, R"({"username": )",
                               "application/json");
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.msg(), "Body is not valid JSON");
}

TEST_F(HttpTest, WrongJsonTypesAre400) {
  HttpClient client(port());
  Reply reply = client.post_json("/auth/login", {{"username", {"alice"}}, {"password", "x"}});
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.msg(), "'username' must be a string");
}

TEST_F(HttpTest, WrongContentTypeIs415) {
  HttpClient client(port());
  Reply reply = client.request(http::verb::post, "/auth/register", {}, credentials("alice").dump(),
                               "text/plain");
  EXPECT_EQ(reply.status, 415);
}

TEST_F(HttpTest, BodyAtTheLimitIsRead) {
  HttpClient client(port());
  std::string form = "token=" + std::string(kBodyLimit - 6, 'a');
  Reply reply = client.post_form("/oauth/revoke", form);
  EXPECT_EQ(reply.status, 200) << reply.error << reply.body;
}

TEST_F(HttpTest, BodyOverTheLimitIs413) {
  HttpClient client(port());
  std::string form = "token=" + std::string(kBodyLimit - 5, 'a');
  Reply reply = client.post_form("/oauth/revoke", form);
  EXPECT_EQ(reply.status, 413) << reply.error;
  EXPECT_EQ(reply.msg(), "Request body is too large");
  EXPECT_FALSE(reply.keep_alive);
}

TEST_F(HttpTest, BodyOverTheLimitWithExpectContinueIs413WithoutContinue) {
  RawConnection connection(port());
  ASSERT_TRUE(connection.connected());
  ASSERT_TRUE(
      connection.send("POST /oauth/revoke HTTP/1.1\r\nHost: t\r\n"
                      "Content-Type: application/x-www-form-urlencoded\r\n"
                      "Expect: 100-continue\r\nContent-Length: " +
                      std::to_string(kBodyLimit + 1) + "\r\n\r\n"));
  Reply reply = connection.read_reply();
  EXPECT_EQ(reply.status, 413) << reply.error;
  EXPECT_TRUE(connection.read_until_closed(seconds(5)).closed);
}

TEST_F(HttpTest, ExpectContinueGets100ThenTheAnswer) {
  RawConnection connection(port());
  ASSERT_TRUE(connection.connected());
  std::string form = "token=abc";
  ASSERT_TRUE(
      connection.send("POST /oauth/revoke HTTP/1.1\r\nHost: t\r\n"
                      "Content-Type: application/x-www-form-urlencoded\r\n"
                      "Expect: 100-continue\r\nContent-Length: " +
                      std::to_string(form.size()) + "\r\n\r\n"));
  EXPECT_EQ(connection.read_reply().status, 100);
  ASSERT_TRUE(connection.send(form));
  EXPECT_EQ(connection.read_reply().status, 200);
}

TEST_F(HttpTest, ChunkedBodyOverTheLimitIs413) {
  std::string request =
      "POST /oauth/revoke HTTP/1.1\r\nHost: t\r\n"
      "Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 17; ++i) request += "1000\r\n" + std::string(4096, 'a') + "\r\n";
  request += "0\r\n\r\n";
  auto replies = parse_replies(raw_exchange(port(), request, seconds(10)));
  ASSERT_FALSE(replies.empty());
  EXPECT_EQ(replies[0].status, 413);
}

TEST_F(HttpTest, HeaderOverTheLimitIs431) {
  std::string request =
      raw_request("GET", "/healthz", "X-Filler: " + std::string(17 * 1024, 'x') + "\r\n");
  auto replies = parse_replies(raw_exchange(port(), request, seconds(10)));
  ASSERT_FALSE(replies.empty());
  EXPECT_EQ(replies[0].status, 431);
  EXPECT_EQ(replies[0].msg(), "Request header fields are too large");
}

TEST_F(HttpTest, HeaderUnderTheLimitIsServed) {
  HttpClient client(port());
  Reply reply = client.get("/healthz", {{"X-Filler", std::string(15 * 1024, 'x')}});
  EXPECT_EQ(reply.status, 200);
}

TEST_F(HttpTest, TokenOverEightKibIs422) {
  HttpClient client(port());
  Reply reply = client.get("/auth/me", bearer(std::string(8 * 1024 + 1, 'a')));
  EXPECT_EQ(reply.status, 422);
  EXPECT_EQ(reply.msg(), "Token is too large");
}

TEST_F(HttpTest, GarbageIs400AndTheConnectionCloses) {
  bool closed = false;
  std::string raw =
      raw_exchange(port(), "\x01\x02 nonsense\r\n\r\n", seconds(5), AfterSend::kKeepOpen, &closed);
  auto replies = parse_replies(raw);
  ASSERT_FALSE(replies.empty()) << raw;
  EXPECT_EQ(replies[0].status, 400);
  EXPECT_TRUE(closed);
}

TEST_F(HttpTest, PipelinedRequestsAreAnsweredInOrder) {
  // The first goes to a worker (a password hash); the others are answered
  // inline, so answering them as they come would reorder the responses.
  std::string first = raw_request("POST", "/auth/login", "Content-Type: application/json\r\n",
                                  credentials("nobody").dump());
  std::string bytes = first + raw_request("GET", "/healthz") +
                      raw_request("GET", "/nowhere", "Connection: close\r\n");
  auto replies = parse_replies(raw_exchange(port(), bytes, seconds(10)));
  ASSERT_EQ(replies.size(), 3u);
  EXPECT_EQ(replies[0].msg(), "Bad username or password");
  EXPECT_EQ(replies[1].json(), json({{"status", "ok"}}));
  EXPECT_EQ(replies[2].status, 404);
}

TEST_F(HttpTest, ManyPipelinedRequestsAreAllAnswered) {
  std::string bytes;
  for (int i = 0; i < 50; ++i) bytes += raw_request("GET", i % 2 ? "/healthz" : "/nowhere");
  auto replies = parse_replies(raw_exchange(port(), bytes, seconds(10)));
  ASSERT_EQ(replies.size(), 50u);
  for (std::size_t i = 0; i < replies.size(); ++i) {
    EXPECT_EQ(replies[i].status, i % 2 ? 200 : 404) << "response " << i;
  }
}

TEST_F(HttpTest, HeadHasNoBodyAndTheConnectionStaysUsable) {
  HttpClient client(port());
  Reply head = client.request(http::verb::head, "/healthz");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
  EXPECT_EQ(client.get("/healthz").json(), json({{"status", "ok"}}));
  EXPECT_EQ(client.connections_opened(), 1);
}

TEST_F(HttpTest, Http10RequestIsAnsweredAndTheConnectionClosed) {
  bool closed = false;
  std::string raw = raw_exchange(port(), "GET /healthz HTTP/1.0\r\n\r\n", seconds(5),
                                 AfterSend::kKeepOpen, &closed);
  EXPECT_TRUE(raw.starts_with("HTTP/1.0 200 ")) << raw;
  EXPECT_TRUE(closed);
}

TEST_F(HttpTest, ConnectionCloseIsHonoured) {
  bool closed = false;
  std::string raw = raw_exchange(port(), raw_request("GET", "/healthz", "Connection: close\r\n"),
                                 seconds(5), AfterSend::kKeepOpen, &closed);
  EXPECT_EQ(status_codes(raw), std::vector<int>{200});
  EXPECT_TRUE(closed);
}

TEST_F(HttpTest, ChunkedBodyIsRead) {
  std::string bytes =
      "POST /oauth/revoke HTTP/1.1\r\nHost: t\r\n"
      "Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n"
      "6\r\ntoken=\r\n3\r\nabc\r\n0\r\n\r\n";
  auto replies = parse_replies(raw_exchange(port(), bytes, seconds(5)));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].status, 200) << replies[0].body;
}

// RFC 9112 §6.1: a request with both is a smuggling attempt until proven
// otherwise.
TEST_F(HttpTest, ContentLengthWithChunkedIs400AndCloses) {
  bool closed = false;
  std::string raw = raw_exchange(
      port(),
      raw_request("POST", "/oauth/revoke",
                  "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\n"
                  "Transfer-Encoding: chunked\r\n") +
          "3\r\nt=a\r\n0\r\n\r\n",
      seconds(5), AfterSend::kKeepOpen, &closed);
  EXPECT_EQ(status_codes(raw), std::vector<int>{400}) << raw;
  EXPECT_TRUE(closed);
}

TEST_F(HttpTest, ConflictingContentLengthsAre400) {
  std::string raw = raw_exchange(
      port(),
      raw_request("POST", "/oauth/revoke", "Content-Length: 3\r\nContent-Length: 4\r\n") + "t=ab",
      seconds(5));
  EXPECT_EQ(status_codes(raw), std::vector<int>{400}) << raw;
}

// RFC 9112 §6.3: when chunked is not the final transfer coding of a
// request, its length cannot be known; the server MUST answer 400 and
// close. Reading it as bodiless instead makes the body the next request
// (here GET /nowhere), which is how requests get smuggled past a proxy.
TEST_F(HttpTest, TransferEncodingNotEndingInChunkedIs400AndCloses) {
  bool closed = false;
  std::string raw = raw_exchange(port(),
                                 raw_request("GET", "/healthz", "Transfer-Encoding: gzip\r\n") +
                                     raw_request("GET", "/nowhere"),
                                 seconds(3), AfterSend::kKeepOpen, &closed);
  EXPECT_EQ(status_codes(raw), std::vector<int>{400}) << raw;
  EXPECT_TRUE(closed);
}

TEST_F(HttpTest, TransferCodingsOtherThanChunkedAloneAre400) {
  // The body stays gzip-compressed after de-chunking, and nothing here
  // undoes gzip: refused, rather than handed to a handler as JSON.
  std::string body = "5\r\nhello\r\n0\r\n\r\n";
  bool closed = false;
  std::string raw = raw_exchange(
      port(), raw_request("POST", "/auth/login", "Transfer-Encoding: gzip, chunked\r\n") + body,
      seconds(3), AfterSend::kKeepOpen, &closed);
  EXPECT_EQ(status_codes(raw), std::vector<int>{400}) << raw;
  EXPECT_TRUE(closed);
}

TEST_F(HttpTest, StopClosesIdleKeepAliveConnections) {
  RawConnection connection(port());
  ASSERT_TRUE(connection.send(raw_request("GET", "/healthz")));
  ASSERT_EQ(connection.read_reply().status, 200);
  app_->stop();
  EXPECT_TRUE(connection.read_until_closed(seconds(5)).closed);
}

// --- timeouts -------------------------------------------------------------------------

class IdleTimeoutTest : public HttpTest {
 protected:
  void configure(ServeConfig& config) override {
    config.idle_timeout = seconds(1);
    config.read_timeout = seconds(30);
  }
};

TEST_F(IdleTimeoutTest, ConnectionWithoutARequestIsClosed) {
  RawConnection connection(port());
  ASSERT_TRUE(connection.connected());
  RawConnection::Received received = connection.read_until_closed(seconds(10));
  EXPECT_TRUE(received.closed);
  EXPECT_EQ(received.bytes, "");
}

TEST_F(IdleTimeoutTest, KeepAliveConnectionIsClosedAfterItsLastResponse) {
  RawConnection connection(port());
  ASSERT_TRUE(connection.send(raw_request("GET", "/healthz")));
  Reply reply = connection.read_reply();
  ASSERT_EQ(reply.status, 200);
  ASSERT_TRUE(reply.keep_alive);
  EXPECT_TRUE(connection.read_until_closed(seconds(10)).closed);
}

class ReadTimeoutTest : public HttpTest {
 protected:
  void configure(ServeConfig& config) override {
    config.idle_timeout = seconds(60);
    config.read_timeout = seconds(1);
  }
};

TEST_F(ReadTimeoutTest, HalfAHeaderIsClosedAfterTheReadTimeout) {
  RawConnection connection(port());
  ASSERT_TRUE(connection.send("GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow"));
  EXPECT_TRUE(connection.read_until_closed(seconds(10)).closed);
}

TEST_F(ReadTimeoutTest, HalfABodyIsClosedAfterTheReadTimeout) {
  RawConnection connection(port());
  ASSERT_TRUE(
      connection.send("POST /auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                      "Content-Length: 100\r\n\r\n{\"username\": "));
  EXPECT_TRUE(connection.read_until_closed(seconds(10)).closed);
}

// --- fuzzing --------------------------------------------------------------------------

// Random requests, most of them broken in one way: the server must answer
// each with a status below 500 or close the connection, and stay up.
class RequestFuzzer {
 public:
  RequestFuzzer(std::uint32_t seed, std::vector<std::string> tokens)
      : rng_(seed), tokens_(std::move(tokens)) {}

  void set_tokens(std::vector<std::string> tokens) { tokens_ = std::move(tokens); }

  // A request of a random route with random headers and body, framed right.
  std::string well_formed() {
    const Route& route = one_of(kRoutes);
    const char* method = chance(90) ? route.method : one_of(kRoutes).method;
    if (chance(5)) method = "HEAD";
    return request(method, target(route), headers(), body());
  }

  // Most likely broken in one of several ways; well-formed one time in five.
  std::string next() {
    switch (pick(10)) {
      case 0:
        return bytes(pick(200));
      case 1:
        return truncated();
      case 2:
        return with_bad_method();
      case 3:
        return with_bad_version();
      case 4:
        return with_absurd_length();
      case 5:
        return with_broken_chunks();
      case 6:
        return with_header_junk();
      case 7:
        return to_random_path();
      default:
        return well_formed();
    }
  }

 private:
  struct Route {
    const char* method;
    const char* path;  // a trailing '/' takes a parameter
  };
  static constexpr Route kRoutes[] = {
      {"POST", "/auth/register"},
      {"POST", "/auth/login"},
      {"POST", "/auth/refresh"},
      {"DELETE", "/auth/logout"},
      {"POST", "/auth/logout-all"},
      {"GET", "/auth/sessions"},
      {"DELETE", "/auth/sessions/"},
      {"GET", "/auth/me"},
      {"GET", "/auth/verify"},
      {"POST", "/oauth/revoke"},
      {"POST", "/oauth/introspect"},
      {"GET", "/.well-known/jwks.json"},
      {"GET", "/admin/revocations"},
      {"POST", "/admin/revocations"},
      {"DELETE", "/admin/revocations/"},
      {"POST", "/admin/tokens"},
      {"GET", "/healthz"},
      {"GET", "/readyz"},
      {"GET", "/metrics"},
  };

  std::size_t pick(std::size_t n) { return n == 0 ? 0 : rng_() % n; }
  bool chance(int percent) { return static_cast<int>(pick(100)) < percent; }
  template <typename T, std::size_t N>
  const T& one_of(const T (&items)[N]) {
    return items[pick(N)];
  }

  std::string bytes(std::size_t n) {
    std::string out(n, '\0');
    for (char& c : out) c = static_cast<char>(pick(256));
    return out;
  }
  std::string printable(std::size_t n) {
    std::string out(n, ' ');
    for (char& c : out) c = static_cast<char>(0x21 + pick(0x5e));
    return out;
  }
  std::string token() {
    if (!tokens_.empty() && chance(60)) return tokens_[pick(tokens_.size())];
    switch (pick(4)) {
      case 0:
        return printable(pick(60));
      case 1:
        return printable(10) + "." + printable(20) + "." + printable(10);
      case 2:
        return std::string(8 * 1024 + pick(3) - 1, 'a');
      default:
        return "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.";
    }
  }

  std::string segment() {
    static const char* const kSegments[] = {"%",      "%zz", "%00",  "%ff",   "%2F", "..",
                                            "%2e%2e", "a b", "\xff", "x%2Fy", "+"};
    if (!tokens_.empty() && chance(20)) return tokens_[pick(tokens_.size())].substr(0, 22);
    return chance(50) ? printable(1 + pick(30)) : one_of(kSegments);
  }

  std::string target(const Route& route) {
    std::string path = route.path;
    if (path.back() == '/') path += segment();
    if (chance(20)) path += "?" + printable(pick(40));
    if (chance(10))
      path += "?user=" + segment() + "&limit=" + printable(pick(5)) +
              "&type=" + printable(pick(8)) + "&cursor=" + segment() + "&kind=" + segment();
    return path;
  }

  std::string json_value(int depth) {
    switch (depth > 3 ? pick(4) : pick(7)) {
      case 0:
        return "\"" + printable(pick(20)) + "\"";
      case 1:
        return std::to_string(static_cast<int>(rng_()));
      case 2:
        return chance(50) ? "true" : "null";
      case 3:
        return "\"\\ud800\"";
      case 4:
        return "[" + json_value(depth + 1) + "," + json_value(depth + 1) + "]";
      default: {
        static const char* const kKeys[] = {"username", "password", "identity", "claims",
                                            "fresh",    "jti",      "sid",      "user",
                                            "reason",   "token",    "sub"};
        std::string out = "{";
        for (std::size_t i = 0, n = pick(4); i < n; ++i) {
          if (i > 0) out += ",";
          out += "\"" + std::string(one_of(kKeys)) + "\":" + json_value(depth + 1);
        }
        return out + "}";
      }
    }
  }

  std::string body() {
    switch (pick(8)) {
      case 0:
        return {};
      case 1:
        return bytes(pick(300));
      case 2:
        return json_value(0);
      case 3: {
        std::string json = json_value(0);
        return json.substr(0, pick(json.size() + 1));
      }
      case 4:
        return "token=" + token() + (chance(50) ? "&token_type_hint=refresh_token" : "");
      case 5:
        return std::string(1 + pick(5000), '[');
      case 6:  // shaped like a login; mostly short passwords, so rarely hashed
        return "{\"username\":\"" + printable(1 + pick(10)) + "\",\"password\":\"" +
               printable(pick(10)) + "\"}";
      default:
        return "{\"jti\":\"" + segment() + "\",\"reason\":" + json_value(2) + "}";
    }
  }

  std::string headers() {
    static const char* const kTypes[] = {"application/json", "application/x-www-form-urlencoded",
                                         "text/plain",       "application/json; charset=utf-8",
                                         "APPLICATION/JSON", ";",
                                         "application/jsonx"};
    std::string out;
    if (chance(70)) out += "Content-Type: " + std::string(one_of(kTypes)) + "\r\n";
    switch (pick(6)) {
      case 0:
        break;
      case 1:
        out += "Authorization: Token " + token() + "\r\n";
        break;
      case 2:
        out += "Authorization: Bearer\r\n";
        break;
      default:
        out += "Authorization: Bearer " + token() + "\r\n";
        break;
    }
    if (chance(10)) out += "User-Agent: " + printable(pick(600)) + "\r\n";
    if (chance(5)) out += "Expect: 100-continue\r\n";
    if (chance(10)) out += "Connection: close\r\n";
    return out;
  }

  std::string request(std::string_view method, std::string_view target, std::string_view head,
                      std::string_view content) {
    return std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: fuzz\r\n" +
           std::string(head) + "Content-Length: " + std::to_string(content.size()) + "\r\n\r\n" +
           std::string(content);
  }

  std::string truncated() {
    std::string whole = well_formed();
    return whole.substr(0, pick(whole.size()));
  }

  std::string with_bad_method() {
    static const char* const kMethods[] = {"",     "get",      "G ET",    "GET\x01", "PRI",
                                           "BREW", "\xff\xfe", "CONNECT", "OPTIONS", "TRACE"};
    std::string method = chance(50) ? one_of(kMethods) : printable(1 + pick(12));
    return request(method, target(one_of(kRoutes)), headers(), body());
  }

  std::string with_bad_version() {
    static const char* const kVersions[] = {"HTTP/1.2",  "HTTP/2",   "HTTP/1.1x",
                                            "HTTPS/1.1", "http/1.1", "HTTP/0.9",
                                            "HTTP/9.9",  "",         "HTTP/1.10"};
    return "GET " + target(one_of(kRoutes)) + " " + one_of(kVersions) + "\r\nHost: fuzz\r\n\r\n";
  }

  std::string with_absurd_length() {
    static const char* const kLengths[] = {"-1",
                                           "abc",
                                           "99999999999999999999999999",
                                           "1e3",
                                           "0x10",
                                           "18446744073709551615",
                                           "18446744073709551616",
                                           "4294967296",
                                           "65537",
                                           "12, 12",
                                           "",
                                           " 5",
                                           "5\r\nContent-Length: 6"};
    const Route& route = one_of(kRoutes);
    std::string content = body();
    std::string length = chance(70) ? std::string(one_of(kLengths))
                                    : std::to_string(content.size() + pick(100) - 50);
    return std::string(route.method) + " " + target(route) + " HTTP/1.1\r\nHost: fuzz\r\n" +
           headers() + "Content-Length: " + length + "\r\n\r\n" + content;
  }

  std::string with_broken_chunks() {
    static const char* const kSizes[] = {
        "zz", "-5", "ffffffffffffffffff", "10000", "5;\x01", "5 ; ext=\"", "", "0x5", "5\n"};
    static const char* const kEncodings[] = {
        "chunked",           "gzip, chunked",
        "chunked, identity", "chunked\r\nContent-Length: 5",
        "CHUNKED",           "chunked\r\nTransfer-Encoding: chunked"};
    const Route& route = one_of(kRoutes);
    std::string out = std::string(route.method) + " " + target(route) +
                      " HTTP/1.1\r\nHost: fuzz\r\n" + headers() +
                      "Transfer-Encoding: " + one_of(kEncodings) + "\r\n\r\n";
    for (std::size_t i = 0, n = 1 + pick(3); i < n; ++i) {
      std::string data = printable(pick(40));
      std::string size = chance(50) ? one_of(kSizes) : [&] {
        char hex[16];
        std::snprintf(hex, sizeof hex, "%zx", data.size() + pick(3));
        return std::string(hex);
      }();
      out += size + "\r\n" + data + (chance(80) ? "\r\n" : "");
    }
    if (chance(50)) out += "0\r\n" + std::string(chance(50) ? "X-Trailer: \x01\r\n" : "") + "\r\n";
    return out;
  }

  std::string with_header_junk() {
    using namespace std::string_view_literals;  // "\0" inside a literal
    static constexpr std::string_view kJunk[] = {
        "Bad Header: x\r\n"sv,      "NoColon\r\n"sv,      ": empty-name\r\n"sv,
        "X-A: a\r\n  folded\r\n"sv, "X-Nul: a\0b\r\n"sv,  "X-Ctl: \x01\x02\r\n"sv,
        "X-Bare: lf\n"sv,           "Host: second\r\n"sv, "X-High: \xff\xfe\xfd\r\n"sv,
        " X-Lead: space\r\n"sv,     "X-Tab\t: t\r\n"sv,   "Authorization: Bearer a b c\r\n"sv};
    const Route& route = one_of(kRoutes);
    std::string head = headers();
    for (std::size_t i = 0, n = 1 + pick(3); i < n; ++i) head += one_of(kJunk);
    if (chance(10)) head += "X-Big: " + std::string(pick(20'000), 'b') + "\r\n";
    if (chance(5)) {
      for (int i = 0; i < 500; ++i) head += "X-" + std::to_string(i) + ": v\r\n";
    }
    return request(route.method, target(route), head, body());
  }

  std::string to_random_path() {
    static const char* const kTargets[] = {"*",
                                           "http://fuzz/healthz",
                                           "healthz",
                                           "//healthz",
                                           "/healthz/",
                                           "/auth/sessions/",
                                           "/admin/revocations/",
                                           "/auth/sessions/a/b",
                                           "/%",
                                           "/%zz",
                                           "/\x7f",
                                           "/a b",
                                           "/",
                                           "/.well-known/",
                                           "/auth/me#frag",
                                           "/healthz?%"};
    const Route& route = one_of(kRoutes);
    std::string path =
        chance(50) ? std::string(one_of(kTargets)) : "/" + printable(pick(chance(5) ? 10'000 : 50));
    return request(route.method, path, headers(), body());
  }

  std::mt19937 rng_;
  std::vector<std::string> tokens_;
};

std::string escaped(std::string_view bytes, std::size_t limit = 2048) {
  std::string out;
  for (unsigned char c : bytes.substr(0, limit)) {
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c >= 0x7f || c == '\\') {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (bytes.size() > limit) out += "...(" + std::to_string(bytes.size()) + " bytes)";
  return out;
}

class FuzzTest : public HttpTest {
 protected:
  void configure(ServeConfig& config) override {
    // Few password hashes: a login failure or two from the one address, then 429s.
    config.login_max_failures_per_address = 3;
    config.read_timeout = seconds(2);
    config.idle_timeout = seconds(2);
  }

  // Valid tokens of an admin and of a user, renewed now and then (the
  // fuzzer logs them out, revokes them and reuses them).
  std::vector<std::string> fresh_tokens() {
    std::vector<std::string> tokens;
    for (std::string_view user : {"root", "fuzzer"}) {
      auto pair = app_->guard().login(user);
      if (!pair) continue;
      tokens.push_back(pair->access.token);
      tokens.push_back(pair->refresh.token);
    }
    return tokens;
  }
};

TEST_F(FuzzTest, RandomMalformedRequestsGetNo5xxAndTheServiceStaysUp) {
  constexpr int kRequests = 10'000;
  std::uint32_t seed = 20240611;
  if (const char* given = std::getenv("JWTGUARD_FUZZ_SEED")) {
    seed = static_cast<std::uint32_t>(std::strtoul(given, nullptr, 10));
  }
  std::cout << "[ fuzz     ] seed " << seed << " (JWTGUARD_FUZZ_SEED to change it)" << std::endl;
  RecordProperty("seed", std::to_string(seed));
  admin_token("root");
  RequestFuzzer fuzzer(seed, fresh_tokens());
  std::mt19937 batches(seed ^ 0x9e3779b9u);

  int sent = 0, connections = 0, answers = 0, not_closed = 0, failures = 0;
  while (sent < kRequests) {
    if (connections % 200 == 0) fuzzer.set_tokens(fresh_tokens());
    // Well-formed requests first (the connection lives through them), then
    // one that is most likely broken.
    std::string bytes;
    for (int lead = static_cast<int>(batches() % 5); lead > 0 && sent < kRequests - 1; --lead) {
      bytes += fuzzer.well_formed();
      ++sent;
    }
    bytes += fuzzer.next();
    ++sent;
    bool closed = false;
    std::string raw = raw_exchange(port(), bytes, seconds(5), AfterSend::kHalfClose, &closed);
    ++connections;
    not_closed += closed ? 0 : 1;
    for (int code : status_codes(raw)) {
      ++answers;
      if (code < 500 || failures >= 5) continue;
      ++failures;
      ADD_FAILURE() << "seed " << seed << ", connection " << connections << ": status " << code
                    << "\nsent: " << escaped(bytes) << "\ngot: " << escaped(raw);
    }
  }
  std::cout << "[ fuzz     ] " << sent << " requests on " << connections << " connections, "
            << answers << " responses" << std::endl;
  EXPECT_EQ(not_closed, 0) << "connections the server kept open after the client's end of stream";
  EXPECT_GT(answers, kRequests / 4);

  HttpClient client(port());
  Reply health = client.get("/healthz");
  EXPECT_EQ(health.status, 200) << health.error;
  auto pair = app_->guard().login("after-fuzz");
  ASSERT_OK(pair);
  EXPECT_EQ(client.get("/auth/me", bearer(pair->access.token)).status, 200);
}

}  // namespace
}  // namespace jwtguard::server
