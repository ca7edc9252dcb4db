// RemoteJwks driven by a FakeClock (no background thread) against a real
// HTTP server on loopback: the first load, the cache lifetime, unknown kids
// and their cooldown, rotation, redirects.
#include "jwtguard/remote_jwks.h"

#include <gtest/gtest.h>

#include <thread>

#include "keys_remote/remote_fixture.h"

namespace jwtguard::testing {
namespace {

using std::chrono::seconds;

class RemoteJwksTest : public ::testing::Test {
 protected:
  std::shared_ptr<RemoteJwks> make(RemoteJwksOptions options) {
    options.on_fetch = log_.observer();
    auto jwks = RemoteJwks::create(std::move(options), &clock_);
    EXPECT_TRUE(jwks.has_value()) << jwks.error().message();
    return jwks ? *jwks : nullptr;
  }
  // A source on the server's /jwks that has loaded `keys`.
  std::shared_ptr<RemoteJwks> loaded(const std::vector<Key>& keys) {
    server_.answer("/jwks", serving(keys));
    auto jwks = make(manual_options(server_.url()));
    EXPECT_TRUE(jwks->refresh().has_value());
    return jwks;
  }

  FakeClock clock_;
  JwksServer server_;
  FetchLog log_;
  const Key k1_ = ec_key("k1");
  const Key k2_ = ec_key("k2");
};

TEST_F(RemoteJwksTest, CreateRefusesUnsafeOrUnusableOptions) {
  auto refused = [&](auto change) {
    RemoteJwksOptions options = manual_options("https://idp.example/jwks");
    change(options);
    auto jwks = RemoteJwks::create(options, &clock_);
    return !jwks && jwks.error().code() == Errc::kInvalidArgument;
  };
  EXPECT_TRUE(refused([](auto& o) { o.url = "http://idp.example/jwks"; }));
  EXPECT_TRUE(refused([](auto& o) { o.url = "http://10.0.0.1/jwks"; }));
  EXPECT_TRUE(refused([](auto& o) { o.url = "http://128.0.0.1/jwks"; }));
  EXPECT_TRUE(refused([](auto& o) { o.url = "ftp://idp.example/jwks"; }));
  EXPECT_TRUE(refused([](auto& o) { o.url = "file:///etc/passwd"; }));
  EXPECT_TRUE(refused([](auto& o) { o.url = "https://user:pw@idp.example/jwks"; }));
  EXPECT_TRUE(refused([](auto& o) { o.url = "https://idp.example/jwks#frag"; }));
  EXPECT_TRUE(refused([](auto& o) { o.url = "not a url"; }));
  EXPECT_TRUE(refused([](auto& o) { o.min_ttl = o.max_ttl + seconds(1); }));
  EXPECT_TRUE(refused([](auto& o) { o.timeout = std::chrono::milliseconds(0); }));
  EXPECT_TRUE(refused([](auto& o) { o.max_bytes = 0; }));
  EXPECT_TRUE(refused([](auto& o) { o.cooldown = seconds(0); }));
  EXPECT_TRUE(refused([](auto& o) { o.max_ttl = seconds::max(); }));
  EXPECT_TRUE(refused([](auto& o) { o.cooldown = std::chrono::hours(24 * 400); }));
  EXPECT_FALSE(refused([](auto&) {}));
  EXPECT_FALSE(refused([](auto& o) { o.url = "http://localhost:8080/jwks"; }));
  EXPECT_FALSE(refused([](auto& o) { o.url = "http://127.0.0.9/jwks"; }));
  EXPECT_FALSE(refused([](auto& o) { o.url = "http://[::1]:9000/jwks"; }));
}

// create() fetches nothing: a server may start while its identity server
// is down.
TEST_F(RemoteJwksTest, NothingIsFetchedBeforeTheFirstRefresh) {
  server_.answer("/jwks", serving({k1_}));
  auto jwks = make(manual_options(server_.url()));
  EXPECT_EQ(jwks->keys(), nullptr);
  EXPECT_FALSE(jwks->loaded());
  EXPECT_EQ(server_.requests(), 0);
}

TEST_F(RemoteJwksTest, FirstLoad) {
  server_.answer("/jwks", serving({k1_, k2_}, "max-age=120"));
  auto options = manual_options(server_.url());
  options.min_ttl = seconds(60);
  auto jwks = make(options);
  ASSERT_OK(jwks->refresh());
  ASSERT_TRUE(jwks->loaded());
  EXPECT_NE(jwks->keys()->find("k1"), nullptr);
  EXPECT_NE(jwks->keys()->find("k2"), nullptr);
  EXPECT_FALSE(jwks->keys()->find("k1")->is_private());
  const RemoteJwksStats stats = jwks->stats();
  EXPECT_EQ(stats.fetches, 1u);
  EXPECT_EQ(stats.failures, 0u);
  EXPECT_EQ(stats.keys, 2u);
  EXPECT_EQ(stats.loaded_at, clock_.now());
  EXPECT_EQ(stats.expires_at, clock_.now() + seconds(120));
  EXPECT_EQ(server_.requests("/jwks"), 1);
  const auto seen = log_.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].reason, "manual");
  EXPECT_TRUE(seen[0].ok);
  EXPECT_TRUE(seen[0].changed);
  EXPECT_EQ(seen[0].keys, 2u);
  EXPECT_EQ(seen[0].ttl, seconds(120));
}

// max-age below min_ttl, above max_ttl, absent (default_ttl, itself
// clamped), and no-store.
TEST_F(RemoteJwksTest, LifetimeIsTheMaxAgeClampedToTheBounds) {
  struct Case {
    std::string cache_control;
    seconds default_ttl;
    seconds expected;
  };
  const Case cases[] = {
      {"max-age=5", seconds(600), seconds(60)},    {"max-age=999999", seconds(600), seconds(3600)},
      {"max-age=900", seconds(600), seconds(900)}, {"", seconds(600), seconds(600)},
      {"", seconds(7200), seconds(3600)},          {"", seconds(1), seconds(60)},
      {"no-store", seconds(600), seconds(60)},     {"public, no-cache", seconds(600), seconds(60)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE("Cache-Control: " + c.cache_control);
    server_.answer("/jwks", serving({k1_}, c.cache_control));
    auto options = manual_options(server_.url());
    options.min_ttl = seconds(60);
    options.max_ttl = seconds(3600);
    options.default_ttl = c.default_ttl;
    auto jwks = make(options);
    ASSERT_OK(jwks->refresh());
    EXPECT_EQ(*jwks->stats().expires_at - *jwks->stats().loaded_at, c.expected);
    EXPECT_EQ(log_.seen().back().ttl, c.expected);
  }
}

TEST_F(RemoteJwksTest, AnUnknownKidFetchesOnceAndFindsTheNewKey) {
  auto jwks = loaded({k1_});
  server_.answer("/jwks", serving({k1_, k2_}));
  clock_.advance(jwks->options().cooldown);
  auto keys = jwks->keys_with("k2");
  ASSERT_NE(keys, nullptr);
  EXPECT_NE(keys->find("k2"), nullptr);
  EXPECT_EQ(jwks->keys(), keys);
  EXPECT_EQ(server_.requests("/jwks"), 2);
  EXPECT_EQ(jwks->stats().unknown_kid_fetches, 1u);
  EXPECT_EQ(log_.seen().back().reason, "unknown kid");
  // Known now: asking again fetches nothing, even after another cooldown.
  clock_.advance(jwks->options().cooldown);
  EXPECT_NE(jwks->keys_with("k2")->find("k2"), nullptr);
  EXPECT_EQ(server_.requests("/jwks"), 2);
}

// A flood of made-up kids: one fetch per cooldown, however many.
TEST_F(RemoteJwksTest, MadeUpKidsFetchAtMostOncePerCooldown) {
  auto jwks = loaded({k1_});
  clock_.advance(jwks->options().cooldown);
  for (int i = 0; i < 200; ++i) {
    auto keys = jwks->keys_with("made-up-" + std::to_string(i));
    ASSERT_NE(keys, nullptr);
    EXPECT_NE(keys->find("k1"), nullptr);
  }
  EXPECT_EQ(server_.requests("/jwks"), 2);
  EXPECT_EQ(jwks->stats().unknown_kid_fetches, 1u);
  EXPECT_EQ(jwks->stats().cooldown_refusals, 199u);

  // One second short of the cooldown: still refused.
  clock_.advance(jwks->options().cooldown - seconds(1));
  jwks->keys_with("made-up-again");
  EXPECT_EQ(server_.requests("/jwks"), 2);
  clock_.advance(seconds(1));
  jwks->keys_with("made-up-again");
  EXPECT_EQ(server_.requests("/jwks"), 3);
  EXPECT_EQ(jwks->stats().unknown_kid_fetches, 2u);
}

// One fetch for all the callers that ask at once, and only the caller that
// started it waits for it: the others answer at once with the set they have
// (a flood of made-up kids while the identity server is slow must not park
// every verifying thread).
TEST_F(RemoteJwksTest, ConcurrentUnknownKidsShareOneFetchAndOnlyItsStarterWaits) {
  auto jwks = loaded({k1_});
  Answer slow = serving({k1_, k2_});
  slow.delay = std::chrono::milliseconds(2000);
  server_.answer("/jwks", slow);
  clock_.advance(jwks->options().cooldown);
  std::shared_ptr<const KeySet> starter_saw;
  std::thread starter([&] { starter_saw = jwks->keys_with("k2"); });
  while (server_.requests("/jwks") < 2) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  // The fetch is in flight (its answer is 2 s away): these do not wait for it.
  std::vector<std::thread> threads;
  std::atomic<int> without_k2{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        auto keys = jwks->keys_with("k2");
        if (keys && keys->find("k2") == nullptr) ++without_k2;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(without_k2.load(), 200);
  starter.join();
  ASSERT_NE(starter_saw, nullptr);
  EXPECT_NE(starter_saw->find("k2"), nullptr);
  EXPECT_EQ(server_.requests("/jwks"), 2);
  EXPECT_EQ(jwks->stats().fetches, 2u);
  EXPECT_EQ(jwks->stats().cooldown_refusals, 200u);
  EXPECT_NE(jwks->keys_with("k2")->find("k2"), nullptr);
}

TEST_F(RemoteJwksTest, ARotatedSetReplacesTheOldOne) {
  auto jwks = loaded({k1_});
  const auto before = jwks->keys();
  server_.answer("/jwks", serving({k2_}));
  clock_.advance(jwks->options().cooldown);
  auto keys = jwks->keys_with("k2");
  ASSERT_NE(keys, nullptr);
  EXPECT_NE(keys->find("k2"), nullptr);
  EXPECT_EQ(keys->find("k1"), nullptr);
  EXPECT_NE(before->find("k1"), nullptr);  // a holder of the old set keeps it intact
  EXPECT_TRUE(log_.seen().back().changed);
  // The same set again is no change.
  ASSERT_OK(jwks->refresh());
  EXPECT_FALSE(log_.seen().back().changed);
}

TEST_F(RemoteJwksTest, ARedirectWithinTheSameOriginIsFollowed) {
  server_.answer("/jwks", serving({k1_}));
  server_.answer("/old", Answer{.status = 301, .location = "/jwks"});
  auto jwks = make(manual_options(server_.url("/old")));
  ASSERT_OK(jwks->refresh());
  EXPECT_NE(jwks->keys()->find("k1"), nullptr);
  EXPECT_EQ(server_.requests("/old"), 1);
  EXPECT_EQ(server_.requests("/jwks"), 1);
}

// "localhost" and 127.0.0.1 are the same machine but another origin: a
// redirect may not choose where the keys come from.
TEST_F(RemoteJwksTest, ARedirectToAnotherHostIsRefused) {
  server_.answer("/jwks", serving({k1_}));
  server_.answer(
      "/elsewhere",
      Answer{.status = 302,
             .location = "http://localhost:" + std::to_string(server_.port()) + "/jwks"});
  auto jwks = make(manual_options(server_.url("/elsewhere")));
  auto refreshed = jwks->refresh();
  EXPECT_ERRC(refreshed, Errc::kStore);
  EXPECT_NE(refreshed.error().detail().find("redirect to another origin"), std::string::npos)
      << refreshed.error().detail();
  EXPECT_EQ(server_.requests("/jwks"), 0);
  EXPECT_FALSE(jwks->loaded());
}

TEST_F(RemoteJwksTest, ARedirectLoopIsBounded) {
  server_.answer("/loop", Answer{.status = 307, .location = "/loop"});
  auto options = manual_options(server_.url("/loop"));
  options.max_redirects = 3;
  auto jwks = make(options);
  auto refreshed = jwks->refresh();
  EXPECT_ERRC(refreshed, Errc::kStore);
  EXPECT_NE(refreshed.error().detail().find("more than 3"), std::string::npos)
      << refreshed.error().detail();
  EXPECT_EQ(server_.requests("/loop"), 4);
}

}  // namespace
}  // namespace jwtguard::testing
