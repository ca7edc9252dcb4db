// The service's side of the session rules: the sessions list shows each
// session's ends, a retired refresh token within the reuse interval is
// answered, and a session past its limit is refused.
#include "server/service_fixture.h"

namespace jwtguard::server {
namespace {

using namespace service_tests;  // NOLINT(google-build-using-namespace): the fixture's helpers
using std::chrono::hours;
using std::chrono::seconds;

TEST_F(ServiceTest, SessionsShowNoEndsWithoutLimits) {
  TokenPair pair = tokens();
  json sessions = body_of(get("/auth/sessions", bearer(pair.access.token)))["sessions"];
  ASSERT_EQ(sessions.size(), 1u) << sessions;
  EXPECT_TRUE(sessions[0]["ends_at"].is_null()) << sessions;
  EXPECT_TRUE(sessions[0]["idle_ends_at"].is_null()) << sessions;
}

TEST_F(ServiceTest, SessionsShowWhenTheirLimitsEndThem) {
  GuardOptions limited = guard_options();
  limited.session_max_lifetime = hours(12);
  limited.session_idle_timeout = hours(1);
  start({}, limited);
  const std::int64_t login_at = to_unix_seconds(clock_.now());
  TokenPair pair = tokens();
  clock_.advance(std::chrono::minutes(10));
  json refreshed = body_of(post("/auth/refresh", bearer(pair.refresh.token)));
  ASSERT_TRUE(refreshed["access_token"].is_string()) << refreshed;
  const std::int64_t refreshed_at = to_unix_seconds(clock_.now());
  json sessions = body_of(
      get("/auth/sessions", bearer(refreshed["access_token"].get<std::string>())))["sessions"];
  ASSERT_EQ(sessions.size(), 1u) << sessions;
  EXPECT_EQ(sessions[0]["ends_at"], login_at + 12 * 3600);
  EXPECT_EQ(sessions[0]["idle_ends_at"], refreshed_at + 3600);
}

TEST_F(ServiceTest, ARetiredRefreshTokenWithinTheReuseIntervalGetsTheSession) {
  GuardOptions grace = guard_options();
  grace.refresh_reuse_interval = seconds(5);
  start({}, grace);
  TokenPair pair = tokens();
  json first = body_of(post("/auth/refresh", bearer(pair.refresh.token)));
  ASSERT_TRUE(first["refresh_token"].is_string()) << first;
  clock_.advance(seconds(5));
  Response again = post("/auth/refresh", bearer(pair.refresh.token));
  ASSERT_EQ(status(again), 200) << again.body();
  json second = body_of(again);
  auto current = guard_->require(first["refresh_token"].get<std::string>(),
                                 {.type = TokenRequirement::kRefresh});
  auto copy = guard_->require(second["refresh_token"].get<std::string>(),
                              {.type = TokenRequirement::kRefresh});
  ASSERT_OK(current);
  ASSERT_OK(copy);
  EXPECT_EQ(copy->claims.jti, current->claims.jti);
  clock_.advance(seconds(1));
  expect_error(post("/auth/refresh", bearer(pair.refresh.token)), 401, "Token has been revoked");
}

TEST_F(ServiceTest, ARefreshAtTheSessionsMaxLifetimeIsExpired) {
  GuardOptions limited = guard_options();
  limited.session_max_lifetime = hours(1);
  start({}, limited);
  TokenPair pair = tokens();
  clock_.advance(hours(1) - seconds(1));
  json last = body_of(post("/auth/refresh", bearer(pair.refresh.token)));
  ASSERT_TRUE(last["refresh_token"].is_string()) << last;
  clock_.advance(seconds(1));
  expect_error(post("/auth/refresh", bearer(last["refresh_token"].get<std::string>())), 401,
               "Token has expired");
}

}  // namespace
}  // namespace jwtguard::server
