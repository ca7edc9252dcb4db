#include "connection_limits.h"

#include <sys/resource.h>

#include <algorithm>

namespace jwtguard::server {

std::size_t connection_cap(std::size_t configured) {
  constexpr std::size_t kFloor = 16;
  std::size_t files = 1u << 20;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    files = std::min<std::size_t>(files, limit.rlim_cur);
  }
  std::size_t reserve = 64 + files / 32;
  std::size_t fitting = files > reserve + kFloor ? files - reserve : kFloor;
  return configured == 0 ? fitting : std::min(configured, fitting);
}

ByteBudget::ByteBudget(std::size_t header_limit, std::size_t body_limit)
    : limit_(std::max<std::size_t>(32u << 20, 8 * (header_limit + body_limit))) {}

bool ByteBudget::update(std::size_t& held, std::size_t now_held) {
  if (now_held == held) return held == 0 || total_.load() <= limit_;
  std::size_t total;
  if (now_held > held) {
    total = total_.fetch_add(now_held - held) + (now_held - held);
  } else {
    total = total_.fetch_sub(held - now_held) - (held - now_held);
  }
  held = now_held;
  return total <= limit_;
}

bool ByteBudget::reserve(std::size_t& held, std::size_t bytes) {
  held += bytes;
  return total_.fetch_add(bytes) + bytes <= limit_;
}

}  // namespace jwtguard::server
