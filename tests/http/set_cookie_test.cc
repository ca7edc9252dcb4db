// The Set-Cookie values of HttpGuard, the options HttpGuard::create
// refuses, and HttpError's answer.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "http/http_test_support.h"

namespace jwtguard::testing {
namespace {

using ::testing::ElementsAre;

// Access tokens live 15 minutes (Max-Age=900) and refresh tokens 30 days
// (Max-Age=2592000) by default.
using HttpSetCookieTest = HttpTest;

TEST_F(HttpSetCookieTest, DefaultsAreSecureLaxAndLiveAsLongAsTheirToken) {
  const HttpGuard guard = http();
  const std::string a = pair_.access.token, r = pair_.refresh.token;
  EXPECT_THAT(guard.access_cookies(pair_.access),
              ElementsAre("access_token_cookie=" + a +
                              "; Path=/; Max-Age=900; HttpOnly; Secure; SameSite=Lax",
                          "csrf_access_token=" + pair_.access.csrf +
                              "; Path=/; Max-Age=900; Secure; SameSite=Lax"));
  EXPECT_THAT(guard.refresh_cookies(pair_.refresh),
              ElementsAre("refresh_token_cookie=" + r +
                              "; Path=/; Max-Age=2592000; HttpOnly; Secure; SameSite=Lax",
                          "csrf_refresh_token=" + pair_.refresh.csrf +
                              "; Path=/; Max-Age=2592000; Secure; SameSite=Lax"));
}

TEST_F(HttpSetCookieTest, PairKeepsTheAccessCsrfCookieAsLongAsTheSession) {
  HttpOptions options;
  options.cookies.path = "/api";
  options.cookies.refresh_path = "/api/refresh";
  options.cookies.domain = "example.com";
  options.cookies.same_site = SameSite::kStrict;
  const std::string attributes = "; Domain=example.com; ";
  EXPECT_THAT(http(options).pair_cookies(pair_.access, pair_.refresh),
              ElementsAre("access_token_cookie=" + pair_.access.token + "; Path=/api" + attributes +
                              "Max-Age=900; HttpOnly; Secure; SameSite=Strict",
                          "csrf_access_token=" + pair_.access.csrf + "; Path=/api" + attributes +
                              "Max-Age=2592000; Secure; SameSite=Strict",
                          "refresh_token_cookie=" + pair_.refresh.token + "; Path=/api/refresh" +
                              attributes + "Max-Age=2592000; HttpOnly; Secure; SameSite=Strict",
                          // At the access path, where page script can read it.
                          "csrf_refresh_token=" + pair_.refresh.csrf + "; Path=/api" + attributes +
                              "Max-Age=2592000; Secure; SameSite=Strict"));
}

TEST_F(HttpSetCookieTest, MaxAgeIsTheTokensRemainingLifeRoundedUp) {
  clock_.advance(std::chrono::milliseconds(500));
  auto pair = guard_->login("alice");
  ASSERT_OK(pair);
  const std::string cookie = http().access_cookies(pair->access).front();
  EXPECT_NE(cookie.find("; Max-Age=900;"), std::string::npos) << cookie;
}

TEST_F(HttpSetCookieTest, SessionCookiesHaveNoMaxAge) {
  HttpOptions options;
  options.cookies.session_cookies = true;
  options.cookies.secure = false;
  for (const std::string& cookie : http(options).pair_cookies(pair_.access, pair_.refresh)) {
    EXPECT_EQ(cookie.find("Max-Age"), std::string::npos) << cookie;
    EXPECT_EQ(cookie.find("Secure"), std::string::npos) << cookie;
  }
}

TEST_F(HttpSetCookieTest, WithoutCsrfProtectionNoCsrfCookies) {
  HttpOptions options;
  options.cookies.csrf_protect = false;
  const HttpGuard guard = http(options);
  ASSERT_EQ(guard.pair_cookies(pair_.access, pair_.refresh).size(), 2u);
  EXPECT_EQ(guard.unset_cookies().size(), 4u);  // they may have been set before
}

TEST_F(HttpSetCookieTest, UnsetExpiresAllFourWithTheirOwnPathAndDomain) {
  HttpOptions options;
  options.cookies.path = "/app";
  options.cookies.refresh_path = "/app/refresh";
  options.cookies.domain = ".example.org";
  options.cookies.same_site = SameSite::kNone;
  const std::string tail = "; Domain=.example.org; Max-Age=0";
  EXPECT_THAT(
      http(options).unset_cookies(),
      ElementsAre(
          "access_token_cookie=; Path=/app" + tail + "; HttpOnly; Secure; SameSite=None",
          "refresh_token_cookie=; Path=/app/refresh" + tail + "; HttpOnly; Secure; SameSite=None",
          "csrf_access_token=; Path=/app" + tail + "; Secure; SameSite=None",
          "csrf_refresh_token=; Path=/app" + tail + "; Secure; SameSite=None"));
}

TEST_F(HttpSetCookieTest, CustomNames) {
  HttpOptions options;
  options.cookies.access_cookie = "__Host-at";
  options.cookies.access_csrf_cookie = "__Secure-csrf";
  const std::vector<std::string> cookies = http(options).access_cookies(pair_.access);
  ASSERT_EQ(cookies.size(), 2u);
  EXPECT_TRUE(cookies[0].starts_with("__Host-at=" + pair_.access.token + "; Path=/;"));
  EXPECT_TRUE(cookies[1].starts_with("__Secure-csrf=" + pair_.access.csrf + ";"));
}

// --- HttpGuard::create's refusals --------------------------------------------

struct Refused {
  const char* why;
  void (*change)(HttpOptions&);
};

const Refused kRefused[] = {
    {"no location", [](HttpOptions& o) { o.locations.clear(); }},
    {"a location twice",
     [](HttpOptions& o) {
       o.locations = {TokenLocation::kCookies, TokenLocation::kCookies};
     }},
    {"cookie name with a space", [](HttpOptions& o) { o.cookies.access_cookie = "access token"; }},
    {"cookie name with ';'", [](HttpOptions& o) { o.cookies.refresh_cookie = "a;b"; }},
    {"empty cookie name", [](HttpOptions& o) { o.cookies.access_csrf_cookie = ""; }},
    {"cookie name with '='", [](HttpOptions& o) { o.cookies.refresh_csrf_cookie = "a=b"; }},
    {"access and refresh cookie alike",
     [](HttpOptions& o) { o.cookies.refresh_cookie = o.cookies.access_cookie; }},
    {"csrf header name", [](HttpOptions& o) { o.cookies.csrf_header = "X CSRF"; }},
    {"csrf method",
     [](HttpOptions& o) {
       o.cookies.csrf_methods = {"POST", "DE LETE"};
     }},
    {"domain with ';'", [](HttpOptions& o) { o.cookies.domain = "example.com; Path=/x"; }},
    {"domain with ','", [](HttpOptions& o) { o.cookies.domain = "a.com,b.com"; }},
    {"domain with a space", [](HttpOptions& o) { o.cookies.domain = "example .com"; }},
    {"domain with a control", [](HttpOptions& o) { o.cookies.domain = "example.com\r\n"; }},
    {"path not from /", [](HttpOptions& o) { o.cookies.path = "api"; }},
    {"empty path", [](HttpOptions& o) { o.cookies.path = ""; }},
    {"refresh path with ';'", [](HttpOptions& o) { o.cookies.refresh_path = "/r;HttpOnly"; }},
    {"SameSite=None without Secure",
     [](HttpOptions& o) {
       o.cookies.same_site = SameSite::kNone;
       o.cookies.secure = false;
     }},
    {"__Host- not Secure",
     [](HttpOptions& o) {
       o.cookies.access_cookie = "__Host-a";
       o.cookies.secure = false;
     }},
    {"__Host- at another path",
     [](HttpOptions& o) {
       o.cookies.refresh_cookie = "__Host-r";
       o.cookies.refresh_path = "/refresh";
     }},
    {"__Host- with a domain",
     [](HttpOptions& o) {
       o.cookies.access_csrf_cookie = "__Host-c";
       o.cookies.domain = "example.com";
     }},
    {"__Secure- not Secure",
     [](HttpOptions& o) {
       o.cookies.refresh_csrf_cookie = "__Secure-c";
       o.cookies.secure = false;
     }},
    {"negative refresh window",
     [](HttpOptions& o) { o.cookies.refresh_access_within = std::chrono::seconds(-1); }},
    {"query string name", [](HttpOptions& o) { o.query_string_name = "j w t"; }},
    {"zero token limit", [](HttpOptions& o) { o.token_limit = 0; }},
};

TEST_F(HttpSetCookieTest, CreateRefusesOptionsThatCannotWork) {
  for (const Refused& refused : kRefused) {
    SCOPED_TRACE(refused.why);
    HttpOptions options;
    refused.change(options);
    EXPECT_ERRC(HttpGuard::create(*guard_, options), Errc::kInvalidArgument);
  }
}

TEST_F(HttpSetCookieTest, CreateAcceptsTheEdgesOfThoseRules) {
  HttpOptions options;
  options.locations = {TokenLocation::kQueryString, TokenLocation::kCookies,
                       TokenLocation::kHeaders};
  options.cookies.same_site = SameSite::kNone;  // Secure is on
  options.cookies.access_cookie = "__Host-access";
  options.cookies.refresh_csrf_cookie = "__Secure-csrf";
  options.cookies.refresh_path = "/auth/refresh";
  options.cookies.csrf_methods = {};
  options.token_limit = 1;
  EXPECT_OK(HttpGuard::create(*guard_, options));
}

// --- HttpError's answer ----------------------------------------------------------

HttpError error_of(HttpError::Kind kind, int status, std::string message) {
  return HttpError{kind, Error(Errc::kMissingToken), status, std::move(message)};
}

TEST(HttpErrorTest, ChallengeForEachKind) {
  using Kind = HttpError::Kind;
  const std::string bare = "Bearer realm=\"jwtguard\"";
  EXPECT_EQ(error_of(Kind::kMissingToken, 401, "m").www_authenticate(), bare);
  EXPECT_EQ(error_of(Kind::kWrongScheme, 401, "m").www_authenticate(), bare);
  EXPECT_EQ(error_of(Kind::kMissingCsrf, 401, "m").www_authenticate(),
            bare + ", error=\"invalid_request\", error_description=\"m\"");
  EXPECT_EQ(error_of(Kind::kCsrfMismatch, 401, "m").www_authenticate(),
            bare + ", error=\"invalid_request\", error_description=\"m\"");
  EXPECT_EQ(error_of(Kind::kToken, 401, "m").www_authenticate(),
            bare + ", error=\"invalid_token\", error_description=\"m\"");
  EXPECT_EQ(error_of(Kind::kServer, 401, "m").www_authenticate(),
            bare + ", error=\"invalid_token\", error_description=\"m\"");
  // Not a 401: no challenge.
  EXPECT_EQ(error_of(Kind::kBadAuthorizationHeader, 422, "m").www_authenticate(), "");
  EXPECT_EQ(error_of(Kind::kBadCookie, 422, "m").www_authenticate(), "");
  EXPECT_EQ(error_of(Kind::kToken, 422, "m").www_authenticate(), "");
  EXPECT_EQ(error_of(Kind::kServer, 503, "m").www_authenticate(), "");
}

TEST(HttpErrorTest, ChallengeDescriptionKeepsToPrintableAsciiWithoutQuotes) {
  EXPECT_EQ(error_of(HttpError::Kind::kToken, 401, "a \"b\" c\\d\n\x7f\xc3\xa9").www_authenticate(),
            "Bearer realm=\"jwtguard\", error=\"invalid_token\", error_description=\"a 'b' cd\"");
}

TEST(HttpErrorTest, BodyIsJsonWithEscapes) {
  EXPECT_EQ(error_of(HttpError::Kind::kToken, 401, "say \"hi\"\n").body(),
            R"({"msg":"say \"hi\"\n"})");
  EXPECT_EQ(error_of(HttpError::Kind::kToken, 401, "\xff").body(), "{\"msg\":\"\xef\xbf\xbd\"}");
}

TEST(HttpErrorTest, StatusesOfTokenErrors) {
  for (Errc code : {Errc::kMissingToken, Errc::kExpired, Errc::kRevoked, Errc::kSuspended,
                    Errc::kFreshTokenRequired}) {
    EXPECT_EQ(http_status(code), 401) << error_name(code);
  }
  for (Errc code : {Errc::kMalformed, Errc::kBadSignature, Errc::kRefreshTokenNotAllowed,
                    Errc::kAccessTokenNotAllowed, Errc::kTokenTooLarge, Errc::kWrongAudience}) {
    EXPECT_EQ(http_status(code), 422) << error_name(code);
  }
  EXPECT_EQ(http_status(Errc::kStore), 503);
  EXPECT_EQ(http_status(Errc::kCrypto), 500);
  EXPECT_EQ(http_status(Errc::kInvalidArgument), 400);
  EXPECT_EQ(http_status(Errc::kNotFound), 404);
  EXPECT_EQ(http_status(Errc::kAlreadyExists), 409);
}

TEST(HttpNamesTest, LocationAndSameSiteNamesRoundTrip) {
  for (TokenLocation l :
       {TokenLocation::kHeaders, TokenLocation::kCookies, TokenLocation::kQueryString}) {
    EXPECT_EQ(parse_token_location(token_location_name(l)), l);
  }
  EXPECT_EQ(parse_token_location("cookie"), std::nullopt);
  EXPECT_EQ(parse_same_site("sTrIcT"), SameSite::kStrict);
  EXPECT_EQ(same_site_name(SameSite::kNone), "None");
  EXPECT_EQ(parse_same_site("none"), SameSite::kNone);
  EXPECT_EQ(parse_same_site("lax"), SameSite::kLax);
  EXPECT_EQ(parse_same_site("off"), std::nullopt);
}

}  // namespace
}  // namespace jwtguard::testing
