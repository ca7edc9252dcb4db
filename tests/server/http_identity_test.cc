// Who a token stands for, over real HTTP: minted identities against
// jwtguard's own users, what a refresh keeps, what introspection calls
// active, how tokens are dated, and how long revocations are kept when the
// configured lifetimes change.
#include <thread>

#include "jose/base64url.h"
#include "server/http_fixture.h"

namespace jwtguard::server {
namespace {

using namespace http_tests;  // NOLINT(google-build-using-namespace): the fixture's helpers

// The payload of a compact JWS, as JSON (no verification).
json payload_of(const std::string& token) {
  const auto first = token.find('.');
  const auto second = token.find('.', first + 1);
  auto decoded = base64url::decode(std::string_view(token).substr(first + 1, second - first - 1));
  return decoded ? json::parse(*decoded, nullptr, false) : json();
}

class IdentityTest : public HttpTest {
 protected:
  // jwtguard's user `name` (with kPassword) and tokens of a login.
  Tokens user(HttpClient& client, std::string_view name) {
    return register_and_login(client, name);
  }
  // Tokens an application mints for its own end-user `identity`.
  Tokens minted(HttpClient& client, std::string_view identity, const json& claims = nullptr) {
    json body = {{"identity", identity}};
    if (!claims.is_null()) body["claims"] = claims;
    Reply reply = client.post_json("/admin/tokens", body, bearer(admin_));
    EXPECT_EQ(reply.status, 200) << reply.body;
    return tokens_of(reply);
  }
  std::vector<std::string> session_ids(HttpClient& client, const std::string& access) {
    Reply reply = client.get("/auth/sessions", bearer(access));
    EXPECT_EQ(reply.status, 200) << reply.body;
    std::vector<std::string> ids;
    const json body = reply.json();
    for (const auto& session : body["sessions"]) ids.push_back(session["sid"]);
    return ids;
  }

  void SetUp() override {
    HttpTest::SetUp();
    admin_ = admin_token("root");  // jwtguard's administrator "root"
  }

  std::string admin_;
};

// The privilege escalation: an application's end-user named like a
// jwtguard administrator got the administrator's rights.
TEST_F(IdentityTest, AMintedIdentityNeverHasTheRightsOfTheUserOfItsName) {
  HttpClient client(port());
  Tokens app_root = minted(client, "root");
  EXPECT_EQ(payload_of(app_root.access)["sub"], "root");
  EXPECT_EQ(payload_of(app_root.access)["sub_ns"], "app");
  for (const Reply& reply :
       {client.get("/admin/revocations", bearer(app_root.access)),
        client.post_json("/admin/tokens", {{"identity", "x"}}, bearer(app_root.access)),
        client.post_json("/admin/revocations", {{"user", "alice"}}, bearer(app_root.access)),
        client.post_form("/oauth/introspect", "token=" + app_root.access,
                         bearer(app_root.access))}) {
    EXPECT_EQ(reply.status, 403) << reply.body;
    EXPECT_EQ(reply.msg(), "Admin access required");
  }
  // Nor does a refreshed minted token.
  Tokens refreshed = tokens_of(client.post("/auth/refresh", bearer(app_root.refresh)));
  ASSERT_FALSE(refreshed.access.empty());
  EXPECT_EQ(client.get("/admin/revocations", bearer(refreshed.access)).status, 403);
  // The real administrator still is one.
  EXPECT_EQ(client.get("/admin/revocations", bearer(admin_)).status, 200);
}

TEST_F(IdentityTest, AUserCannotSeeEndOrLogOutTheMintedSessionsOfItsName) {
  HttpClient client(port());
  Tokens app_carol = minted(client, "carol");
  Tokens carol = user(client, "carol");  // registers the name the application uses

  const auto carol_sessions = session_ids(client, carol.access);
  const auto app_sessions = session_ids(client, app_carol.access);
  ASSERT_EQ(carol_sessions.size(), 1u);
  ASSERT_EQ(app_sessions.size(), 1u);
  EXPECT_NE(carol_sessions[0], app_sessions[0]);

  // Ending the other's session: not found, both ways.
  EXPECT_EQ(client.del("/auth/sessions/" + app_sessions[0], bearer(carol.access)).status, 404);
  EXPECT_EQ(client.del("/auth/sessions/" + carol_sessions[0], bearer(app_carol.access)).status,
            404);
  EXPECT_EQ(client.get("/auth/verify", bearer(app_carol.access)).status, 200);
  EXPECT_EQ(client.get("/auth/verify", bearer(carol.access)).status, 200);

  // The user's log-out-everywhere leaves the minted identity logged in.
  ASSERT_EQ(client.post("/auth/logout-all", bearer(carol.access)).status, 200);
  EXPECT_EQ(client.get("/auth/verify", bearer(carol.access)).status, 401);
  EXPECT_EQ(client.get("/auth/verify", bearer(app_carol.access)).status, 200);
  EXPECT_EQ(client.post("/auth/refresh", bearer(app_carol.refresh)).status, 200);
}

TEST_F(IdentityTest, AMintedIdentitysLogoutEverywhereLeavesTheUserOfItsNameAlone) {
  HttpClient client(port());
  Tokens dave = user(client, "dave");
  Tokens app_dave = minted(client, "dave");
  ASSERT_EQ(client.post("/auth/logout-all", bearer(app_dave.access)).status, 200);
  EXPECT_EQ(client.get("/auth/verify", bearer(app_dave.access)).msg(), "Token has been revoked");
  EXPECT_EQ(client.post("/auth/refresh", bearer(app_dave.refresh)).status, 401);
  EXPECT_EQ(client.get("/auth/verify", bearer(dave.access)).status, 200);
  EXPECT_EQ(session_ids(client, dave.access).size(), 1u);
  // A new minted login works at once.
  Tokens again = minted(client, "dave");
  EXPECT_EQ(client.get("/auth/verify", bearer(again.access)).status, 200);
}

TEST_F(IdentityTest, AdminCutoffsNameTheirNamespace) {
  HttpClient client(port());
  Tokens erin = user(client, "erin");
  Tokens app_erin = minted(client, "erin");
  Reply revoked = client.post_json("/admin/revocations", {{"user", "erin"}, {"namespace", "app"}},
                                   bearer(admin_));
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  EXPECT_EQ(revoked.json()["key"], "erin");
  EXPECT_EQ(revoked.json()["namespace"], "app");
  EXPECT_EQ(client.get("/auth/verify", bearer(app_erin.access)).status, 401);
  EXPECT_EQ(client.get("/auth/verify", bearer(erin.access)).status, 200);

  Reply listed = client.get("/admin/revocations?kind=user&namespace=app&user=erin", bearer(admin_));
  ASSERT_EQ(listed.status, 200) << listed.body;
  ASSERT_EQ(listed.json()["revocations"].size(), 1u) << listed.body;
  EXPECT_EQ(listed.json()["revocations"][0]["key"], "erin");
  EXPECT_EQ(listed.json()["revocations"][0]["namespace"], "app");
  EXPECT_EQ(listed.body.find('\x1f'), std::string::npos);
  EXPECT_EQ(listed.body.find("\\u001f"), std::string::npos);
  Reply users_only = client.get("/admin/revocations?kind=user&user=erin", bearer(admin_));
  EXPECT_EQ(users_only.json()["revocations"].size(), 0u) << users_only.body;

  // Un-revoking names the namespace too: the user "erin" has no cutoff.
  EXPECT_EQ(client.del("/admin/revocations/erin?kind=user", bearer(admin_)).status, 404);
  EXPECT_EQ(client.del("/admin/revocations/erin?kind=user&namespace=app", bearer(admin_)).status,
            200);
  EXPECT_EQ(client.get("/auth/verify", bearer(app_erin.access)).status, 200);

  // Unknown namespaces and smuggled separators are the client's mistake.
  EXPECT_EQ(client
                .post_json("/admin/revocations", {{"user", "erin"}, {"namespace", "ldap"}},
                           bearer(admin_))
                .status,
            400);
  EXPECT_EQ(client
                .post_json("/admin/revocations",
                           {{"user",
                             "app\x1f"
                             "erin"}},
                           bearer(admin_))
                .status,
            400);
  EXPECT_EQ(
      client.post_json("/admin/revocations", {{"jti", "j"}, {"namespace", "app"}}, bearer(admin_))
          .status,
      400);
}

TEST_F(IdentityTest, VerifyTellsAGatewayAMintedIdentityApart) {
  HttpClient client(port());
  Tokens frank = user(client, "frank");
  Tokens app_frank = minted(client, "frank");
  Reply own = client.get("/auth/verify", bearer(frank.access));
  Reply app = client.get("/auth/verify", bearer(app_frank.access));
  EXPECT_EQ(own.header("X-Auth-Subject"), "frank");
  EXPECT_EQ(own.header("X-Auth-Namespace"), "user");
  EXPECT_EQ(app.header("X-Auth-Subject"), "frank");
  EXPECT_EQ(app.header("X-Auth-Namespace"), "app");
}

TEST_F(IdentityTest, AnApplicationCannotMintItsWayOutOfItsNamespace) {
  HttpClient client(port());
  for (const char* claim : {"sub_ns", "iat_ms"}) {
    Reply reply = client.post_json(
        "/admin/tokens", {{"identity", "root"}, {"claims", {{claim, ""}}}}, bearer(admin_));
    EXPECT_EQ(reply.status, 400) << claim << " " << reply.body;
  }
}

// A restriction given at minting must survive every refresh.
TEST_F(IdentityTest, ClaimsGivenAtMintingAreKeptByEveryRefresh) {
  HttpClient client(port());
  Tokens tokens = minted(client, "svc", {{"scope", "read-only"}, {"tenant", {{"id", 7}}}});
  for (int round = 0; round < 2; ++round) {
    Reply refreshed = client.post("/auth/refresh", bearer(tokens.refresh));
    ASSERT_EQ(refreshed.status, 200) << refreshed.body;
    tokens = tokens_of(refreshed);
    for (const std::string& token : {tokens.access, tokens.refresh}) {
      json payload = payload_of(token);
      EXPECT_EQ(payload["scope"], "read-only") << payload;
      EXPECT_EQ(payload["tenant"], json({{"id", 7}})) << payload;
      EXPECT_EQ(payload["sub_ns"], "app") << payload;
    }
    EXPECT_EQ(client.get("/auth/me", bearer(tokens.access)).json()["claims"]["scope"], "read-only");
  }
}

TEST_F(IdentityTest, IntrospectionCallsARetiredRefreshTokenInactive) {
  HttpClient client(port());
  Tokens first = user(client, "gina");
  Tokens second = tokens_of(client.post("/auth/refresh", bearer(first.refresh)));
  ASSERT_FALSE(second.refresh.empty());
  auto active = [&](const std::string& token) {
    Reply reply = client.post_form("/oauth/introspect", "token=" + token, bearer(admin_));
    EXPECT_EQ(reply.status, 200) << reply.body;
    return reply.json()["active"];
  };
  EXPECT_EQ(active(first.refresh), false);
  EXPECT_EQ(active(second.refresh), true);
  EXPECT_EQ(active(second.access), true);
  // Introspecting the retired token did not set off reuse detection.
  EXPECT_EQ(client.post("/auth/refresh", bearer(second.refresh)).status, 200);
}

// Every date is an integer, and the order within a second is kept apart.
TEST_F(IdentityTest, TokensCarryIntegerDates) {
  HttpClient client(port());
  Tokens tokens = user(client, "hank");
  for (const std::string& token : {tokens.access, tokens.refresh}) {
    json payload = payload_of(token);
    for (const char* name : {"iat", "nbf", "exp", "iat_ms"}) {
      EXPECT_TRUE(payload[name].is_number_integer()) << name << ": " << payload;
    }
    EXPECT_EQ(payload["iat_ms"].get<std::int64_t>() / 1000, payload["iat"].get<std::int64_t>());
  }
}

TEST_F(IdentityTest, LogoutEverywhereThenLoginInTheSameSecondWorks) {
  HttpClient client(port());
  std::string before = user(client, "ivan").access;
  int same_second = 0;
  for (int round = 0; round < 20; ++round) {
    ASSERT_EQ(client.post("/auth/logout-all", bearer(before)).status, 200);
    EXPECT_EQ(client.get("/auth/verify", bearer(before)).status, 401) << round;
    auto after = app_->guard().login("ivan");
    ASSERT_OK(after);
    ASSERT_EQ(client.get("/auth/verify", bearer(after->access.token)).status, 200) << round;
    same_second += payload_of(after->access.token)["iat"] == payload_of(before)["iat"];
    before = after->access.token;
  }
  // The whole-second iat cannot tell these apart; iat_ms did.
  EXPECT_GT(same_second, 0);
}

// --- lifetimes lowered between a login and its revocation (SQLite) ------------

class LoweredLifetimesTest : public HttpTest {
 protected:
  void configure(ServeConfig& config) override {
    config.store = "sqlite:" + dir_.db();
    config.access_ttl = std::chrono::hours(1);
    config.refresh_ttl = std::chrono::hours(1);
  }

  // Logged in under 1 h lifetimes, then restarted with 3 s ones.
  void SetUp() override {
    HttpTest::SetUp();
    HttpClient client(port());
    tokens_ = register_and_login(client, "judy");
    other_ = tokens_of(client.post_json("/auth/login", credentials("judy")));
    config_.access_ttl = seconds(3);
    config_.refresh_ttl = seconds(3);
    restart();
  }

  // Past the new lifetimes, and restarted: the index is reloaded from what
  // the store still holds.
  void outlive_the_new_lifetimes() {
    std::this_thread::sleep_for(seconds(5));
    restart();
  }

  Tokens tokens_;
  Tokens other_;
};

TEST_F(LoweredLifetimesTest, LogoutEverywhereOutlastsTheTokensItBlocks) {
  HttpClient client(port());
  ASSERT_EQ(client.post("/auth/logout-all", bearer(tokens_.access)).status, 200);
  outlive_the_new_lifetimes();
  HttpClient after(port());
  EXPECT_EQ(after.get("/auth/verify", bearer(tokens_.access)).msg(), "Token has been revoked");
  EXPECT_EQ(after.get("/auth/verify", bearer(other_.access)).msg(), "Token has been revoked");
  EXPECT_EQ(after.post("/auth/refresh", bearer(tokens_.refresh)).status, 401);
  EXPECT_EQ(after.post("/auth/refresh", bearer(other_.refresh)).status, 401);
}

TEST_F(LoweredLifetimesTest, ASessionLogoutOutlastsTheTokensItBlocks) {
  HttpClient client(port());
  ASSERT_EQ(client.del("/auth/logout", bearer(tokens_.refresh)).status, 200);
  outlive_the_new_lifetimes();
  HttpClient after(port());
  EXPECT_EQ(after.get("/auth/verify", bearer(tokens_.access)).msg(), "Token has been revoked");
  EXPECT_EQ(after.post("/auth/refresh", bearer(tokens_.refresh)).status, 401);
  EXPECT_EQ(after.get("/auth/verify", bearer(other_.access)).status, 200);  // another session
}

// A bare jti knows no token's exp: it is kept until the store's token
// horizon, which still carries the hour-long lifetimes of before the restart.
TEST_F(LoweredLifetimesTest, ABareJtiRevocationOutlastsTheTokenItBlocks) {
  HttpClient client(port());
  const std::string jti = payload_of(tokens_.access)["jti"];
  Reply revoked = client.post_json("/admin/revocations", {{"jti", jti}}, bearer(admin_token()));
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  outlive_the_new_lifetimes();
  HttpClient after(port());
  EXPECT_EQ(after.get("/auth/verify", bearer(tokens_.access)).msg(), "Token has been revoked");
  EXPECT_EQ(after.get("/auth/verify", bearer(other_.access)).status, 200);
}

}  // namespace
}  // namespace jwtguard::server
