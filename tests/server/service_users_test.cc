// The handlers without sockets: registration and login, with their rate
// limits.
#include "server/service_fixture.h"

namespace jwtguard::server {
namespace {

using namespace service_tests;  // NOLINT(google-build-using-namespace): the fixture's helpers

// --- POST /auth/register ----------------------------------------------------------------

TEST_F(ServiceTest, RegisterCreatesTheUser) {
  Response response = register_user("alice", "12345678");
  EXPECT_EQ(status(response), 201) << response.body();
  EXPECT_EQ(body_of(response), json({{"msg", "User created"}, {"username", "alice"}}));
  auto user = guard_->store().find_user("alice");
  ASSERT_OK(user);
  ASSERT_TRUE(user->has_value());
  EXPECT_TRUE(verify_password("12345678", (*user)->password_hash));
  EXPECT_FALSE((*user)->admin);
}

TEST_F(ServiceTest, RegisterRefusesAPasswordOneShortOfTheMinimum) {
  Response response = register_user("alice", "1234567");
  EXPECT_EQ(status(response), 400);
  EXPECT_NE(msg(response).find("at least 8 characters"), std::string::npos) << response.body();
}

TEST_F(ServiceTest, RegisterCountsPasswordCharactersNotBytes) {
  // Seven characters, fourteen bytes.
  EXPECT_EQ(status(register_user("alice", "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9")), 400);
}

TEST_F(ServiceTest, RegisterTakenNameIs409) {
  add_user("alice");
  expect_error(register_user("alice", "another password"), 409, "Username is already taken");
}

TEST_F(ServiceTest, RegisterUsernameOfWrongTypeIs400) {
  expect_error(post_json("/auth/register", R"({"username": 5, "password": "12345678"})"), 400,
               "'username' must be a string");
}

TEST_F(ServiceTest, RegisterPasswordOfWrongTypeIs400) {
  expect_error(post_json("/auth/register", R"({"username": "alice", "password": 12345678})"), 400,
               "'password' must be a string");
}

TEST_F(ServiceTest, RegisterMissingMemberIs400) {
  expect_error(post_json("/auth/register", R"({"username": "alice"})"), 400,
               "'password' must be a string");
}

TEST_F(ServiceTest, RegisterWrongContentTypeIs415) {
  Response response =
      handle(make_request(http::verb::post, "/auth/register", {{"Content-Type", "text/plain"}},
                          R"({"username": "alice", "password": "12345678"})"));
  expect_error(response, 415, "Content-Type must be application/json");
}

TEST_F(ServiceTest, RegisterWithoutContentTypeIs415) {
  Response response = handle(make_request(http::verb::post, "/auth/register", {},
                                          R"({"username": "alice", "password": "12345678"})"));
  EXPECT_EQ(status(response), 415);
}

TEST_F(ServiceTest, RegisterMalformedJsonIs400) {
  expect_error(post_json("/auth/register", R"({"username": "alice", )"), 400,
               "Body is not valid JSON");
}

TEST_F(ServiceTest, RegisterJsonThatIsNotAnObjectIs400) {
  expect_error(post_json("/auth/register", R"(["alice", "12345678"])"), 400,
               "Body must be a JSON object");
}

TEST_F(ServiceTest, RegisterRefusesUsernamesThatCannotBeShown) {
  for (std::string name : {std::string(), std::string(" alice"), std::string("alice "),
                           std::string("al\tice"), std::string(129, 'a')}) {
    EXPECT_EQ(status(register_user(name, "12345678")), 400) << "'" << name << "'";
  }
}

TEST_F(ServiceTest, RegisterAcceptsJsonWithCharset) {
  Response response = handle(make_request(http::verb::post, "/auth/register",
                                          {{"Content-Type", "application/json; charset=utf-8"}},
                                          R"({"username": "alice", "password": "12345678"})"));
  EXPECT_EQ(status(response), 201) << response.body();
}

TEST_F(ServiceTest, RegisterWhenClosedIs403) {
  start({.registration = false});
  expect_error(register_user("alice", "12345678"), 403, "Registration is closed");
}

TEST_F(ServiceTest, RegistrationsLimitedPerAddress) {
  start({.registration_limits = {.max_per_address = 2, .window = seconds(3600)}});
  EXPECT_EQ(status(post_json("/auth/register", R"({"username": "x"})")), 400);  // not counted
  EXPECT_EQ(status(register_user("alice", "12345678")), 201);
  EXPECT_EQ(status(register_user("alice", "12345678")), 409);  // counted: it cost a hash
  clock_.advance(seconds(600));
  Response response = register_user("bob", "12345678");
  expect_error(response, 429, "Too many registrations. Try again later");
  EXPECT_EQ(header(response, http::field::retry_after), "3000");
  auto bob = guard_->store().find_user("bob");
  ASSERT_OK(bob);
  EXPECT_FALSE(bob->has_value());
  Response elsewhere =
      post_json("/auth/register", json{{"username", "bob"}, {"password", "12345678"}}.dump(), {},
                Peer{"10.0.0.2"});
  EXPECT_EQ(status(elsewhere), 201);
  clock_.advance(seconds(3000));
  EXPECT_EQ(status(register_user("carol", "12345678")), 201);
}

TEST_F(ServiceTest, RegistrationsLimitedInTotal) {
  start({.registration_limits = {.max_per_address = 5, .max_total = 3, .window = seconds(60)}});
  for (int i = 0; i < 3; ++i) {
    Peer peer{"10.0.0." + std::to_string(i)};
    std::string body =
        json{{"username", "user" + std::to_string(i)}, {"password", "12345678"}}.dump();
    EXPECT_EQ(status(post_json("/auth/register", body, {}, peer)), 201) << i;
  }
  EXPECT_EQ(status(post_json("/auth/register",
                             json{{"username", "late"}, {"password", "12345678"}}.dump(), {},
                             Peer{"10.0.0.9"})),
            429);
}

// --- POST /auth/login -------------------------------------------------------------------

TEST_F(ServiceTest, LoginReturnsAFreshAccessTokenAndARefreshToken) {
  add_user("alice");
  Response response = login("alice", kPassword);
  ASSERT_EQ(status(response), 200) << response.body();
  json body = body_of(response);
  EXPECT_EQ(body["token_type"], "Bearer");
  EXPECT_EQ(body["expires_in"], 900);
  auto access = guard_->require(body["access_token"].get<std::string>(), {.fresh = true});
  ASSERT_OK(access);
  EXPECT_EQ(access->claims.sub, "alice");
  EXPECT_OK(guard_->require(body["refresh_token"].get<std::string>(),
                            {.type = TokenRequirement::kRefresh}));
}

TEST_F(ServiceTest, LoginWithWrongPasswordIs401) {
  add_user("alice");
  Response response = login("alice", "wrong password");
  expect_error(response, 401, "Bad username or password");
  EXPECT_EQ(header(response, http::field::www_authenticate), kBareChallenge);
}

// The timing equaliser verifies against a dummy hash; the answer must not
// tell an unknown user from a wrong password.
TEST_F(ServiceTest, LoginOfUnknownUserIsTheSame401) {
  Response response = login("nobody", kPassword);
  expect_error(response, 401, "Bad username or password");
  EXPECT_EQ(header(response, http::field::www_authenticate), kBareChallenge);
}

TEST_F(ServiceTest, LoginWrongContentTypeIs415) {
  Response response = handle(make_request(http::verb::post, "/auth/login",
                                          {{"Content-Type", "application/x-www-form-urlencoded"}},
                                          "username=alice&password=x"));
  EXPECT_EQ(status(response), 415);
}

TEST_F(ServiceTest, LoginRateLimitedPerUserAndAddress) {
  start({.login_limits = {.max_failures = 2, .window = seconds(60)}});
  add_user("alice");
  EXPECT_EQ(status(login("alice", "wrong 1")), 401);
  EXPECT_EQ(status(login("alice", "wrong 2")), 401);
  Response response = login("alice", kPassword);  // even the right password, from that address
  expect_error(response, 429, "Too many failed login attempts. Try again later");
  EXPECT_EQ(header(response, http::field::retry_after), "60");
}

// The targeted lockout: an attacker's failures do not lock the user out of
// another address.
TEST_F(ServiceTest, FailuresFromOneAddressLeaveTheUsersOtherAddressesAlone) {
  start({.login_limits = {.max_failures = 5, .window = seconds(900)}});
  add_user("root");
  for (int i = 0; i < 5; ++i) EXPECT_EQ(status(login("root", "guess", Peer{"203.0.113.9"})), 401);
  EXPECT_EQ(status(login("root", kPassword, Peer{"203.0.113.9"})), 429);
  EXPECT_EQ(status(login("root", kPassword, Peer{"10.0.0.1"})), 200);
}

TEST_F(ServiceTest, RetryAfterCountsDownWithTheWindow) {
  start({.login_limits = {.max_failures = 1, .window = seconds(60)}});
  EXPECT_EQ(status(login("alice", "wrong")), 401);
  clock_.advance(seconds(45));
  EXPECT_EQ(header(login("alice", "wrong"), http::field::retry_after), "15");
}

TEST_F(ServiceTest, LoginRateLimitOfOneUserLeavesOthersAlone) {
  start({.login_limits = {.max_failures = 1, .window = seconds(60)}});
  add_user("bob");
  EXPECT_EQ(status(login("alice", "wrong")), 401);
  EXPECT_EQ(status(login("bob", kPassword)), 200);
}

// A distributed guesser is slowed, and so is the user, by seconds: no lockout.
TEST_F(ServiceTest, LoginsOfAUserBackOffAfterFailuresFromManyAddresses) {
  start({.login_limits = {.max_failures = 5, .max_failures_per_user = 2, .window = seconds(900)}});
  add_user("root");
  EXPECT_EQ(status(login("root", "guess", Peer{"198.51.100.1"})), 401);
  EXPECT_EQ(status(login("root", "guess", Peer{"198.51.100.2"})), 401);
  Response response = login("root", kPassword, Peer{"10.0.0.1"});
  expect_error(response, 429, "Too many failed login attempts. Try again later");
  EXPECT_EQ(header(response, http::field::retry_after), "1");
  clock_.advance(seconds(1));
  EXPECT_EQ(status(login("root", "guess", Peer{"198.51.100.3"})), 401);
  EXPECT_EQ(header(login("root", kPassword, Peer{"10.0.0.1"}), http::field::retry_after), "2");
  clock_.advance(seconds(2));
  EXPECT_EQ(status(login("root", kPassword, Peer{"10.0.0.1"})), 200);
}

TEST_F(ServiceTest, LoginsFromAnAddressBackOffAfterFailuresForManyUsers) {
  start({.login_limits = {.max_failures_per_address = 2, .window = seconds(60)}});
  add_user("carol");
  EXPECT_EQ(status(login("alice", "wrong")), 401);
  EXPECT_EQ(status(login("bob", "wrong")), 401);
  Response response = login("carol", kPassword);
  EXPECT_EQ(status(response), 429);
  EXPECT_EQ(header(response, http::field::retry_after), "1");
  clock_.advance(seconds(1));
  EXPECT_EQ(status(login("carol", kPassword)), 200);
}

TEST_F(ServiceTest, LoginRateLimitOfOneAddressLeavesOthersAlone) {
  start({.login_limits = {
             .max_failures_per_user = 100, .max_failures_per_address = 1, .window = seconds(60)}});
  add_user("carol");
  EXPECT_EQ(status(login("alice", "wrong", Peer{"10.0.0.1"})), 401);
  EXPECT_EQ(status(login("carol", kPassword, Peer{"10.0.0.2"})), 200);
}

TEST_F(ServiceTest, ForwardedForIsIgnoredUnlessTrusted) {
  start({.login_limits = {
             .max_failures_per_user = 100, .max_failures_per_address = 1, .window = seconds(60)}});
  add_user("carol");
  EXPECT_EQ(status(login("alice", "wrong", kPeer, {{"X-Forwarded-For", "192.0.2.1"}})), 401);
  // Another forwarded address changes nothing: the connection's address is limited.
  EXPECT_EQ(status(login("carol", kPassword, kPeer, {{"X-Forwarded-For", "192.0.2.2"}})), 429);
}

TEST_F(ServiceTest, TrustedForwardedForLimitsEachClientBehindTheProxy) {
  start({.login_limits = {.max_failures_per_user = 100,
                          .max_failures_per_address = 1,
                          .window = seconds(60)},
         .trust_forwarded_for = true});
  add_user("carol");
  // The last entry is the one the proxy added; earlier ones are the client's word.
  EXPECT_EQ(status(login("alice", "wrong", kPeer, {{"X-Forwarded-For", "203.0.113.9, 192.0.2.1"}})),
            401);
  EXPECT_EQ(status(login("carol", kPassword, kPeer, {{"X-Forwarded-For", "192.0.2.1"}})), 429);
  Response ok = login("carol", kPassword, kPeer, {{"X-Forwarded-For", "192.0.2.2"}});
  ASSERT_EQ(status(ok), 200);
  json sessions =
      body_of(get("/auth/sessions", bearer(body_of(ok)["access_token"].get<std::string>())));
  ASSERT_FALSE(sessions["sessions"].empty());
  EXPECT_EQ(sessions["sessions"][0]["client_address"], "192.0.2.2");
}

TEST_F(ServiceTest, LoginRateLimitCountsAnIpv6SlashSixtyFourAsOneAddress) {
  start({.login_limits = {
             .max_failures_per_user = 100, .max_failures_per_address = 1, .window = seconds(60)}});
  add_user("carol");
  EXPECT_EQ(status(login("alice", "wrong", Peer{"2001:db8:1:2::1"})), 401);
  EXPECT_EQ(status(login("carol", kPassword, Peer{"2001:db8:1:2:ffff::9"})), 429);
  EXPECT_EQ(status(login("carol", kPassword, Peer{"2001:db8:1:3::1"})), 200);
}

TEST_F(ServiceTest, LoginRateLimitEndsWithTheWindow) {
  start({.login_limits = {.max_failures = 1, .window = seconds(60)}});
  add_user("alice");
  EXPECT_EQ(status(login("alice", "wrong")), 401);
  clock_.advance(seconds(60));
  EXPECT_EQ(status(login("alice", kPassword)), 200);
}

}  // namespace
}  // namespace jwtguard::server
