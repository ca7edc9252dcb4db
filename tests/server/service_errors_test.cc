// The handlers without sockets: SPEC §3's error table, expiry boundaries,
// error overrides and routing.
#include "server/service_fixture.h"

namespace jwtguard::server {
namespace {

using namespace service_tests;  // NOLINT(google-build-using-namespace): the fixture's helpers

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
  Response response = service_->errors()->for_error(request, Error(Errc::kFreshTokenRequired));
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
  EXPECT_ERRC(Service::create(parts(), options), Errc::kInvalidArgument);
}

TEST_F(ServiceTest, OverrideBodyThatIsNotAJsonObjectFailsCreate) {
  ServiceOptions options{.errors = {{"revoked", ErrorOverride{.body = "[1, 2]"}}}};
  EXPECT_ERRC(Service::create(parts(), options), Errc::kInvalidArgument);
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

}  // namespace
}  // namespace jwtguard::server
