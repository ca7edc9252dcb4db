// Guard::refresh_access: the implicit refresh of a browser session's access
// token, and a logout racing it.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "revocation/session_guard_fixture.h"

namespace jwtguard {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using testing::Backend;

class RefreshAccessTest : public testing::SessionGuardTest {
 protected:
  void SetUp() override {
    SessionGuardTest::SetUp();
    GuardOptions o = options();
    o.issuer.csrf_claim = true;
    ASSERT_NE(open(o), nullptr);
  }
};

TEST_P(RefreshAccessTest, ANewAccessTokenOfTheSameSessionKeepsItsCsrfValue) {
  auto pair = guard_->login("alice", R"({"role":"reader"})", {}, kAppNamespace);
  ASSERT_OK(pair);
  const Claims old = claims_of(pair->access.token);
  ASSERT_FALSE(old.csrf.empty());
  clock_.advance(minutes(14));
  auto next = guard_->refresh_access(old);
  ASSERT_OK(next);
  auto verified = guard_->require(next->token);
  ASSERT_OK(verified);
  const Claims& claims = verified->claims;
  EXPECT_NE(claims.jti, old.jti);
  EXPECT_EQ(claims.sid, old.sid);
  EXPECT_EQ(claims.sub, "alice");
  EXPECT_EQ(claims.sub_ns, kAppNamespace);
  EXPECT_EQ(claims.csrf, old.csrf);
  EXPECT_EQ(claims.fresh, std::optional<bool>(false));
  EXPECT_NE(claims.payload_json.find(R"("role":"reader")"), std::string::npos);
  EXPECT_EQ(claims.exp, clock_.now() + minutes(15));
}

TEST_P(RefreshAccessTest, OnlyForALiveSessionOfTheSameSubject) {
  auto pair = guard_->login("alice");
  ASSERT_OK(pair);
  EXPECT_ERRC(guard_->refresh_access(claims_of(pair->refresh.token)), Errc::kInvalidArgument);
  Claims no_session = claims_of(pair->access.token);
  no_session.sid.clear();
  EXPECT_ERRC(guard_->refresh_access(no_session), Errc::kMissingClaim);
  // A token minted without a recorded session.
  auto minted = guard_->issue(TokenRequest{.subject = "bob"});
  ASSERT_OK(minted);
  EXPECT_ERRC(guard_->refresh_access(claims_of(minted->token)), Errc::kRevoked);
  // Another subject naming alice's session.
  auto mallory = guard_->issue(TokenRequest{.subject = "mallory", .session_id = pair->access.sid});
  ASSERT_OK(mallory);
  EXPECT_ERRC(guard_->refresh_access(claims_of(mallory->token)), Errc::kRevoked);
  const Claims access = claims_of(pair->access.token);
  ASSERT_OK(guard_->revoke_session(pair->access.sid));
  EXPECT_ERRC(guard_->refresh_access(access), Errc::kRevoked);
}

TEST_P(RefreshAccessTest, TheNewTokenEndsWithTheSession) {
  GuardOptions o = options();
  o.session_max_lifetime = hours(1);
  o.session_idle_timeout = minutes(20);
  Guard* limited = open(o);
  ASSERT_NE(limited, nullptr);
  const Timestamp login_at = clock_.now();
  auto pair = limited->login("alice");
  ASSERT_OK(pair);
  const Claims access = claims_of(pair->access.token);
  // The idle end, refreshed_at + 20 min, comes first.
  clock_.advance(minutes(10));
  auto idle_capped = limited->refresh_access(access);
  ASSERT_OK(idle_capped);
  EXPECT_EQ(exp_of(idle_capped->token), login_at + minutes(20));
  clock_.advance(minutes(10) - seconds(1));
  EXPECT_OK(limited->refresh_access(access));
  clock_.advance(seconds(1));
  EXPECT_ERRC(limited->refresh_access(access), Errc::kRevoked);
  // Refreshed 45 minutes into the next session: its absolute end (60 min)
  // comes before its idle end (65 min).
  const Timestamp second_at = clock_.now();
  auto second = limited->login("alice");
  ASSERT_OK(second);
  std::string refresh_token = second->refresh.token, access_token;
  for (int i = 0; i < 3; ++i) {  // within each idle period
    clock_.advance(minutes(15));
    auto rotated = limited->refresh(refresh_token);
    ASSERT_OK(rotated);
    refresh_token = rotated->refresh->token;
    access_token = rotated->access.token;
  }
  clock_.advance(minutes(5));
  auto capped = limited->refresh_access(claims_of(access_token));
  ASSERT_OK(capped);
  EXPECT_EQ(exp_of(capped->token), second_at + hours(1));
}

// A logout racing implicit refreshes wins: once the session's revocation
// has returned, every token refresh_access handed out, before or after, is
// refused.
TEST_P(RefreshAccessTest, ALogoutRacingImplicitRefreshesWins) {
  for (int round = 0; round < 10; ++round) {
    auto pair = guard_->login("alice");
    ASSERT_OK(pair);
    const Claims access = claims_of(pair->access.token);
    std::mutex mu;
    std::vector<std::string> issued;
    std::atomic<bool> revoked{false};
    std::vector<std::thread> threads;
    for (int i = 0; i < 3; ++i) {
      threads.emplace_back([&] {
        // Keep asking until some calls have run after the revocation.
        for (int after = 0; after < 20;) {
          auto next = guard_->refresh_access(access);
          if (next) {
            std::lock_guard lock(mu);
            issued.push_back(next->token);
          }
          if (revoked.load()) ++after;
        }
      });
    }
    threads.emplace_back([&] {
      std::this_thread::yield();
      EXPECT_OK(guard_->revoke_session(access.sid));
      revoked = true;
    });
    for (auto& t : threads) t.join();
    for (const std::string& token : issued) {
      EXPECT_ERRC(guard_->require(token), Errc::kRevoked);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Stores, RefreshAccessTest,
                         ::testing::Values(Backend::kMemory, Backend::kSqlite),
                         testing::backend_name);

}  // namespace
}  // namespace jwtguard
