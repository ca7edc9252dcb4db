// The arguments each Lua script of the Redis store is called with, without a
// server: as many KEYS and ARGV as the script reads, and in the places its
// comment gives.
#include "redis/redis_scripts.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <string>
#include <vector>

#include "redis/redis_keys.h"
#include "redis/redis_records.h"

namespace jwtguard::redis::scripts {
namespace {

using std::chrono::microseconds;

Timestamp at_micros(std::int64_t us) { return Timestamp(microseconds(us)); }

// The highest N of `table`[N] in the script's body.
std::size_t highest_index(const Script& script, const std::string& table) {
  const std::string body(script.body);
  const std::regex use(table + R"(\[(\d+)\])");
  std::size_t highest = 0;
  for (auto it = std::sregex_iterator(body.begin(), body.end(), use); it != std::sregex_iterator();
       ++it) {
    highest = std::max<std::size_t>(highest, std::stoul((*it)[1]));
  }
  return highest;
}

TEST(RedisScriptsTest, EveryCallPassesAsManyKeysAndArgumentsAsItsScriptReads) {
  const Revocation r{.kind = RevocationKind::kSession, .key = "sid-1"};
  const Session s{.sid = "sid-1", .user = "ann"};
  const Timestamp t = at_micros(1'700'000'000'000'000);
  const std::vector<Call> calls = {revoke(r, true, 10),
                                   unrevoke(RevocationKind::kToken, "j", t, 10),
                                   create_session(s),
                                   rotate("sid-1", "old", "new", t, t),
                                   create_user(User{"ann", "hash", false, t}),
                                   set_admin("ann", true),
                                   set_password("ann", "hash"),
                                   set_disabled("ann", true),
                                   delete_user("ann", t),
                                   append_audit(AuditEvent{.action = "a", .subject = "ann"}),
                                   raise_horizon(t),
                                   purge(t, 500)};
  for (const Call& call : calls) {
    SCOPED_TRACE(std::string(call.script->name));
    EXPECT_EQ(call.keys.size(), highest_index(*call.script, "KEYS"));
    EXPECT_EQ(call.args.size(), highest_index(*call.script, "ARGV"));
  }
}

TEST(RedisScriptsTest, ARevocationIsWrittenUnderItsMember) {
  const Revocation r{.kind = RevocationKind::kSession,
                     .key = "sid-1",
                     .cutoff = at_micros(1),
                     .expires_at = at_micros(2'000'001),
                     .revoked_at = at_micros(3)};
  const Call call = revoke(r, true, 77);
  EXPECT_EQ(call.keys, (std::vector<std::string>{kSeq, kFeed, kRevPrefix + "s:sid-1", kRevExpiry,
                                                 kRevRows, kRowCounter, kSessPrefix + "sid-1"}));
  EXPECT_EQ(call.args.at(0), "77");
  EXPECT_EQ(call.args.at(1), "s:sid-1");
  EXPECT_EQ(call.args.at(2), "session");
  EXPECT_EQ(call.args.at(3), "sid-1");
  EXPECT_EQ(call.args.at(5), "2000001");  // expires (us), for the index and the feed
  EXPECT_EQ(call.args.at(6), "2001");     // expires (ms, rounded up), for PEXPIREAT
  EXPECT_EQ(call.args.at(8), "");         // no token type
  EXPECT_EQ(call.args.at(13), "1");
  EXPECT_EQ(revoke(r, false, 77).args.at(13), "0");
  EXPECT_EQ(call.args.at(14), kPrefix);  // where the status list keys are
}

TEST(RedisScriptsTest, OnlyUnrevokingASessionClearsTheSession) {
  const Timestamp now = at_micros(42);
  const Call session = unrevoke(RevocationKind::kSession, "sid-1", now, 5);
  EXPECT_EQ(session.keys.at(2), kRevPrefix + "s:sid-1");
  EXPECT_EQ(session.keys.at(5), kSessPrefix + "sid-1");
  EXPECT_EQ(session.args,
            (std::vector<std::string>{"5", "s:sid-1", "session", "sid-1", "42", "1", kPrefix}));
  EXPECT_EQ(unrevoke(RevocationKind::kUser, "ann", now, 5).args.at(5), "0");
  EXPECT_EQ(unrevoke(RevocationKind::kToken, "j", now, 5).args.at(5), "0");
}

TEST(RedisScriptsTest, ARotationExpiresTheSessionAndItsUsersIndex) {
  const Call call = rotate("sid-1", "old", "new", at_micros(10), at_micros(5'000'500));
  EXPECT_EQ(call.keys, (std::vector<std::string>{kSessPrefix + "sid-1", kSessExpiry}));
  EXPECT_EQ(call.args, (std::vector<std::string>{"sid-1", "old", "new", "10", "5000500", "5001",
                                                 kUserSessPrefix}));
}

TEST(RedisScriptsTest, TheIndexCleanUpTakesThePrefixThenTheMembers) {
  const std::vector<std::string> members = {"t:a", "u:b"};
  const Call call = drop_dangling(kRevRows, kRevPrefix, members);
  EXPECT_EQ(call.script, &kDropDangling);
  EXPECT_EQ(call.keys, (std::vector<std::string>{kRevRows}));
  EXPECT_EQ(call.args, (std::vector<std::string>{kRevPrefix, "t:a", "u:b"}));
}

TEST(RedisScriptsTest, PurgeAndTheHorizonPassTimesInMicroseconds) {
  EXPECT_EQ(purge(at_micros(123), 500).args, (std::vector<std::string>{"123", "500", kPrefix}));
  EXPECT_EQ(raise_horizon(at_micros(456)).args, (std::vector<std::string>{"456"}));
  EXPECT_EQ(purge(at_micros(123), 500).keys,
            (std::vector<std::string>{kRevExpiry, kRevRows, kSessExpiry, kReservedNames}));
}

TEST(RedisScriptsTest, EachUserChangeSetsItsOwnField) {
  // The third argument is the compare-and-set's expected hash: empty, no
  // comparison.
  EXPECT_EQ(set_admin("ann", false).args, (std::vector<std::string>{"admin", "0", ""}));
  EXPECT_EQ(set_admin("ann", true).keys, (std::vector<std::string>{kUserPrefix + "ann"}));
  EXPECT_EQ(set_disabled("ann", true).args, (std::vector<std::string>{"disabled", "1", ""}));
  EXPECT_EQ(set_password("ann", "$h").args, (std::vector<std::string>{"password_hash", "$h", ""}));
  EXPECT_EQ(set_password("ann", "$h", "$old").args,
            (std::vector<std::string>{"password_hash", "$h", "$old"}));
  EXPECT_EQ(set_password("ann", "$h").keys, (std::vector<std::string>{kUserPrefix + "ann"}));
}

TEST(RedisScriptsTest, ASessionReachesItsUsersHashForTheLastLogin) {
  const Call call = create_session(Session{.sid = "sid-1", .user = "ann"});
  EXPECT_EQ(call.keys, (std::vector<std::string>{kSessPrefix + "sid-1", kSessExpiry,
                                                 kUserSessPrefix + "ann", kUserPrefix + "ann"}));
}

TEST(RedisScriptsTest, DeletingAUserReachesItsSessionsAndReservesItsName) {
  const Call call = delete_user("ann", at_micros(7'000'001));
  EXPECT_EQ(call.keys,
            (std::vector<std::string>{kUserPrefix + "ann", kUsers, kUserSessPrefix + "ann",
                                      kSessExpiry, kReservedNames}));
  EXPECT_EQ(call.args, (std::vector<std::string>{"ann", "7000001", kSessPrefix}));
  EXPECT_EQ(create_user(User{"ann", "h", true, at_micros(9)}).keys,
            (std::vector<std::string>{kUserPrefix + "ann", kUsers, kReservedNames}));
}

TEST(RedisScriptsTest, AnAuditEventIsIndexedUnderItsSubjectOnlyWhenItHasOne) {
  const AuditEvent event{.at = at_micros(5),
                         .actor = "root",
                         .action = "user.delete",
                         .subject = "ann",
                         .detail = "{}"};
  const Call call = append_audit(event);
  EXPECT_EQ(call.keys,
            (std::vector<std::string>{kAuditCounter, kAuditIndex, kAuditSubjectPrefix + "ann"}));
  EXPECT_EQ(call.args,
            (std::vector<std::string>{kAuditPrefix, "5", "root", "user.delete", "ann", "{}"}));
  AuditEvent bare = event;
  bare.subject.clear();
  EXPECT_EQ(append_audit(bare).keys,
            (std::vector<std::string>{kAuditCounter, kAuditIndex, kAuditIndex}));
}

}  // namespace
}  // namespace jwtguard::redis::scripts
