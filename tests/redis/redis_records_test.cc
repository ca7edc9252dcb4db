// The Redis store's records without a server: values as Redis holds them,
// hashes read back into records (from replies parsed by hiredis itself), and
// each script's arguments stored the way its script stores them.
#include "redis/redis_records.h"

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <hiredis/read.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "redis/redis_client.h"
#include "redis/redis_keys.h"
#include "redis/redis_scripts.h"
#include "testing/fixtures.h"

namespace jwtguard::redis {
namespace {

using std::chrono::microseconds;

// HGETALL's reply for these fields, as hiredis parses it off the wire.
Reply hash_reply(const std::vector<std::pair<std::string, std::string>>& fields) {
  auto bulk = [](const std::string& s) {
    return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
  };
  std::string wire = "*" + std::to_string(2 * fields.size()) + "\r\n";
  for (const auto& [name, value] : fields) wire += bulk(name) + bulk(value);
  std::unique_ptr<redisReader, decltype(&redisReaderFree)> reader(redisReaderCreate(),
                                                                  &redisReaderFree);
  EXPECT_EQ(redisReaderFeed(reader.get(), wire.data(), wire.size()), REDIS_OK);
  void* reply = nullptr;
  EXPECT_EQ(redisReaderGetReply(reader.get(), &reply), REDIS_OK);
  return Reply(static_cast<redisReply*>(reply));
}

Timestamp at_micros(std::int64_t us) { return Timestamp(microseconds(us)); }

TEST(RedisValuesTest, TimesAreMicrosAndExpiriesRoundUpToMilliseconds) {
  EXPECT_EQ(micros(at_micros(1'700'000'000'123'456)), "1700000000123456");
  // A key must not disappear before the instant it stands for.
  EXPECT_EQ(millis_up(at_micros(1'700'000'000'123'001)), "1700000000124");
  EXPECT_EQ(millis_up(at_micros(1'700'000'000'123'000)), "1700000000123");
}

TEST(RedisValuesTest, ScoresMayBePrintedAsDoubles) {
  EXPECT_EQ(parse_score("1700000000123456"), 1700000000123456);
  EXPECT_EQ(parse_score("1.7e+15"), 1700000000000000);
  EXPECT_EQ(parse_score("-3"), -3);
  EXPECT_FALSE(parse_score(""));
  EXPECT_FALSE(parse_score("inf"));
  EXPECT_FALSE(parse_score("12abc"));
  EXPECT_FALSE(parse_int("1.5"));
  EXPECT_FALSE(parse_int("12 "));
}

TEST(RedisKeysTest, AMemberNamesItsKindAndKey) {
  for (auto kind : {RevocationKind::kToken, RevocationKind::kSession, RevocationKind::kUser}) {
    const std::string m = member(kind, "k:1");
    EXPECT_EQ(m.substr(2), "k:1");
    EXPECT_EQ(member_kind(m), kind) << m;
  }
  EXPECT_EQ(member(RevocationKind::kSession, "abc"), "s:abc");
  EXPECT_FALSE(member_kind("t"));
  EXPECT_FALSE(member_kind("x:abc"));
  EXPECT_FALSE(member_kind("tt:abc"));
}

TEST(RedisRecordsTest, AnEmptyHashIsNoRecordAndAMissingFieldIsEmpty) {
  const Reply empty = hash_reply({});
  auto none = record_of<User>("ann", *empty, &read_user);
  ASSERT_OK(none);
  EXPECT_FALSE(*none);

  const Reply user = hash_reply({{"created_at", "5"}, {"admin", "1"}});
  const Fields fields(*user);
  EXPECT_TRUE(fields.has("admin"));
  EXPECT_FALSE(fields.has("password_hash"));
  EXPECT_EQ(fields.get("password_hash"), "");
  auto found = record_of<User>("ann", *user, &read_user);
  ASSERT_OK(found);
  ASSERT_TRUE(*found);
  EXPECT_EQ(**found, (User{"ann", "", true, at_micros(5)}));
  // A hash that is there but malformed is an error, not a missing record.
  const Reply no_created_at = hash_reply({{"admin", "1"}});
  EXPECT_ERRC(record_of<User>("ann", *no_created_at, &read_user), Errc::kStore);
}

TEST(RedisRecordsTest, MalformedRecordsAreStoreErrors) {
  const Reply no_cutoff = hash_reply({{"expires", "2"}, {"revoked_at", "1"}});
  EXPECT_ERRC(read_revocation("t:j", Fields(*no_cutoff)), Errc::kStore);
  const Reply ok_fields = hash_reply({{"cutoff", "0"}, {"expires", "2"}, {"revoked_at", "1"}});
  EXPECT_OK(read_revocation("t:j", Fields(*ok_fields)));
  EXPECT_ERRC(read_revocation("x:j", Fields(*ok_fields)), Errc::kStore);
  const Reply bad_time = hash_reply({{"cutoff", "0"}, {"expires", "2x"}, {"revoked_at", "1"}});
  EXPECT_ERRC(read_revocation("t:j", Fields(*bad_time)), Errc::kStore);

  const std::vector<std::pair<std::string, std::string>> session = {
      {"user", "ann"}, {"created_at", "1"}, {"refreshed_at", "2"}, {"expires_at", "3"}};
  EXPECT_OK(read_session("sid", Fields(*hash_reply(session))));
  auto revoked_garbage = session;
  revoked_garbage.emplace_back("revoked_at", "soon");
  EXPECT_ERRC(read_session("sid", Fields(*hash_reply(revoked_garbage))), Errc::kStore);
  EXPECT_ERRC(read_user("ann", Fields(*hash_reply({{"admin", "1"}}))), Errc::kStore);
}

// The fields a script stores from its ARGV (1-based, as in the script).
using FieldArgs = std::vector<std::pair<std::string, std::size_t>>;

Reply stored_by_script(const scripts::Call& call, const FieldArgs& fields) {
  std::vector<std::pair<std::string, std::string>> hash;
  for (const auto& [name, arg] : fields) {
    // HSET of an optional field only when the argument is not empty.
    if (!call.args.at(arg - 1).empty()) hash.emplace_back(name, call.args.at(arg - 1));
  }
  return hash_reply(hash);
}

Revocation sample_revocation(RevocationKind kind) {
  return Revocation{.kind = kind,
                    .key = "key-1",
                    .cutoff = at_micros(1'700'000'000'000'001),
                    .expires_at = at_micros(1'700'000'900'000'002),
                    .revoked_at = at_micros(1'700'000'000'000'003),
                    .token_type = TokenType::kRefresh,
                    .user = "ann",
                    .session = "sid-1",
                    .revoked_by = "admin",
                    .reason = "lost phone"};
}

TEST(RedisRecordsTest, ARevocationReadsBackAsTheRevokeScriptStoresIt) {
  for (auto kind : {RevocationKind::kToken, RevocationKind::kSession, RevocationKind::kUser}) {
    const Revocation r = sample_revocation(kind);
    const scripts::Call call = scripts::revoke(r, false, 1000);
    // The revoke script: HSET rev 'cutoff' ARGV[5] 'expires' ARGV[6] 'revoked_at' ARGV[8] ...
    const Reply hash = stored_by_script(call, {{"cutoff", 5},
                                               {"expires", 6},
                                               {"revoked_at", 8},
                                               {"type", 9},
                                               {"user", 10},
                                               {"session", 11},
                                               {"revoked_by", 12},
                                               {"reason", 13}});
    auto read = read_revocation(call.args.at(1), Fields(*hash));
    ASSERT_OK(read);
    EXPECT_EQ(*read, r);
  }
}

TEST(RedisRecordsTest, ASessionReadsBackAsTheCreateSessionScriptStoresIt) {
  Session s{.sid = "sid-1",
            .user = "ann",
            .created_at = at_micros(1'700'000'000'000'001),
            .refreshed_at = at_micros(1'700'000'000'000'002),
            .expires_at = at_micros(1'700'000'900'000'003),
            .client_address = "192.0.2.1",
            .user_agent = "curl/8",
            .refresh_jti = "jti-1"};
  const FieldArgs stored = {{"user", 2},        {"created_at", 3},     {"refreshed_at", 4},
                            {"expires_at", 5},  {"client_address", 7}, {"user_agent", 8},
                            {"refresh_jti", 9}, {"revoked_at", 10}};
  for (bool revoked : {false, true}) {
    if (revoked) s.revoked_at = at_micros(1'700'000'000'000'004);
    const scripts::Call call = scripts::create_session(s);
    auto read = read_session(call.args.at(0), Fields(*stored_by_script(call, stored)));
    ASSERT_OK(read);
    EXPECT_EQ(*read, s);
  }
}

TEST(RedisRecordsTest, AUserReadsBackAsTheCreateUserScriptStoresIt) {
  for (bool admin : {false, true}) {
    const User user{"ann", "$argon2id$v=19$...", admin, at_micros(1'700'000'000'000'001)};
    const scripts::Call call = scripts::create_user(user);
    const Reply hash =
        stored_by_script(call, {{"password_hash", 2}, {"admin", 3}, {"created_at", 4}});
    auto read = read_user(call.args.at(0), Fields(*hash));
    ASSERT_OK(read);
    EXPECT_EQ(*read, user);
  }
}

TEST(RedisRecordsTest, AUserReadsBackDisabledAndWithItsLastLogin) {
  const Reply hash = hash_reply({{"password_hash", "$h"},
                                 {"admin", "0"},
                                 {"created_at", "5"},
                                 {"disabled", "1"},
                                 {"last_login_at", "1700000000000007"}});
  auto read = read_user("ann", Fields(*hash));
  ASSERT_OK(read);
  EXPECT_TRUE(read->disabled);
  EXPECT_EQ(read->last_login_at, at_micros(1'700'000'000'000'007));
  // set_disabled(false) stores "0": enabled again.
  auto enabled = read_user("ann", Fields(*hash_reply({{"created_at", "5"}, {"disabled", "0"}})));
  ASSERT_OK(enabled);
  EXPECT_FALSE(enabled->disabled);
  EXPECT_EQ(enabled->last_login_at, std::nullopt);
  EXPECT_ERRC(read_user("ann", Fields(*hash_reply({{"created_at", "5"}, {"last_login_at", "x"}}))),
              Errc::kStore);
}

TEST(RedisRecordsTest, AnAuditEventReadsBackAsTheAppendScriptStoresIt) {
  const AuditEvent event{.id = 42,
                         .at = at_micros(1'700'000'000'000'001),
                         .actor = "u:root",
                         .action = "user.disable",
                         .subject = "ann",
                         .detail = R"({"reason":"left"})"};
  const scripts::Call call = scripts::append_audit(event);
  // The append-audit script: HSET event 'at' ARGV[2] 'actor' ARGV[3] ...
  const Reply hash = stored_by_script(
      call, {{"at", 2}, {"actor", 3}, {"action", 4}, {"subject", 5}, {"detail", 6}});
  auto read = read_audit("42", Fields(*hash));
  ASSERT_OK(read);
  EXPECT_EQ(*read, event);
  EXPECT_ERRC(read_audit("x", Fields(*hash)), Errc::kStore);
  EXPECT_ERRC(read_audit("0", Fields(*hash)), Errc::kStore);
  EXPECT_ERRC(read_audit("42", Fields(*hash_reply({{"action", "a"}}))), Errc::kStore);
}

}  // namespace
}  // namespace jwtguard::redis
