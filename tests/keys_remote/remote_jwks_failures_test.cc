// RemoteJwks when the identity server misbehaves: every failed fetch keeps
// the last good set in use, is counted, and says why in last_error and to
// the observer; the background thread, and its end while a fetch hangs.
#include <gtest/gtest.h>

#include <thread>

#include "jwtguard/remote_jwks.h"
#include "keys_remote/remote_fixture.h"

namespace jwtguard::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class RemoteJwksFailureTest : public ::testing::Test {
 protected:
  // A manual source on the server's /jwks that has loaded k1.
  std::shared_ptr<RemoteJwks> loaded(RemoteJwksOptions options) {
    server_.answer("/jwks", serving({k1_}));
    options.on_fetch = log_.observer();
    auto jwks = RemoteJwks::create(std::move(options), &clock_);
    EXPECT_TRUE(jwks.has_value());
    EXPECT_TRUE((*jwks)->refresh().has_value());
    return *jwks;
  }

  // The failed fetch left k1 in use and said `kind`.
  void expect_failed_keeping_k1(RemoteJwks& jwks, const std::shared_ptr<const KeySet>& before,
                                std::uint64_t failures, const std::string& kind) {
    EXPECT_EQ(jwks.keys(), before);
    ASSERT_NE(jwks.keys(), nullptr);
    EXPECT_NE(jwks.keys()->find("k1"), nullptr);
    const RemoteJwksStats stats = jwks.stats();
    EXPECT_EQ(stats.failures, failures);
    EXPECT_EQ(stats.keys, 1u);
    EXPECT_NE(stats.last_error.find(kind), std::string::npos) << stats.last_error;
    const SeenFetch last = log_.seen().back();
    EXPECT_FALSE(last.ok);
    EXPECT_EQ(last.error, stats.last_error);
    EXPECT_EQ(last.keys, 1u);
  }

  FakeClock clock_;
  JwksServer server_;
  FetchLog log_;
  const Key k1_ = ec_key("k1");
};

TEST_F(RemoteJwksFailureTest, EveryKindOfFailureKeepsTheLastGoodSet) {
  auto options = manual_options(server_.url());
  options.max_bytes = 4096;
  options.timeout = milliseconds(2000);
  auto jwks = loaded(options);
  const auto before = jwks->keys();
  auto secret = Key::generate(Algorithm::kHS256, "hs");
  struct Case {
    std::string name;
    Answer answer;
    std::string kind;  // in last_error
  };
  const Case cases[] = {
      {"500", Answer{.status = 500, .body = "{}"}, "status 500"},
      {"404", Answer{.status = 404, .body = "{}"}, "status 404"},
      {"bad JSON", Answer{.body = R"({"keys":[)"}, "unusable JWK Set"},
      {"not a set", Answer{.body = "<html>maintenance</html>"}, "unusable JWK Set"},
      {"secrets only", Answer{.body = jwks_document({*secret->to_jwk(true)})},
       "no public signature key"},
      {"oversized", Answer{.body = published({k1_}) + std::string(8192, ' ')},
       "body larger than 4096 bytes"},
      {"endless", Answer{.kind = Answer::Kind::kEndless}, "body larger than 4096 bytes"},
      {"too slow", serving({k1_}), "timed out"},
      {"closed", Answer{.kind = Answer::Kind::kClose}, "fetch failed"},
  };
  std::uint64_t failures = 0;
  for (Case c : cases) {
    SCOPED_TRACE(c.name);
    if (c.name == "too slow") c.answer.delay = milliseconds(10'000);
    server_.answer("/jwks", c.answer);
    auto refreshed = jwks->refresh();
    EXPECT_FALSE(refreshed.has_value());
    expect_failed_keeping_k1(*jwks, before, ++failures, c.kind);
  }
  // Back to normal: the error is cleared.
  server_.answer("/jwks", serving({k1_}));
  ASSERT_OK(jwks->refresh());
  EXPECT_EQ(jwks->stats().last_error, "");
  EXPECT_EQ(jwks->stats().fetches, failures + 2);
}

TEST_F(RemoteJwksFailureTest, AServerThatIsDownKeepsTheLastGoodSet) {
  auto jwks = loaded(manual_options(server_.url()));
  const auto before = jwks->keys();
  server_.stop();
  auto refreshed = jwks->refresh();
  EXPECT_ERRC(refreshed, Errc::kStore);
  expect_failed_keeping_k1(*jwks, before, 1, "cannot connect");
  // An unknown kid after the cooldown tries again, and fails the same way.
  clock_.advance(jwks->options().cooldown);
  EXPECT_EQ(jwks->keys_with("k2"), before);
  expect_failed_keeping_k1(*jwks, before, 2, "cannot connect");
}

// Never loaded and failing: keys() stays null, and unknown kids still wait
// for the cooldown between attempts.
TEST_F(RemoteJwksFailureTest, ASourceThatNeverLoadedStaysEmpty) {
  server_.answer("/jwks", Answer{.status = 503});
  auto jwks = *RemoteJwks::create(manual_options(server_.url()), &clock_);
  EXPECT_FALSE(jwks->refresh().has_value());
  EXPECT_EQ(jwks->keys_with("k1"), nullptr);
  EXPECT_EQ(server_.requests("/jwks"), 1);
  EXPECT_EQ(jwks->stats().cooldown_refusals, 1u);
  EXPECT_EQ(jwks->stats().loaded_at, std::nullopt);
}

// Real time: a set with a one-second lifetime is fetched again by the
// background thread, which picks up the new key without being asked.
TEST(RemoteJwksBackgroundTest, RefetchesBeforeExpiryAndPicksUpAChangedSet) {
  JwksServer server;
  FetchLog log;
  const Key k1 = ec_key("k1"), k2 = ec_key("k2");
  server.answer("/jwks", serving({k1}, "max-age=1"));
  RemoteJwksOptions options;
  options.url = server.url();
  options.min_ttl = seconds(1);
  options.cooldown = seconds(1);
  options.on_fetch = log.observer();
  auto jwks = *RemoteJwks::create(options);
  const auto wait_for = [&](auto done) {
    for (int i = 0; i < 300 && !done(); ++i) std::this_thread::sleep_for(milliseconds(50));
    return done();
  };
  ASSERT_TRUE(wait_for([&] { return jwks->loaded(); }));
  EXPECT_EQ(log.seen().front().reason, "initial");
  server.answer("/jwks", serving({k2}, "max-age=1"));
  ASSERT_TRUE(wait_for([&] { return jwks->keys()->find("k2") != nullptr; }));
  EXPECT_EQ(jwks->keys()->find("k1"), nullptr);
  EXPECT_EQ(log.seen().back().reason, "scheduled");
  EXPECT_TRUE(log.seen().back().changed);
}

// Real time: a failed first fetch is retried after the cooldown.
TEST(RemoteJwksBackgroundTest, RetriesAfterAFailure) {
  JwksServer server;
  FetchLog log;
  server.answer("/jwks", Answer{.status = 500});
  RemoteJwksOptions options;
  options.url = server.url();
  options.cooldown = seconds(1);
  options.on_fetch = log.observer();
  auto jwks = *RemoteJwks::create(options);
  for (int i = 0; i < 300 && server.requests() == 0; ++i) {
    std::this_thread::sleep_for(milliseconds(50));
  }
  server.answer("/jwks", serving({ec_key("k1")}));
  for (int i = 0; i < 300 && !jwks->loaded(); ++i) std::this_thread::sleep_for(milliseconds(50));
  ASSERT_TRUE(jwks->loaded());
  EXPECT_EQ(log.seen().front().reason, "initial");
  EXPECT_FALSE(log.seen().front().ok);
  EXPECT_EQ(log.seen().back().reason, "retry");
  EXPECT_TRUE(log.seen().back().ok);
}

// The object goes while its background fetch waits on a server that does
// not answer (for longer than the fetch's own timeout): the fetch is
// abandoned rather than waited for.
TEST(RemoteJwksBackgroundTest, DestructionAbandonsAHangingFetch) {
  JwksServer server;
  FetchLog log;
  Answer hanging = serving({ec_key("k1")});
  hanging.delay = milliseconds(60'000);
  server.answer("/jwks", hanging);
  RemoteJwksOptions options;
  options.url = server.url();
  options.timeout = milliseconds(30'000);
  options.on_fetch = log.observer();
  auto jwks = *RemoteJwks::create(options);
  for (int i = 0; i < 300 && server.requests() == 0; ++i) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  ASSERT_EQ(server.requests(), 1);
  jwks.reset();
  const auto seen = log.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_FALSE(seen[0].ok);
  EXPECT_EQ(seen[0].error, "abandoned");
}

}  // namespace
}  // namespace jwtguard::testing
