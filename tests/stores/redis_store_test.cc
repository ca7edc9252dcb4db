// The Redis store against real redis-servers (testing/redis_server.h), each
// test with servers of its own: the store contract, then what is Redis's own
// (expiry, persistence, authentication, outages, the feed's connection).
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>

#include "redis/redis_client.h"
#include "stores/account_contract.h"
#include "stores/guard_reuse_case.h"
#include "stores/namespaced_key_contract.h"
#include "stores/redis_fixture.h"
#include "stores/serve_log.h"
#include "stores/snapshot_contract.h"
#include "stores/status_contract.h"
#include "stores/status_two_stores_case.h"
#include "stores/store_contract.h"
#include "testing/redis_server.h"

namespace jwtguard {
namespace {

using SteadyClock = std::chrono::steady_clock;

// The contract's Backend. A reopen is a crash and restart of Redis, so
// DurableStoreTest checks that what was acknowledged survives a SIGKILL.
struct RedisBackend {
  testing::ScratchDir dir;
  std::optional<RedisServer> server;

  std::unique_ptr<Store> open() {
    if (!server) {
      auto started = RedisServer::start(dir.path() / "redis");
      EXPECT_TRUE(started.has_value()) << started.error();
      if (!started) return nullptr;
      server.emplace(std::move(*started));
    } else {
      server->kill();
      auto restarted = server->restart();
      EXPECT_TRUE(restarted.has_value()) << restarted.error();
      if (!restarted) return nullptr;
    }
    auto store = open_redis_store(server->url(), strict_options());
    EXPECT_TRUE(store.has_value()) << store.error().message();
    return store ? std::move(*store) : nullptr;
  }
};

INSTANTIATE_TYPED_TEST_SUITE_P(Redis, StoreContractTest, RedisBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(Redis, SnapshotContractTest, RedisBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(Redis, NamespacedKeyContractTest, RedisBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(Redis, DurableStoreTest, RedisBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(Redis, AccountContractTest, RedisBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(Redis, DurableAccountTest, RedisBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(Redis, StatusContractTest, RedisBackend);

// --- Helpers ------------------------------------------------------------------------

// Waits until Redis stops answering, i.e. a DEBUG SLEEP another thread sent
// has begun: a PING that gets no answer within 50 ms. False when Redis still
// answered after 5 s.
bool wait_until_asleep(const RedisServer& server) {
  struct Free {
    void operator()(redisContext* c) const { redisFree(c); }
  };
  std::unique_ptr<redisContext, Free> c(
      redisConnectWithTimeout("127.0.0.1", server.port(), timeval{.tv_sec = 1, .tv_usec = 0}));
  if (!c || c->err != 0) return false;
  if (redisSetTimeout(c.get(), timeval{.tv_sec = 0, .tv_usec = 50'000}) != REDIS_OK) return false;
  const auto deadline = SteadyClock::now() + std::chrono::seconds(5);
  while (SteadyClock::now() < deadline) {
    auto* reply = static_cast<redisReply*>(redisCommand(c.get(), "PING"));
    if (reply == nullptr) return c->err == REDIS_ERR_IO;
    freeReplyObject(reply);
    std::this_thread::sleep_for(milliseconds(5));
  }
  return false;
}

long long millis(Timestamp t) {
  return std::chrono::ceil<milliseconds>(t.time_since_epoch()).count();
}

Revocation refresh_revocation(std::string jti, Timestamp expires) {
  Revocation r = token_revocation(std::move(jti), expires);
  r.token_type = TokenType::kRefresh;
  return r;
}

// --- Expiry ----------------------------------------------------------------------------

TEST_F(RedisStoreTest, TwoInstancesShareASessionWithinTheReuseInterval) {
  RedisServer& server = start_server();
  testing::expect_two_instances_share_a_session_within_the_reuse_interval(
      [&] { return open(server.url()); });
}

TEST_F(RedisStoreTest, ARevocationExpiresWithTheTokenItBlocks) {
  RedisServer& server = start_server();
  auto store = open(server.url());
  Peek peek(server);
  const Timestamp access_exp = kNow + std::chrono::minutes(15);
  const Timestamp refresh_exp = kNow + hours(24 * 30);
  ASSERT_OK(store->revoke(token_revocation("access", access_exp)));
  ASSERT_OK(store->revoke(refresh_revocation("refresh", refresh_exp)));
  EXPECT_EQ(peek.integer({"PEXPIRETIME", "jwtguard:rev:t:access"}), millis(access_exp));
  EXPECT_EQ(peek.integer({"PEXPIRETIME", "jwtguard:rev:t:refresh"}), millis(refresh_exp));

  // A later expiry extends the key's life; an earlier one leaves it.
  ASSERT_OK(store->revoke(token_revocation("access", access_exp + hours(1))));
  EXPECT_EQ(peek.integer({"PEXPIRETIME", "jwtguard:rev:t:access"}), millis(access_exp + hours(1)));
  ASSERT_OK(store->revoke(token_revocation("access", access_exp)));
  EXPECT_EQ(peek.integer({"PEXPIRETIME", "jwtguard:rev:t:access"}), millis(access_exp + hours(1)));

  // Sub-millisecond expiries round up: the key never goes before the token.
  const Timestamp odd = kNow + hours(1) + std::chrono::microseconds(1500);
  ASSERT_OK(store->revoke(token_revocation("odd", odd)));
  EXPECT_EQ(
      peek.integer({"PEXPIRETIME", "jwtguard:rev:t:odd"}),
      std::chrono::duration_cast<milliseconds>((kNow + hours(1)).time_since_epoch()).count() + 2);

  // Sessions live until their refresh token's exp, and follow rotations.
  ASSERT_OK(store->create_session(session("s1", "alice", kNow)));
  EXPECT_EQ(peek.integer({"PEXPIRETIME", "jwtguard:sess:s1"}), millis(kNow + hours(24)));
  ASSERT_OK(store->rotate_refresh("s1", "r0", "r1", kNow, kNow + hours(48)));
  EXPECT_EQ(peek.integer({"PEXPIRETIME", "jwtguard:sess:s1"}), millis(kNow + hours(48)));
}

TEST_F(RedisStoreTest, IndexEntriesOfKeysRedisExpiredAreCleanedUp) {
  RedisServer& server = start_server();
  auto store = open(server.url());
  Peek peek(server);
  ASSERT_OK(store->revoke(token_revocation("a")));
  ASSERT_OK(store->revoke(token_revocation("b")));
  ASSERT_OK(store->create_session(session("s1", "alice", kNow)));
  // What Redis's own expiry does: the keys vanish, the indexes stay.
  ASSERT_EQ(peek.run({"DEL", "jwtguard:rev:t:a", "jwtguard:sess:s1"}), "2");

  auto page = store->list_revocations(RevocationFilter{});
  ASSERT_OK(page);
  ASSERT_EQ(page->entries.size(), 1u);
  EXPECT_EQ(page->entries[0].key, "b");
  EXPECT_EQ(peek.integer({"ZCARD", "jwtguard:idx:rev-rows"}), 1);
  auto sessions = store->list_sessions("alice", kNow);
  ASSERT_OK(sessions);
  EXPECT_TRUE(sessions->empty());
  EXPECT_EQ(peek.integer({"EXISTS", "jwtguard:idx:user-sessions:alice"}), 0);
  auto snapshot = store->snapshot(kNow);
  ASSERT_OK(snapshot);
  ASSERT_EQ(snapshot->entries.size(), 1u);

  // Purge counts both revocations that expired by then, the one Redis
  // dropped already included, and leaves no index entry behind.
  auto purged = store->purge(kNow + hours(25), hours(1));
  ASSERT_OK(purged);
  EXPECT_EQ(*purged, 2u);
  EXPECT_EQ(peek.integer({"ZCARD", "jwtguard:idx:rev-expiry"}), 0);
  EXPECT_EQ(peek.integer({"ZCARD", "jwtguard:idx:rev-rows"}), 0);
  EXPECT_EQ(peek.integer({"ZCARD", "jwtguard:idx:sess-expiry"}), 0);
}

// --- Durability and persistence ----------------------------------------------------------

TEST_F(RedisStoreTest, AnAcknowledgedRevocationSurvivesASigkillOfRedis) {
  RedisServer& server = start_server();
  auto store = open(server.url());
  std::uint64_t last = 0;
  for (int i = 0; i < 50; ++i) {
    auto seq = store->revoke(token_revocation("j" + std::to_string(i)));
    ASSERT_OK(seq);
    last = *seq;
  }
  ASSERT_OK(store->revoke_session(Revocation{.kind = RevocationKind::kSession,
                                             .key = "s9",
                                             .expires_at = kNow + hours(1),
                                             .revoked_at = kNow}));
  server.kill();  // no shutdown, no final fsync
  ASSERT_TRUE(server.restart().has_value()) << server.log();
  auto reopened = open(server.url());
  auto snapshot = reopened->snapshot(kNow);
  ASSERT_OK(snapshot);
  EXPECT_EQ(snapshot->entries.size(), 51u);
  EXPECT_EQ(snapshot->seq, last + 1);
  auto found = reopened->find_revocation(RevocationKind::kToken, "j49");
  ASSERT_OK(found);
  EXPECT_TRUE(found->has_value());
  auto next = reopened->revoke(token_revocation("after"));
  ASSERT_OK(next);
  EXPECT_EQ(*next, last + 2);
}

TEST_F(RedisStoreTest, NoWarningWithAppendfsyncAlways) {
  RedisServer& server = start_server();
  EXPECT_TRUE(warnings_when_opening(server).empty());
}

TEST_F(RedisStoreTest, WarnsWhenRedisPersistsNothingAndCanRefuseToOpen) {
  RedisServer& server = start_server({.appendonly = false, .rdb = false});
  const auto warnings = warnings_when_opening(server);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("127.0.0.1:" + std::to_string(server.port())), std::string::npos);
  EXPECT_NE(warnings[0].find("persists nothing"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("set appendonly yes and appendfsync everysec or always in redis.conf "
                             "(or CONFIG SET appendonly yes)"),
            std::string::npos)
      << warnings[0];

  RedisOptions strict;
  strict.require_persistence = true;
  strict.warn = [](std::string_view m) { ADD_FAILURE() << "warned instead of failing: " << m; };
  auto refused = open_redis_store(server.url(), strict);
  EXPECT_ERRC(refused, Errc::kStore);
  EXPECT_NE(refused.error().detail().find("CONFIG SET appendonly yes"), std::string::npos);
}

TEST_F(RedisStoreTest, SaysWhatCanBeLostWithWeakerPersistence) {
  RedisOptions strict = strict_options();
  strict.require_persistence = true;
  strict.warn = {};  // stderr: these warnings are expected

  RedisServer& everysec = start_server({.appendfsync = "everysec"});
  auto warnings = warnings_when_opening(everysec);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("up to about 1 s"), std::string::npos) << warnings[0];
  EXPECT_OK(open_redis_store(everysec.url(), strict));  // persistence, if weaker

  RedisServer& rdb_only = start_server({.appendonly = false, .rdb = true});
  warnings = warnings_when_opening(rdb_only);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("since the last snapshot"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("CONFIG SET appendonly yes"), std::string::npos) << warnings[0];
  EXPECT_OK(open_redis_store(rdb_only.url(), strict));
}

TEST_F(RedisStoreTest, WithoutConfigTheCheckIsPartial) {
  const std::vector<std::string> no_config = {"rename-command CONFIG \"\""};
  RedisServer& aof = start_server({.extra_config = no_config});
  auto warnings = warnings_when_opening(aof);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("AOF on"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("partial"), std::string::npos) << warnings[0];

  RedisServer& none = start_server({.appendonly = false, .extra_config = no_config});
  warnings = warnings_when_opening(none);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("partial"), std::string::npos) << warnings[0];
  RedisOptions strict;
  strict.require_persistence = true;
  EXPECT_ERRC(open_redis_store(none.url(), strict), Errc::kStore);
}

TEST_F(RedisStoreTest, WarnsWhenRedisMayEvictRevocations) {
  RedisServer& server = start_server();
  Peek peek(server);
  ASSERT_EQ(peek.run({"CONFIG", "SET", "maxmemory", "1gb"}), "OK");
  ASSERT_EQ(peek.run({"CONFIG", "SET", "maxmemory-policy", "volatile-lru"}), "OK");
  const auto warnings = warnings_when_opening(server);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("volatile-lru"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("noeviction"), std::string::npos) << warnings[0];
}

// --- URLs and authentication ----------------------------------------------------------

TEST_F(RedisStoreTest, PasswordsAreSentAndNeverShown) {
  const std::string password = "p@ss:w/rd%x y";  // needs percent-encoding in a URL
  RedisServer& server = start_server({.password = password});
  auto store = open(server.url());
  ASSERT_OK(store->revoke(token_revocation("j")));
  const std::string address = "127.0.0.1:" + std::to_string(server.port());
  // An ACL user name too (Redis 6+: AUTH default PASSWORD).
  EXPECT_OK(open_redis_store("redis://default:p%40ss%3Aw%2Frd%25x%20y@" + address));

  auto wrong = open_redis_store("redis://:not-the-password@" + address);
  EXPECT_ERRC(wrong, Errc::kStore);
  EXPECT_NE(wrong.error().detail().find("refused the credentials"), std::string::npos)
      << wrong.error().detail();
  EXPECT_EQ(wrong.error().message().find("not-the-password"), std::string::npos);
  EXPECT_EQ(wrong.error().message().find("p@ss"), std::string::npos);

  auto none = open_redis_store("redis://" + address);
  EXPECT_ERRC(none, Errc::kStore);
  EXPECT_NE(none.error().detail().find("requires a password"), std::string::npos)
      << none.error().detail();
}

// The service's own log (the start-up settings, "listening", a store warning,
// a failed start) never shows any part of a password, whatever the URL's form.
TEST_F(RedisStoreTest, TheServiceLogsNoPartOfAPasswordInAnyUrlForm) {
  const std::string password = "Alpha7@Bravo7/Charlie7?Delta7#Echo7:Fox7";
  const std::vector<std::string> words = {"Alpha7", "Bravo7", "Charlie7", "Delta7",
                                          "Echo7",  "Fox7",   "Golf7",    "Hotel7"};
  const std::string encoded = "Alpha7%40Bravo7%2FCharlie7%3FDelta7%23Echo7%3AFox7";
  // No persistence: the store warns, and the warning names the store.
  RedisServer& server = start_server({.appendonly = false, .password = password});
  const std::string address = "127.0.0.1:" + std::to_string(server.port());
  auto free_port = testing::pick_free_port();
  ASSERT_TRUE(free_port.has_value()) << free_port.error();
  const std::string nobody = "127.0.0.1:" + std::to_string(*free_port);
  struct Case {
    std::string url;
    bool starts;
  };
  const Case cases[] = {
      {"redis://:" + encoded + "@" + address + "/0", true},
      {"redis://default:" + encoded + "@" + address + "/1", true},
      // '@' and ':' need no escape: the last '@' ends the password.
      {"redis://:Alpha7@Bravo7%2FCharlie7%3FDelta7%23Echo7:Fox7@" + address, true},
      // Unescaped '/', '?' or '#': refused, and shown nowhere.
      {"redis://:" + password + "@" + address + "/0", false},
      {"redis://:Alpha7/Bravo7@" + address + "/0", false},
      {"redis://default:Alpha7?Bravo7@" + address, false},
      // The wrong password, and nobody listening.
      {"redis://:Golf7%2FHotel7@" + address + "/0", false},
      {"redis://:" + encoded + "@" + nobody + "/0", false},
  };
  for (const Case& c : cases) {
    const std::string log = testing::serve_log(dir_.path(), c.url);
    EXPECT_EQ(log.find("\"listening\"") != std::string::npos, c.starts) << c.url << "\n" << log;
    // A failed start is reported once, on standard error, naming the setting.
    EXPECT_NE(log.find(c.starts ? "store warning" : "serve: store (flag --store) \""),
              std::string::npos)
        << c.url << "\n"
        << log;
    testing::expect_none_of(words, log, c.url);
  }
}

TEST_F(RedisStoreTest, MalformedUrlsAreInvalidArguments) {
  for (const char* url :
       {"redis://", "redis:///0", "redis://:@localhost",
        "redis://localhost:", "redis://localhost:0", "redis://localhost:65536",
        "redis://localhost:6379x", "redis://localhost/db1", "redis://localhost/1/2",
        "redis://localhost/-1", "redis://localhost?db=1", "redis://user@localhost",
        "redis://:%zz@localhost", "redis://[::1", "redis://::1:6379", "redis://local host",
        "rediss://localhost", "redis:/localhost"}) {
    EXPECT_ERRC(open_redis_store(url), Errc::kInvalidArgument);
  }
  // The detail describes the problem, never the credentials.
  auto bad = open_redis_store("redis://:sekrit@localhost:port");
  EXPECT_ERRC(bad, Errc::kInvalidArgument);
  EXPECT_EQ(bad.error().message().find("sekrit"), std::string::npos) << bad.error().message();
}

TEST_F(RedisStoreTest, UnescapedSlashQuestionMarkOrHashInAPasswordIsExplained) {
  for (const char* url : {"redis://:pa/ss@localhost", "redis://:pa?ss@localhost:6379",
                          "redis://:pa#ss@localhost/0", "redis://us/er:pass@localhost"}) {
    auto parsed = open_redis_store(url);
    EXPECT_ERRC(parsed, Errc::kInvalidArgument);
    const std::string message = parsed.error().message();
    EXPECT_NE(message.find("percent-encode /, ? and #"), std::string::npos) << message;
    EXPECT_EQ(message.find("ss@"), std::string::npos) << message;
  }
}

TEST_F(RedisStoreTest, UrlsSelectTheDatabaseAndDefaultThePort) {
  RedisServer& server = start_server();
  const std::string base = "redis://127.0.0.1:" + std::to_string(server.port());
  auto in_db3 = open(base + "/3");
  ASSERT_OK(in_db3->revoke(token_revocation("j")));
  EXPECT_EQ(Peek(server, "", 3).integer({"EXISTS", "jwtguard:rev:t:j"}), 1);
  EXPECT_EQ(Peek(server).integer({"EXISTS", "jwtguard:rev:t:j"}), 0);
  for (const std::string& url :
       {base, base + "/", "redis://localhost:" + std::to_string(server.port()) + "/0"}) {
    auto store = open(url);
    auto found = store->find_revocation(RevocationKind::kToken, "j");
    ASSERT_OK(found);
    EXPECT_FALSE(found->has_value()) << url;
  }
  auto out_of_range = open_redis_store(base + "/99");
  EXPECT_ERRC(out_of_range, Errc::kStore);
  // An IPv6 address, between brackets (nothing listens there: the message
  // names it as parsed).
  auto v6 = open_redis_store("redis://[::1]:1/0");
  EXPECT_ERRC(v6, Errc::kStore);
  EXPECT_NE(v6.error().detail().find("redis at [::1]:1 unreachable"), std::string::npos)
      << v6.error().detail();
  // No port: 6379, which the message names when nothing listens there.
  auto default_port = open_redis_store("redis://127.0.0.1");
  if (!default_port) {
    EXPECT_NE(default_port.error().detail().find("127.0.0.1:6379"), std::string::npos)
        << default_port.error().detail();
  }
}

// --- Server version -------------------------------------------------------------------

TEST(RedisVersionTest, SevenZeroOrLaterIsRequired) {
  for (const char* version : {"7.0.0", "7.0.15", "7.2.4", "7.4", "8.0.1", "10.0.0", "70.1.0"}) {
    EXPECT_TRUE(redis::version_at_least(version, 7, 0)) << version;
  }
  for (const char* version :
       {"6.2.14", "6.0.0", "5.0.7", "0.7.0", "", "7", "7.", "x.y.z", ".7.0", "v7.0.0", "-7.0.0"}) {
    EXPECT_FALSE(redis::version_at_least(version, 7, 0)) << '"' << version << '"';
  }
  EXPECT_TRUE(redis::version_at_least("7.2.0", 7, 2));
  EXPECT_FALSE(redis::version_at_least("7.1.9", 7, 2));
}

TEST(RedisVersionTest, InfoFieldsAreReadFromWholeLines) {
  const std::string info =
      "# Server\r\nredis_version:7.0.15\r\nredis_git_sha1:00000000\r\n"
      "run_id:0123abcd\r\nrun_id_extra:no\r\n";
  EXPECT_EQ(redis::info_field(info, "redis_version"), "7.0.15");
  EXPECT_EQ(redis::info_field(info, "run_id"), "0123abcd");
  EXPECT_EQ(redis::info_field(info, "redis"), std::nullopt);
  EXPECT_EQ(redis::info_field("run_id:abc", "run_id"), "abc");  // no line end
}

TEST_F(RedisStoreTest, TheStoreReadsTheServersVersionAndRunId) {
  RedisServer& server = start_server();
  auto connection = redis::Connection::open(
      redis::Settings{.endpoint = redis::Endpoint{.host = "127.0.0.1", .port = server.port()}});
  ASSERT_OK(connection);
  EXPECT_TRUE(redis::version_at_least(connection->server().version, 7, 0))
      << connection->server().version;
  EXPECT_EQ(connection->server().run_id.size(), 40u) << connection->server().run_id;
  // Without INFO, neither can be checked: a warning, not a refusal.
  RedisServer& no_info = start_server({.extra_config = {"user jwt on >pw ~* &* +@all -info"}});
  RedisOptions options;
  std::vector<std::string> warnings;
  options.warn = [&](std::string_view m) { warnings.emplace_back(m); };
  EXPECT_OK(
      open_redis_store("redis://jwt:pw@127.0.0.1:" + std::to_string(no_info.port()), options));
  ASSERT_FALSE(warnings.empty());
  EXPECT_NE(warnings[0].find("refuses INFO"), std::string::npos) << warnings[0];
}

// --- Outages --------------------------------------------------------------------------

TEST_F(RedisStoreTest, CallsFailFastWhileRedisIsDownAndRecoverAfter) {
  RedisServer& server = start_server();
  auto store = open(server.url());
  ASSERT_OK(store->revoke(token_revocation("before")));
  server.kill();

  const std::string address = "127.0.0.1:" + std::to_string(server.port());
  int retrying = 0;
  for (int i = 0; i < 20; ++i) {
    const auto start = SteadyClock::now();
    auto found = store->find_revocation(RevocationKind::kToken, "before");
    auto revoked = store->revoke(token_revocation("during"));
    auto feed = store->changes_since(0, 10, milliseconds(500));
    const auto took = SteadyClock::now() - start;
    EXPECT_LT(took, std::chrono::seconds(1)) << "call " << i;
    EXPECT_ERRC(found, Errc::kStore);
    EXPECT_ERRC(revoked, Errc::kStore);
    EXPECT_ERRC(feed, Errc::kStore);
    const std::string& detail = revoked.error().detail();
    EXPECT_NE(detail.find("redis at " + address + " unreachable"), std::string::npos) << detail;
    if (detail.ends_with("(retrying)")) ++retrying;
    std::this_thread::sleep_for(milliseconds(15));
  }
  EXPECT_GT(retrying, 10);  // most calls did not even try

  ASSERT_TRUE(server.restart().has_value()) << server.log();
  const auto deadline = SteadyClock::now() + std::chrono::seconds(5);
  while (!store->ping() && SteadyClock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  ASSERT_OK(store->ping());
  auto found = store->find_revocation(RevocationKind::kToken, "before");
  ASSERT_OK(found);
  EXPECT_TRUE(found->has_value());
  EXPECT_OK(store->revoke(token_revocation("after")));
  EXPECT_OK(store->changes_since(0, 10, milliseconds(100)));
}

TEST_F(RedisStoreTest, ALostReplyIsAnErrorAndTheConnectionIsReplaced) {
  // everysec: the short timeout is for the sleep, not for an fsync on a slow
  // disk in the writes around it.
  RedisServer& server =
      start_server({.appendfsync = "everysec", .extra_config = {"enable-debug-command local"}});
  RedisOptions options = options_allowing("appendfsync everysec");
  options.command_timeout = milliseconds(200);
  options.connections = 1;
  auto store = open(server.url(), options);
  std::thread sleeper([&] { Peek(server).run({"DEBUG", "SLEEP", "1.5"}); });
  const bool asleep = wait_until_asleep(server);
  if (!asleep) sleeper.join();
  ASSERT_TRUE(asleep) << "DEBUG SLEEP did not take effect";
  const auto start = SteadyClock::now();
  auto revoked = store->revoke(token_revocation("j"));
  EXPECT_LT(SteadyClock::now() - start, milliseconds(500));
  EXPECT_ERRC(revoked, Errc::kStore);
  EXPECT_NE(revoked.error().detail().find("may or may not have run"), std::string::npos)
      << revoked.error().detail();
  sleeper.join();
  // The write did happen (Redis ran it after waking); a late reply on the
  // old connection is not mistaken for the next command's.
  auto found = store->find_revocation(RevocationKind::kToken, "j");
  ASSERT_OK(found);
  EXPECT_TRUE(found->has_value());
  auto seq = store->revoke(token_revocation("k"));
  ASSERT_OK(seq);
  EXPECT_EQ(*seq, 2u);
}

// hiredis writes with write(): a write to a connection Redis closed raises
// SIGPIPE, which would end this program (gtest does not ignore it).
TEST_F(RedisStoreTest, AWriteToAClosedConnectionRaisesNoSigpipe) {
  RedisServer& server = start_server();
  auto connection = redis::Connection::open(
      redis::Settings{.endpoint = redis::Endpoint{.host = "127.0.0.1", .port = server.port()}});
  ASSERT_OK(connection);
  ASSERT_EQ(Peek(server).run({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"}), "1");
  std::this_thread::sleep_for(milliseconds(50));  // its FIN arrived
  // Large enough to take several write()s: the first one draws a reset.
  auto reply = connection->run(redis::Command("SET").arg("k").arg(std::string(8 << 20, 'x')));
  EXPECT_ERRC(reply, Errc::kStore);
  sigset_t pending;
  sigset_t mask;
  ASSERT_EQ(sigpending(&pending), 0);
  ASSERT_EQ(pthread_sigmask(SIG_SETMASK, nullptr, &mask), 0);
  EXPECT_EQ(sigismember(&pending, SIGPIPE), 0);
  EXPECT_EQ(sigismember(&mask, SIGPIPE), 0);  // the thread's mask is as it was
}

// --- The feed -------------------------------------------------------------------------

// A follower's view of the feed: everything it received, with the positions.
struct Follower {
  std::vector<Change> received;  // from the feed
  std::set<std::string> keys;    // from the feed and from reloads
  int errors = 0;
  int gaps = 0;

  // Follows from `from` until it knows `count` keys or `timeout` passed, as
  // the Guard does: blocking reads; on errors a pause and a retry; on a gap
  // a reload from a snapshot.
  void follow(Store& store, std::uint64_t from, std::size_t count, milliseconds timeout) {
    const auto deadline = SteadyClock::now() + timeout;
    while (keys.size() < count && SteadyClock::now() < deadline) {
      auto batch = store.changes_since(from, 7, milliseconds(200));
      if (batch && batch->gap) {
        ++gaps;
        from = reload(store).value_or(from);
        continue;
      }
      if (!batch) {
        ++errors;
        std::this_thread::sleep_for(milliseconds(20));
        continue;
      }
      for (const Change& c : batch->changes) {
        received.push_back(c);
        keys.insert(c.key);
      }
      from = batch->last_seq;
    }
  }

  // The position of the snapshot taken, or nullopt (an error) to try again.
  std::optional<std::uint64_t> reload(Store& store) {
    auto snapshot = store.snapshot(kNow);
    if (!snapshot) {
      ++errors;
      return std::nullopt;
    }
    for (const Change& entry : snapshot->entries) keys.insert(entry.key);
    return snapshot->seq;
  }
};

TEST_F(RedisStoreTest, AFollowerGetsEveryChangeOnceAfterLosingItsConnection) {
  RedisServer& server = start_server();
  auto writer = open(server.url());
  auto follower = open(server.url());
  auto start = follower->snapshot(kNow);
  ASSERT_OK(start);

  Follower view;
  std::thread following([&] { view.follow(*follower, start->seq, 30, milliseconds(15'000)); });
  std::map<std::uint64_t, std::string> written;
  auto write = [&](int from, int to) {
    for (int i = from; i < to; ++i) {
      const std::string key = "k" + std::to_string(i);
      auto seq = writer->revoke(token_revocation(key));
      ASSERT_OK(seq);
      written[*seq] = key;
    }
  };
  write(0, 10);
  // Every client connection dropped, the follower's blocked read included.
  std::this_thread::sleep_for(milliseconds(100));
  EXPECT_NE(Peek(server).run({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"}), "0");
  write(10, 20);
  // Then a restart: the follower retries through the outage, and reloads
  // once, since it cannot tell that this restart lost nothing.
  ASSERT_TRUE(server.stop().has_value()) << server.log();
  std::this_thread::sleep_for(milliseconds(100));
  ASSERT_TRUE(server.restart().has_value()) << server.log();
  write(20, 30);
  following.join();

  EXPECT_GT(view.errors, 0);  // it did lose its connection
  EXPECT_EQ(view.gaps, 1);
  EXPECT_EQ(view.keys.size(), 30u);
  std::set<std::uint64_t> seqs;
  for (const Change& change : view.received) {
    EXPECT_TRUE(seqs.insert(change.seq).second) << "seq " << change.seq << " twice";
    EXPECT_EQ(change.key, written[change.seq]);
  }
}

// The reproduction of a follower that skipped changes: Redis restarted from
// an older RDB snapshot and gave the lost seqs again to new changes.
TEST_F(RedisStoreTest, ARestartThatLostChangesIsAGapForFollowersPastIt) {
  RedisServer& server = start_server({.appendonly = false, .rdb = true});
  const RedisOptions options = options_allowing("since the last snapshot");
  auto writer = open(server.url(), options);
  auto polling = open(server.url(), options);  // reads the feed on pooled connections
  auto waiting = open(server.url(), options);  // on its feed connection
  for (int i = 1; i <= 3; ++i) ASSERT_OK(writer->revoke(token_revocation("a" + std::to_string(i))));
  ASSERT_EQ(Peek(server).run({"SAVE"}), "OK");
  for (int i = 4; i <= 5; ++i) ASSERT_OK(writer->revoke(token_revocation("a" + std::to_string(i))));
  auto polled = polling->changes_since(0, 10, milliseconds(0));
  ASSERT_OK(polled);
  ASSERT_EQ(polled->last_seq, 5u);
  auto waited = waiting->changes_since(5, 10, milliseconds(50));
  ASSERT_OK(waited);
  ASSERT_EQ(waited->last_seq, 5u);

  server.kill();
  ASSERT_TRUE(server.restart().has_value()) << server.log();
  std::vector<std::uint64_t> seqs;
  for (int i = 1; i <= 3; ++i) {
    auto seq = writer->revoke(token_revocation("b" + std::to_string(i)));
    ASSERT_OK(seq);
    seqs.push_back(*seq);
  }
  ASSERT_EQ(seqs, (std::vector<std::uint64_t>{4, 5, 6}));  // 4 and 5 given again

  const std::array followers = {polling.get(), waiting.get()};
  for (Store* store : followers) {
    for (milliseconds wait : {milliseconds(0), milliseconds(50)}) {
      auto batch = store->changes_since(5, 10, wait);
      ASSERT_OK(batch);
      EXPECT_TRUE(batch->gap) << "max_wait " << wait.count() << " ms";
      EXPECT_EQ(batch->last_seq, 5u);
    }
  }
  // Until a snapshot of the new server, where its position counts.
  for (Store* store : followers) {
    auto snapshot = store->snapshot(kNow);
    ASSERT_OK(snapshot);
    EXPECT_EQ(snapshot->seq, 6u);
    EXPECT_EQ(snapshot->entries.size(), 6u);  // a1..a3 from the RDB file, b1..b3
  }
  ASSERT_OK(writer->revoke(token_revocation("c")));
  for (Store* store : followers) {
    for (milliseconds wait : {milliseconds(0), milliseconds(50)}) {
      auto next = store->changes_since(6, 10, wait);
      ASSERT_OK(next);
      EXPECT_FALSE(next->gap);
      ASSERT_EQ(next->changes.size(), 1u);
      EXPECT_EQ(next->changes[0].key, "c");
    }
  }
}

TEST_F(RedisStoreTest, AFarBehindFollowerOfATrimmedFeedSeesAGap) {
  RedisServer& server = start_server();
  RedisOptions options = strict_options();
  options.feed_max_length = 10;
  auto store = open(server.url(), options);
  // Trimming is approximate (whole stream nodes of 100 entries): 150 is enough.
  for (int i = 0; i < 150; ++i) ASSERT_OK(store->revoke(token_revocation(std::to_string(i))));
  EXPECT_LT(Peek(server).integer({"XLEN", "jwtguard:feed"}), 150);
  auto behind = store->changes_since(0, 1000, milliseconds(0));
  ASSERT_OK(behind);
  EXPECT_TRUE(behind->gap);
  auto waiting = store->changes_since(0, 1000, milliseconds(100));
  ASSERT_OK(waiting);
  EXPECT_TRUE(waiting->gap);
  auto current = store->changes_since(149, 1000, milliseconds(0));
  ASSERT_OK(current);
  EXPECT_FALSE(current->gap);
  ASSERT_EQ(current->changes.size(), 1u);
  EXPECT_EQ(current->changes[0].seq, 150u);
}

// Redis refuses an XADD id not above the stream's last one: a lost counter
// must not make every revocation fail until it caught up.
TEST_F(RedisStoreTest, WritesGoOnWhenTheSeqCounterWasLostButTheFeedWasNot) {
  RedisServer& server = start_server();
  auto store = open(server.url());
  Peek peek(server);
  for (int i = 0; i < 3; ++i) ASSERT_OK(store->revoke(token_revocation(std::to_string(i))));
  ASSERT_EQ(peek.run({"DEL", "jwtguard:seq"}), "1");
  auto seq = store->revoke(token_revocation("after-loss"));
  ASSERT_OK(seq);
  EXPECT_EQ(*seq, 4u);
  EXPECT_EQ(peek.run({"GET", "jwtguard:seq"}), "4");
  auto batch = store->changes_since(3, 10, milliseconds(0));
  ASSERT_OK(batch);
  ASSERT_EQ(batch->changes.size(), 1u);
  EXPECT_EQ(batch->changes[0].key, "after-loss");

  // Also when every entry was trimmed: the stream remembers its last id.
  ASSERT_EQ(peek.run({"XTRIM", "jwtguard:feed", "MAXLEN", "0"}), "4");
  ASSERT_EQ(peek.run({"DEL", "jwtguard:seq"}), "1");
  auto unrevoked = store->unrevoke(RevocationKind::kToken, "0", kNow);
  ASSERT_OK(unrevoked);
  EXPECT_EQ(peek.run({"GET", "jwtguard:seq"}), "5");
  auto behind = store->changes_since(4, 10, milliseconds(0));
  ASSERT_OK(behind);
  ASSERT_EQ(behind->changes.size(), 1u);
  EXPECT_EQ(behind->changes[0].seq, 5u);
  EXPECT_EQ(behind->changes[0].op, Change::Op::kUnrevoke);
}

TEST_F(RedisStoreTest, AFeedThatWentBackwardsIsAGap) {
  RedisServer& server = start_server();
  auto store = open(server.url());
  ASSERT_OK(store->revoke(token_revocation("j")));
  ASSERT_EQ(Peek(server).run({"FLUSHALL"}), "OK");  // what a restart without persistence does
  auto batch = store->changes_since(1, 10, milliseconds(0));
  ASSERT_OK(batch);
  EXPECT_TRUE(batch->gap);
}

TEST_F(RedisStoreTest, TwoStoresWritingAtOnceGetContiguousSeqs) {
  RedisServer& server = start_server();
  std::array stores = {open(server.url()), open(server.url())};
  constexpr int kThreadsEach = 4, kEach = 50;
  std::mutex mu;
  std::map<std::uint64_t, std::string> written;
  std::vector<std::thread> threads;
  for (int s = 0; s < 2; ++s) {
    for (int t = 0; t < kThreadsEach; ++t) {
      threads.emplace_back([&, s, t] {
        for (int i = 0; i < kEach; ++i) {
          const std::string key =
              std::to_string(s) + "-" + std::to_string(t) + "-" + std::to_string(i);
          auto seq = stores[s]->revoke(token_revocation(key));
          ASSERT_TRUE(seq.has_value()) << seq.error().message();
          std::lock_guard lock(mu);
          EXPECT_TRUE(written.emplace(*seq, key).second) << "seq " << *seq << " twice";
        }
      });
    }
  }
  for (auto& t : threads) t.join();
  constexpr std::uint64_t kTotal = 2 * kThreadsEach * kEach;
  ASSERT_EQ(written.size(), kTotal);
  EXPECT_EQ(written.begin()->first, 1u);
  EXPECT_EQ(written.rbegin()->first, kTotal);
  auto batch = stores[1]->changes_since(0, 1000, milliseconds(0));
  ASSERT_OK(batch);
  ASSERT_EQ(batch->changes.size(), kTotal);
  for (std::size_t i = 0; i < kTotal; ++i) {
    EXPECT_EQ(batch->changes[i].seq, i + 1);
    EXPECT_EQ(batch->changes[i].key, written[i + 1]);
  }
}

TEST_F(RedisStoreTest, ABlockedFeedReadHoldsNoPooledConnection) {
  RedisServer& server = start_server();
  RedisOptions options = strict_options();
  options.connections = 1;
  auto store = open(server.url(), options);
  auto start = store->snapshot(kNow);
  ASSERT_OK(start);
  Result<ChangeBatch> waited = fail(Errc::kStore, "not run");
  SteadyClock::time_point woke;
  std::thread follower([&] {
    waited = store->changes_since(start->seq, 10, milliseconds(10'000));
    woke = SteadyClock::now();
  });
  std::this_thread::sleep_for(milliseconds(100));  // the follower blocks now
  const auto before = SteadyClock::now();
  EXPECT_OK(store->ping());
  EXPECT_OK(store->find_revocation(RevocationKind::kToken, "x"));
  EXPECT_OK(store->changes_since(start->seq, 10, milliseconds(0)));  // request threads' sync
  EXPECT_LT(SteadyClock::now() - before, milliseconds(500));
  const auto revoked_at = SteadyClock::now();
  ASSERT_OK(store->revoke(token_revocation("wake")));
  follower.join();
  ASSERT_OK(waited);
  ASSERT_EQ(waited->changes.size(), 1u);
  EXPECT_EQ(waited->changes[0].key, "wake");
  EXPECT_LT(woke - revoked_at, milliseconds(1000));
}

TEST_F(RedisStoreTest, AFeedWaitMayOutlastTheCommandTimeout) {
  // everysec: the short timeout is for the feed's wait, not for an fsync.
  RedisServer& server = start_server({.appendfsync = "everysec"});
  RedisOptions options = options_allowing("appendfsync everysec");
  options.command_timeout = milliseconds(150);
  auto store = open(server.url(), options);
  const auto start = SteadyClock::now();
  auto batch = store->changes_since(0, 10, milliseconds(600));
  ASSERT_OK(batch);
  EXPECT_TRUE(batch->changes.empty());
  EXPECT_GE(SteadyClock::now() - start, milliseconds(550));
  // And the connection is back to the short timeout, yet still usable.
  EXPECT_OK(store->changes_since(0, 10, milliseconds(50)));
}

// --- Scripts and strict mode ----------------------------------------------------------

TEST_F(RedisStoreTest, WritesWorkAfterRedisLostItsScriptCache) {
  RedisServer& server = start_server();
  auto store = open(server.url());
  ASSERT_EQ(Peek(server).run({"SCRIPT", "FLUSH"}), "OK");  // as after a restart
  EXPECT_OK(store->revoke(token_revocation("j")));
  EXPECT_OK(store->create_session(session("s1", "alice", kNow)));
  auto rotated = store->rotate_refresh("s1", "r0", "r1", kNow, kNow + hours(1));
  ASSERT_OK(rotated);
  EXPECT_EQ(*rotated, Rotation::kRotated);
}

TEST_F(RedisStoreTest, LookupAnswersForTokenSessionAndUser) {
  RedisServer& server = start_server();
  auto store = open(server.url());
  ASSERT_OK(store->revoke(token_revocation("jti-1")));
  ASSERT_OK(store->revoke_session(Revocation{.kind = RevocationKind::kSession,
                                             .key = "sid-1",
                                             .expires_at = kNow + hours(1),
                                             .revoked_at = kNow}));
  ASSERT_OK(store->revoke(user_revocation("bob", kNow + seconds(3))));

  auto hits = store->lookup("jti-1", "sid-1", "bob");
  ASSERT_OK(hits);
  EXPECT_TRUE(hits->token);
  EXPECT_TRUE(hits->session);
  EXPECT_EQ(hits->cutoff, kNow + seconds(3));

  auto misses = store->lookup("jti-2", "sid-2", "carol");
  ASSERT_OK(misses);
  EXPECT_FALSE(misses->token);
  EXPECT_FALSE(misses->session);
  EXPECT_FALSE(misses->cutoff.has_value());

  // Kinds do not mix: a jti that is also a sid is not a revoked session.
  auto crossed = store->lookup("sid-1", "jti-1", "");
  ASSERT_OK(crossed);
  EXPECT_FALSE(crossed->token);
  EXPECT_FALSE(crossed->session);

  ASSERT_OK(store->unrevoke(RevocationKind::kUser, "bob", kNow));
  auto only_token = store->lookup("jti-1", "", "bob");
  ASSERT_OK(only_token);
  EXPECT_TRUE(only_token->token);
  EXPECT_FALSE(only_token->cutoff.has_value());
  EXPECT_OK(store->lookup("", "", ""));
}

TEST_F(RedisStoreTest, UnrevokingASessionLetsItBeRefreshedAgain) {
  RedisServer& server = start_server();
  auto store = open(server.url());
  ASSERT_OK(store->create_session(session("s1", "alice", kNow)));
  ASSERT_OK(store->revoke_session(Revocation{.kind = RevocationKind::kSession,
                                             .key = "s1",
                                             .expires_at = kNow + hours(24),
                                             .revoked_at = kNow}));
  auto refused = store->rotate_refresh("s1", "r0", "r1", kNow, kNow + hours(24));
  ASSERT_OK(refused);
  EXPECT_EQ(*refused, Rotation::kRevoked);
  auto unrevoked = store->unrevoke(RevocationKind::kSession, "s1", kNow);
  ASSERT_OK(unrevoked);
  EXPECT_TRUE(*unrevoked);
  auto found = store->find_session("s1");
  ASSERT_OK(found);
  EXPECT_FALSE((*found)->revoked_at.has_value());
  auto rotated = store->rotate_refresh("s1", "r0", "r1", kNow, kNow + hours(24));
  ASSERT_OK(rotated);
  EXPECT_EQ(*rotated, Rotation::kRotated);
}

TEST_F(RedisStoreTest, StatusListsFromTwoInstancesAreDistinctAndSurviveACrashOfRedis) {
  RedisServer& server = start_server();
  std::vector<StatusListState> before;
  {
    auto a = open(server.url());
    auto b = open(server.url());
    before = testing::allocate_from_two_stores(*a, *b);
  }
  ASSERT_EQ(before.size(), 10u);
  server.kill();  // no shutdown, no final fsync
  ASSERT_TRUE(server.restart().has_value()) << server.log();
  auto store = open(server.url());
  for (const StatusListState& state : before) {
    auto after = store->find_status_list(state.id);
    ASSERT_OK(after);
    ASSERT_TRUE(after->has_value()) << "list " << state.id;
    EXPECT_EQ(**after, state);
  }
  // The counter went on: the next list is 11, never one handed out before.
  auto next = store->allocate_status({StatusEntry{.jti = "c", .user = "c"}},
                                     StatusListSpec{.bits = 1, .size = 16});
  ASSERT_OK(next);
  EXPECT_EQ(next->front(), (StatusRef{11, 0}));
  // The indexes survived too: un-revoking clears what the session set.
  ASSERT_OK(store->unrevoke(RevocationKind::kSession, "b-s1", kNow));
  std::size_t set = 0;
  for (std::uint64_t list = 1; list <= 10; ++list) {
    auto state = store->find_status_list(list);
    ASSERT_OK(state);
    set += (*state)->statuses.size();
  }
  EXPECT_EQ(set, 1u);  // a-5 alone
}

}  // namespace
}  // namespace jwtguard
