// The handlers of SPEC §3 without sockets: requests built by hand, handed
// to Service::handle with a FakeClock behind the Guard.
#include "server/service.h"

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
#include "testing/fixtures.h"

namespace jwtguard::server {
namespace {

using jwtguard::testing::FakeClock;
using nlohmann::json;
using std::chrono::minutes;
using std::chrono::seconds;

// 64 bytes: enough for HS384, which the allowlist test signs with.
constexpr std::string_view kSecret =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
constexpr std::string_view kPassword = "correct horse battery";
constexpr std::string_view kBareChallenge = R"(Bearer realm="jwtguard")";
const Peer kPeer{"10.0.0.1"};

// The RFC 6750 challenge of a failed token check.
std::string token_challenge(std::string_view description) {
  return std::string(kBareChallenge) + R"(, error="invalid_token", error_description=")" +
         std::string(description) + "\"";
}

// One Argon2id hash of kPassword for every user the tests create directly.
const std::string& password_hash() {
  static const std::string hash = hash_password(kPassword).value();
  return hash;
}

using Fields = std::vector<std::pair<std::string, std::string>>;

Fields bearer(std::string_view token) {
  return {{"Authorization", "Bearer " + std::string(token)}};
}

Request make_request(http::verb method, std::string_view target, const Fields& fields = {},
                     std::string body = {}) {
  Request request{method, target, 11};
  for (const auto& [name, value] : fields) request.set(name, value);
  request.body() = std::move(body);
  request.prepare_payload();
  return request;
}

int status(const Response& response) { return static_cast<int>(response.result_int()); }

std::string header(const Response& response, http::field field) {
  return std::string(response[field]);
}

json body_of(const Response& response) { return json::parse(response.body(), nullptr, false); }

std::string msg(const Response& response) {
  json body = body_of(response);
  if (!body.is_object() || !body.contains("msg") || !body["msg"].is_string()) return {};
  return body["msg"].get<std::string>();
}

// Expects `response` to be the error `code` with body {"msg": message}.
void expect_error(const Response& response, int code, std::string_view message) {
  EXPECT_EQ(status(response), code) << response.body();
  EXPECT_EQ(body_of(response), json({{"msg", message}})) << response.body();
}

GuardOptions guard_options() {
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
    auto created = Service::create(*guard_, metrics_, clock_, std::move(options));
    ASSERT_OK(created);
    service_ = std::move(*created);
  }

  Response handle(const Request& request, const Peer& peer = kPeer) {
    Outcome outcome;
    return service_->handle(request, peer, outcome);
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

// --- SPEC §3's error table ----------------------------------------------------

TEST_F(ServiceTest, NoAuthorizationHeaderIs401WithBareChallenge) {
  Response response = get("/auth/me");
  expect_error(response, 401, "Missing Authorization Header");
  EXPECT_EQ(header(response, http::field::www_authenticate), kBareChallenge);
}

// Flask-JWT-Extended strips the header and treats an empty one as missing.
TEST_F(ServiceTest, EmptyAuthorizationHeaderCountsAsMissing) {
  Response response = get("/auth/me", {{"Authorization", ""}});
  expect_error(response, 401, "Missing Authorization Header");
  EXPECT_EQ(header(response, http::field::www_authenticate), kBareChallenge);
}

TEST_F(ServiceTest, AnotherSchemeIs401WithBareChallenge) {
  Response response = get("/auth/me", {{"Authorization", "Token " + tokens().access.token}});
  expect_error(response, 401,
               "Missing 'Bearer' type in 'Authorization' header. Expected 'Authorization: "
               "Bearer <JWT>'");
  EXPECT_EQ(header(response, http::field::www_authenticate), kBareChallenge);
}

TEST_F(ServiceTest, BearerWithoutTokenIs422) {
  Response response = get("/auth/me", {{"Authorization", "Bearer"}});
  expect_error(response, 422, "Bad Authorization header. Expected 'Authorization: Bearer <JWT>'");
  EXPECT_FALSE(response.count(http::field::www_authenticate));
}

TEST_F(ServiceTest, BearerWithExtraPartsIs422) {
  Response response =
      get("/auth/me", {{"Authorization", "Bearer " + tokens().access.token + " extra"}});
  expect_error(response, 422, "Bad Authorization header. Expected 'Authorization: Bearer <JWT>'");
}

TEST_F(ServiceTest, BadSignatureIs422SignatureVerificationFailed) {
  std::string token = tokens().access.token;
  char& c = token[token.size() - 5];  // inside the signature, clear of the padding bits
  c = c == 'A' ? 'B' : 'A';
  Response response = get("/auth/me", bearer(token));
  expect_error(response, 422, "Signature verification failed");
  EXPECT_FALSE(response.count(http::field::www_authenticate));
}

TEST_F(ServiceTest, MalformedTokenIs422WithAReason) {
  Response response = get("/auth/me", bearer("not-a-jwt"));
  EXPECT_EQ(status(response), 422);
  EXPECT_TRUE(msg(response).starts_with("Malformed token")) << response.body();
}

TEST_F(ServiceTest, AlgorithmOffTheAllowlistIs422) {
  auto key = Key::from_secret(kSecret).value();
  json payload = {{"sub", "alice"},
                  {"type", "access"},
                  {"jti", "j1"},
                  {"iat", to_unix_seconds(clock_.now())},
                  {"exp", to_unix_seconds(clock_.now()) + 60}};
  auto token = sign_jws(key, Algorithm::kHS384, payload.dump());
  ASSERT_OK(token);
  Response response = get("/auth/me", bearer(*token));
  EXPECT_EQ(status(response), 422);
  EXPECT_TRUE(msg(response).starts_with("The specified alg value is not allowed"))
      << response.body();
}

TEST_F(ServiceTest, ExpiredTokenIs401WithInvalidTokenChallenge) {
  TokenPair pair = tokens();
  clock_.set(pair.access.expires_at);
  Response response = get("/auth/me", bearer(pair.access.token));
  expect_error(response, 401, "Token has expired");
  EXPECT_EQ(header(response, http::field::www_authenticate), token_challenge("Token has expired"));
}

TEST_F(ServiceTest, RevokedTokenIs401WithInvalidTokenChallenge) {
  TokenPair pair = tokens();
  ASSERT_OK(guard_->revoke_session(pair.access.sid));
  Response response = get("/auth/me", bearer(pair.access.token));
  expect_error(response, 401, "Token has been revoked");
  EXPECT_EQ(header(response, http::field::www_authenticate),
            token_challenge("Token has been revoked"));
}

TEST_F(ServiceTest, RefreshTokenWhereAccessNeededIs422) {
  expect_error(get("/auth/me", bearer(tokens().refresh.token)), 422,
               "Only non-refresh tokens are allowed");
}

TEST_F(ServiceTest, AccessTokenWhereRefreshNeededIs422) {
  expect_error(post("/auth/refresh", bearer(tokens().access.token)), 422,
               "Only refresh tokens are allowed");
}

// No route of SPEC §3 requires a fresh token; the error is still the table's.
TEST_F(ServiceTest, FreshTokenRequiredIs401WithInvalidTokenChallenge) {
  Request request = make_request(http::verb::get, "/auth/me");
  Response response = service_->errors().for_error(request, Error(Errc::kFreshTokenRequired));
  expect_error(response, 401, "Fresh token required");
  EXPECT_EQ(header(response, http::field::www_authenticate),
            token_challenge("Fresh token required"));
}

TEST_F(ServiceTest, TokenOverTheLimitIs422TooLarge) {
  expect_error(get("/auth/me", bearer(std::string(8 * 1024 + 1, 'a'))), 422, "Token is too large");
}

TEST_F(ServiceTest, TokenAtTheLimitIsParsedNotRefusedForSize) {
  Response response = get("/auth/me", bearer(std::string(8 * 1024, 'a')));
  EXPECT_EQ(status(response), 422);
  EXPECT_NE(msg(response), "Token is too large");
}

// --- expiry boundaries ----------------------------------------------------------

TEST_F(ServiceTest, AccessTokenAcceptedOneSecondBeforeExp) {
  TokenPair pair = tokens();
  clock_.set(pair.access.expires_at - seconds(1));
  EXPECT_EQ(status(get("/auth/me", bearer(pair.access.token))), 200);
}

TEST_F(ServiceTest, AccessTokenRefusedAtExp) {
  TokenPair pair = tokens();
  clock_.set(pair.access.expires_at);
  EXPECT_EQ(status(get("/auth/me", bearer(pair.access.token))), 401);
}

TEST_F(ServiceTest, LeewayAcceptsUpToOneSecondBeforeExpPlusLeeway) {
  GuardOptions options = guard_options();
  options.verify.claims.leeway = seconds(30);
  start({}, options);
  TokenPair pair = tokens();
  clock_.set(pair.access.expires_at + seconds(29));
  EXPECT_EQ(status(get("/auth/me", bearer(pair.access.token))), 200);
}

TEST_F(ServiceTest, LeewayRefusesAtExpPlusLeeway) {
  GuardOptions options = guard_options();
  options.verify.claims.leeway = seconds(30);
  start({}, options);
  TokenPair pair = tokens();
  clock_.set(pair.access.expires_at + seconds(30));
  expect_error(get("/auth/me", bearer(pair.access.token)), 401, "Token has expired");
}

TEST_F(ServiceTest, RefreshTokenRefusedAtItsExp) {
  TokenPair pair = tokens();
  clock_.set(pair.refresh.expires_at);
  expect_error(post("/auth/refresh", bearer(pair.refresh.token)), 401, "Token has expired");
}

// --- error overrides ----------------------------------------------------------------

TEST_F(ServiceTest, RevokedOverrideReplacesTheBodyAndKeepsTheChallenge) {
  const std::string body =
      R"({"description": "The token has been revoked.", "error": "token_revoked"})";
  start({.errors = {{"revoked", ErrorOverride{.status = 401, .body = body}}}});
  TokenPair pair = tokens();
  ASSERT_OK(guard_->revoke_session(pair.access.sid));
  Response response = get("/auth/me", bearer(pair.access.token));
  EXPECT_EQ(status(response), 401);
  EXPECT_EQ(body_of(response), json::parse(body));
  EXPECT_EQ(header(response, http::field::www_authenticate),
            token_challenge("Token has been revoked"));
}

TEST_F(ServiceTest, OverrideOfStatusAloneKeepsTheDefaultBody) {
  start({.errors = {{"not_found", ErrorOverride{.status = 410}}}});
  expect_error(get("/nowhere"), 410, "Not found");
}

TEST_F(ServiceTest, OverrideOfBodyAloneKeepsTheDefaultStatus) {
  start({.errors = {{"missing_authorization", ErrorOverride{.body = R"({"error":"no_token"})"}}}});
  Response response = get("/auth/me");
  EXPECT_EQ(status(response), 401);
  EXPECT_EQ(body_of(response), json({{"error", "no_token"}}));
  EXPECT_EQ(header(response, http::field::www_authenticate), kBareChallenge);
}

TEST_F(ServiceTest, UnknownOverrideNameFailsCreate) {
  ServiceOptions options{.errors = {{"no_such_error", ErrorOverride{.status = 400}}}};
  EXPECT_ERRC(Service::create(*guard_, metrics_, clock_, options), Errc::kInvalidArgument);
}

TEST_F(ServiceTest, OverrideBodyThatIsNotAJsonObjectFailsCreate) {
  ServiceOptions options{.errors = {{"revoked", ErrorOverride{.body = "[1, 2]"}}}};
  EXPECT_ERRC(Service::create(*guard_, metrics_, clock_, options), Errc::kInvalidArgument);
}

// --- routes ---------------------------------------------------------------------------

TEST_F(ServiceTest, AbsoluteFormTargetsAreRouted) {  // RFC 9112 §3.2.2
  EXPECT_EQ(get("http://auth.example/healthz").result_int(), 200);
  EXPECT_EQ(get("https://auth.example/readyz?x=1").result_int(), 200);
  EXPECT_EQ(get("http://auth.example").result_int(), 404);
}

TEST_F(ServiceTest, UnknownPathIs404) { expect_error(get("/nowhere"), 404, "Not found"); }

TEST_F(ServiceTest, WrongMethodIs405WithAllow) {
  Response response = get("/auth/login");
  expect_error(response, 405, "Method not allowed");
  EXPECT_EQ(header(response, http::field::allow), "POST");
}

TEST_F(ServiceTest, WrongMethodOnAdminRevocationsAllowsGetAndPost) {
  Response response = handle(make_request(http::verb::put, "/admin/revocations"));
  EXPECT_EQ(status(response), 405);
  EXPECT_EQ(header(response, http::field::allow), "GET, HEAD, POST");
}

TEST_F(ServiceTest, WrongMethodOnAGetRouteAllowsHeadToo) {
  Response response = post("/auth/me");
  EXPECT_EQ(status(response), 405);
  EXPECT_EQ(header(response, http::field::allow), "GET, HEAD");
}

TEST_F(ServiceTest, PathParametersTakePlusLiterally) {
  const Fields admin = bearer(admin_token());
  ASSERT_EQ(status(del("/admin/revocations/a%2Bb", admin)), 404);
  ASSERT_OK(guard_->revoke_jti("a+b"));
  EXPECT_EQ(status(del("/admin/revocations/a+b", admin)), 200);
}

TEST_F(ServiceTest, WrongMethodOnSessionIdAllowsDelete) {
  Response response = get("/auth/sessions/abc");
  EXPECT_EQ(status(response), 405);
  EXPECT_EQ(header(response, http::field::allow), "DELETE");
}

TEST_F(ServiceTest, HeadIsAnsweredLikeGetWithoutBody) {
  Response head = handle(make_request(http::verb::head, "/healthz"));
  Response full = get("/healthz");
  EXPECT_EQ(status(head), 200);
  EXPECT_TRUE(head.body().empty());
  EXPECT_EQ(header(head, http::field::content_length), std::to_string(full.body().size()));
}

TEST_F(ServiceTest, QueryStringDoesNotChangeTheRoute) {
  EXPECT_EQ(status(get("/healthz?verbose=1")), 200);
}

TEST_F(ServiceTest, HealthAndReadiness) {
  EXPECT_EQ(body_of(get("/healthz")), json({{"status", "ok"}}));
  EXPECT_EQ(body_of(get("/readyz")), json({{"status", "ready"}}));
}

TEST_F(ServiceTest, MetricsArePrometheusText) {
  Response response = get("/metrics");
  EXPECT_EQ(status(response), 200);
  EXPECT_TRUE(header(response, http::field::content_type).starts_with("text/plain"));
  EXPECT_NE(response.body().find("jwtguard_http_requests_total"), std::string::npos);
}

TEST_F(ServiceTest, JwksServesTheConfiguredKeys) {
  const std::string jwks =
      R"({"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]})";
  start({.jwks_json = jwks});
  Response response = get("/.well-known/jwks.json");
  EXPECT_EQ(status(response), 200);
  EXPECT_EQ(body_of(response), json::parse(jwks));
  EXPECT_EQ(header(response, http::field::content_type), "application/json");
}

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

TEST_F(ServiceTest, LoginRateLimitedPerUser) {
  start({.login_limits = {
             .max_failures_per_user = 2, .max_failures_per_address = 100, .window = seconds(60)}});
  add_user("alice");
  EXPECT_EQ(status(login("alice", "wrong 1")), 401);
  EXPECT_EQ(status(login("alice", "wrong 2")), 401);
  Response response = login("alice", kPassword);  // even the right password
  expect_error(response, 429, "Too many failed login attempts. Try again later");
  EXPECT_EQ(header(response, http::field::retry_after), "60");
}

TEST_F(ServiceTest, RetryAfterCountsDownWithTheWindow) {
  start({.login_limits = {.max_failures_per_user = 1, .window = seconds(60)}});
  EXPECT_EQ(status(login("alice", "wrong")), 401);
  clock_.advance(seconds(45));
  EXPECT_EQ(header(login("alice", "wrong"), http::field::retry_after), "15");
}

TEST_F(ServiceTest, LoginRateLimitOfOneUserLeavesOthersAlone) {
  start({.login_limits = {.max_failures_per_user = 1, .window = seconds(60)}});
  add_user("bob");
  EXPECT_EQ(status(login("alice", "wrong")), 401);
  EXPECT_EQ(status(login("bob", kPassword)), 200);
}

TEST_F(ServiceTest, LoginRateLimitedPerAddress) {
  start({.login_limits = {
             .max_failures_per_user = 100, .max_failures_per_address = 2, .window = seconds(60)}});
  add_user("carol");
  EXPECT_EQ(status(login("alice", "wrong")), 401);
  EXPECT_EQ(status(login("bob", "wrong")), 401);
  EXPECT_EQ(status(login("carol", kPassword)), 429);
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
  start({.login_limits = {.max_failures_per_user = 1, .window = seconds(60)}});
  add_user("alice");
  EXPECT_EQ(status(login("alice", "wrong")), 401);
  clock_.advance(seconds(60));
  EXPECT_EQ(status(login("alice", kPassword)), 200);
}

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

TEST_F(ServiceTest, VerifyRefusesARevokedToken) {
  TokenPair pair = tokens();
  ASSERT_OK(guard_->revoke_session(pair.access.sid));
  expect_error(get("/auth/verify", bearer(pair.access.token)), 401, "Token has been revoked");
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
  start({.login_limits = {.max_failures_per_user = 1, .window = seconds(60)}});
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
