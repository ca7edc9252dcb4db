// The double-submit CSRF rule of HttpGuard::require(): which requests it
// covers, and its two refusals.
#include <gtest/gtest.h>

#include "http/http_test_support.h"

namespace jwtguard::testing {
namespace {

using Kind = HttpError::Kind;

class HttpCsrfTest : public HttpTest {
 protected:
  void SetUp() override {
    HttpTest::SetUp();
    options_.locations = {TokenLocation::kHeaders, TokenLocation::kCookies};
  }
  // A request of `method` carrying the access token in its cookie.
  FakeRequest by_cookie(std::string method) const {
    FakeRequest request(std::move(method));
    request.cookie("access_token_cookie", pair_.access.token);
    return request;
  }
  static void expect_refusal(const HttpResult& result, Kind kind, std::string_view message) {
    ASSERT_FALSE(result.has_value()) << "passed";
    EXPECT_EQ(static_cast<int>(result.error().kind), static_cast<int>(kind));
    EXPECT_EQ(result.error().status, 401);
    EXPECT_EQ(result.error().message, message);
  }

  HttpOptions options_;
};

TEST_F(HttpCsrfTest, TokensCarryACsrfClaimOfAtLeast128Bits) {
  EXPECT_GE(pair_.access.csrf.size(), 22u);
  EXPECT_NE(pair_.access.csrf, pair_.refresh.csrf);
}

TEST_F(HttpCsrfTest, StateChangingMethodsByCookieNeedTheHeader) {
  const HttpGuard guard = http(options_);
  for (const char* method : {"POST", "PUT", "PATCH", "DELETE"}) {
    SCOPED_TRACE(method);
    expect_refusal(guard.require(by_cookie(method)), Kind::kMissingCsrf, "Missing CSRF token");
    expect_refusal(guard.require(by_cookie(method).header("X-CSRF-TOKEN", " \t")),
                   Kind::kMissingCsrf, "Missing CSRF token");
    expect_refusal(guard.require(by_cookie(method).header("X-CSRF-TOKEN", pair_.refresh.csrf)),
                   Kind::kCsrfMismatch, "CSRF double submit tokens do not match");
    auto right = guard.require(by_cookie(method).header("x-csrf-token", " " + pair_.access.csrf));
    ASSERT_PASSES(right);
    EXPECT_EQ(right->location, TokenLocation::kCookies);
  }
}

TEST_F(HttpCsrfTest, TheValueComparedIsTheWholeClaim) {
  const HttpGuard guard = http(options_);
  std::string near = pair_.access.csrf;
  near.back() = near.back() == 'A' ? 'B' : 'A';
  expect_refusal(guard.require(by_cookie("POST").header("X-CSRF-TOKEN", near)), Kind::kCsrfMismatch,
                 "CSRF double submit tokens do not match");
  expect_refusal(guard.require(by_cookie("POST").header("X-CSRF-TOKEN", pair_.access.csrf + "x")),
                 Kind::kCsrfMismatch, "CSRF double submit tokens do not match");
  // Only the first header counts.
  expect_refusal(
      guard.require(
          by_cookie("POST").header("X-CSRF-TOKEN", near).header("X-CSRF-TOKEN", pair_.access.csrf)),
      Kind::kCsrfMismatch, "CSRF double submit tokens do not match");
}

TEST_F(HttpCsrfTest, ATokenWithoutClaimNeverMatches) {
  TokenRequest request{.subject = "carol"};
  GuardOptions plain;
  plain.background = false;
  auto key = Key::from_secret("0123456789abcdef0123456789abcdef");
  auto other = Guard::open(*std::move(key), KeySet(), open_memory_store(), plain, clock_);
  ASSERT_OK(other);
  auto token = (*other)->issue(request);
  ASSERT_OK(token);
  ASSERT_TRUE(token->csrf.empty());
  auto guard = HttpGuard::create(**other, options_);
  ASSERT_OK(guard);
  FakeRequest post("POST");
  post.cookie("access_token_cookie", token->token).header("X-CSRF-TOKEN", "anything");
  expect_refusal(guard->require(post), Kind::kCsrfMismatch,
                 "CSRF double submit tokens do not match");
}

TEST_F(HttpCsrfTest, ReadsAndHeaderTokensNeedNone) {
  const HttpGuard guard = http(options_);
  for (const char* method : {"GET", "HEAD", "OPTIONS"}) {
    SCOPED_TRACE(method);
    EXPECT_PASSES(guard.require(by_cookie(method)));
  }
  FakeRequest header("DELETE");
  header.bearer(pair_.access.token);
  EXPECT_PASSES(guard.require(header));
}

TEST_F(HttpCsrfTest, PresenceIsCheckedBeforeTheTokenIsDecoded) {
  FakeRequest garbage("POST");
  garbage.cookie("access_token_cookie", "not-a-token");
  expect_refusal(http(options_).require(garbage), Kind::kMissingCsrf, "Missing CSRF token");
}

TEST_F(HttpCsrfTest, MethodOverrideAppliesTheRuleToTheOriginalMethod) {
  const HttpGuard guard = http(options_);
  expect_refusal(guard.require(by_cookie("GET"), {}, "DELETE"), Kind::kMissingCsrf,
                 "Missing CSRF token");
  EXPECT_PASSES(
      guard.require(by_cookie("GET").header("X-CSRF-TOKEN", pair_.access.csrf), {}, "PUT"));
  EXPECT_PASSES(guard.require(by_cookie("POST"), {}, "GET"));
}

TEST_F(HttpCsrfTest, RefreshCookieIsCheckedAgainstTheRefreshTokensClaim) {
  options_.locations = {TokenLocation::kCookies};
  const HttpGuard guard = http(options_);
  FakeRequest post("POST");
  post.cookie("refresh_token_cookie", pair_.refresh.token);
  FakeRequest with_access_value = post;
  with_access_value.header("X-CSRF-TOKEN", pair_.access.csrf);
  expect_refusal(guard.require(with_access_value, kRefreshOnly), Kind::kCsrfMismatch,
                 "CSRF double submit tokens do not match");
  post.header("X-CSRF-TOKEN", pair_.refresh.csrf);
  EXPECT_PASSES(guard.require(post, kRefreshOnly));
}

TEST_F(HttpCsrfTest, OffWhenProtectionIsOffAndConfigurable) {
  options_.cookies.csrf_protect = false;
  EXPECT_PASSES(http(options_).require(by_cookie("DELETE")));

  options_.cookies.csrf_protect = true;
  options_.cookies.csrf_header = "X-XSRF";
  options_.cookies.csrf_methods = {"PURGE"};
  const HttpGuard guard = http(options_);
  EXPECT_PASSES(guard.require(by_cookie("POST")));
  expect_refusal(guard.require(by_cookie("PURGE").header("X-CSRF-TOKEN", pair_.access.csrf)),
                 Kind::kMissingCsrf, "Missing CSRF token");
  EXPECT_PASSES(guard.require(by_cookie("PURGE").header("X-XSRF", pair_.access.csrf)));
}

TEST_F(HttpCsrfTest, RefusalsChallengeWithInvalidRequest) {
  auto missing = http(options_).require(by_cookie("POST"));
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().www_authenticate(),
            "Bearer realm=\"jwtguard\", error=\"invalid_request\", "
            "error_description=\"Missing CSRF token\"");
  EXPECT_EQ(missing.error().body(), R"({"msg":"Missing CSRF token"})");
}

}  // namespace
}  // namespace jwtguard::testing
