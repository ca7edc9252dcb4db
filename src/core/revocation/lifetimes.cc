#include "revocation/lifetimes.h"

#include <algorithm>

namespace jwtguard::revocation {

Result<void> Lifetimes::raise(Store& store, Timestamp now) {
  auto recorded = store.raise_token_horizon(now + ahead());
  if (!recorded) return tl::unexpected(recorded.error());
  horizon_us_.store(recorded->time_since_epoch().count());
  return {};
}

void Lifetimes::widen(std::chrono::seconds longest) {
  raise_to(longest_, longest.count());
  raise_to(kept_, std::max(longest, foreign_).count());
}

Timestamp Lifetimes::latest_expiry_before(Timestamp now) const {
  const Timestamp horizon{std::chrono::microseconds(horizon_us_.load())};
  return std::max(now + kept(), horizon);
}

}  // namespace jwtguard::revocation
