#include "revocation/follower.h"

#include <gtest/gtest.h>

#include "fake_feed.h"
#include "testing/fake_scheduler.h"
#include "testing/fixtures.h"

namespace jwtguard::revocation {
namespace {

using std::chrono::milliseconds;
using testing::FakeFeed;
using testing::token_change;

class FollowerTest : public ::testing::Test {
 protected:
  testing::FakeScheduler ticks_;
  testing::FakeClock clock_;
  FakeFeed feed_{ticks_};
  Index index_;
  Follower follower_{feed_, index_, clock_};
};

TEST_F(FollowerTest, LoadTakesTheSnapshotAndItsPosition) {
  feed_.current = Snapshot{.entries = {token_change("a", 0)}, .seq = 5};
  ASSERT_OK(follower_.load());
  EXPECT_TRUE(index_.tokens().contains("a"));
  EXPECT_EQ(follower_.position(), 5u);
}

TEST_F(FollowerTest, ABatchIsAppliedAndThePositionMovesToItsEnd) {
  ASSERT_OK(follower_.load());
  feed_.script.push_back(FakeFeed::ok({token_change("a", 1), token_change("b", 2)}));
  auto more = follower_.follow_once(milliseconds(0));
  ASSERT_OK(more);
  EXPECT_FALSE(*more);  // less than a full batch: nothing is waiting
  EXPECT_TRUE(index_.tokens().contains("a"));
  EXPECT_TRUE(index_.tokens().contains("b"));
  EXPECT_EQ(follower_.position(), 2u);
}

TEST_F(FollowerTest, AGapReloadsTheSnapshot) {
  feed_.current = Snapshot{.entries = {token_change("a", 0)}, .seq = 5};
  ASSERT_OK(follower_.load());
  // Changes 6 to 19 were purged before this follower saw them; "b" among them.
  feed_.current = Snapshot{.entries = {token_change("a", 0), token_change("b", 0)}, .seq = 20};
  feed_.script.push_back(FakeFeed::gap());
  auto more = follower_.follow_once(milliseconds(0));
  ASSERT_OK(more);
  EXPECT_TRUE(*more);  // changes after the snapshot may be waiting
  EXPECT_EQ(feed_.snapshots, 2);
  EXPECT_TRUE(index_.tokens().contains("b"));
  EXPECT_EQ(follower_.position(), 20u);
}

TEST_F(FollowerTest, AFailedRoundKeepsThePosition) {
  feed_.current = Snapshot{.entries = {}, .seq = 7};
  ASSERT_OK(follower_.load());
  feed_.script.push_back(FakeFeed::down());
  EXPECT_ERRC(follower_.follow_once(milliseconds(0)), Errc::kStore);
  EXPECT_EQ(follower_.position(), 7u);
}

TEST_F(FollowerTest, SyncAppliesEveryChangeTheFeedHolds) {
  ASSERT_OK(follower_.load());
  std::vector<Change> full;
  for (std::uint64_t seq = 1; seq <= Follower::kFeedBatch; ++seq) {
    full.push_back(token_change("t" + std::to_string(seq), seq));
  }
  feed_.script.push_back(FakeFeed::ok(std::move(full)));
  feed_.script.push_back(FakeFeed::ok({token_change("last", Follower::kFeedBatch + 1)}));
  ASSERT_OK(follower_.sync());
  EXPECT_TRUE(index_.tokens().contains("last"));
  EXPECT_EQ(follower_.position(), Follower::kFeedBatch + 1);
}

}  // namespace
}  // namespace jwtguard::revocation
