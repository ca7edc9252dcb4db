// How the Redis store lays out its records (redis/redis_records.h): key
// members, stored numbers, replies read as text, and records read from
// HGETALL's fields, without a server.
#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

#include "redis/redis_keys.h"
#include "redis/redis_records.h"
#include "testing/fixtures.h"

namespace jwtguard::redis {
namespace {

using std::chrono::microseconds;

// Replies built by hand, as hiredis would hand them over.
class Replies {
 public:
  redisReply& text(const std::string& s, int type = REDIS_REPLY_STRING) {
    strings_.push_back(s);
    redisReply& r = add(type);
    r.str = strings_.back().data();
    r.len = strings_.back().size();
    return r;
  }
  redisReply& integer(long long value) {
    redisReply& r = add(REDIS_REPLY_INTEGER);
    r.integer = value;
    return r;
  }
  redisReply& array(const std::vector<std::string>& items) {
    std::vector<redisReply*> elements;
    for (const std::string& item : items) elements.push_back(&text(item));
    element_lists_.push_back(std::move(elements));
    redisReply& r = add(REDIS_REPLY_ARRAY);
    r.elements = element_lists_.back().size();
    r.element = element_lists_.back().data();
    return r;
  }

 private:
  redisReply& add(int type) {
    replies_.emplace_back();
    replies_.back().type = type;
    return replies_.back();
  }
  std::deque<redisReply> replies_{};
  std::deque<std::string> strings_;
  std::deque<std::vector<redisReply*>> element_lists_;
};

TEST(RedisValues, MembersNameTheKindByALetter) {
  EXPECT_EQ(member(RevocationKind::kToken, "jti-1"), "t:jti-1");
  EXPECT_EQ(member(RevocationKind::kSession, "sid-1"), "s:sid-1");
  EXPECT_EQ(member(RevocationKind::kUser, "app\x1fsvc"), "u:app\x1fsvc");
}

TEST(RedisValues, TimesAreMicroseconds) {
  EXPECT_EQ(micros(Timestamp{}), "0");
  EXPECT_EQ(micros(from_unix_seconds(1) + microseconds(5)), "1000005");
}

TEST(RedisValues, ExpiryMillisecondsRoundUp) {
  const Timestamp t = from_unix_seconds(1);
  EXPECT_EQ(millis_up(t), "1000");
  EXPECT_EQ(millis_up(t + microseconds(1)), "1001");
  EXPECT_EQ(millis_up(t + microseconds(999)), "1001");
  EXPECT_EQ(millis_up(t + microseconds(1000)), "1001");
  EXPECT_EQ(millis_up(t + microseconds(1001)), "1002");
}

TEST(RedisValues, ParseIntTakesWholeIntegersOnly) {
  EXPECT_EQ(parse_int("0"), 0);
  EXPECT_EQ(parse_int("-42"), -42);
  EXPECT_EQ(parse_int("9223372036854775807"), INT64_MAX);
  for (const char* text : {"", " 1", "1 ", "1.0", "+1", "0x10", "9223372036854775808", "abc"}) {
    EXPECT_EQ(parse_int(text), std::nullopt) << text;
  }
}

TEST(RedisValues, AScoreMayBePrintedAsADouble) {
  EXPECT_EQ(parse_score("1700000000000000"), 1700000000000000);
  EXPECT_EQ(parse_score("1.7e15"), 1700000000000000);
  EXPECT_EQ(parse_score("12.0"), 12);
  for (const char* text : {"", "inf", "-inf", "nan", "1.5x", "x"}) {
    EXPECT_EQ(parse_score(text), std::nullopt) << text;
  }
}

TEST(RedisValues, TextOfStringAndStatusRepliesOnly) {
  Replies replies;
  EXPECT_EQ(text_of(replies.text("value")), "value");
  EXPECT_EQ(text_of(replies.text("OK", REDIS_REPLY_STATUS)), "OK");
  EXPECT_EQ(text_of(replies.text("ERR no", REDIS_REPLY_ERROR)), "");
  EXPECT_EQ(text_of(replies.integer(5)), "");
  EXPECT_EQ(texts_of(replies.array({"a", "b"})), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(texts_of(replies.text("a")).empty());
}

TEST(RedisValues, FieldsReadAnHgetallReply) {
  Replies replies;
  const Fields fields(replies.array({"user", "alice", "cutoff", "17", "odd"}));
  EXPECT_FALSE(fields.empty());
  EXPECT_TRUE(fields.has("user"));
  EXPECT_EQ(fields.get("user"), "alice");
  EXPECT_EQ(fields.get("missing"), "");
  EXPECT_FALSE(fields.has("odd"));  // a name without a value is ignored
  EXPECT_EQ(fields.time("cutoff"), Timestamp(microseconds(17)));
  EXPECT_EQ(fields.time("user"), std::nullopt);
  EXPECT_TRUE(Fields(replies.integer(1)).empty());
}

TEST(RedisValues, ReadsARevocation) {
  Replies replies;
  const Fields fields(
      replies.array({"cutoff", "5", "expires", "9", "revoked_at", "3", "type", "access", "user",
                     "alice", "session", "sid-1", "revoked_by", "cli", "reason", "lost"}));
  auto r = read_revocation("t:jti-1", fields);
  ASSERT_OK(r);
  EXPECT_EQ(r->kind, RevocationKind::kToken);
  EXPECT_EQ(r->key, "jti-1");
  EXPECT_EQ(r->cutoff, Timestamp(microseconds(5)));
  EXPECT_EQ(r->expires_at, Timestamp(microseconds(9)));
  EXPECT_EQ(r->revoked_at, Timestamp(microseconds(3)));
  EXPECT_EQ(r->token_type, TokenType::kAccess);
  EXPECT_EQ(r->user, "alice");
  EXPECT_EQ(r->session, "sid-1");
  EXPECT_EQ(r->revoked_by, "cli");
  EXPECT_EQ(r->reason, "lost");
}

TEST(RedisValues, AMalformedRevocationIsAStoreError) {
  Replies replies;
  const Fields good(replies.array({"cutoff", "0", "expires", "9", "revoked_at", "3"}));
  EXPECT_OK(read_revocation("u:bob", good));
  for (const char* m : {"x:bob", "t", "tbob", ""}) {
    SCOPED_TRACE(m);
    EXPECT_ERRC(read_revocation(m, good), Errc::kStore);
  }
  const Fields missing(replies.array({"cutoff", "0", "expires", "9"}));
  EXPECT_ERRC(read_revocation("t:j", missing), Errc::kStore);
  const Fields not_a_number(replies.array({"cutoff", "0", "expires", "soon", "revoked_at", "3"}));
  EXPECT_ERRC(read_revocation("t:j", not_a_number), Errc::kStore);
}

TEST(RedisValues, ReadsASessionRevokedOrNot) {
  Replies replies;
  const std::vector<std::string> base = {
      "user",           "alice",    "created_at", "1",    "refreshed_at", "2",  "expires_at", "3",
      "client_address", "10.0.0.1", "user_agent", "curl", "refresh_jti",  "r-1"};
  auto live = read_session("sid-1", Fields(replies.array(base)));
  ASSERT_OK(live);
  EXPECT_EQ(*live, (Session{.sid = "sid-1",
                            .user = "alice",
                            .created_at = Timestamp(microseconds(1)),
                            .refreshed_at = Timestamp(microseconds(2)),
                            .expires_at = Timestamp(microseconds(3)),
                            .client_address = "10.0.0.1",
                            .user_agent = "curl",
                            .refresh_jti = "r-1"}));
  std::vector<std::string> revoked = base;
  revoked.insert(revoked.end(), {"revoked_at", "4"});
  auto r = read_session("sid-1", Fields(replies.array(revoked)));
  ASSERT_OK(r);
  EXPECT_EQ(r->revoked_at, Timestamp(microseconds(4)));
  std::vector<std::string> bad = base;
  bad.insert(bad.end(), {"revoked_at", "never"});
  EXPECT_ERRC(read_session("sid-1", Fields(replies.array(bad))), Errc::kStore);
  EXPECT_ERRC(read_session("sid-1", Fields(replies.array({"user", "alice"}))), Errc::kStore);
}

TEST(RedisValues, ReadsAUser) {
  Replies replies;
  auto admin = read_user(
      "root",
      Fields(replies.array({"password_hash", "$argon2id$x", "admin", "1", "created_at", "7"})));
  ASSERT_OK(admin);
  EXPECT_EQ(*admin, (User{"root", "$argon2id$x", true, Timestamp(microseconds(7))}));
  auto plain = read_user("bob", Fields(replies.array({"admin", "true", "created_at", "7"})));
  ASSERT_OK(plain);
  EXPECT_FALSE(plain->admin);  // only "1" is an admin
  EXPECT_ERRC(read_user("bob", Fields(replies.array({"admin", "1"}))), Errc::kStore);
}

}  // namespace
}  // namespace jwtguard::redis
