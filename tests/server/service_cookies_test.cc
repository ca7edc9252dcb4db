// Browser sessions through the service: tokens in cookies, the CSRF rule,
// logout clearing the cookies, implicit refresh, /auth/verify's original
// method, CORS. The browser itself is in tests/browser.
#include <map>

#include "server/service_fixture.h"

namespace jwtguard::server {
namespace {

using namespace service_tests;  // NOLINT(google-build-using-namespace): the fixture's helpers

// name -> the whole Set-Cookie value, for each Set-Cookie of the response.
std::map<std::string, std::string> set_cookies(const Response& response) {
  std::map<std::string, std::string> out;
  auto [first, end] = response.equal_range(http::field::set_cookie);
  for (auto it = first; it != end; ++it) {
    std::string value(it->value());
    out[value.substr(0, value.find('='))] = value;
  }
  return out;
}

// The value a Set-Cookie gives its cookie.
std::string cookie_value(const std::string& set_cookie) {
  auto equals = set_cookie.find('=');
  return set_cookie.substr(equals + 1, set_cookie.find(';') - equals - 1);
}

bool has_attribute(const std::string& set_cookie, std::string_view attribute) {
  return set_cookie.find("; " + std::string(attribute)) != std::string::npos;
}

ServiceOptions browser_options(std::vector<TokenLocation> locations = {TokenLocation::kHeaders,
                                                                       TokenLocation::kCookies}) {
  ServiceOptions options;
  options.http.locations = std::move(locations);
  return options;
}

GuardOptions csrf_guard() {
  GuardOptions options = guard_options();
  options.issuer.csrf_claim = true;
  return options;
}

class CookieTest : public ServiceTest {
 protected:
  void SetUp() override {
    start(browser_options(), csrf_guard());
    add_user("alice");
  }

  // A login through the service; its cookies, as a browser would keep them.
  std::map<std::string, std::string> browser_login() {
    Response response = login("alice", kPassword);
    EXPECT_EQ(status(response), 200) << response.body();
    std::map<std::string, std::string> jar;
    for (const auto& [name, value] : set_cookies(response)) jar[name] = cookie_value(value);
    return jar;
  }
  static Fields cookie_header(const std::map<std::string, std::string>& jar) {
    std::string header;
    for (const auto& [name, value] : jar) {
      header += (header.empty() ? "" : "; ") + name + "=" + value;
    }
    return {{"Cookie", header}};
  }
  static Fields with_csrf(Fields fields, std::string_view value) {
    fields.emplace_back("X-CSRF-TOKEN", std::string(value));
    return fields;
  }
  bool still_logged_in(const std::map<std::string, std::string>& jar) {
    return status(get("/auth/me", cookie_header(jar))) == 200;
  }
};

TEST_F(CookieTest, LoginSetsHttpOnlyTokenCookiesAndReadableCsrfCookies) {
  Response response = login("alice", kPassword);
  ASSERT_EQ(status(response), 200);
  auto cookies = set_cookies(response);
  ASSERT_EQ(cookies.size(), 4u) << response.body();
  for (const char* name : {"access_token_cookie", "refresh_token_cookie"}) {
    EXPECT_TRUE(has_attribute(cookies[name], "HttpOnly")) << cookies[name];
  }
  for (const char* name : {"csrf_access_token", "csrf_refresh_token"}) {
    EXPECT_FALSE(has_attribute(cookies[name], "HttpOnly")) << cookies[name];
  }
  for (const auto& [name, value] : cookies) {
    EXPECT_TRUE(has_attribute(value, "Secure")) << value;
    EXPECT_TRUE(has_attribute(value, "SameSite=Lax")) << value;
    EXPECT_TRUE(has_attribute(value, "Path=/")) << value;
  }
  // The CSRF value is the tokens' claim, 128 bits.
  auto access = guard_->require(cookie_value(cookies["access_token_cookie"]));
  ASSERT_OK(access);
  EXPECT_EQ(access->claims.csrf, cookie_value(cookies["csrf_access_token"]));
  EXPECT_EQ(access->claims.csrf.size(), 22u);
  EXPECT_EQ(header(response, http::field::cache_control), "no-store");
  // Headers are allowed too: an API client gets its tokens in the body.
  EXPECT_TRUE(body_of(response)["access_token"].is_string());
}

TEST_F(CookieTest, WithCookiesAloneNoTokenIsInAnyBody) {
  start(browser_options({TokenLocation::kCookies}), csrf_guard());
  add_user("alice");
  Response response = login("alice", kPassword);
  ASSERT_EQ(status(response), 200);
  EXPECT_FALSE(body_of(response).contains("access_token")) << response.body();
  EXPECT_FALSE(body_of(response).contains("refresh_token")) << response.body();
  EXPECT_EQ(set_cookies(response).size(), 4u);
  // Headers are not a location now: a Bearer token is not looked for.
  TokenPair pair = tokens();
  expect_error(get("/auth/me", bearer(pair.access.token)), 401,
               "Missing cookie \"access_token_cookie\"");
}

TEST_F(CookieTest, ReadsWorkByCookieAloneAndAMissingTokenNamesEveryLocation) {
  auto jar = browser_login();
  Response me =
      get("/auth/me", cookie_header({{"access_token_cookie", jar["access_token_cookie"]}}));
  ASSERT_EQ(status(me), 200) << me.body();
  EXPECT_EQ(body_of(me)["sub"], "alice");
  Response missing = get("/auth/me");
  expect_error(missing, 401,
               "Missing JWT in headers or cookies (Missing Authorization Header; Missing cookie "
               "\"access_token_cookie\")");
  EXPECT_EQ(header(missing, http::field::www_authenticate), kBareChallenge);
}

TEST_F(CookieTest, StateChangesByCookieNeedTheCsrfValue) {
  auto jar = browser_login();
  Response without = post("/auth/logout-all", cookie_header(jar));
  expect_error(without, 401, "Missing CSRF token");
  EXPECT_TRUE(set_cookies(without).empty()) << "a CSRF refusal must change nothing";
  Response wrong = post("/auth/logout-all",
                        with_csrf(cookie_header(jar), "x" + jar["csrf_access_token"].substr(1)));
  expect_error(wrong, 401, "CSRF double submit tokens do not match");
  EXPECT_TRUE(set_cookies(wrong).empty());
  EXPECT_NE(header(wrong, http::field::www_authenticate).find("invalid_request"),
            std::string::npos);
  ASSERT_TRUE(still_logged_in(jar)) << "a refused state change revoked the session";
  // Another user's CSRF value does not fit this user's token either.
  add_user("bob");
  Response bob = login("bob", kPassword);
  std::string bob_csrf = cookie_value(set_cookies(bob)["csrf_access_token"]);
  expect_error(post("/auth/logout-all", with_csrf(cookie_header(jar), bob_csrf)), 401,
               "CSRF double submit tokens do not match");
  Response right =
      post("/auth/logout-all", with_csrf(cookie_header(jar), jar["csrf_access_token"]));
  ASSERT_EQ(status(right), 200) << right.body();
  EXPECT_FALSE(still_logged_in(jar));
  EXPECT_EQ(set_cookies(right).size(), 4u);
}

TEST_F(CookieTest, HeaderTokensNeedNoCsrfValue) {
  TokenPair pair = tokens();
  EXPECT_EQ(status(post("/auth/logout-all", bearer(pair.access.token))), 200);
}

TEST_F(CookieTest, RefreshByCookieAnswersWithCookiesOnly) {
  auto jar = browser_login();
  Fields refresh_request = cookie_header({{"refresh_token_cookie", jar["refresh_token_cookie"]}});
  expect_error(post("/auth/refresh", refresh_request), 401, "Missing CSRF token");
  Response response = post("/auth/refresh", with_csrf(refresh_request, jar["csrf_refresh_token"]));
  ASSERT_EQ(status(response), 200) << response.body();
  EXPECT_FALSE(body_of(response).contains("access_token")) << response.body();
  EXPECT_FALSE(body_of(response).contains("refresh_token")) << response.body();
  auto cookies = set_cookies(response);
  ASSERT_EQ(cookies.size(), 4u);
  EXPECT_NE(cookie_value(cookies["refresh_token_cookie"]), jar["refresh_token_cookie"]);
  // One CSRF value per session: two tabs refreshing at once cannot leave a
  // token cookie beside another answer's CSRF cookie.
  EXPECT_EQ(cookie_value(cookies["csrf_access_token"]), jar["csrf_access_token"]);
  std::map<std::string, std::string> next;
  for (const auto& [name, value] : cookies) next[name] = cookie_value(value);
  EXPECT_TRUE(still_logged_in(next));
  // The retired refresh cookie presented again: reuse, the session ends.
  expect_error(post("/auth/refresh", with_csrf(refresh_request, jar["csrf_refresh_token"])), 401,
               "Token has been revoked");
  EXPECT_FALSE(still_logged_in(next));
}

TEST_F(CookieTest, LogoutClearsTheCookiesWhateverStateTheTokenIsIn) {
  auto jar = browser_login();
  auto cleared = [](const Response& response) {
    auto cookies = set_cookies(response);
    if (cookies.size() != 4) return false;
    for (const auto& [name, value] : cookies) {
      if (!has_attribute(value, "Max-Age=0") || !cookie_value(value).empty()) return false;
    }
    return true;
  };
  // Missing.
  EXPECT_TRUE(cleared(del("/auth/logout")));
  EXPECT_TRUE(cleared(post("/auth/logout-all")));
  // Revoked.
  ASSERT_OK(guard_->revoke_session(guard_->require(jar["access_token_cookie"])->claims.sid));
  Response revoked = del("/auth/logout", with_csrf(cookie_header(jar), jar["csrf_access_token"]));
  EXPECT_EQ(status(revoked), 401);
  EXPECT_TRUE(cleared(revoked));
  // Expired (both cookies: the refresh token is 30 days, so only the access one).
  auto fresh = browser_login();
  clock_.advance(minutes(16));
  Response expired =
      del("/auth/logout",
          with_csrf(cookie_header({{"access_token_cookie", fresh["access_token_cookie"]}}),
                    fresh["csrf_access_token"]));
  expect_error(expired, 401, "Token has expired");
  EXPECT_TRUE(cleared(expired));
  // A valid one: revoked and cleared.
  auto live = browser_login();
  Response ok = del("/auth/logout", with_csrf(cookie_header(live), live["csrf_access_token"]));
  ASSERT_EQ(status(ok), 200) << ok.body();
  EXPECT_TRUE(cleared(ok));
  EXPECT_FALSE(still_logged_in(live));
  expect_error(get("/auth/me", bearer(live["access_token_cookie"])), 401, "Token has been revoked");
}

TEST_F(CookieTest, AnotherSitesRequestClearsNothing) {
  auto jar = browser_login();
  Response cross = handle(make_request(http::verb::delete_, "/auth/logout",
                                       {{"Sec-Fetch-Site", "cross-site"}, {"Host", "api.test"}}));
  EXPECT_EQ(status(cross), 401);
  EXPECT_TRUE(set_cookies(cross).empty());
  Response foreign = handle(make_request(http::verb::post, "/auth/logout-all",
                                         {{"Origin", "https://evil.test"}, {"Host", "api.test"}}));
  EXPECT_TRUE(set_cookies(foreign).empty());
  Response same = handle(make_request(http::verb::post, "/auth/logout-all",
                                      {{"Sec-Fetch-Site", "same-origin"},
                                       {"Origin", "https://api.test"},
                                       {"Host", "jwtguard-upstream"}}));
  EXPECT_EQ(set_cookies(same).size(), 4u) << "behind a proxy, Host is not the browser's";
  Response own = handle(make_request(http::verb::post, "/auth/logout-all",
                                     {{"Origin", "https://api.test"}, {"Host", "api.test"}}));
  EXPECT_EQ(set_cookies(own).size(), 4u);
  EXPECT_TRUE(still_logged_in(jar));
}

// Re-authentication and a password change by cookie answer with cookies:
// page script never reads a token, not even after typing the password.
TEST_F(CookieTest, AccountRoutesByCookieAnswerWithCookiesOnly) {
  auto jar = browser_login();
  Fields fields = with_csrf(cookie_header(jar), jar["csrf_access_token"]);
  fields.emplace_back("Content-Type", "application/json");
  Response fresh = handle(make_request(http::verb::post, "/auth/fresh-login", fields,
                                       json{{"password", kPassword}}.dump()));
  ASSERT_EQ(status(fresh), 200) << fresh.body();
  EXPECT_FALSE(body_of(fresh).contains("access_token")) << fresh.body();
  auto cookies = set_cookies(fresh);
  ASSERT_EQ(cookies.size(), 1u);
  auto renewed = guard_->require(cookie_value(cookies["access_token_cookie"]));
  ASSERT_OK(renewed);
  EXPECT_EQ(renewed->claims.fresh, true);
  EXPECT_EQ(renewed->claims.csrf, jar["csrf_access_token"]) << "the page's CSRF value stays";
  jar["access_token_cookie"] = cookie_value(cookies["access_token_cookie"]);
  fields = with_csrf(cookie_header(jar), jar["csrf_access_token"]);
  fields.emplace_back("Content-Type", "application/json");
  Response changed = handle(make_request(
      http::verb::post, "/auth/password", fields,
      json{{"current_password", kPassword}, {"new_password", "another long passphrase"}}.dump()));
  ASSERT_EQ(status(changed), 200) << changed.body();
  EXPECT_FALSE(body_of(changed).contains("access_token")) << changed.body();
  EXPECT_FALSE(body_of(changed).contains("refresh_token")) << changed.body();
  EXPECT_EQ(set_cookies(changed).size(), 4u);
}

TEST_F(CookieTest, TheTokenCookieTwiceIsRefused) {
  auto jar = browser_login();
  std::string two = "access_token_cookie=" + jar["access_token_cookie"] +
                    "; access_token_cookie=" + tokens().access.token;
  expect_error(get("/auth/me", {{"Cookie", two}}), 422,
               "Bad cookie header: cookie \"access_token_cookie\" sent more than once");
}

TEST_F(CookieTest, VerifyAppliesTheCsrfRuleToTheOriginalMethod) {
  auto jar = browser_login();
  Fields fields = cookie_header(jar);
  auto verify = [&](Fields extra) {
    Fields all = fields;
    for (auto& field : extra) all.push_back(field);
    return get("/auth/verify", all);
  };
  EXPECT_EQ(status(verify({{"X-Original-Method", "GET"}})), 200);
  EXPECT_EQ(status(verify({{"X-Forwarded-Method", "HEAD"}})), 200);
  expect_error(verify({{"X-Original-Method", "POST"}}), 401, "Missing CSRF token");
  expect_error(verify({{"X-Forwarded-Method", "DELETE"}, {"X-CSRF-TOKEN", "wrong"}}), 401,
               "CSRF double submit tokens do not match");
  EXPECT_EQ(
      status(verify({{"X-Original-Method", "PATCH"}, {"X-CSRF-TOKEN", jar["csrf_access_token"]}})),
      200);
  // In any case: an application may route "patch" as PATCH.
  expect_error(verify({{"X-Forwarded-Method", "patch"}}), 401, "Missing CSRF token");
  // A CSRF method in either header counts.
  expect_error(verify({{"X-Original-Method", "GET"}, {"X-Forwarded-Method", "POST"}}), 401,
               "Missing CSRF token");
  // Neither header: as for a POST (a gateway left unconfigured fails closed).
  expect_error(verify({}), 401, "Missing CSRF token");
  // A Bearer token needs none of it.
  EXPECT_EQ(status(get("/auth/verify", bearer(jar["access_token_cookie"]))), 200);
}

// Envoy's ext_authz in HTTP mode asks with the client's method, at
// /auth/verify followed by the client's path, and sends no method header.
TEST_F(CookieTest, VerifyAnswersAGatewayAskingWithTheClientsMethodAndPath) {
  auto jar = browser_login();
  const Fields cookies = cookie_header(jar);
  auto ask = [&](http::verb method, std::string_view target, Fields fields) {
    return handle(make_request(method, target, fields));
  };
  for (http::verb method : {http::verb::get, http::verb::post, http::verb::put, http::verb::patch,
                            http::verb::delete_}) {
    Response ok = ask(method, "/auth/verify/api/items/7", bearer(jar["access_token_cookie"]));
    EXPECT_EQ(status(ok), 200) << http::to_string(method);
    EXPECT_FALSE(ok["X-Auth-Subject"].empty()) << http::to_string(method);
  }
  // The client's own method is the one the CSRF rule applies to.
  EXPECT_EQ(status(ask(http::verb::get, "/auth/verify/api/items", cookies)), 401);  // no header
  expect_error(ask(http::verb::delete_, "/auth/verify/api/items/7", cookies), 401,
               "Missing CSRF token");
  Fields with_value = cookies;
  with_value.emplace_back("X-CSRF-TOKEN", jar["csrf_access_token"]);
  EXPECT_EQ(status(ask(http::verb::delete_, "/auth/verify/api/items/7", with_value)), 200);
  // A header saying GET does not excuse a POST the gateway asks with.
  Fields claims_get = cookies;
  claims_get.emplace_back("X-Original-Method", "GET");
  expect_error(ask(http::verb::post, "/auth/verify", claims_get), 401, "Missing CSRF token");
  // Only below /auth/verify, and only the methods a client request has.
  EXPECT_EQ(status(ask(http::verb::post, "/auth/verifyx", bearer(jar["access_token_cookie"]))),
            404);
  Response options = ask(http::verb::options, "/auth/verify/x", {});
  EXPECT_EQ(status(options), 405);
  EXPECT_EQ(options[http::field::allow], "DELETE, GET, HEAD, POST, PUT, PATCH");
}

TEST_F(CookieTest, ImplicitRefreshGivesANewAccessCookieOfTheSameSession) {
  ServiceOptions options = browser_options();
  options.http.cookies.refresh_access_within = minutes(5);
  start(std::move(options), csrf_guard());
  add_user("alice");
  EXPECT_EQ(service_->work(Route::kMe), Service::Work::kStore);
  auto jar = browser_login();
  clock_.advance(minutes(9));
  EXPECT_TRUE(set_cookies(get("/auth/me", cookie_header(jar))).empty()) << "outside the window";
  clock_.advance(minutes(2));  // 4 minutes left
  Response response = get("/auth/me", cookie_header(jar));
  ASSERT_EQ(status(response), 200);
  auto cookies = set_cookies(response);
  ASSERT_EQ(cookies.size(), 1u) << "one header, so that a gateway can pass it on";
  std::string renewed = cookie_value(cookies["access_token_cookie"]);
  auto old_claims = guard_->require(jar["access_token_cookie"])->claims;
  auto next = guard_->require(renewed);
  ASSERT_OK(next);
  EXPECT_EQ(next->claims.sid, old_claims.sid);
  EXPECT_EQ(next->claims.csrf, old_claims.csrf);
  EXPECT_GT(*next->claims.exp, *old_claims.exp);
  // A token from a header is never refreshed implicitly.
  EXPECT_TRUE(set_cookies(get("/auth/me", bearer(jar["access_token_cookie"]))).empty());
  // The logout wins: the renewed token is refused too.
  jar["access_token_cookie"] = renewed;
  ASSERT_EQ(status(del("/auth/logout", with_csrf(cookie_header(jar), jar["csrf_access_token"]))),
            200);
  expect_error(get("/auth/me", bearer(renewed)), 401, "Token has been revoked");
}

TEST_F(CookieTest, CorsHeadersOnlyForListedOrigins) {
  auto jar = browser_login();
  Response plain = get("/auth/me", {{"Origin", "https://app.test"}});
  EXPECT_EQ(header(plain, http::field::access_control_allow_origin), "");
  EXPECT_EQ(header(plain, http::field::vary), "");
  ServiceOptions options = browser_options();
  options.cors_origins = {"https://app.test"};
  start(std::move(options), csrf_guard());
  Response listed = get("/healthz", {{"Origin", "https://app.test"}});
  EXPECT_EQ(header(listed, http::field::access_control_allow_origin), "https://app.test");
  EXPECT_EQ(header(listed, http::field::access_control_allow_credentials), "true");
  EXPECT_EQ(header(listed, http::field::vary), "Origin");
  Response other = get("/healthz", {{"Origin", "https://evil.test"}});
  EXPECT_EQ(header(other, http::field::access_control_allow_origin), "");
  Response preflight = handle(
      make_request(http::verb::options, "/auth/logout",
                   {{"Origin", "https://app.test"}, {"Access-Control-Request-Method", "DELETE"}}));
  EXPECT_EQ(status(preflight), 204);
  EXPECT_EQ(header(preflight, http::field::access_control_allow_methods), "DELETE");
  EXPECT_NE(header(preflight, http::field::access_control_allow_headers).find("X-CSRF-TOKEN"),
            std::string::npos);
  Response refused = handle(
      make_request(http::verb::options, "/auth/logout",
                   {{"Origin", "https://evil.test"}, {"Access-Control-Request-Method", "DELETE"}}));
  EXPECT_EQ(status(refused), 405);
  EXPECT_EQ(header(refused, http::field::access_control_allow_origin), "");
}

TEST_F(CookieTest, QueryStringTokensOnlyOnWebSocketUpgrades) {
  ServiceOptions options = browser_options({TokenLocation::kQueryString});
  start(std::move(options), csrf_guard());
  TokenPair pair = tokens();
  std::string target = "/auth/verify?jwt=" + pair.access.token;
  EXPECT_EQ(status(get(target, {{"Upgrade", "websocket"}, {"Connection", "Upgrade"}})), 200);
  expect_error(get(target), 401, "Missing \"jwt\" query parameter");
}

TEST_F(CookieTest, CsrfErrorsCanBeReplacedByName) {
  ServiceOptions options = browser_options();
  options.errors["missing_csrf_token"] = {403, R"({"error":"csrf"})"};
  start(std::move(options), csrf_guard());
  add_user("alice");
  auto jar = browser_login();
  Response response = post("/auth/logout-all", cookie_header(jar));
  EXPECT_EQ(status(response), 403);
  EXPECT_EQ(response.body(), R"({"error":"csrf"})");
}

}  // namespace
}  // namespace jwtguard::server
