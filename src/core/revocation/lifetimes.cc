#include "revocation/lifetimes.h"

#include <algorithm>

namespace jwtguard::revocation {

Result<void> Lifetimes::raise(Store& store, Timestamp now) {
  auto recorded = store.raise_token_horizon(now + ahead_);
  if (!recorded) return tl::unexpected(recorded.error());
  horizon_us_.store(recorded->time_since_epoch().count());
  return {};
}

Timestamp Lifetimes::latest_expiry_before(Timestamp now) const {
  const Timestamp horizon{std::chrono::microseconds(horizon_us_.load())};
  return std::max(now + kept_, horizon);
}

}  // namespace jwtguard::revocation
