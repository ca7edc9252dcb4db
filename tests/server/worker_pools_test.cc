// The hand-off to the worker pools (server/worker_pools.h): each hashing
// route's budget of waiting requests, read from its row of the route table.
#include "server/worker_pools.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

namespace jwtguard::server {
namespace {

constexpr auto kHash = Service::Work::kPasswordHash;

class WorkerPoolsTest : public ::testing::Test {
 protected:
  // Every job waits until release(): what is submitted stays queued.
  auto blocked() {
    return [gate = gate_] {
      gate.wait();
      return 0;
    };
  }
  auto count() {
    return [this](int) { delivered_.fetch_add(1); };
  }
  void release() { open_.set_value(); }
  void wait_for_deliveries(unsigned n) {
    while (delivered_.load() < n) std::this_thread::yield();
  }

  std::promise<void> open_;
  std::shared_future<void> gate_ = open_.get_future().share();
  std::atomic<unsigned> delivered_{0};
};

TEST_F(WorkerPoolsTest, EachHashingRouteWaitsWithinItsOwnBudget) {
  constexpr unsigned kWorkers = 2;
  WorkerPools pools(kWorkers);
  const unsigned logins = route_spec(Route::kLogin)->queued_hashes_per_worker * kWorkers;
  const unsigned registrations = route_spec(Route::kRegister)->queued_hashes_per_worker * kWorkers;
  ASSERT_GT(logins, 0u);
  ASSERT_GT(registrations, 0u);
  unsigned accepted = 0;
  auto submit = [&](Route route, Service::Work work) {
    bool queued = pools.submit(route, work, blocked(), count());
    accepted += queued ? 1 : 0;
    return queued;
  };
  for (unsigned i = 0; i < registrations; ++i) EXPECT_TRUE(submit(Route::kRegister, kHash)) << i;
  EXPECT_FALSE(submit(Route::kRegister, kHash));
  // Registrations filled their budget, not the logins'.
  for (unsigned i = 0; i < logins; ++i) EXPECT_TRUE(submit(Route::kLogin, kHash)) << i;
  EXPECT_FALSE(submit(Route::kLogin, kHash));
  // Store work has no such budget.
  for (unsigned i = 0; i < logins + registrations; ++i) {
    EXPECT_TRUE(submit(Route::kLogout, Service::Work::kStore)) << i;
  }
  release();
  wait_for_deliveries(accepted);
  // A handled request leaves its route's budget.
  EXPECT_TRUE(submit(Route::kLogin, kHash));
  EXPECT_TRUE(submit(Route::kRegister, kHash));
  pools.join();
  EXPECT_EQ(delivered_.load(), accepted);
}

}  // namespace
}  // namespace jwtguard::server
