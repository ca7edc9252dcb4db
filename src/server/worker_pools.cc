#include "worker_pools.h"

#include <algorithm>

namespace jwtguard::server {

WorkerPools::WorkerPools(unsigned workers)
    : workers_count_(std::max(1u, workers)), workers_(workers), hashers_(workers) {}

void WorkerPools::stop() {
  workers_.stop();
  hashers_.stop();
}

void WorkerPools::join() {
  workers_.join();
  hashers_.join();
}

std::size_t WorkerPools::max_queued_hashes(Route route) const {
  const RouteSpec* spec = route_spec(route);
  return (spec != nullptr ? spec->queued_hashes_per_worker : 0) * workers_count_;
}

}  // namespace jwtguard::server
