#include "io_thread.h"

#include <chrono>

namespace jwtguard::server {
namespace {

constexpr std::chrono::milliseconds kSweepInterval{250};

}  // namespace

void IoThread::start() {
  sweep_later();
  thread = std::thread([this] { context.run(); });
}

bool IoThread::evict_one() {
  std::shared_ptr<Connection> victim;
  std::optional<EvictionRank> lowest;
  for (const auto& weak : connections) {
    auto connection = weak.lock();
    if (!connection) continue;
    auto rank = connection->eviction_rank();
    if (rank && (!lowest || *rank < *lowest)) {
      lowest = rank;
      victim = std::move(connection);
    }
  }
  if (!victim) return false;
  victim->evict();
  return true;
}

void IoThread::sweep_later() {
  sweeper.expires_after(kSweepInterval);
  sweeper.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    auto now = std::chrono::steady_clock::now();
    std::erase_if(connections, [now](const std::weak_ptr<Connection>& weak) {
      auto connection = weak.lock();
      if (!connection) return true;
      connection->expire_if_due(now);
      return false;
    });
    sweep_later();
  });
}

}  // namespace jwtguard::server
