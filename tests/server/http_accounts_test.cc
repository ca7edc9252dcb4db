// Accounts over real HTTP: a user's own password change, fresh login and
// deletion, and the admins' disable, enable, delete, reset, listing and audit
// log, each with the attacks it must stop.
#include <algorithm>

#include "server/http_fixture.h"

namespace jwtguard::server {
namespace {

using namespace http_tests;  // NOLINT(google-build-using-namespace): the fixture's helpers

constexpr std::string_view kNewPassword = "a new and longer passphrase";

class HttpAccountsTest : public HttpTest {
 protected:
  json password_change(std::string_view current, std::string_view next) {
    return {{"current_password", current}, {"new_password", next}};
  }

  // The status of GET /auth/verify with `access`.
  int verify(HttpClient& client, const std::string& access) {
    return client.get("/auth/verify", bearer(access)).status;
  }

  int refresh(HttpClient& client, const std::string& refresh_token) {
    return client.post("/auth/refresh", bearer(refresh_token)).status;
  }

  int login(HttpClient& client, std::string_view user, std::string_view password) {
    return client.post_json("/auth/login", credentials(user, password)).status;
  }

  // A non-fresh access token of alice's session `tokens`, by a refresh.
  Tokens refreshed(HttpClient& client, const Tokens& tokens) {
    Reply reply = client.post("/auth/refresh", bearer(tokens.refresh));
    EXPECT_EQ(reply.status, 200) << reply.body;
    return tokens_of(reply);
  }

  Reply delete_account(HttpClient& client, const std::string& access, std::string_view password) {
    return client.request(http::verb::delete_, "/auth/account", bearer(access),
                          json{{"password", password}}.dump(), "application/json");
  }
};

TEST_F(HttpAccountsTest, ChangingThePasswordEndsEveryOtherSessionAndKeepsThisOne) {
  HttpClient client(port());
  Tokens here = register_and_login(client, "alice");
  Reply other_login = client.post_json("/auth/login", credentials("alice"));
  Tokens other = tokens_of(other_login);
  Reply changed = client.post_json("/auth/password", password_change(kPassword, kNewPassword),
                                   bearer(here.access));
  ASSERT_EQ(changed.status, 200) << changed.body;
  EXPECT_EQ(changed.msg(), "Password changed");
  EXPECT_EQ(changed.json()["sessions_ended"], 1);
  Tokens renewed = tokens_of(changed);
  ASSERT_FALSE(renewed.access.empty());
  ASSERT_FALSE(renewed.refresh.empty());

  EXPECT_EQ(verify(client, other.access), 401);
  EXPECT_EQ(refresh(client, other.refresh), 401);
  EXPECT_EQ(verify(client, here.access), 401);  // the old pair of this session too
  EXPECT_EQ(verify(client, renewed.access), 200);
  Reply sessions = client.get("/auth/sessions", bearer(renewed.access));
  ASSERT_EQ(sessions.status, 200);
  EXPECT_EQ(sessions.json()["sessions"].size(), 1u);
  EXPECT_EQ(refresh(client, renewed.refresh), 200);

  EXPECT_EQ(login(client, "alice", kPassword), 401);
  EXPECT_EQ(login(client, "alice", kNewPassword), 200);
}

TEST_F(HttpAccountsTest, AStaleTokenCannotChangeThePassword) {
  HttpClient client(port());
  Tokens stale = refreshed(client, register_and_login(client, "alice"));
  Reply reply = client.post_json("/auth/password", password_change(kPassword, kNewPassword),
                                 bearer(stale.access));
  EXPECT_EQ(reply.status, 401);
  EXPECT_EQ(reply.msg(), "Fresh token required");
  EXPECT_EQ(login(client, "alice", kPassword), 200);  // unchanged
  EXPECT_EQ(verify(client, stale.access), 200);
}

TEST_F(HttpAccountsTest, AStolenAccessTokenWithoutThePasswordChangesNothingAndIsRateLimited) {
  HttpClient client(port());
  Tokens tokens = register_and_login(client, "alice");
  for (int i = 0; i < 5; ++i) {
    Reply reply = client.post_json("/auth/password",
                                   password_change("guess " + std::to_string(i), kNewPassword),
                                   bearer(tokens.access));
    EXPECT_EQ(reply.status, 401) << reply.body;
    EXPECT_EQ(reply.msg(), "Bad username or password");
  }
  Reply limited = client.post_json("/auth/password", password_change(kPassword, kNewPassword),
                                   bearer(tokens.access));
  EXPECT_EQ(limited.status, 429);
  EXPECT_FALSE(limited.header("Retry-After").empty());
  // The same limit as logins: the guesses above count against them too.
  EXPECT_EQ(login(client, "alice", kPassword), 429);
  EXPECT_EQ(verify(client, tokens.access), 200);
}

TEST_F(HttpAccountsTest, ANewPasswordFollowsTheRegistrationRules) {
  HttpClient client(port());
  Tokens tokens = register_and_login(client, "alice");
  Reply reply = client.post_json("/auth/password", password_change(kPassword, "short"),
                                 bearer(tokens.access));
  EXPECT_EQ(reply.status, 400);
  EXPECT_NE(reply.msg().find("at least 8"), std::string::npos) << reply.body;
  Reply missing =
      client.post_json("/auth/password", {{"current_password", kPassword}}, bearer(tokens.access));
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(login(client, "alice", kPassword), 200);
}

TEST_F(HttpAccountsTest, AFreshLoginGivesAFreshTokenOfTheSameSession) {
  HttpClient client(port());
  Tokens stale = refreshed(client, register_and_login(client, "alice"));
  Reply wrong =
      client.post_json("/auth/fresh-login", {{"password", "not it"}}, bearer(stale.access));
  EXPECT_EQ(wrong.status, 401);
  Reply fresh =
      client.post_json("/auth/fresh-login", {{"password", kPassword}}, bearer(stale.access));
  ASSERT_EQ(fresh.status, 200) << fresh.body;
  EXPECT_FALSE(fresh.json().contains("refresh_token"));
  const std::string access = fresh.json()["access_token"];
  json before = client.get("/auth/me", bearer(stale.access)).json()["claims"];
  json after = client.get("/auth/me", bearer(access)).json()["claims"];
  EXPECT_EQ(after["sid"], before["sid"]);
  EXPECT_EQ(after["fresh"], true);
  Reply changed =
      client.post_json("/auth/password", password_change(kPassword, kNewPassword), bearer(access));
  EXPECT_EQ(changed.status, 200) << changed.body;
  // A refresh token is not an access token.
  EXPECT_EQ(
      client.post_json("/auth/fresh-login", {{"password", kNewPassword}}, bearer(stale.refresh))
          .status,
      422);
}

TEST_F(HttpAccountsTest, AMintedIdentityOfTheSameNameHasNoAccount) {
  HttpClient client(port());
  register_and_login(client, "alice");
  Reply minted = client.post_json("/admin/tokens", {{"identity", "alice"}, {"fresh", true}},
                                  bearer(admin_token()));
  ASSERT_EQ(minted.status, 200) << minted.body;
  const std::string access = minted.json()["access_token"];
  Reply change =
      client.post_json("/auth/password", password_change(kPassword, kNewPassword), bearer(access));
  EXPECT_EQ(change.status, 403);
  EXPECT_EQ(change.msg(), "Only jwtguard's own users have an account");
  EXPECT_EQ(client.post_json("/auth/fresh-login", {{"password", kPassword}}, bearer(access)).status,
            403);
  EXPECT_EQ(delete_account(client, access, kPassword).status, 403);
  EXPECT_EQ(login(client, "alice", kPassword), 200);
}

TEST_F(HttpAccountsTest, ADisabledUserCannotLogInRefreshOrUseItsTokensAndEnablingBringsNoneBack) {
  HttpClient client(port());
  const std::string admin = admin_token();
  Tokens tokens = register_and_login(client, "alice");
  Reply disabled =
      client.post_json("/admin/users/alice/disable", {{"reason", "stolen laptop"}}, bearer(admin));
  ASSERT_EQ(disabled.status, 200) << disabled.body;
  EXPECT_EQ(disabled.json()["sessions_ended"], 1);
  EXPECT_EQ(verify(client, tokens.access), 401);
  EXPECT_EQ(refresh(client, tokens.refresh), 401);
  Reply right = client.post_json("/auth/login", credentials("alice"));
  EXPECT_EQ(right.status, 403);
  EXPECT_EQ(right.msg(), "Account disabled");
  // Without the password, nobody learns that the account is disabled.
  Reply wrong = client.post_json("/auth/login", credentials("alice", "not the password"));
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(wrong.msg(), "Bad username or password");

  ASSERT_EQ(client.post("/admin/users/alice/enable", bearer(admin)).status, 200);
  EXPECT_EQ(verify(client, tokens.access), 401);
  EXPECT_EQ(refresh(client, tokens.refresh), 401);
  EXPECT_EQ(login(client, "alice", kPassword), 200);
}

TEST_F(HttpAccountsTest, ADisabledAdminHasNoRights) {
  HttpClient client(port());
  const std::string root = admin_token("root");
  const std::string ops = admin_token("ops");
  ASSERT_EQ(client.post("/admin/users/ops/disable", bearer(root)).status, 200);
  // ops's token was ended by the cutoff; a token issued after it is refused
  // for the flag.
  auto pair = app_->guard().login("ops");
  ASSERT_OK(pair);
  EXPECT_EQ(client.get("/admin/users", bearer(pair->access.token)).status, 403);
  EXPECT_EQ(client.get("/admin/users", bearer(ops)).status, 401);
}

TEST_F(HttpAccountsTest, AMintedAdminIdentityActsOnNoAccount) {
  HttpClient client(port());
  const std::string root = admin_token("root");
  Tokens alice = register_and_login(client, "alice");
  Reply minted =
      client.post_json("/admin/tokens", {{"identity", "root"}, {"fresh", true}}, bearer(root));
  ASSERT_EQ(minted.status, 200);
  const std::string fake_root = minted.json()["access_token"];
  for (auto [method, target] :
       {std::pair{http::verb::post, "/admin/users/alice/disable"},
        std::pair{http::verb::post, "/admin/users/alice/enable"},
        std::pair{http::verb::delete_, "/admin/users/alice"},
        std::pair{http::verb::get, "/admin/users"}, std::pair{http::verb::get, "/admin/audit"}}) {
    EXPECT_EQ(client.request(method, target, bearer(fake_root)).status, 403) << target;
  }
  EXPECT_EQ(client
                .post_json("/admin/users/alice/password", {{"new_password", kNewPassword}},
                           bearer(fake_root))
                .status,
            403);
  EXPECT_EQ(verify(client, alice.access), 200);
  EXPECT_EQ(login(client, "alice", kPassword), 200);
}

TEST_F(HttpAccountsTest, ADeletedUsersTokensAreRefusedAndItsNameStaysReserved) {
  HttpClient client(port());
  const std::string admin = admin_token();
  Tokens tokens = register_and_login(client, "alice");
  Reply deleted = client.del("/admin/users/alice", bearer(admin));
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_EQ(deleted.json()["sessions_ended"], 1);
  EXPECT_EQ(verify(client, tokens.access), 401);
  EXPECT_EQ(refresh(client, tokens.refresh), 401);
  EXPECT_EQ(login(client, "alice", kPassword), 401);
  // Someone else registering the name would otherwise inherit its tokens.
  Reply again = client.post_json("/auth/register", credentials("alice", "another password"));
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(verify(client, tokens.access), 401);
  EXPECT_EQ(client.del("/admin/users/alice", bearer(admin)).status, 404);
  json users = client.get("/admin/users", bearer(admin)).json()["users"];
  for (const json& user : users) EXPECT_NE(user["username"], "alice");
}

TEST_F(HttpAccountsTest, DeletingOnesOwnAccountNeedsAFreshTokenAndThePassword) {
  HttpClient client(port());
  Tokens tokens = register_and_login(client, "alice");
  Tokens stale = refreshed(client, tokens);
  EXPECT_EQ(delete_account(client, stale.access, kPassword).status, 401);
  EXPECT_EQ(delete_account(client, tokens.access, "not the password").status, 401);
  EXPECT_EQ(login(client, "alice", kPassword), 200);
  Tokens fresh = tokens_of(client.post_json("/auth/login", credentials("alice")));
  Reply deleted = delete_account(client, fresh.access, kPassword);
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_EQ(deleted.msg(), "Account deleted");
  EXPECT_EQ(verify(client, fresh.access), 401);
  EXPECT_EQ(verify(client, stale.access), 401);
  EXPECT_EQ(client.post_json("/auth/register", credentials("alice")).status, 409);
}

TEST_F(HttpAccountsTest, AnAdminResetEndsEverySession) {
  HttpClient client(port());
  const std::string admin = admin_token();
  Tokens first = register_and_login(client, "alice");
  Tokens second = tokens_of(client.post_json("/auth/login", credentials("alice")));
  Reply short_one =
      client.post_json("/admin/users/alice/password", {{"new_password", "short"}}, bearer(admin));
  EXPECT_EQ(short_one.status, 400);
  Reply reset = client.post_json("/admin/users/alice/password", {{"new_password", kNewPassword}},
                                 bearer(admin));
  ASSERT_EQ(reset.status, 200) << reset.body;
  EXPECT_EQ(reset.json()["sessions_ended"], 2);
  EXPECT_EQ(verify(client, first.access), 401);
  EXPECT_EQ(verify(client, second.access), 401);
  EXPECT_EQ(login(client, "alice", kPassword), 401);
  EXPECT_EQ(login(client, "alice", kNewPassword), 200);
  EXPECT_EQ(client
                .post_json("/admin/users/nobody/password", {{"new_password", kNewPassword}},
                           bearer(admin))
                .status,
            404);
}

TEST_F(HttpAccountsTest, TheListingPagesUsersWithTheirStateAndNoHash) {
  HttpClient client(port());
  const std::string admin = admin_token("root");
  register_and_login(client, "bob");
  register_and_login(client, "alice");
  client.post_json("/auth/login", credentials("alice"));
  ASSERT_EQ(client.post("/admin/users/bob/disable", bearer(admin)).status, 200);
  client.post_json("/auth/register", credentials("carol"));

  Reply page = client.get("/admin/users?limit=2", bearer(admin));
  ASSERT_EQ(page.status, 200) << page.body;
  json users = page.json()["users"];
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[0]["username"], "alice");
  EXPECT_EQ(users[0]["sessions"], 2);
  EXPECT_EQ(users[0]["disabled"], false);
  EXPECT_TRUE(users[0]["last_login_at"].is_number());
  EXPECT_EQ(users[1]["username"], "bob");
  EXPECT_EQ(users[1]["disabled"], true);
  EXPECT_EQ(users[1]["sessions"], 0);
  const std::string cursor = page.json()["next_cursor"];
  Reply rest = client.get("/admin/users?limit=2&cursor=" + cursor, bearer(admin));
  json more = rest.json()["users"];
  ASSERT_EQ(more.size(), 2u);
  EXPECT_EQ(more[0]["username"], "carol");
  EXPECT_TRUE(more[0]["last_login_at"].is_null());
  EXPECT_EQ(more[1]["username"], "root");
  EXPECT_EQ(more[1]["admin"], true);
  EXPECT_EQ(rest.json()["next_cursor"], "");
  EXPECT_EQ(page.body.find("argon2"), std::string::npos);
  EXPECT_EQ(rest.body.find("argon2"), std::string::npos);

  EXPECT_EQ(client.get("/admin/users?cursor=%25%25", bearer(admin)).status, 400);
  EXPECT_EQ(client.get("/admin/users?cursor=%zz", bearer(admin)).status, 400);
  for (const char* bad : {"0", "1001", "x", "-1"}) {
    EXPECT_EQ(client.get(std::string("/admin/users?limit=") + bad, bearer(admin)).status, 400)
        << bad;
  }
  Tokens alice = tokens_of(client.post_json("/auth/login", credentials("alice")));
  EXPECT_EQ(client.get("/admin/users", bearer(alice.access)).status, 403);
}

// Names are cursors: one with '+', '%' or a space must page like any other
// (the cursor is opaque), each user exactly once.
TEST_F(HttpAccountsTest, NamesThatNeedEscapingPageOnceEach) {
  HttpClient client(port());
  const std::string admin = admin_token("root");
  for (const char* name : {"x+y", "x y", "x%z", "100%"}) {
    ASSERT_EQ(client.post_json("/auth/register", credentials(name)).status, 201) << name;
  }
  std::vector<std::string> seen;
  std::string cursor;
  for (int page = 0; page < 10; ++page) {
    Reply reply = client.get("/admin/users?limit=1&cursor=" + cursor, bearer(admin));
    ASSERT_EQ(reply.status, 200) << reply.body;
    const json body = reply.json();
    for (const json& user : body["users"]) seen.push_back(user["username"]);
    cursor = body["next_cursor"];
    if (cursor.empty()) break;
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"100%", "root", "x y", "x%z", "x+y"}));
  EXPECT_EQ(client.get("/admin/audit?user=100%", bearer(admin)).status, 400);
}

TEST_F(HttpAccountsTest, TheAuditLogRecordsEveryChangeWithoutSecrets) {
  HttpClient client(port());
  const std::string admin = admin_token("root");
  Tokens alice = register_and_login(client, "alice");
  register_and_login(client, "bob");
  ASSERT_EQ(client
                .post_json("/auth/password", password_change(kPassword, kNewPassword),
                           bearer(alice.access))
                .status,
            200);
  ASSERT_EQ(
      client.post_json("/admin/users/bob/disable", {{"reason", "left"}}, bearer(admin)).status,
      200);
  ASSERT_EQ(client.post("/admin/users/bob/enable", bearer(admin)).status, 200);
  ASSERT_EQ(
      client.post_json("/admin/users/bob/password", {{"new_password", kNewPassword}}, bearer(admin))
          .status,
      200);
  ASSERT_EQ(client.del("/admin/users/bob", bearer(admin)).status, 200);

  Reply audit = client.get("/admin/audit", bearer(admin));
  ASSERT_EQ(audit.status, 200) << audit.body;
  json events = audit.json()["events"];
  std::vector<std::string> actions;
  for (const json& event : events) actions.push_back(event["action"]);
  EXPECT_EQ(actions, (std::vector<std::string>{"user.delete", "password.reset", "user.enable",
                                               "user.disable", "password.change"}));
  EXPECT_EQ(events[3]["actor"], "root");
  EXPECT_EQ(events[3]["subject"], "bob");
  EXPECT_EQ(events[3]["detail"]["reason"], "left");
  EXPECT_EQ(events[4]["actor"], "alice");
  EXPECT_EQ(events[4]["detail"]["sessions_ended"], 0);
  EXPECT_EQ(audit.body.find(std::string(kNewPassword)), std::string::npos);
  EXPECT_EQ(audit.body.find(std::string(kPassword)), std::string::npos);
  EXPECT_EQ(audit.body.find("argon2"), std::string::npos);

  Reply alices = client.get("/admin/audit?user=alice", bearer(admin));
  ASSERT_EQ(alices.json()["events"].size(), 1u);
  Reply first = client.get("/admin/audit?limit=2", bearer(admin));
  ASSERT_EQ(first.json()["events"].size(), 2u);
  const std::string cursor = first.json()["next_cursor"];
  Reply next = client.get("/admin/audit?limit=2&cursor=" + cursor, bearer(admin));
  ASSERT_EQ(next.status, 200);
  EXPECT_EQ(next.json()["events"][0]["action"], "user.enable");
  EXPECT_EQ(client.get("/admin/audit?cursor=abc", bearer(admin)).status, 400);
  EXPECT_EQ(client.get("/admin/audit", bearer(alice.access)).status, 401);  // ended by the change
}

TEST_F(HttpAccountsTest, AdminRoutesAnswer404ForNoSuchUserAnd400ForABadReason) {
  HttpClient client(port());
  const std::string admin = admin_token();
  for (auto [method, target] : {std::pair{http::verb::post, "/admin/users/nobody/disable"},
                                std::pair{http::verb::post, "/admin/users/nobody/enable"},
                                std::pair{http::verb::delete_, "/admin/users/nobody"},
                                std::pair{http::verb::post, "/admin/users/%01/disable"}}) {
    Reply reply = client.request(method, target, bearer(admin));
    EXPECT_EQ(reply.status, 404) << target;
    EXPECT_EQ(reply.msg(), "No such user") << target;
  }
  register_and_login(client, "alice");
  EXPECT_EQ(client.post_json("/admin/users/alice/disable", {{"reason", 5}}, bearer(admin)).status,
            400);
  EXPECT_EQ(client
                .post_json("/admin/users/alice/disable", {{"reason", std::string(513, 'x')}},
                           bearer(admin))
                .status,
            400);
  EXPECT_EQ(login(client, "alice", kPassword), 200);  // neither disabled her
}

}  // namespace
}  // namespace jwtguard::server
