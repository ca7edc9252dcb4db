#include "revocation/background.h"

#include <gtest/gtest.h>

#include <future>

#include "fake_feed.h"
#include "testing/fake_scheduler.h"
#include "testing/fixtures.h"

namespace jwtguard::revocation {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::FakeFeed;
using testing::token_change;

class FollowLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(follower_.load());
    follow_in_background(scheduler_, follower_, milliseconds(200), errors_);
  }

  // When changes_since was called, since the loop started.
  std::vector<milliseconds> call_times() const {
    std::vector<milliseconds> times;
    for (util::Instant at : feed_.calls) {
      times.push_back(std::chrono::duration_cast<milliseconds>(at - util::Instant{}));
    }
    return times;
  }

  testing::FakeScheduler scheduler_;
  testing::FakeClock clock_;
  FakeFeed feed_{scheduler_};
  Index index_;
  Follower follower_{feed_, index_, clock_};
  std::atomic<std::uint64_t> errors_{0};
};

TEST_F(FollowLoopTest, TheFirstRoundRunsAtOnce) {
  feed_.script.push_back(FakeFeed::ok({token_change("a", 1)}));
  ASSERT_TRUE(scheduler_.run_next());
  EXPECT_EQ(call_times(), std::vector<milliseconds>{milliseconds(0)});  // at once
  EXPECT_TRUE(index_.tokens().contains("a"));
  EXPECT_EQ(errors_.load(), 0u);
}

TEST_F(FollowLoopTest, OnAFeedReportingAGapTheLoopReloadsTheSnapshot) {
  feed_.current = Snapshot{.entries = {token_change("lost", 0)}, .seq = 9};
  feed_.script.push_back(FakeFeed::gap());
  ASSERT_TRUE(scheduler_.run_next());
  EXPECT_EQ(feed_.snapshots, 2);  // the load, and the reload
  EXPECT_TRUE(index_.tokens().contains("lost"));
  EXPECT_EQ(follower_.position(), 9u);
}

TEST_F(FollowLoopTest, AfterAnErrorItRetriesAfterFeedWait) {
  for (int i = 0; i < 7; ++i) feed_.script.push_back(FakeFeed::down());
  feed_.script.push_back(FakeFeed::ok({token_change("a", 1)}));
  feed_.script.push_back(FakeFeed::down());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(scheduler_.run_next());

  // feed_wait after each failure, however many; at once after the success.
  EXPECT_EQ(call_times(),
            (std::vector<milliseconds>{milliseconds(0), milliseconds(200), milliseconds(400),
                                       milliseconds(600), milliseconds(800), milliseconds(1000),
                                       milliseconds(1200), milliseconds(1400), milliseconds(1400),
                                       milliseconds(1600)}));
  EXPECT_EQ(errors_.load(), 8u);
  EXPECT_TRUE(index_.tokens().contains("a"));
}

TEST(PurgeLoop, PurgesAtItsIntervalAndCountsFailures) {
  testing::FakeScheduler scheduler;
  std::atomic<std::uint64_t> errors{0};
  int purges = 0;
  purge_in_background(
      scheduler,
      [&]() -> Result<void> {
        ++purges;
        if (purges == 2) return fail(Errc::kStore, "store down");
        return {};
      },
      seconds(60), errors);

  EXPECT_EQ(scheduler.advance(seconds(59)), 0u);  // not at the start
  EXPECT_EQ(purges, 0);
  EXPECT_EQ(scheduler.advance(seconds(1)), 1u);
  EXPECT_EQ(purges, 1);
  EXPECT_EQ(scheduler.advance(seconds(150)), 2u);  // at 120 s and 180 s
  EXPECT_EQ(purges, 3);
  EXPECT_EQ(errors.load(), 1u);  // the failure at 120 s, retried at 180 s
}

// The real scheduler: a loop that asks to run again at once does, and
// stop() ends it.
TEST(ThreadScheduler, RepeatsAStepUntilStopped) {
  auto scheduler = util::thread_scheduler();
  std::atomic<int> runs{0};
  std::promise<void> third;
  scheduler->repeat(milliseconds(0), [&] {
    if (++runs == 3) third.set_value();
    return milliseconds(0);
  });
  third.get_future().wait();
  scheduler->stop();
  const int after_stop = runs.load();
  EXPECT_GE(after_stop, 3);
  scheduler->stop();  // idempotent
  EXPECT_EQ(runs.load(), after_stop);
}

// A loop waiting out a long delay stops at once (else stop() would hang
// for an hour), and its step never ran.
TEST(ThreadScheduler, StopWakesALoopWaitingOutItsDelay) {
  auto scheduler = util::thread_scheduler();
  std::atomic<int> runs{0};
  scheduler->repeat(std::chrono::hours(1), [&] {
    ++runs;
    return milliseconds(0);
  });
  scheduler->stop();
  EXPECT_EQ(runs.load(), 0);
}

}  // namespace
}  // namespace jwtguard::revocation
