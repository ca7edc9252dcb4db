// HttpGuard::require(): where a token is looked for, and the status and
// message of every way it is not there or not usable.
#include <gtest/gtest.h>

#include "http/http_test_support.h"
#include "http/token_sources.h"

namespace jwtguard::testing {
namespace {

using Kind = HttpError::Kind;
using Location = TokenLocation;

constexpr std::string_view kWrongScheme =
    "Missing 'Bearer' type in 'Authorization' header. Expected 'Authorization: Bearer <JWT>'";
constexpr std::string_view kBadHeader =
    "Bad Authorization header. Expected 'Authorization: Bearer <JWT>'";

class HttpTokenLocationsTest : public HttpTest {
 protected:
  // The refusal of `request`, or a failed test when it passed.
  static HttpError refusal(const HttpGuard& http, const RequestView& request,
                           const Requirements& requirements = {}) {
    auto result = http.require(request, requirements);
    EXPECT_FALSE(result.has_value()) << "passed";
    if (result) return HttpError{HttpError::Kind::kServer, Error(Errc::kInvalidArgument), 0, {}};
    return result.error();
  }
  static void expect_refusal(const HttpError& error, Kind kind, int status,
                             std::string_view message) {
    EXPECT_EQ(static_cast<int>(error.kind), static_cast<int>(kind));
    EXPECT_EQ(error.status, status);
    EXPECT_EQ(error.message, message);
  }
};

TEST_F(HttpTokenLocationsTest, BearerHeaderPasses) {
  auto result = http().require(FakeRequest().bearer(pair_.access.token));
  ASSERT_PASSES(result);
  EXPECT_EQ(result->token.claims.jti, pair_.access.jti);
  EXPECT_EQ(result->location, Location::kHeaders);
}

TEST_F(HttpTokenLocationsTest, EachLocationAloneSaysWhatItMissed) {
  expect_refusal(refusal(http(), FakeRequest()), Kind::kMissingToken, 401,
                 "Missing Authorization Header");
  expect_refusal(refusal(http(locations({Location::kCookies})), FakeRequest()), Kind::kMissingToken,
                 401, "Missing cookie \"access_token_cookie\"");
  expect_refusal(refusal(http(locations({Location::kQueryString})), FakeRequest()),
                 Kind::kMissingToken, 401, "Missing \"jwt\" query parameter");
}

TEST_F(HttpTokenLocationsTest, SeveralLocationsCombineTheirMessagesInOrder) {
  const HttpGuard two = http(locations({Location::kHeaders, Location::kCookies}));
  expect_refusal(refusal(two, FakeRequest()), Kind::kMissingToken, 401,
                 "Missing JWT in headers or cookies (Missing Authorization Header; Missing "
                 "cookie \"access_token_cookie\")");
  const HttpGuard three =
      http(locations({Location::kCookies, Location::kQueryString, Location::kHeaders}));
  expect_refusal(refusal(three, FakeRequest()), Kind::kMissingToken, 401,
                 "Missing JWT in cookies or query_string or headers (Missing cookie "
                 "\"access_token_cookie\"; Missing \"jwt\" query parameter; Missing "
                 "Authorization Header)");
}

TEST_F(HttpTokenLocationsTest, AnotherSchemeIsA401AndLetsTheNextLocationTry) {
  const FakeRequest basic = FakeRequest().header("Authorization", "Basic dXNlcjpwYXNz");
  const HttpError alone = refusal(http(), basic);
  expect_refusal(alone, Kind::kWrongScheme, 401, kWrongScheme);
  EXPECT_EQ(alone.www_authenticate(), "Bearer realm=\"jwtguard\"");
  // The scheme is case-sensitive, as Flask-JWT-Extended's.
  expect_refusal(refusal(http(), FakeRequest().header("Authorization", "bearer x")),
                 Kind::kWrongScheme, 401, kWrongScheme);

  const HttpGuard both = http(locations({Location::kHeaders, Location::kCookies}));
  expect_refusal(refusal(both, basic), Kind::kMissingToken, 401,
                 "Missing JWT in headers or cookies (" + std::string(kWrongScheme) +
                     "; Missing cookie \"access_token_cookie\")");
  FakeRequest with_cookie = basic;
  with_cookie.cookie("access_token_cookie", pair_.access.token);
  auto result = both.require(with_cookie);
  ASSERT_PASSES(result);
  EXPECT_EQ(result->location, Location::kCookies);
}

TEST_F(HttpTokenLocationsTest, MalformedBearerHeadersAre422) {
  for (const char* value : {"Bearer", "Bearer ", "Bearer a b", "Bearer  token"}) {
    SCOPED_TRACE(value);
    expect_refusal(refusal(http(), FakeRequest().header("Authorization", value)),
                   Kind::kBadAuthorizationHeader, 422, kBadHeader);
  }
  // A blank header is a missing one; surrounding blanks are not part of it.
  expect_refusal(refusal(http(), FakeRequest().header("Authorization", "  \t")),
                 Kind::kMissingToken, 401, "Missing Authorization Header");
  EXPECT_PASSES(http().require(
      FakeRequest().header("Authorization", " Bearer " + pair_.access.token + " \t")));
}

TEST_F(HttpTokenLocationsTest, TwoAuthorizationHeadersAre422EvenWhenBothAreGood) {
  const HttpError error =
      refusal(http(), FakeRequest().bearer(pair_.access.token).bearer(pair_.access.token));
  expect_refusal(error, Kind::kBadAuthorizationHeader, 422,
                 "Bad Authorization header: more than one. Expected 'Authorization: Bearer "
                 "<JWT>'");
  EXPECT_EQ(error.www_authenticate(), "");
}

TEST_F(HttpTokenLocationsTest, TokenCookieTwiceIs422InOneHeaderOrTwo) {
  const HttpGuard cookies = http(locations({Location::kCookies}));
  const std::string token = pair_.access.token;
  const std::string message =
      "Bad cookie header: cookie \"access_token_cookie\" sent more than once";
  expect_refusal(
      refusal(cookies, FakeRequest().header("Cookie", "access_token_cookie=" + token +
                                                          "; access_token_cookie=" + token)),
      Kind::kBadCookie, 422, message);
  expect_refusal(refusal(cookies, FakeRequest()
                                      .cookie("access_token_cookie", token)
                                      .cookie("access_token_cookie", "other")),
                 Kind::kBadCookie, 422, message);
}

TEST_F(HttpTokenLocationsTest, CookieValuesQuotedEmptyAndAmongOthers) {
  const HttpGuard cookies = http(locations({Location::kCookies}));
  const std::string token = pair_.access.token;
  auto quoted = cookies.require(FakeRequest().cookie("access_token_cookie", "\"" + token + "\""));
  ASSERT_PASSES(quoted);
  EXPECT_EQ(quoted->token.claims.jti, pair_.access.jti);
  expect_refusal(refusal(cookies, FakeRequest().cookie("access_token_cookie", "")),
                 Kind::kMissingToken, 401, "Missing cookie \"access_token_cookie\"");
  // An empty one beside the real one does not count as a second.
  EXPECT_PASSES(cookies.require(FakeRequest().header(
      "Cookie", "theme=dark;access_token_cookie=; x ;access_token_cookie=" + token)));
  // Names compare exactly.
  expect_refusal(refusal(cookies, FakeRequest().cookie("Access_Token_Cookie", token)),
                 Kind::kMissingToken, 401, "Missing cookie \"access_token_cookie\"");
}

TEST_F(HttpTokenLocationsTest, QueryStringOnlyOnAWebSocketUpgradeGet) {
  const HttpGuard query = http(locations({Location::kQueryString}));
  const std::string token = pair_.access.token;
  auto upgrade =
      query.require(FakeRequest("GET").header("Upgrade", "h2c, WebSocket").query("jwt", token));
  ASSERT_PASSES(upgrade);
  EXPECT_EQ(upgrade->location, Location::kQueryString);
  const std::string missing = "Missing \"jwt\" query parameter";
  expect_refusal(refusal(query, FakeRequest("GET").query("jwt", token)), Kind::kMissingToken, 401,
                 missing);
  expect_refusal(
      refusal(query, FakeRequest("POST").header("Upgrade", "websocket").query("jwt", token)),
      Kind::kMissingToken, 401, missing);
  expect_refusal(refusal(query, FakeRequest("GET").header("Upgrade", "h2c").query("jwt", token)),
                 Kind::kMissingToken, 401, missing);
  expect_refusal(refusal(query, FakeRequest("GET").header("Upgrade", "websocket").query("jwt", "")),
                 Kind::kMissingToken, 401, missing);
}

TEST_F(HttpTokenLocationsTest, RefreshLooksInTheRefreshCookieOnlyAndAnyInBoth) {
  const HttpGuard cookies = http(locations({Location::kCookies}));
  const FakeRequest access_only = FakeRequest().cookie("access_token_cookie", pair_.access.token);
  const FakeRequest refresh_only =
      FakeRequest().cookie("refresh_token_cookie", pair_.refresh.token);
  FakeRequest both = access_only;
  both.cookie("refresh_token_cookie", pair_.refresh.token);

  expect_refusal(refusal(cookies, access_only, kRefreshOnly), Kind::kMissingToken, 401,
                 "Missing cookie \"refresh_token_cookie\"");
  auto refresh = cookies.require(both, kRefreshOnly);
  ASSERT_PASSES(refresh);
  EXPECT_EQ(refresh->token.claims.jti, pair_.refresh.jti);
  expect_refusal(refusal(cookies, refresh_only), Kind::kMissingToken, 401,
                 "Missing cookie \"access_token_cookie\"");

  auto any = cookies.require(refresh_only, kAnyType);
  ASSERT_PASSES(any);
  EXPECT_EQ(any->token.claims.jti, pair_.refresh.jti);
  auto access_first = cookies.require(both, kAnyType);
  ASSERT_PASSES(access_first);
  EXPECT_EQ(access_first->token.claims.jti, pair_.access.jti);
  expect_refusal(refusal(cookies, FakeRequest(), kAnyType), Kind::kMissingToken, 401,
                 "Missing JWT in cookies (Missing cookie \"access_token_cookie\"; Missing cookie "
                 "\"refresh_token_cookie\")");
}

TEST_F(HttpTokenLocationsTest, TokenLimitRefusesBeforeParsing) {
  HttpOptions options;
  options.token_limit = pair_.access.token.size() - 1;
  const HttpError error = refusal(http(options), FakeRequest().bearer(pair_.access.token));
  EXPECT_EQ(static_cast<int>(error.kind), static_cast<int>(Kind::kToken));
  EXPECT_EQ(error.error.code(), Errc::kTokenTooLarge);
  EXPECT_EQ(error.status, 422);
  options.token_limit = pair_.access.token.size();
  EXPECT_PASSES(http(options).require(FakeRequest().bearer(pair_.access.token)));
}

TEST_F(HttpTokenLocationsTest, RefusedTokensGetFlaskStatusesAndMessages) {
  const HttpError refresh_here = refusal(http(), FakeRequest().bearer(pair_.refresh.token));
  expect_refusal(refresh_here, Kind::kToken, 422, "Only non-refresh tokens are allowed");
  EXPECT_EQ(refresh_here.www_authenticate(), "");

  ASSERT_OK(guard_->revoke_session(pair_.access.sid));
  const HttpError revoked = refusal(http(), FakeRequest().bearer(pair_.access.token));
  expect_refusal(revoked, Kind::kToken, 401, "Token has been revoked");
  EXPECT_EQ(revoked.error.code(), Errc::kRevoked);
  EXPECT_EQ(revoked.www_authenticate(),
            "Bearer realm=\"jwtguard\", error=\"invalid_token\", error_description=\"Token has "
            "been revoked\"");

  auto fresh = guard_->login("bob");
  ASSERT_OK(fresh);
  clock_.advance(std::chrono::hours(2));
  expect_refusal(refusal(http(), FakeRequest().bearer(fresh->access.token)), Kind::kToken, 401,
                 "Token has expired");
}

TEST_F(HttpTokenLocationsTest, OptionalWithoutATokenPassesEmpty) {
  auto result = http(locations({Location::kHeaders, Location::kCookies}))
                    .require(FakeRequest(), {.optional = true});
  ASSERT_PASSES(result);
  EXPECT_TRUE(result->token.empty());
}

std::vector<std::string> cookies_named(std::string_view header, std::string_view name) {
  std::vector<std::string> out;
  http::each_cookie(header, name, [&](std::string_view v) { out.emplace_back(v); });
  return out;
}

TEST(HttpEachCookieTest, SplitsTrimsAndUnquotes) {
  using V = std::vector<std::string>;
  EXPECT_EQ(cookies_named("a=1; b=2;c=3", "b"), V{"2"});
  EXPECT_EQ(cookies_named("a=1; b=2;c=3", "c"), V{"3"});
  EXPECT_EQ(cookies_named(" a = 1 ;a=\"2\";a=\"\";a=", "a"), (V{"1", "2", "", ""}));
  EXPECT_EQ(cookies_named("a; b=; =a; ab=1; A=1", "a"), V{});
  EXPECT_EQ(cookies_named("a=x=y; a=\"", "a"), (V{"x=y", "\""}));
  EXPECT_EQ(cookies_named("", "a"), V{});
  EXPECT_EQ(cookies_named(";;;", "a"), V{});
}

}  // namespace
}  // namespace jwtguard::testing
