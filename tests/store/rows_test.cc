// The shared row readers (store/rows.h) against a fake row.
#include "store/rows.h"

#include <gtest/gtest.h>

#include <charconv>
#include <optional>
#include <string>
#include <vector>

namespace jwtguard::stores {
namespace {

// Cells as text, NULL as nullopt; booleans spelt "t"/"f" (as PostgreSQL
// does).
class FakeRow final : public Row {
 public:
  explicit FakeRow(std::vector<std::optional<std::string>> cells) : cells_(std::move(cells)) {}
  bool is_null(int col) const override { return !cell(col).has_value(); }
  std::string text(int col) const override { return cell(col).value_or(""); }
  std::int64_t int64(int col) const override {
    const std::string value = text(col);
    std::int64_t n = 0;
    std::from_chars(value.data(), value.data() + value.size(), n);
    return n;
  }
  bool boolean(int col) const override { return text(col) == "t"; }

 private:
  const std::optional<std::string>& cell(int col) const {
    return cells_.at(static_cast<std::size_t>(col));
  }
  std::vector<std::optional<std::string>> cells_;
};

Timestamp micros(std::int64_t n) { return Timestamp(std::chrono::microseconds(n)); }

TEST(Rows, ColumnCountsMatchTheColumnLists) {
  EXPECT_EQ(kRevocationColumns, 10);
  EXPECT_EQ(kSessionColumns, 10);
  EXPECT_EQ(kUserColumns, 6);
  EXPECT_EQ(kAuditColumns, 6);
  EXPECT_EQ(kChangeColumns, 6);
  EXPECT_EQ(kEntryColumns, 4);
}

TEST(Rows, ReadRevocationMapsEveryColumn) {
  const FakeRow row(
      {"1", "sid-1", "11", "22", "33", "refresh", "alice", "sess", "admin", "why", "99"});
  const Revocation r = read_revocation(row);
  EXPECT_EQ(r.kind, RevocationKind::kSession);
  EXPECT_EQ(r.key, "sid-1");
  EXPECT_EQ(r.cutoff, micros(11));
  EXPECT_EQ(r.expires_at, micros(22));
  EXPECT_EQ(r.revoked_at, micros(33));
  EXPECT_EQ(r.token_type, TokenType::kRefresh);
  EXPECT_EQ(r.user, "alice");
  EXPECT_EQ(r.session, "sess");
  EXPECT_EQ(r.revoked_by, "admin");
  EXPECT_EQ(r.reason, "why");
}

TEST(Rows, ARevocationWithoutTokenTypeHasNone) {
  const FakeRow row({"0", "jti", "0", "5", "4", std::nullopt, "", "", "", ""});
  EXPECT_EQ(read_revocation(row).token_type, std::nullopt);
}

TEST(Rows, ReadSessionMapsEveryColumn) {
  const FakeRow row({"sid", "bob", "1", "2", "3", "10.0.0.1", "curl", "jti-9", "4", "jti-8"});
  const Session s = read_session(row);
  EXPECT_EQ(s.sid, "sid");
  EXPECT_EQ(s.user, "bob");
  EXPECT_EQ(s.created_at, micros(1));
  EXPECT_EQ(s.refreshed_at, micros(2));
  EXPECT_EQ(s.expires_at, micros(3));
  EXPECT_EQ(s.client_address, "10.0.0.1");
  EXPECT_EQ(s.user_agent, "curl");
  EXPECT_EQ(s.refresh_jti, "jti-9");
  EXPECT_EQ(s.revoked_at, micros(4));
  EXPECT_EQ(s.previous_refresh_jti, "jti-8");
}

TEST(Rows, ASessionNotRevokedHasNoRevocationTime) {
  const FakeRow row({"sid", "bob", "1", "2", "3", "", "", "jti", std::nullopt, ""});
  EXPECT_EQ(read_session(row).revoked_at, std::nullopt);
}

TEST(Rows, ReadUserMapsEveryColumn) {
  const User admin = read_user(FakeRow({"carol", "$argon2id$...", "t", "7", "t", "9"}));
  EXPECT_EQ(admin.name, "carol");
  EXPECT_EQ(admin.password_hash, "$argon2id$...");
  EXPECT_TRUE(admin.admin);
  EXPECT_EQ(admin.created_at, micros(7));
  EXPECT_TRUE(admin.disabled);
  EXPECT_EQ(admin.last_login_at, micros(9));
  const User plain = read_user(FakeRow({"dave", "h", "f", "8", "f", std::nullopt}));
  EXPECT_FALSE(plain.admin);
  EXPECT_FALSE(plain.disabled);
  EXPECT_EQ(plain.last_login_at, std::nullopt);
}

TEST(Rows, ReadAuditMapsEveryColumn) {
  const AuditEvent e =
      read_audit(FakeRow({"x", "12", "5", "admin", "user.disable", "bob", R"({"a":1})"}), 1);
  EXPECT_EQ(e.id, 12u);
  EXPECT_EQ(e.at, micros(5));
  EXPECT_EQ(e.actor, "admin");
  EXPECT_EQ(e.action, "user.disable");
  EXPECT_EQ(e.subject, "bob");
  EXPECT_EQ(e.detail, R"({"a":1})");
}

TEST(Rows, ReadChangeStartsAtTheColumnGiven) {
  const FakeRow row({"123", "41", "1", "2", "user:x", "5", "6"});
  const Change c = read_change(row, 1);
  EXPECT_EQ(c.seq, 41u);
  EXPECT_EQ(c.op, Change::Op::kUnrevoke);
  EXPECT_EQ(c.kind, RevocationKind::kUser);
  EXPECT_EQ(c.key, "user:x");
  EXPECT_EQ(c.cutoff, micros(5));
  EXPECT_EQ(c.expires_at, micros(6));
}

TEST(Rows, ReadEntryIsARevokeWithoutSeq) {
  const FakeRow row({"9", "0", "jti", "3", "4"});
  const Change c = read_entry(row, 1);
  EXPECT_EQ(c.seq, 0u);
  EXPECT_EQ(c.op, Change::Op::kRevoke);
  EXPECT_EQ(c.kind, RevocationKind::kToken);
  EXPECT_EQ(c.key, "jti");
  EXPECT_EQ(c.cutoff, micros(3));
  EXPECT_EQ(c.expires_at, micros(4));
}

}  // namespace
}  // namespace jwtguard::stores
