// The Redis store's accounts against a real redis-server, beyond the account
// contract (stores/account_contract.h, run in redis_store_test.cc): the keys
// each change leaves behind, or must not.
#include <chrono>
#include <string>

#include "stores/redis_fixture.h"

namespace jwtguard {
namespace {

using std::chrono::hours;

// Whole seconds of the real time: Redis expires sessions by its own clock.
const Timestamp kStart = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());

std::string micros_of(Timestamp t) { return std::to_string(t.time_since_epoch().count()); }

User user(std::string name) {
  return User{.name = std::move(name), .password_hash = "$argon2id$h", .created_at = kStart};
}

Session session(std::string sid, std::string user) {
  return Session{.sid = std::move(sid),
                 .user = std::move(user),
                 .created_at = kStart,
                 .refreshed_at = kStart,
                 .expires_at = kStart + hours(1),
                 .refresh_jti = "r0"};
}

AuditEvent event(std::string subject) {
  return AuditEvent{.at = kStart, .actor = "cli", .action = "user.disable", .subject = subject};
}

class RedisAccountTest : public RedisStoreTest {};

TEST_F(RedisAccountTest, DeletingAUserLeavesNoKeyOrIndexEntryOfItsOwn) {
  RedisServer& server = start_server();
  auto store = open(server.url());
  Peek peek(server);
  ASSERT_OK(store->create_user(user("alice")));
  ASSERT_OK(store->create_user(user("bob")));
  ASSERT_OK(store->create_session(session("s1", "alice")));
  ASSERT_OK(store->create_session(session("s2", "alice")));
  ASSERT_OK(store->create_session(session("s3", "bob")));

  ASSERT_OK(store->delete_user("alice", kStart + hours(2)));
  EXPECT_EQ(peek.integer({"EXISTS", "jwtguard:user:alice", "jwtguard:sess:s1", "jwtguard:sess:s2",
                          "jwtguard:idx:user-sessions:alice"}),
            0);
  EXPECT_EQ(peek.run({"ZRANGE", "jwtguard:idx:users", "0", "-1"}), "bob");
  EXPECT_EQ(peek.run({"ZRANGE", "jwtguard:idx:sess-expiry", "0", "-1"}), "s3");
  EXPECT_EQ(peek.run({"ZSCORE", "jwtguard:idx:reserved-names", "alice"}),
            micros_of(kStart + hours(2)));

  // The reservation goes with purge once it passed, and not before.
  ASSERT_OK(store->purge(kStart + hours(2) - std::chrono::seconds(1), hours(1)));
  EXPECT_EQ(peek.integer({"ZCARD", "jwtguard:idx:reserved-names"}), 1);
  ASSERT_OK(store->purge(kStart + hours(2), hours(1)));
  EXPECT_EQ(peek.integer({"ZCARD", "jwtguard:idx:reserved-names"}), 0);
}

TEST_F(RedisAccountTest, DeletingAUserSparesASessionOfAnotherFoundInItsIndex) {
  RedisServer& server = start_server();
  auto store = open(server.url());
  Peek peek(server);
  ASSERT_OK(store->create_user(user("bob")));
  ASSERT_OK(store->create_session(session("s1", "alice")));
  // Only a hand (or a bug) puts it there; the script checks each session's
  // user all the same, since the index is derived data.
  ASSERT_EQ(peek.run({"ZADD", "jwtguard:idx:user-sessions:bob", "0", "s1"}), "1");
  ASSERT_OK(store->delete_user("bob", kStart + hours(1)));
  auto s1 = store->find_session("s1");
  ASSERT_OK(s1);
  EXPECT_TRUE(s1->has_value());
}

TEST_F(RedisAccountTest, ASessionOfNoUserCreatesNoUserHash) {
  RedisServer& server = start_server();
  auto store = open(server.url());
  Peek peek(server);
  ASSERT_OK(store->create_user(user("alice")));
  ASSERT_OK(store->create_session(session("s1", "alice")));
  EXPECT_EQ(peek.run({"HGET", "jwtguard:user:alice", "last_login_at"}), micros_of(kStart));
  ASSERT_OK(store->create_session(session("s2",
                                          "app\x1f"
                                          "alice")));
  EXPECT_EQ(peek.integer({"EXISTS",
                          "jwtguard:user:app\x1f"
                          "alice"}),
            0);
  ASSERT_OK(store->create_session(session("s3", "carol")));
  EXPECT_EQ(peek.integer({"EXISTS", "jwtguard:user:carol"}), 0);
  auto carol = store->find_user("carol");
  ASSERT_OK(carol);
  EXPECT_FALSE(carol->has_value());
}

TEST_F(RedisAccountTest, AuditEventsAreIndexedByIdAndBySubject) {
  RedisServer& server = start_server();
  auto store = open(server.url());
  Peek peek(server);
  ASSERT_OK(store->append_audit(event("alice")));
  for (int i = 0; i < 5; ++i) ASSERT_OK(store->append_audit(event("bob")));
  ASSERT_OK(store->append_audit(event("")));
  EXPECT_EQ(peek.integer({"ZCARD", "jwtguard:idx:audit"}), 7);
  EXPECT_EQ(peek.run({"ZRANGE", "jwtguard:idx:audit-subject:alice", "0", "-1"}), "1");
  EXPECT_EQ(peek.integer({"ZCARD", "jwtguard:idx:audit-subject:bob"}), 5);
  EXPECT_EQ(peek.integer({"EXISTS", "jwtguard:idx:audit-subject:"}), 0);
  EXPECT_EQ(peek.run({"GET", "jwtguard:audit-id"}), "7");

  // alice's one event is found without paging past bob's.
  auto alice = store->list_audit(AuditFilter{.limit = 1, .subject = "alice"});
  ASSERT_OK(alice);
  ASSERT_EQ(alice->entries.size(), 1u);
  EXPECT_EQ(alice->entries[0].id, 1u);
  EXPECT_TRUE(alice->next_cursor.empty());
  auto bob = store->list_audit(AuditFilter{.limit = 3, .subject = "bob"});
  ASSERT_OK(bob);
  ASSERT_EQ(bob->entries.size(), 3u);
  EXPECT_EQ(bob->entries[0].id, 6u);
  EXPECT_EQ(bob->next_cursor, "4");
  auto older = store->list_audit(AuditFilter{.limit = 3, .cursor = "4", .subject = "bob"});
  ASSERT_OK(older);
  ASSERT_EQ(older->entries.size(), 2u);
  EXPECT_EQ(older->entries[0].id, 3u);
  EXPECT_EQ(older->entries[1].id, 2u);
  EXPECT_TRUE(older->next_cursor.empty());
}

TEST_F(RedisAccountTest, AUserWhoseHashIsGoneIsLeftOutOfItsPage) {
  RedisServer& server = start_server();
  auto store = open(server.url());
  ASSERT_OK(store->create_user(user("alice")));
  ASSERT_OK(store->create_user(user("bob")));
  ASSERT_EQ(Peek(server).run({"DEL", "jwtguard:user:alice"}), "1");
  auto page = store->list_users(UserFilter{.limit = 1, .now = kStart});
  ASSERT_OK(page);
  EXPECT_TRUE(page->entries.empty());
  EXPECT_EQ(page->next_cursor, "alice");  // the page still moves on
  auto next = store->list_users(UserFilter{.limit = 1, .cursor = "alice", .now = kStart});
  ASSERT_OK(next);
  ASSERT_EQ(next->entries.size(), 1u);
  EXPECT_EQ(next->entries[0].user.name, "bob");
}

TEST_F(RedisAccountTest, AccountWritesWorkAfterRedisLostItsScriptCache) {
  RedisServer& server = start_server();
  auto store = open(server.url());
  ASSERT_EQ(Peek(server).run({"SCRIPT", "FLUSH"}), "OK");  // as after a restart
  EXPECT_OK(store->create_user(user("alice")));
  EXPECT_OK(store->set_password("alice", "$argon2id$new"));
  EXPECT_OK(store->set_disabled("alice", true));
  EXPECT_OK(store->append_audit(event("alice")));
  EXPECT_OK(store->delete_user("alice", kStart + hours(1)));
  EXPECT_ERRC(store->create_user(user("alice")), Errc::kAlreadyExists);
}

}  // namespace
}  // namespace jwtguard
