// The account changes of src/core/auth/accounts.cc over the memory store:
// what each changes, in which order it ends the tokens, what it records.
#include "auth/accounts.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "testing/fixtures.h"

namespace jwtguard::accounts {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;

const Timestamp kNow = Timestamp(seconds(1'700'000'000));

class AccountsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(
        store_->create_user(User{.name = "alice", .password_hash = "old", .created_at = kNow}));
    ASSERT_OK(
        store_->create_user(User{.name = "bob", .password_hash = "bobs", .created_at = kNow}));
  }

  void add_session(const std::string& sid, const std::string& user, Timestamp at) {
    ASSERT_OK(store_->create_session(Session{.sid = sid,
                                             .user = user,
                                             .created_at = at,
                                             .refreshed_at = at,
                                             .expires_at = at + hours(24),
                                             .refresh_jti = "r-" + sid}));
  }

  // Ends the user's tokens as the command line does: a cutoff in the store,
  // kept two hours. Records what the account looked like at that moment.
  EndTokens end_tokens() {
    return [this](std::string_view user, const RevokeContext& context) -> Result<void> {
      auto found = store_->find_user(user);
      seen_.push_back(Seen{std::string(user), context.revoked_by, context.reason,
                           found && *found ? std::optional<User>(**found) : std::nullopt});
      if (fail_end_) return fail(Errc::kStore, "down");
      auto seq = store_->revoke(Revocation{.kind = RevocationKind::kUser,
                                           .key = std::string(user),
                                           .cutoff = user_cutoff_after(now_),
                                           .expires_at = now_ + hours(2),
                                           .revoked_at = now_});
      if (!seq) return tl::unexpected(seq.error());
      return {};
    };
  }

  std::vector<AuditEvent> audit() {
    auto page = store_->list_audit(AuditFilter{});
    EXPECT_TRUE(page.has_value());
    return page ? page->entries : std::vector<AuditEvent>{};
  }

  struct Seen {
    std::string user;
    std::string revoked_by;
    std::string reason;
    std::optional<User> account;  // as it was when the tokens were ended
  };
  std::unique_ptr<Store> store_ = open_memory_store();
  std::vector<Seen> seen_;
  bool fail_end_ = false;
  Timestamp now_ = kNow + seconds(10);
  Change change_{.actor = "root", .now = kNow + seconds(10), .reason = "left the company"};
};

TEST_F(AccountsTest, DisableMarksTheUserFirstThenEndsItsTokensAndRecordsIt) {
  add_session("s1", "alice", kNow);
  add_session("s2", "alice", kNow + seconds(1));
  add_session("b1", "bob", kNow);
  auto ended = disable(*store_, end_tokens(), "alice", change_);
  ASSERT_OK(ended);
  EXPECT_EQ(*ended, 2u);
  ASSERT_EQ(seen_.size(), 1u);
  EXPECT_EQ(seen_[0].user, "alice");
  EXPECT_EQ(seen_[0].revoked_by, "root");
  EXPECT_EQ(seen_[0].reason, std::string(kDisable) + ": left the company");
  ASSERT_TRUE(seen_[0].account.has_value());
  EXPECT_TRUE(seen_[0].account->disabled);  // a login racing it is refused
  auto events = audit();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].action, kDisable);
  EXPECT_EQ(events[0].actor, "root");
  EXPECT_EQ(events[0].subject, "alice");
  EXPECT_EQ(events[0].at, change_.now);
  EXPECT_EQ(events[0].detail, R"({"sessions_ended":2,"reason":"left the company"})");
}

TEST_F(AccountsTest, EnableKeepsTheCutoffAndRecordsIt) {
  ASSERT_OK(disable(*store_, end_tokens(), "alice", change_));
  ASSERT_OK(enable(*store_, "alice", Change{.actor = "root", .now = kNow + seconds(20)}));
  auto alice = store_->find_user("alice");
  ASSERT_OK(alice);
  EXPECT_FALSE((*alice)->disabled);
  auto cutoff = store_->find_revocation(RevocationKind::kUser, "alice");
  ASSERT_OK(cutoff);
  EXPECT_TRUE(cutoff->has_value());  // old tokens stay refused
  auto events = audit();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].action, kEnable);
  EXPECT_EQ(events[0].detail, R"({"sessions_ended":0})");
}

TEST_F(AccountsTest, UnknownUsersAreNotFoundAndNothingEnds) {
  EXPECT_ERRC(disable(*store_, end_tokens(), "carol", change_), Errc::kNotFound);
  EXPECT_ERRC(enable(*store_, "carol", change_), Errc::kNotFound);
  EXPECT_ERRC(remove(*store_, end_tokens(), "carol", change_, kDelete), Errc::kNotFound);
  EXPECT_ERRC(set_password(*store_, end_tokens(), "carol", "h", change_, kReset), Errc::kNotFound);
  EXPECT_TRUE(seen_.empty());
  EXPECT_TRUE(audit().empty());
}

TEST_F(AccountsTest, RemoveEndsTheTokensOfADisabledUserThenReservesTheNameAsLongAsTheCutoff) {
  add_session("s1", "alice", kNow);
  auto ended = remove(*store_, end_tokens(), "alice", change_, kDeleteOwn);
  ASSERT_OK(ended);
  EXPECT_EQ(*ended, 1u);
  ASSERT_EQ(seen_.size(), 1u);
  ASSERT_TRUE(seen_[0].account.has_value());
  EXPECT_TRUE(seen_[0].account->disabled);
  auto alice = store_->find_user("alice");
  ASSERT_OK(alice);
  EXPECT_FALSE(alice->has_value());
  auto session = store_->find_session("s1");
  ASSERT_OK(session);
  EXPECT_FALSE(session->has_value());
  // The cutoff is kept until now_ + 2h: the name is reserved until then.
  EXPECT_ERRC(
      store_->create_user(
          User{.name = "alice", .password_hash = "x", .created_at = now_ + hours(2) - seconds(1)}),
      Errc::kAlreadyExists);
  ASSERT_OK(store_->create_user(
      User{.name = "alice", .password_hash = "x", .created_at = now_ + hours(2)}));
  auto events = audit();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].action, kDeleteOwn);
}

TEST_F(AccountsTest, SetPasswordStoresTheHashBeforeEndingTokensAndCountsTheOtherLiveSessions) {
  add_session("s0", "alice", kNow - seconds(5));
  // An earlier log-out-everywhere ended s0; s1 and s2 came after it.
  ASSERT_OK(store_->revoke(Revocation{.kind = RevocationKind::kUser,
                                      .key = "alice",
                                      .cutoff = kNow,
                                      .expires_at = kNow + hours(1),
                                      .revoked_at = kNow}));
  add_session("s1", "alice", kNow + seconds(1));
  add_session("s2", "alice", kNow + seconds(2));
  auto ended = set_password(*store_, end_tokens(), "alice", "new", change_, kChange, "s2");
  ASSERT_OK(ended);
  EXPECT_EQ(*ended, 1u);  // s1: s0 had ended already, s2 is kept
  ASSERT_EQ(seen_.size(), 1u);
  ASSERT_TRUE(seen_[0].account.has_value());
  EXPECT_EQ(seen_[0].account->password_hash, "new");
  auto events = audit();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].action, kChange);
  EXPECT_EQ(events[0].detail.find("new"), std::string::npos);  // never the hash
  EXPECT_EQ(events[0].detail.find("old"), std::string::npos);
}

TEST_F(AccountsTest, AChangeWhoseTokensCouldNotEndIsAnErrorRecordedAsSuch) {
  fail_end_ = true;
  EXPECT_ERRC(disable(*store_, end_tokens(), "alice", change_), Errc::kStore);
  EXPECT_ERRC(set_password(*store_, end_tokens(), "bob", "h", change_, kReset), Errc::kStore);
  EXPECT_ERRC(remove(*store_, end_tokens(), "bob", change_, kDelete), Errc::kStore);
  auto bob = store_->find_user("bob");
  ASSERT_OK(bob);
  EXPECT_TRUE(bob->has_value());  // not deleted while its tokens live on
  auto events = audit();
  ASSERT_EQ(events.size(), 3u);
  for (const AuditEvent& event : events) {
    EXPECT_EQ(event.detail,
              R"({"sessions_ended":0,"tokens_ended":false,"reason":"left the company"})");
  }
  EXPECT_EQ(events[0].action, kDelete);
  EXPECT_EQ(events[2].action, kDisable);
}

TEST_F(AccountsTest, LiveSessionsLeaveOutThoseTheCutoffEnded) {
  add_session("s1", "alice", kNow);
  add_session("s2", "alice", kNow + seconds(30));
  auto live = live_sessions(*store_, "alice", kNow + seconds(40));
  ASSERT_OK(live);
  EXPECT_EQ(*live, 2u);
  ASSERT_OK(store_->revoke(Revocation{.kind = RevocationKind::kUser,
                                      .key = "alice",
                                      .cutoff = kNow + seconds(10),
                                      .expires_at = kNow + hours(1),
                                      .revoked_at = kNow + seconds(10)}));
  live = live_sessions(*store_, "alice", kNow + seconds(40));
  ASSERT_OK(live);
  EXPECT_EQ(*live, 1u);
}

}  // namespace
}  // namespace jwtguard::accounts
