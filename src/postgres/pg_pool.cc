#include "pg_pool.h"

#include <string>

namespace jwtguard::pg {

// --- Pool --------------------------------------------------------------------

Result<Pool::Lease> Pool::acquire() {
  std::unique_lock lock(mu_);
  // A holder gives its connection back within a statement deadline, as a
  // rule (a writer's batch, several statements, may take longer).
  const Deadline give_up = connector_.statement_deadline();
  while (idle_.empty() && busy_ >= size_) {
    if (released_.wait_until(lock, give_up) == std::cv_status::timeout && idle_.empty() &&
        busy_ >= size_) {
      return fail(Errc::kStore, "postgresql: all " + std::to_string(size_) +
                                    " connections stayed busy; try more connections");
    }
  }
  ++busy_;
  while (!idle_.empty()) {
    std::unique_ptr<Conn> conn = std::move(idle_.back());
    idle_.pop_back();
    lock.unlock();
    if (conn->alive()) return Lease(this, std::move(conn));
    conn.reset();  // closed by the server meanwhile (a restart, say)
    lock.lock();
  }
  lock.unlock();
  auto conn = connector_.connect();
  if (!conn) {
    release(nullptr);
    return tl::unexpected(conn.error());
  }
  return Lease(this, std::move(*conn));
}

void Pool::adopt(std::unique_ptr<Conn> conn) {
  {
    std::lock_guard lock(mu_);
    ++busy_;
  }
  release(std::move(conn));
}

void Pool::release(std::unique_ptr<Conn> conn) {
  // A connection that failed, timed out or is still inside a transaction
  // (its ROLLBACK failed) is closed: nothing it was doing may leak into the
  // next caller's statements.
  if (conn != nullptr && !conn->idle()) conn.reset();
  {
    std::lock_guard lock(mu_);
    if (conn != nullptr) idle_.push_back(std::move(conn));
    --busy_;
  }
  released_.notify_one();
}

// --- Listener ----------------------------------------------------------------

Result<std::uint64_t> Listener::arm() {
  std::lock_guard lock(mu_);
  // While a waiter polls the connection, that waiter is the one to find out
  // whether it still works.
  if (polling_) return wakes_;
  if (conn_ != nullptr && !conn_->alive()) conn_.reset();
  // What arrived so far announces commits that the read after arm() sees
  // anyway. Dropping it keeps a listener whose follower pauses from piling
  // up notifications.
  // Another waiter may be between its read and its wait(), counting on one
  // of these to wake it: count them as a wake-up, or it would sleep until
  // its deadline.
  if (conn_ != nullptr && conn_->drop_notifications() > 0) {
    ++wakes_;
    changed_.notify_all();
  }
  if (conn_ == nullptr) {
    auto conn = connector_.connect();
    if (!conn) return tl::unexpected(conn.error());
    // The channel name is a constant, not a value: LISTEN takes no
    // parameters.
    const std::string listen = std::string("LISTEN ") + kFeedChannel;
    if (auto ok = (*conn)->run(listen.c_str(), connector_.statement_deadline()); !ok) {
      return tl::unexpected(ok.error());
    }
    conn_ = std::move(*conn);
  }
  return wakes_;
}

void Listener::wait(std::uint64_t seen, Deadline deadline) {
  std::unique_lock lock(mu_);
  while (wakes_ == seen && conn_ != nullptr && SteadyClock::now() < deadline) {
    if (polling_) {
      changed_.wait_until(lock, deadline);
      continue;
    }
    // This waiter polls for everyone until its own deadline; then another
    // takes over (notify_all below).
    polling_ = true;
    Conn* conn = conn_.get();
    lock.unlock();
    auto notified = conn->await_notifications(deadline);
    lock.lock();
    polling_ = false;
    if (!notified) {
      conn_.reset();
      ++wakes_;  // the waiters go back to arm(), which reconnects
    } else if (*notified > 0) {
      ++wakes_;
    }
    changed_.notify_all();
  }
}

}  // namespace jwtguard::pg
