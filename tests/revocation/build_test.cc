// The revocations the Guard and `jwtguard revoke` both build.
#include "revocation/build.h"

#include <gtest/gtest.h>

#include "testing/fixtures.h"

namespace jwtguard::revocation {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

const Timestamp kNow = from_unix_seconds(1'700'000'000);

class BuildTest : public ::testing::Test {
 protected:
  void add_session(const std::string& sid, const std::string& user, Timestamp expires_at) {
    ASSERT_OK(store_->create_session(Session{.sid = sid,
                                             .user = user,
                                             .created_at = kNow - hours(1),
                                             .refreshed_at = kNow - hours(1),
                                             .expires_at = expires_at,
                                             .refresh_jti = sid + "-r"}));
  }
  std::unique_ptr<Store> store_ = open_memory_store();
  const TokenLives lives_{.latest_expiry = kNow + hours(24),
                          .longest = hours(24),
                          .leeway = seconds(30),
                          .access_ttl = seconds(900),
                          .rotate_refresh_tokens = true};
};

TEST_F(BuildTest, ATokenIsKeptUntilItsExpPlusTheLeewayOrAsAnyTokenWithoutOne) {
  Claims claims;
  claims.jti = "j1";
  claims.sub = "alice";
  claims.sid = "s1";
  claims.exp = kNow + hours(72);
  auto r = token_revocation_at(claims, kNow, lives_);
  ASSERT_OK(r);
  EXPECT_EQ(r->kind, RevocationKind::kToken);
  EXPECT_EQ(r->key, "j1");
  EXPECT_EQ(r->revoked_at, kNow);
  EXPECT_EQ(r->expires_at, kNow + hours(72) + seconds(30));
  EXPECT_EQ(r->user, "alice");
  EXPECT_EQ(r->session, "s1");
  claims.exp.reset();
  EXPECT_EQ(token_revocation_at(claims, kNow, lives_)->expires_at, lives_.latest_expiry);
  claims.jti.clear();
  EXPECT_ERRC(token_revocation_at(claims, kNow, lives_), Errc::kMissingClaim);
  EXPECT_EQ(jti_revocation("j2", kNow, lives_).expires_at, lives_.latest_expiry);
}

// With rotation the record bounds the session's tokens, however long they
// were issued for; without it, or unknown, only the longest lifetime does.
TEST_F(BuildTest, ASessionIsKeptUntilItsRecordedExpiryWithRotation) {
  add_session("s-long", "alice", kNow + hours(24 * 60));
  add_session("s-ending", "bob", kNow + seconds(10));
  Revocation r = session_revocation(*store_, "s-long", {}, kNow, lives_);
  EXPECT_EQ(r.kind, RevocationKind::kSession);
  EXPECT_EQ(r.expires_at, kNow + hours(24 * 60) + seconds(30));
  EXPECT_EQ(r.user, "alice");
  // At least an access token's lifetime.
  EXPECT_EQ(session_revocation(*store_, "s-ending", {}, kNow, lives_).expires_at,
            kNow + seconds(900) + seconds(30));
  Revocation unknown = session_revocation(*store_, "s-none", {}, kNow, lives_);
  EXPECT_EQ(unknown.expires_at, lives_.latest_expiry);
  EXPECT_EQ(unknown.user, "");
  TokenLives no_rotation = lives_;
  no_rotation.rotate_refresh_tokens = false;
  Revocation unbounded = session_revocation(*store_, "s-long", {}, kNow, no_rotation);
  EXPECT_EQ(unbounded.expires_at, lives_.latest_expiry);
  EXPECT_EQ(unbounded.user, "alice");
}

TEST_F(BuildTest, AUserIsKeptUntilItsLastSessionEndsAndCutsOffAfterAnEarlierCutoff) {
  add_session("s-long", "alice", kNow + hours(24 * 60));
  auto r = user_revocation(*store_, "alice", kNow, lives_);
  ASSERT_OK(r);
  EXPECT_EQ(r->kind, RevocationKind::kUser);
  EXPECT_EQ(r->user, "alice");
  EXPECT_EQ(r->cutoff, user_cutoff_after(kNow));
  EXPECT_EQ(r->expires_at, kNow + hours(24 * 60) + seconds(30));
  // Another process's cutoff later in the same millisecond is passed.
  Revocation earlier = *r;
  earlier.cutoff = r->cutoff + std::chrono::milliseconds(5);
  ASSERT_OK(store_->revoke(earlier));
  auto again = user_revocation(*store_, "alice", kNow, lives_);
  ASSERT_OK(again);
  EXPECT_EQ(again->cutoff, earlier.cutoff + std::chrono::milliseconds(1));
  // Without sessions: the longest lifetime after the cutoff.
  auto bob = user_revocation(*store_, "bob", kNow, lives_);
  ASSERT_OK(bob);
  EXPECT_EQ(bob->expires_at, bob->cutoff + hours(24));
}

}  // namespace
}  // namespace jwtguard::revocation
