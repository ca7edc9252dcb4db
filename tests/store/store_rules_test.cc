// The rules every store applies (store/store_rules.h), tested once here so
// that each backend's suite need not find a drift between them.
#include "store/store_rules.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "testing/fixtures.h"

namespace jwtguard::stores {
namespace {

Revocation user_revocation(std::string key, Timestamp cutoff) {
  return Revocation{.kind = RevocationKind::kUser, .key = std::move(key), .cutoff = cutoff};
}

TEST(StoreRulesValidate, RefusesAnEmptyKeyOfEveryKind) {
  for (RevocationKind kind :
       {RevocationKind::kToken, RevocationKind::kSession, RevocationKind::kUser}) {
    Revocation r{.kind = kind, .cutoff = from_unix_seconds(10)};
    EXPECT_ERRC(validate(r), Errc::kInvalidArgument);
  }
}

TEST(StoreRulesValidate, AUserRevocationNeedsACutoff) {
  EXPECT_ERRC(validate(user_revocation("alice", Timestamp{})), Errc::kInvalidArgument);
  EXPECT_OK(validate(user_revocation("alice", from_unix_seconds(1))));
  // The smallest cutoff that is not "none".
  EXPECT_OK(validate(user_revocation("alice", Timestamp{std::chrono::microseconds(1)})));
}

TEST(StoreRulesValidate, OtherKindsNeedNoCutoff) {
  EXPECT_OK(validate(Revocation{.kind = RevocationKind::kToken, .key = "jti-1"}));
  EXPECT_OK(validate(Revocation{.kind = RevocationKind::kSession, .key = "sid-1"}));
}

TEST(StoreRulesMerge, TheLaterCutoffAndExpiryWin) {
  Revocation existing = user_revocation("alice", from_unix_seconds(100));
  existing.expires_at = from_unix_seconds(500);
  Revocation incoming = user_revocation("alice", from_unix_seconds(200));
  incoming.expires_at = from_unix_seconds(400);
  merge_into(existing, incoming);
  EXPECT_EQ(existing.cutoff, from_unix_seconds(200));
  EXPECT_EQ(existing.expires_at, from_unix_seconds(500));

  Revocation earlier = user_revocation("alice", from_unix_seconds(50));
  earlier.expires_at = from_unix_seconds(900);
  merge_into(existing, earlier);
  EXPECT_EQ(existing.cutoff, from_unix_seconds(200));
  EXPECT_EQ(existing.expires_at, from_unix_seconds(900));
}

TEST(StoreRulesMerge, TheFirstRevocationsTimeAndMetadataStay) {
  Revocation existing{.kind = RevocationKind::kToken,
                      .key = "jti-1",
                      .expires_at = from_unix_seconds(100),
                      .revoked_at = from_unix_seconds(10),
                      .token_type = TokenType::kAccess,
                      .user = "alice",
                      .session = "sid-1",
                      .revoked_by = "alice",
                      .reason = "logout"};
  const Revocation before = existing;
  const Revocation incoming{.kind = RevocationKind::kToken,
                            .key = "jti-1",
                            .expires_at = from_unix_seconds(50),
                            .revoked_at = from_unix_seconds(20),
                            .token_type = TokenType::kRefresh,
                            .user = "bob",
                            .session = "sid-2",
                            .revoked_by = "cli",
                            .reason = "again"};
  merge_into(existing, incoming);
  EXPECT_EQ(existing, before);
}

TEST(StoreRulesChanges, ARevocationBecomesARevokeEntry) {
  Revocation r = user_revocation("alice", from_unix_seconds(7));
  r.expires_at = from_unix_seconds(9);
  r.reason = "not in the feed";
  const Change c = revoke_change(r, 42);
  EXPECT_EQ(c.seq, 42u);
  EXPECT_EQ(c.op, Change::Op::kRevoke);
  EXPECT_EQ(c.kind, RevocationKind::kUser);
  EXPECT_EQ(c.key, "alice");
  EXPECT_EQ(c.cutoff, from_unix_seconds(7));
  EXPECT_EQ(c.expires_at, from_unix_seconds(9));
}

TEST(StoreRulesChanges, AnUnrevokeEntryCarriesOnlyItsKey) {
  const Change c = unrevoke_change(RevocationKind::kSession, "sid-9", 7);
  EXPECT_EQ(c.seq, 7u);
  EXPECT_EQ(c.op, Change::Op::kUnrevoke);
  EXPECT_EQ(c.kind, RevocationKind::kSession);
  EXPECT_EQ(c.key, "sid-9");
  EXPECT_EQ(c.cutoff, Timestamp{});
  EXPECT_EQ(c.expires_at, Timestamp{});
}

TEST(StoreRulesPaging, TheLimitMustBeFromOneToAThousand) {
  EXPECT_ERRC(page_start(RevocationFilter{.limit = 0}), Errc::kInvalidArgument);
  EXPECT_ERRC(page_start(RevocationFilter{.limit = kMaxPageSize + 1}), Errc::kInvalidArgument);
  EXPECT_ERRC(page_start(RevocationFilter{.limit = std::numeric_limits<std::size_t>::max()}),
              Errc::kInvalidArgument);
  for (std::size_t limit : {std::size_t{1}, std::size_t{100}, kMaxPageSize}) {
    auto start = page_start(RevocationFilter{.limit = limit});
    ASSERT_OK(start);
    EXPECT_FALSE(start->has_value()) << limit;
  }
}

TEST(StoreRulesPaging, ACursorReadsBackAsTheRowItCameFrom) {
  for (std::int64_t row :
       {std::int64_t{1}, std::int64_t{999}, std::numeric_limits<std::int64_t>::max()}) {
    auto start = page_start(RevocationFilter{.cursor = cursor_for(row)});
    ASSERT_OK(start);
    ASSERT_TRUE(start->has_value());
    EXPECT_EQ(**start, row);
  }
}

TEST(StoreRulesPaging, RefusesACursorItDidNotWrite) {
  for (const char* cursor :
       {"0", "-1", "abc", "12x", "x12", " 12", "12 ", "+12", "1.5", "99999999999999999999"}) {
    SCOPED_TRACE(cursor);
    EXPECT_ERRC(page_start(RevocationFilter{.cursor = cursor}), Errc::kInvalidArgument);
  }
}

TEST(StoreRulesMatches, EmptyFieldsMatchEverything) {
  const Revocation r{.kind = RevocationKind::kToken,
                     .key = "jti-1",
                     .token_type = TokenType::kRefresh,
                     .user = "alice"};
  EXPECT_TRUE(matches(r, RevocationFilter{}));
  EXPECT_TRUE(matches(Revocation{.kind = RevocationKind::kUser, .key = "bob"}, RevocationFilter{}));
}

TEST(StoreRulesMatches, EachGivenFieldMustMatch) {
  const Revocation r{.kind = RevocationKind::kToken,
                     .key = "jti-1",
                     .token_type = TokenType::kRefresh,
                     .user = "alice"};
  EXPECT_TRUE(matches(r, RevocationFilter{.kind = RevocationKind::kToken}));
  EXPECT_FALSE(matches(r, RevocationFilter{.kind = RevocationKind::kSession}));
  EXPECT_TRUE(matches(r, RevocationFilter{.user = "alice"}));
  EXPECT_FALSE(matches(r, RevocationFilter{.user = "alic"}));
  EXPECT_TRUE(matches(r, RevocationFilter{.token_type = TokenType::kRefresh}));
  EXPECT_FALSE(matches(r, RevocationFilter{.token_type = TokenType::kAccess}));
  EXPECT_TRUE(matches(
      r, RevocationFilter{
             .kind = RevocationKind::kToken, .user = "alice", .token_type = TokenType::kRefresh}));
  EXPECT_FALSE(matches(
      r, RevocationFilter{
             .kind = RevocationKind::kToken, .user = "bob", .token_type = TokenType::kRefresh}));
}

TEST(StoreRulesMatches, ATypeFilterSkipsRevocationsOfUnknownType) {
  const Revocation untyped{.kind = RevocationKind::kToken, .key = "jti-1"};
  EXPECT_FALSE(matches(untyped, RevocationFilter{.token_type = TokenType::kAccess}));
}

TEST(StoreRulesPercentEncode, KeepsOnlyTheUnreservedCharacters) {
  const std::string unreserved =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~";
  EXPECT_EQ(percent_encode(unreserved), unreserved);
  EXPECT_EQ(percent_encode(""), "");
  EXPECT_EQ(percent_encode("a b/c?d#e@f:g%h&i=j+k"), "a%20b%2Fc%3Fd%23e%40f%3Ag%25h%26i%3Dj%2Bk");
}

TEST(StoreRulesPercentEncode, EncodesEveryOtherByteAsUppercaseHex) {
  EXPECT_EQ(percent_encode(std::string("\0\x01\x7f", 3)), "%00%01%7F");
  EXPECT_EQ(percent_encode("\xc3\xa9\xff"), "%C3%A9%FF");
  for (int c = 0; c < 256; ++c) {
    const std::string encoded = percent_encode(std::string(1, static_cast<char>(c)));
    ASSERT_TRUE(encoded.size() == 1 || encoded.size() == 3) << c;
    if (encoded.size() == 3) {
      EXPECT_EQ(std::stoi(encoded.substr(1), nullptr, 16), c) << encoded;
    }
  }
}

}  // namespace
}  // namespace jwtguard::stores
