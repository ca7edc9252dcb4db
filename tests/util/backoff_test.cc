#include "util/backoff.h"

#include <gtest/gtest.h>

#include <vector>

#include "testing/fake_scheduler.h"

namespace jwtguard::util {
namespace {

using std::chrono::milliseconds;
using testing::FakeScheduler;

std::vector<milliseconds> take(Backoff& backoff, int n) {
  std::vector<milliseconds> delays;
  for (int i = 0; i < n; ++i) delays.push_back(backoff.next());
  return delays;
}

TEST(Backoff, DoublesFromTheFirstDelayUpToTheCap) {
  Backoff backoff(milliseconds(50), milliseconds(2000));
  EXPECT_EQ(take(backoff, 8),
            (std::vector<milliseconds>{milliseconds(50), milliseconds(100), milliseconds(200),
                                       milliseconds(400), milliseconds(800), milliseconds(1600),
                                       milliseconds(2000), milliseconds(2000)}));
}

TEST(Backoff, ResetStartsOverFromTheFirstDelay) {
  Backoff backoff(milliseconds(50), milliseconds(2000));
  take(backoff, 5);
  backoff.reset();
  EXPECT_EQ(take(backoff, 2), (std::vector<milliseconds>{milliseconds(50), milliseconds(100)}));
}

TEST(Backoff, AZeroFirstDelayStillGrows) {
  Backoff backoff(milliseconds(0), milliseconds(4));
  EXPECT_EQ(take(backoff, 4), (std::vector<milliseconds>{milliseconds(1), milliseconds(2),
                                                         milliseconds(4), milliseconds(4)}));
}

// The gate of the Redis and PostgreSQL connectors: 50 ms, doubling up to 2 s.
class RetryGateTest : public ::testing::Test {
 protected:
  // Fails an attempt admitted now, as a probe when the gate says so.
  void fail_next(const std::string& error = "refused") {
    const RetryGate::Pass pass = gate_.admit();
    ASSERT_TRUE(pass.go);
    gate_.failed(pass, error);
  }

  // How long after now the gate admits a probe, to the millisecond: it
  // refuses one millisecond before. Leaves the clock at that time.
  milliseconds delay_until_probe() {
    milliseconds waited(0);
    for (;;) {
      const RetryGate::Pass pass = gate_.admit();
      if (pass.go) {
        EXPECT_TRUE(pass.probe);
        gate_.failed(pass, "still refused");  // the next one is measured from here
        return waited;
      }
      clock_.advance(milliseconds(1));
      waited += milliseconds(1);
      if (waited > milliseconds(10'000)) return waited;
    }
  }

  FakeScheduler clock_;
  RetryGate gate_{Backoff(milliseconds(50), milliseconds(2000)), clock_};
};

TEST_F(RetryGateTest, AHealthyGateAdmitsEveryCallerWithoutProbing) {
  for (int i = 0; i < 3; ++i) {
    const RetryGate::Pass pass = gate_.admit();
    EXPECT_TRUE(pass.go);
    EXPECT_FALSE(pass.probe);
  }
}

TEST_F(RetryGateTest, AfterAFailureCallersAreRefusedUntilTheDelayThenOneProbes) {
  fail_next("connection refused");
  clock_.advance(milliseconds(49));
  const RetryGate::Pass refused = gate_.admit();
  EXPECT_FALSE(refused.go);
  EXPECT_EQ(refused.last_error, "connection refused");

  clock_.advance(milliseconds(1));
  const RetryGate::Pass probe = gate_.admit();
  EXPECT_TRUE(probe.go);
  EXPECT_TRUE(probe.probe);
  EXPECT_FALSE(gate_.admit().go);  // one probe at a time
}

TEST_F(RetryGateTest, FailedProbesDoubleTheDelayUpToTheCap) {
  fail_next();
  std::vector<milliseconds> delays;
  for (int i = 0; i < 7; ++i) delays.push_back(delay_until_probe());
  EXPECT_EQ(delays, (std::vector<milliseconds>{
                        milliseconds(50), milliseconds(100), milliseconds(200), milliseconds(400),
                        milliseconds(800), milliseconds(1600), milliseconds(2000)}));
}

TEST_F(RetryGateTest, ASuccessfulProbeOpensTheGateAndResetsTheDelay) {
  fail_next();
  delay_until_probe();
  delay_until_probe();  // the delay is 200 ms now
  clock_.advance(milliseconds(200));
  const RetryGate::Pass probe = gate_.admit();
  ASSERT_TRUE(probe.probe);
  gate_.succeeded(probe);
  const RetryGate::Pass healthy = gate_.admit();
  EXPECT_TRUE(healthy.go);
  EXPECT_FALSE(healthy.probe);

  gate_.failed(healthy, "down again");
  EXPECT_EQ(delay_until_probe(), milliseconds(50));
}

// The two connectors disagreed here: PostgreSQL's re-armed the delay from
// each late failure, Redis's did not. An attempt that began before the
// outage was known says nothing new about it, so the retry stays due when
// the first failure set it.
TEST_F(RetryGateTest, AnAttemptAlreadyUnderWayWhenTheOutageBeganDoesNotPostponeTheRetry) {
  const RetryGate::Pass first = gate_.admit();
  const RetryGate::Pass second = gate_.admit();
  ASSERT_TRUE(first.go && second.go);
  gate_.failed(first, "refused");
  clock_.advance(milliseconds(30));
  gate_.failed(second, "refused");
  clock_.advance(milliseconds(20));
  const RetryGate::Pass probe = gate_.admit();
  EXPECT_TRUE(probe.go);
  EXPECT_TRUE(probe.probe);
}

}  // namespace
}  // namespace jwtguard::util
