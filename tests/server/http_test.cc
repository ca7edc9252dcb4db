// The service over real HTTP: the seed scenario, every endpoint's success
// path, and restarts on SQLite.
#include "server/http_fixture.h"

namespace jwtguard::server {
namespace {

using namespace http_tests;  // NOLINT(google-build-using-namespace): the fixture's helpers

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

}  // namespace
}  // namespace jwtguard::server
