// The handlers without sockets: the token routes, OAuth and admin.
#include "server/service_fixture.h"

namespace jwtguard::server {
namespace {

using namespace service_tests;  // NOLINT(google-build-using-namespace): the fixture's helpers

// --- token routes ---------------------------------------------------------------------

TEST_F(ServiceTest, MeAnswersTheSubjectAndTheClaims) {
  TokenPair pair = tokens();
  Response response = get("/auth/me", bearer(pair.access.token));
  ASSERT_EQ(status(response), 200);
  json body = body_of(response);
  EXPECT_EQ(body["sub"], "alice");
  EXPECT_EQ(body["claims"]["jti"], pair.access.jti);
  EXPECT_EQ(body["claims"]["sid"], pair.access.sid);
  EXPECT_EQ(body["claims"]["type"], "access");
  EXPECT_EQ(body["claims"]["fresh"], true);
}

TEST_F(ServiceTest, VerifySetsTheGatewayHeaders) {
  TokenPair pair = tokens();
  Response response = get("/auth/verify", bearer(pair.access.token));
  EXPECT_EQ(status(response), 200);
  EXPECT_EQ(std::string(response["X-Auth-Subject"]), "alice");
  EXPECT_EQ(std::string(response["X-Auth-Jti"]), pair.access.jti);
  EXPECT_EQ(std::string(response["X-Auth-Session"]), pair.access.sid);
  EXPECT_TRUE(response.body().empty());
}

// A subject goes into a response header: bytes that could end or corrupt
// the header are percent-encoded ('%' too, so that the encoding is
// unambiguous); a plain one goes out as is.
TEST_F(ServiceTest, VerifyPercentEncodesUnsafeBytesOfTheSubject) {
  TokenPair pair = tokens("caf\xc3\xa9 100%\x01");
  Response response = get("/auth/verify", bearer(pair.access.token));
  ASSERT_EQ(status(response), 200) << response.body();
  EXPECT_EQ(std::string(response["X-Auth-Subject"]), "caf%C3%A9 100%25%01");
  EXPECT_EQ(std::string(response["X-Auth-Namespace"]), "user");
  EXPECT_EQ(std::string(response["Cache-Control"]), "no-store");
  EXPECT_EQ(response.count("X-Auth-Subject"), 1u);
}

// With trusted issuers, /auth/verify may wait for a JWKS fetch (an unknown
// kid): a worker's job, never an I/O thread's. Other checks stay inline.
TEST_F(ServiceTest, VerifyRunsOnAWorkerWhenIssuersAreTrusted) {
  TrustedIssuer issuer;
  issuer.issuer = "https://id.example.com/";
  issuer.keys =
      std::make_shared<StaticKeySource>(KeySet(Key::generate(Algorithm::kES256, "k1").value()));
  auto trusted = TrustedIssuers::create({issuer});
  ASSERT_OK(trusted);
  ServiceOptions options;
  options.issuers.trusted = *trusted;
  start(std::move(options));
  EXPECT_EQ(service_->work(Route::kVerify), Service::Work::kStore);
  EXPECT_EQ(service_->work(Route::kMe), Service::Work::kInline);
  EXPECT_EQ(service_->work(Route::kJwks), Service::Work::kInline);
}

TEST_F(ServiceTest, VerifyRefusesARevokedToken) {
  TokenPair pair = tokens();
  ASSERT_OK(guard_->revoke_session(pair.access.sid));
  expect_error(get("/auth/verify", bearer(pair.access.token)), 401, "Token has been revoked");
}

TEST_F(ServiceTest, ChecksRunOnTheIoThreadUnlessStrict) {
  EXPECT_EQ(service_->work(Route::kVerify), Service::Work::kInline);
  EXPECT_EQ(service_->work(Route::kMe), Service::Work::kInline);
  EXPECT_EQ(service_->work(Route::kLogout), Service::Work::kStore);
  EXPECT_EQ(service_->work(Route::kLogin), Service::Work::kPasswordHash);
  // Strict checks ask the store: never on an I/O thread.
  GuardOptions strict = guard_options();
  strict.check_mode = GuardOptions::CheckMode::kStore;
  start({}, strict);
  EXPECT_EQ(service_->work(Route::kVerify), Service::Work::kStore);
  EXPECT_EQ(service_->work(Route::kMe), Service::Work::kStore);
  EXPECT_EQ(service_->work(Route::kJwks), Service::Work::kInline);
}

TEST_F(ServiceTest, RefreshRotatesTheRefreshToken) {
  TokenPair pair = tokens();
  Response response = post("/auth/refresh", bearer(pair.refresh.token));
  ASSERT_EQ(status(response), 200) << response.body();
  json body = body_of(response);
  ASSERT_TRUE(body["refresh_token"].is_string());
  EXPECT_NE(body["refresh_token"], pair.refresh.token);
  auto access = guard_->require(body["access_token"].get<std::string>());
  ASSERT_OK(access);
  EXPECT_EQ(access->claims.sid, pair.access.sid);
  EXPECT_EQ(access->claims.fresh, false);
}

TEST_F(ServiceTest, ReusedRefreshTokenIs401AndRevokesTheSession) {
  TokenPair pair = tokens();
  json rotated = body_of(post("/auth/refresh", bearer(pair.refresh.token)));
  ASSERT_TRUE(rotated["refresh_token"].is_string());
  expect_error(post("/auth/refresh", bearer(pair.refresh.token)), 401, "Token has been revoked");
  expect_error(post("/auth/refresh", bearer(rotated["refresh_token"].get<std::string>())), 401,
               "Token has been revoked");
  expect_error(get("/auth/me", bearer(rotated["access_token"].get<std::string>())), 401,
               "Token has been revoked");
}

TEST_F(ServiceTest, LogoutWithAccessTokenRevokesTheWholeSession) {
  TokenPair pair = tokens();
  Response response = del("/auth/logout", bearer(pair.access.token));
  EXPECT_EQ(status(response), 200);
  EXPECT_EQ(body_of(response), json({{"msg", "Access token revoked"}}));
  expect_error(get("/auth/me", bearer(pair.access.token)), 401, "Token has been revoked");
  expect_error(post("/auth/refresh", bearer(pair.refresh.token)), 401, "Token has been revoked");
}

TEST_F(ServiceTest, LogoutWithRefreshTokenRevokesTheWholeSession) {
  TokenPair pair = tokens();
  Response response = del("/auth/logout", bearer(pair.refresh.token));
  EXPECT_EQ(body_of(response), json({{"msg", "Refresh token revoked"}}));
  expect_error(get("/auth/me", bearer(pair.access.token)), 401, "Token has been revoked");
}

TEST_F(ServiceTest, LogoutLeavesOtherSessionsAlone) {
  TokenPair first = tokens();
  TokenPair second = tokens();
  ASSERT_EQ(status(del("/auth/logout", bearer(first.access.token))), 200);
  EXPECT_EQ(status(get("/auth/me", bearer(second.access.token))), 200);
}

TEST_F(ServiceTest, LogoutAllRevokesEverySessionOfTheUser) {
  TokenPair first = tokens();
  TokenPair second = tokens();
  TokenPair other = tokens("bob");
  Response response = post("/auth/logout-all", bearer(first.access.token));
  EXPECT_EQ(body_of(response), json({{"msg", "All sessions revoked"}}));
  expect_error(get("/auth/me", bearer(second.access.token)), 401, "Token has been revoked");
  expect_error(post("/auth/refresh", bearer(second.refresh.token)), 401, "Token has been revoked");
  EXPECT_EQ(status(get("/auth/me", bearer(other.access.token))), 200);
}

TEST_F(ServiceTest, SessionsEndedByLogoutAllAreNotListed) {
  TokenPair before = tokens();
  ASSERT_EQ(status(post("/auth/logout-all", bearer(before.access.token))), 200);
  clock_.advance(std::chrono::milliseconds(5));
  TokenPair after = tokens();
  json sessions = body_of(get("/auth/sessions", bearer(after.access.token)));
  ASSERT_EQ(sessions["sessions"].size(), 1u) << sessions.dump();
  EXPECT_EQ(sessions["sessions"][0]["sid"], after.refresh.sid);
}

TEST_F(ServiceTest, LoginWithANameNoUserCanHaveIs401AndNotRateLimited) {
  start({.login_limits = {.max_failures = 1, .window = seconds(60)}});
  std::string huge(4000, 'x');
  expect_error(login(huge, "whatever"), 401, "Bad username or password");
  expect_error(login(huge, "whatever"), 401, "Bad username or password");
}

TEST_F(ServiceTest, TrustedForwardedForTakesTheLastLineOfSeveral) {
  start({.login_limits = {.max_failures_per_user = 100,
                          .max_failures_per_address = 1,
                          .window = seconds(60)},
         .trust_forwarded_for = true});
  add_user("carol");
  // The client's own line comes first; the proxy appended its line after it.
  Fields forwarded = {{"X-Forwarded-For", "198.51.100.7"}, {"X-Forwarded-For", "192.0.2.1"}};
  EXPECT_EQ(status(login("alice", "wrong", kPeer, forwarded)), 401);
  EXPECT_EQ(status(login("carol", kPassword, kPeer, {{"X-Forwarded-For", "192.0.2.1"}})), 429);
  EXPECT_EQ(status(login("carol", kPassword, kPeer, {{"X-Forwarded-For", "198.51.100.7"}})), 200);
}

// The clock does not move: the new login falls in the cutoff's millisecond.
TEST_F(ServiceTest, LoginRightAfterLogoutAllWorks) {
  add_user("alice");
  ASSERT_EQ(status(post("/auth/logout-all", bearer(tokens().access.token))), 200);
  json body = body_of(login("alice", kPassword));
  ASSERT_TRUE(body["access_token"].is_string()) << body;
  EXPECT_EQ(status(get("/auth/me", bearer(body["access_token"].get<std::string>()))), 200);
  EXPECT_EQ(status(post("/auth/refresh", bearer(body["refresh_token"].get<std::string>()))), 200);
}

TEST_F(ServiceTest, LogoutAllNeedsAnAccessToken) {
  expect_error(post("/auth/logout-all", bearer(tokens().refresh.token)), 422,
               "Only non-refresh tokens are allowed");
}

TEST_F(ServiceTest, SessionsShowTheClientAddressAndAgent) {
  add_user("alice");
  json body = body_of(login("alice", kPassword, Peer{"10.0.0.7"}, {{"User-Agent", "Browser/1.0"}}));
  ASSERT_TRUE(body["access_token"].is_string()) << body;
  Response response = get("/auth/sessions", bearer(body["access_token"].get<std::string>()));
  ASSERT_EQ(status(response), 200);
  json sessions = body_of(response)["sessions"];
  ASSERT_EQ(sessions.size(), 1u) << sessions;
  EXPECT_EQ(sessions[0]["client_address"], "10.0.0.7");
  EXPECT_EQ(sessions[0]["user_agent"], "Browser/1.0");
  EXPECT_EQ(sessions[0]["current"], true);
  EXPECT_EQ(sessions[0]["created_at"], to_unix_seconds(clock_.now()));
}

TEST_F(ServiceTest, SessionsLeaveOutRevokedSessions) {
  TokenPair kept = tokens();
  TokenPair gone = tokens();
  ASSERT_OK(guard_->revoke_session(gone.access.sid));
  json sessions = body_of(get("/auth/sessions", bearer(kept.access.token)))["sessions"];
  ASSERT_EQ(sessions.size(), 1u) << sessions;
  EXPECT_EQ(sessions[0]["sid"], kept.access.sid);
}

// A User-Agent is raw header bytes; the sessions list must still be JSON.
TEST_F(ServiceTest, SessionsSurviveAUserAgentThatIsNotUtf8) {
  add_user("alice");
  json body = body_of(login("alice", kPassword, kPeer, {{"User-Agent", "Agent/\xff\xfe"}}));
  ASSERT_TRUE(body["access_token"].is_string()) << body;
  Response response;
  ASSERT_NO_THROW(response =
                      get("/auth/sessions", bearer(body["access_token"].get<std::string>())));
  EXPECT_EQ(status(response), 200) << response.body();
  EXPECT_TRUE(body_of(response).is_object()) << response.body();
}

// The login keeps 512 bytes of the User-Agent; a cut inside a UTF-8
// character must not break the sessions list.
TEST_F(ServiceTest, SessionsSurviveAUserAgentCutInsideACharacter) {
  add_user("alice");
  std::string agent = std::string(511, 'a') + "\u00e9";
  json body = body_of(login("alice", kPassword, kPeer, {{"User-Agent", agent}}));
  ASSERT_TRUE(body["access_token"].is_string()) << body;
  Response response;
  ASSERT_NO_THROW(response =
                      get("/auth/sessions", bearer(body["access_token"].get<std::string>())));
  EXPECT_EQ(status(response), 200) << response.body();
}

TEST_F(ServiceTest, DeleteSessionRevokesOnlyThatSession) {
  TokenPair current = tokens();
  TokenPair other = tokens();
  Response response = del("/auth/sessions/" + other.access.sid, bearer(current.access.token));
  EXPECT_EQ(status(response), 200);
  EXPECT_EQ(body_of(response), json({{"msg", "Session revoked"}, {"sid", other.access.sid}}));
  expect_error(get("/auth/me", bearer(other.access.token)), 401, "Token has been revoked");
  EXPECT_EQ(status(get("/auth/me", bearer(current.access.token))), 200);
}

TEST_F(ServiceTest, DeleteSessionOfAnotherUserIs404) {
  TokenPair mine = tokens("alice");
  TokenPair theirs = tokens("bob");
  expect_error(del("/auth/sessions/" + theirs.access.sid, bearer(mine.access.token)), 404,
               "No such session");
  EXPECT_EQ(status(get("/auth/me", bearer(theirs.access.token))), 200);
}

// --- OAuth ------------------------------------------------------------------------------

TEST_F(ServiceTest, OauthRevokeOfAnAccessTokenRevokesOnlyIt) {
  TokenPair pair = tokens();
  Response response = post_form("/oauth/revoke", "token=" + pair.access.token);
  EXPECT_EQ(status(response), 200);
  EXPECT_EQ(body_of(response), json::object());
  EXPECT_EQ(status(get("/auth/me", bearer(pair.access.token))), 401);
  EXPECT_EQ(status(post("/auth/refresh", bearer(pair.refresh.token))), 200);
}

TEST_F(ServiceTest, OauthRevokeOfARefreshTokenRevokesTheSession) {
  TokenPair pair = tokens();
  ASSERT_EQ(status(post_form("/oauth/revoke",
                             "token=" + pair.refresh.token + "&token_type_hint=refresh_token")),
            200);
  expect_error(get("/auth/me", bearer(pair.access.token)), 401, "Token has been revoked");
}

TEST_F(ServiceTest, OauthRevokeOfAnUnknownTokenIs200) {
  Response response = post_form("/oauth/revoke", "token=garbage");
  EXPECT_EQ(status(response), 200);
  EXPECT_EQ(body_of(response), json::object());
}

TEST_F(ServiceTest, OauthRevokeWithoutTokenIsInvalidRequest) {
  Response response = post_form("/oauth/revoke", "token_type_hint=access_token");
  EXPECT_EQ(status(response), 400);
  EXPECT_EQ(body_of(response)["error"], "invalid_request");
}

TEST_F(ServiceTest, OauthRevokeOfJsonIsInvalidRequest) {
  Response response = post_json("/oauth/revoke", R"({"token": "x"})");
  EXPECT_EQ(status(response), 400);
  EXPECT_EQ(body_of(response)["error"], "invalid_request");
}

TEST_F(ServiceTest, IntrospectWithoutAuthorizationIs401) {
  Response response = post_form("/oauth/introspect", "token=" + tokens().access.token);
  expect_error(response, 401, "Missing Authorization Header");
  EXPECT_EQ(header(response, http::field::www_authenticate), kBareChallenge);
}

TEST_F(ServiceTest, IntrospectByANonAdminIs403) {
  add_user("alice");
  TokenPair pair = tokens();
  expect_error(
      post_form("/oauth/introspect", "token=" + pair.access.token, bearer(pair.access.token)), 403,
      "Admin access required");
}

TEST_F(ServiceTest, IntrospectOfAnActiveTokenGivesItsClaims) {
  std::string admin = admin_token();
  TokenPair pair = tokens();
  Response response = post_form("/oauth/introspect", "token=" + pair.refresh.token, bearer(admin));
  ASSERT_EQ(status(response), 200) << response.body();
  json body = body_of(response);
  EXPECT_EQ(body["active"], true);
  EXPECT_EQ(body["sub"], "alice");
  EXPECT_EQ(body["jti"], pair.refresh.jti);
  EXPECT_EQ(body["token_type"], "refresh");
}

TEST_F(ServiceTest, IntrospectOfARevokedTokenIsInactive) {
  std::string admin = admin_token();
  TokenPair pair = tokens();
  ASSERT_OK(guard_->revoke_session(pair.access.sid));
  Response response = post_form("/oauth/introspect", "token=" + pair.access.token, bearer(admin));
  EXPECT_EQ(body_of(response), json({{"active", false}}));
}

TEST_F(ServiceTest, IntrospectOfGarbageIsInactive) {
  Response response = post_form("/oauth/introspect", "token=abc.def.ghi", bearer(admin_token()));
  EXPECT_EQ(status(response), 200);
  EXPECT_EQ(body_of(response), json({{"active", false}}));
}

// --- admin ---------------------------------------------------------------------------------

TEST_F(ServiceTest, AdminRoutesRefuseUsersWithoutTheRole) {
  add_user("alice");
  Fields auth = bearer(tokens().access.token);
  expect_error(get("/admin/revocations", auth), 403, "Admin access required");
  expect_error(post_json("/admin/revocations", R"({"user": "bob"})", auth), 403,
               "Admin access required");
  expect_error(del("/admin/revocations/some-jti", auth), 403, "Admin access required");
  expect_error(post_json("/admin/tokens", R"({"identity": "bob"})", auth), 403,
               "Admin access required");
}

TEST_F(ServiceTest, AdminRoutesRefuseSubjectsThatAreNotUsers) {
  expect_error(get("/admin/revocations", bearer(tokens("ghost").access.token)), 403,
               "Admin access required");
}

TEST_F(ServiceTest, AdminRoutesNeedAToken) {
  expect_error(get("/admin/revocations"), 401, "Missing Authorization Header");
}

TEST_F(ServiceTest, AdminRevokeByJtiRefusesTheToken) {
  std::string admin = admin_token();
  TokenPair pair = tokens();
  Response response =
      post_json("/admin/revocations", json{{"jti", pair.access.jti}, {"reason", "stolen"}}.dump(),
                bearer(admin));
  EXPECT_EQ(status(response), 200) << response.body();
  EXPECT_EQ(body_of(response),
            json({{"msg", "Revoked"}, {"kind", "token"}, {"key", pair.access.jti}}));
  expect_error(get("/auth/me", bearer(pair.access.token)), 401, "Token has been revoked");
  EXPECT_EQ(status(post("/auth/refresh", bearer(pair.refresh.token))), 200);
}

TEST_F(ServiceTest, AdminRevokeBySidRefusesTheSession) {
  std::string admin = admin_token();
  TokenPair pair = tokens();
  ASSERT_EQ(
      status(post_json("/admin/revocations", json{{"sid", pair.access.sid}}.dump(), bearer(admin))),
      200);
  EXPECT_EQ(status(get("/auth/me", bearer(pair.access.token))), 401);
  EXPECT_EQ(status(post("/auth/refresh", bearer(pair.refresh.token))), 401);
}

TEST_F(ServiceTest, AdminRevokeByUserRefusesEveryTokenOfTheUser) {
  std::string admin = admin_token();
  TokenPair first = tokens();
  TokenPair second = tokens();
  ASSERT_EQ(status(post_json("/admin/revocations", R"({"user": "alice"})", bearer(admin))), 200);
  EXPECT_EQ(status(get("/auth/me", bearer(first.access.token))), 401);
  EXPECT_EQ(status(get("/auth/me", bearer(second.access.token))), 401);
  EXPECT_EQ(status(get("/auth/me", bearer(admin))), 200);
}

TEST_F(ServiceTest, AdminRevokeNeedsExactlyOneKey) {
  std::string admin = admin_token();
  for (std::string body : {R"({})", R"({"jti": "a", "sid": "b"})", R"({"jti": ""})",
                           R"({"user": 7})", R"({"reason": "x"})"}) {
    EXPECT_EQ(status(post_json("/admin/revocations", body, bearer(admin))), 400) << body;
  }
}

TEST_F(ServiceTest, AdminListShowsTheMetadata) {
  std::string admin = admin_token();
  TokenPair pair = tokens();
  ASSERT_EQ(
      status(post_json("/admin/revocations",
                       json{{"jti", pair.access.jti}, {"reason", "stolen"}}.dump(), bearer(admin))),
      200);
  Response response = get("/admin/revocations", bearer(admin));
  ASSERT_EQ(status(response), 200) << response.body();
  json entries = body_of(response)["revocations"];
  ASSERT_EQ(entries.size(), 1u) << entries;
  EXPECT_EQ(entries[0]["kind"], "token");
  EXPECT_EQ(entries[0]["key"], pair.access.jti);
  EXPECT_EQ(entries[0]["reason"], "stolen");
  EXPECT_EQ(entries[0]["revoked_by"], "root");
  EXPECT_EQ(entries[0]["revoked_at"], to_unix_seconds(clock_.now()));
}

TEST_F(ServiceTest, AdminListPagesWithTheCursor) {
  std::string admin = admin_token();
  for (std::string jti : {"j1", "j2", "j3"}) {
    ASSERT_EQ(status(post_json("/admin/revocations", json{{"jti", jti}}.dump(), bearer(admin))),
              200);
  }
  json first = body_of(get("/admin/revocations?limit=2", bearer(admin)));
  ASSERT_EQ(first["revocations"].size(), 2u) << first;
  ASSERT_TRUE(first["next_cursor"].is_string());
  ASSERT_FALSE(first["next_cursor"].get<std::string>().empty());
  json second =
      body_of(get("/admin/revocations?limit=2&cursor=" + first["next_cursor"].get<std::string>(),
                  bearer(admin)));
  ASSERT_EQ(second["revocations"].size(), 1u) << second;
  EXPECT_EQ(second["next_cursor"], "");
  std::set<std::string> seen;
  for (const json& page : {first, second}) {
    for (const json& entry : page["revocations"]) seen.insert(entry["key"].get<std::string>());
  }
  EXPECT_EQ(seen, (std::set<std::string>{"j1", "j2", "j3"}));
}

TEST_F(ServiceTest, AdminListFiltersByUser) {
  std::string admin = admin_token();
  ASSERT_EQ(status(del("/auth/logout", bearer(tokens("alice").access.token))), 200);
  ASSERT_EQ(status(del("/auth/logout", bearer(tokens("bob").access.token))), 200);
  json entries = body_of(get("/admin/revocations?user=bob", bearer(admin)))["revocations"];
  ASSERT_FALSE(entries.empty());
  for (const json& entry : entries) EXPECT_EQ(entry["user"], "bob") << entry;
}

TEST_F(ServiceTest, AdminListFiltersByTokenType) {
  std::string admin = admin_token();
  ASSERT_EQ(status(del("/auth/logout", bearer(tokens().access.token))), 200);
  ASSERT_EQ(status(del("/auth/logout", bearer(tokens().refresh.token))), 200);
  json entries = body_of(get("/admin/revocations?type=refresh", bearer(admin)))["revocations"];
  ASSERT_FALSE(entries.empty());
  for (const json& entry : entries) EXPECT_EQ(entry["token_type"], "refresh") << entry;
}

TEST_F(ServiceTest, AdminListRefusesABadQuery) {
  std::string admin = admin_token();
  for (std::string query : {"limit=0", "limit=1001", "limit=ten", "type=id", "cursor=nope"}) {
    EXPECT_EQ(status(get("/admin/revocations?" + query, bearer(admin))), 400) << query;
  }
}

TEST_F(ServiceTest, AdminUnrevokeRestoresTheToken) {
  std::string admin = admin_token();
  TokenPair pair = tokens();
  ASSERT_EQ(
      status(post_json("/admin/revocations", json{{"jti", pair.access.jti}}.dump(), bearer(admin))),
      200);
  Response response = del("/admin/revocations/" + pair.access.jti, bearer(admin));
  EXPECT_EQ(status(response), 200) << response.body();
  EXPECT_EQ(body_of(response),
            json({{"msg", "Revocation removed"}, {"kind", "token"}, {"key", pair.access.jti}}));
  EXPECT_EQ(status(get("/auth/me", bearer(pair.access.token))), 200);
}

TEST_F(ServiceTest, AdminUnrevokeOfASessionRestoresIt) {
  std::string admin = admin_token();
  TokenPair pair = tokens();
  ASSERT_OK(guard_->revoke_session(pair.access.sid));
  EXPECT_EQ(status(del("/admin/revocations/" + pair.access.sid + "?kind=session", bearer(admin))),
            200);
  EXPECT_EQ(status(get("/auth/me", bearer(pair.access.token))), 200);
}

TEST_F(ServiceTest, AdminUnrevokeOfNothingIs404) {
  expect_error(del("/admin/revocations/no-such-jti", bearer(admin_token())), 404,
               "No such revocation");
}

TEST_F(ServiceTest, AdminMintsTokensThatAreNotFreshByDefault) {
  Response response =
      post_json("/admin/tokens", R"({"identity": "app-user", "claims": {"role": "reader"}})",
                bearer(admin_token()));
  ASSERT_EQ(status(response), 200) << response.body();
  json body = body_of(response);
  auto access = guard_->require(body["access_token"].get<std::string>());
  ASSERT_OK(access);
  EXPECT_EQ(access->claims.sub, "app-user");
  EXPECT_EQ(access->claims.fresh, false);
  EXPECT_EQ(json::parse(access->claims.payload_json)["role"], "reader");
  EXPECT_OK(guard_->require(body["refresh_token"].get<std::string>(),
                            {.type = TokenRequirement::kRefresh}));
}

TEST_F(ServiceTest, AdminMintsAFreshTokenWhenAsked) {
  Response response = post_json("/admin/tokens", R"({"identity": "app-user", "fresh": true})",
                                bearer(admin_token()));
  ASSERT_EQ(status(response), 200) << response.body();
  EXPECT_OK(guard_->require(body_of(response)["access_token"].get<std::string>(), {.fresh = true}));
}

TEST_F(ServiceTest, AdminMintRefusesClaimsTheGuardOwns) {
  Response response = post_json("/admin/tokens", R"({"identity": "x", "claims": {"sub": "y"}})",
                                bearer(admin_token()));
  EXPECT_EQ(status(response), 400) << response.body();
}

TEST_F(ServiceTest, AdminMintRefusesBadFields) {
  std::string admin = admin_token();
  for (std::string body :
       {R"({})", R"({"identity": ""})", R"({"identity": 3})", R"({"identity": "x", "claims": [1]})",
        R"({"identity": "x", "fresh": "yes"})"}) {
    EXPECT_EQ(status(post_json("/admin/tokens", body, bearer(admin))), 400) << body;
  }
}

}  // namespace
}  // namespace jwtguard::server
