#include "revocation/background.h"

namespace jwtguard::revocation {

void Background::run(std::function<void()> loop) { threads_.emplace_back(std::move(loop)); }

void Background::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

bool Background::stopping() {
  std::lock_guard lock(mu_);
  return stopping_;
}

bool Background::wait_for(std::chrono::milliseconds d) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, d, [&] { return stopping_; });
}

}  // namespace jwtguard::revocation
