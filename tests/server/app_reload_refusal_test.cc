// App::reload under attack: a configuration the Service refuses must leave
// the Guard as it was (keys, lifetimes, the horizon), and a reloadable
// setting bounded by a restart-only one must not pass that bound.
#include <atomic>
#include <thread>

#include "app_reload_fixture.h"
#include "server/reload_plan.h"

namespace jwtguard::server::reload_tests {
namespace {

// Loads as a file but fails the Service's own check (HttpGuard's cookie
// rules): SameSite=None without secure.
constexpr std::string_view kServiceRefuses = "[cookies]\nsecure = false\nsamesite = \"None\"\n";

TEST_F(ReloadTest, AReloadTheServiceRefusesNeverTouchesTheGuard) {
  start(toml("keys.kid = \"k1\"", "[tokens]\nrefresh_ttl = \"1d\"\n"));
  const std::string bad =
      toml("keys.kid = \"k2\"", "[tokens]\nrefresh_ttl = \"30d\"\n" + std::string(kServiceRefuses));
  ASSERT_OK(load(bad));  // the file itself passes load_serve_config
  auto refused = reload(bad);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), Errc::kInvalidArgument);
  EXPECT_NE(refused.error().detail().find("samesite None needs secure"), std::string::npos)
      << refused.error().detail();
  // The refused 30-day lifetime did not widen what the Guard issues.
  TokenRequest request;
  request.subject = "ivy";
  request.ttl = std::chrono::hours(48);
  EXPECT_FALSE(app_->guard().issue(request).has_value());
  auto pair = app_->guard().login("ivy");
  ASSERT_OK(pair);
  EXPECT_EQ(kid_of(pair->access.token), "k1");
}

// While such reloads are refused again and again, no token is ever signed
// by the refused key: the Guard never held it, not even for a moment.
TEST_F(ReloadTest, NoTokenIsSignedWithTheKeyOfARefusedReload) {
  write_jwks({"k1"});
  start(toml("keys.kid = \"k1\""));
  std::atomic<bool> done{false};
  std::atomic<int> signed_by_other{0}, issued{0};
  std::thread issuing([&] {
    for (int i = 0; i < 1000000 && !done; ++i, ++issued) {
      auto pair = app_->guard().login("jack");
      if (!pair || kid_of(pair->access.token) != "k1") ++signed_by_other;
    }
  });
  // A set with k2 alone: the refused reload would sign with k2, and
  // k1's tokens would stop verifying.
  const std::string other = (dir_.path() / "other.jwks").string();
  std::ofstream(other) << json{{"keys", json::array({jwks_["k2"]})}}.dump();
  std::string bad = toml("keys.kid = \"k2\"", std::string(kServiceRefuses));
  bad.replace(bad.find(jwks_path()), jwks_path().size(), other);
  int refused = 0;
  for (int i = 0; i < 300; ++i) refused += reload(bad).has_value() ? 0 : 1;
  done = true;
  issuing.join();
  EXPECT_EQ(refused, 300);
  EXPECT_EQ(signed_by_other.load(), 0) << "of " << issued.load();
}

// http.header_limit needs a restart; http.token_limit does not, but may
// never exceed the header limit in force (a token travels in a header).
TEST_F(ReloadTest, TheTokenLimitNeverPassesTheRunningHeaderLimit) {
  start(toml("keys.kid = \"k1\""));  // header_limit 16 KiB, token_limit 8 KiB
  const std::string text =
      toml("keys.kid = \"k1\"\nhttp.header_limit = \"64KiB\"\nhttp.token_limit = \"64KiB\"");
  auto report = reload(text);
  if (report) {
    EXPECT_EQ(report->restart_needed,
              (std::vector<std::string>{"http.header_limit", "http.token_limit"}));
    EXPECT_TRUE(report->changed.empty()) << join_names(report->changed);
  }
  EXPECT_LE(app_->guard().verifier()->options().max_token_size, 16u * 1024);
  // Within the running header limit, it changes as any reloadable setting.
  auto within = reload(
      toml("keys.kid = \"k1\"\nhttp.header_limit = \"64KiB\"\nhttp.token_limit = \"12KiB\""));
  ASSERT_OK(within);
  EXPECT_EQ(within->changed, (std::vector<std::string>{"http.token_limit"}));
  EXPECT_EQ(within->restart_needed, (std::vector<std::string>{"http.header_limit"}));
  EXPECT_EQ(app_->guard().verifier()->options().max_token_size, 12u * 1024);
}

}  // namespace
}  // namespace jwtguard::server::reload_tests
