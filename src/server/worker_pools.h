// The hand-off of requests that may block (Service::work()) from the I/O
// threads to worker threads: one pool for store reads and writes, one for
// password hashing, so that a flood of logins and registrations cannot delay
// logouts and revocations.
#ifndef JWTGUARD_SERVER_WORKER_POOLS_H_
#define JWTGUARD_SERVER_WORKER_POOLS_H_

#include <array>
#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cstddef>
#include <utility>

#include "routes.h"
#include "service.h"

namespace jwtguard::server {

class WorkerPools {
 public:
  // `workers` threads in each pool (at least one).
  explicit WorkerPools(unsigned workers);

  // Runs `handle()` on the pool for `work` (kStore or kPasswordHash), then
  // `deliver(result)` on the same worker. A hashing route waits within a
  // budget of its own (RouteSpec::queued_hashes_per_worker per worker): past
  // it, submit() returns false at once and runs nothing, and the caller
  // answers 503 "overloaded". Each hash takes ~0.1 s and 64 MiB; more waiting
  // would only be answered after their clients gave up. Thread-safe.
  template <typename Handle, typename Deliver>
  bool submit(Route route, Service::Work work, Handle handle, Deliver deliver) {
    if (work != Service::Work::kPasswordHash) {
      boost::asio::post(workers_, [handle = std::move(handle),
                                   deliver = std::move(deliver)]() mutable { deliver(handle()); });
      return true;
    }
    std::atomic<std::size_t>& queued = queued_hashes_[static_cast<std::size_t>(route)];
    if (queued.fetch_add(1) >= max_queued_hashes(route)) {
      queued.fetch_sub(1);
      return false;
    }
    boost::asio::post(
        hashers_, [&queued, handle = std::move(handle), deliver = std::move(deliver)]() mutable {
          auto result = handle();
          queued.fetch_sub(1);
          deliver(std::move(result));
        });
    return true;
  }

  // Drops the work still queued (for connections being cut at a stop).
  void stop();
  // Waits for the threads to finish what they run.
  void join();

 private:
  std::size_t max_queued_hashes(Route route) const;

  unsigned workers_count_;
  boost::asio::thread_pool workers_;  // store reads and writes
  boost::asio::thread_pool hashers_;  // Argon2id: register and login
  std::array<std::atomic<std::size_t>, kRouteCount> queued_hashes_{};
};

}  // namespace jwtguard::server

#endif  // JWTGUARD_SERVER_WORKER_POOLS_H_
