// What the listener's connections may use together: how many may be open
// (file descriptors), which one goes first when a new one needs room, and
// how many bytes of requests still being received they may hold.
#ifndef JWTGUARD_SERVER_CONNECTION_LIMITS_H_
#define JWTGUARD_SERVER_CONNECTION_LIMITS_H_

#include <atomic>
#include <chrono>
#include <cstddef>

namespace jwtguard::server {

// The connection cap: `configured`, or with 0 (or a value that would not
// fit) the soft RLIMIT_NOFILE less a reserve for what else needs
// descriptors (the listening socket, event loops, log file, store files and
// store connections, which a pool may reopen at any time).
std::size_t connection_cap(std::size_t configured);

// Which connection goes first when one must close for a new one: the lower.
struct EvictionRank {
  int tier;  // 0: waiting for a request; 1: receiving one
  std::chrono::steady_clock::time_point since;
  bool operator<(const EvictionRank& other) const {
    return tier != other.tier ? tier < other.tier : since < other.since;
  }
};

// Bytes held by all connections for requests still being received, against
// one limit. Each connection keeps its own share (`held`) and updates it
// through these calls. Thread-safe.
class ByteBudget {
 public:
  // 32 MiB, or room for 8 requests of the largest size when that is more.
  ByteBudget(std::size_t header_limit, std::size_t body_limit);

  // Moves a connection's share from `held` to `now_held`. False when all
  // connections together now hold more than the limit. A share that stays
  // zero, the usual request's, touches nothing shared.
  bool update(std::size_t& held, std::size_t now_held);
  // Adds `bytes` a connection is about to allocate to its share. False when
  // they do not fit.
  bool reserve(std::size_t& held, std::size_t bytes);

 private:
  const std::size_t limit_;
  std::atomic<std::size_t> total_{0};
};

}  // namespace jwtguard::server

#endif  // JWTGUARD_SERVER_CONNECTION_LIMITS_H_
