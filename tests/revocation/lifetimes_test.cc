// How long a revocation must be kept (revocation/lifetimes.h): this Guard's
// longest lifetime, or the store's token horizon when that is later.
#include "revocation/lifetimes.h"

#include <gtest/gtest.h>

#include "jwtguard/store.h"
#include "testing/fixtures.h"

namespace jwtguard::revocation {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::minutes;
using std::chrono::seconds;

const Timestamp kNow = from_unix_seconds(1'700'000'000);

TEST(Lifetimes, BeforeAnyRaiseTheLongestLifetimeDecides) {
  const Lifetimes lifetimes(hours(24), minutes(10));
  EXPECT_EQ(lifetimes.longest(), hours(24));
  EXPECT_EQ(lifetimes.latest_expiry_before(kNow), kNow + hours(24));
}

TEST(Lifetimes, RaiseCoversEveryTokenIssuedUntilTheNextRaise) {
  auto store = open_memory_store();
  Lifetimes lifetimes(hours(1), minutes(10));
  ASSERT_OK(lifetimes.raise(*store, kNow));
  // Past the next raise (10 minutes on), a token issued then still expires
  // before the horizon: one lifetime, one interval and a minute's margin.
  const Timestamp horizon = kNow + hours(1) + minutes(10) + seconds(60);
  auto recorded = store->raise_token_horizon(Timestamp{});
  ASSERT_OK(recorded);
  EXPECT_EQ(*recorded, horizon);
  EXPECT_EQ(lifetimes.latest_expiry_before(kNow), horizon);
  EXPECT_EQ(lifetimes.latest_expiry_before(kNow + minutes(10)), horizon);
}

TEST(Lifetimes, PastTheHorizonTheLongestLifetimeDecidesAgain) {
  auto store = open_memory_store();
  Lifetimes lifetimes(hours(1), minutes(10));
  ASSERT_OK(lifetimes.raise(*store, kNow));
  const Timestamp later = kNow + hours(2);
  EXPECT_EQ(lifetimes.latest_expiry_before(later), later + hours(1));
  // At the boundary both give the same instant.
  const Timestamp edge = kNow + minutes(11);
  EXPECT_EQ(lifetimes.latest_expiry_before(edge), edge + hours(1));
  EXPECT_EQ(lifetimes.latest_expiry_before(edge - microseconds(1)), kNow + hours(1) + minutes(11));
}

TEST(Lifetimes, ALongerHorizonOfAnEarlierGuardIsKept) {
  auto store = open_memory_store();
  // An earlier Guard issued tokens that live 30 days.
  Lifetimes earlier(hours(24 * 30), minutes(10));
  ASSERT_OK(earlier.raise(*store, kNow));
  const Timestamp earlier_horizon = kNow + hours(24 * 30) + minutes(11);

  Lifetimes shorter(minutes(15), minutes(10));
  ASSERT_OK(shorter.raise(*store, kNow + hours(1)));
  EXPECT_EQ(shorter.latest_expiry_before(kNow + hours(1)), earlier_horizon);
  auto recorded = store->raise_token_horizon(Timestamp{});
  ASSERT_OK(recorded);
  EXPECT_EQ(*recorded, earlier_horizon);
}

TEST(Lifetimes, ARaiseRemembersWhatTheStoreHoldsNow) {
  auto store = open_memory_store();
  Lifetimes lifetimes(hours(1), minutes(10));
  ASSERT_OK(lifetimes.raise(*store, kNow));
  // Another Guard on the same store raises it further.
  const Timestamp further = kNow + hours(48);
  ASSERT_OK(store->raise_token_horizon(further));
  EXPECT_EQ(lifetimes.latest_expiry_before(kNow), kNow + hours(1) + minutes(11));
  ASSERT_OK(lifetimes.raise(*store, kNow + minutes(10)));
  EXPECT_EQ(lifetimes.latest_expiry_before(kNow + minutes(10)), further);
}

TEST(Lifetimes, APairLastsUntilItsLaterToken) {
  TokenPair pair;
  pair.access.expires_at = kNow + minutes(15);
  pair.refresh.expires_at = kNow + hours(24);
  EXPECT_EQ(Lifetimes::last_expiry(pair), kNow + hours(24));
  pair.access.expires_at = kNow + hours(25);
  EXPECT_EQ(Lifetimes::last_expiry(pair), kNow + hours(25));
}

}  // namespace
}  // namespace jwtguard::revocation
