// A case for the stores that are servers (Redis, PostgreSQL): two stores
// on one server allocating status list entries at the same time, then
// revoking through each other. Include in one file per program.
#ifndef JWTGUARD_TESTS_STORES_STATUS_TWO_STORES_CASE_H_
#define JWTGUARD_TESTS_STORES_STATUS_TWO_STORES_CASE_H_

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "jwtguard/store.h"

namespace jwtguard::testing {

// Two stores on one database allocate at once, 2 entries a call, 80 each,
// in lists of 16: every ref distinct, and the lists filled one after the
// other (exactly 10, each full with indices 0..15), which fails if both
// instances open a list when they find the newest full. Then a revocation
// through one store sets the entries the other allocated. Returns the
// states of lists 1..10.
inline std::vector<StatusListState> allocate_from_two_stores(Store& a, Store& b) {
  const StatusListSpec spec{.bits = 1, .size = 16};
  const Timestamp now = Timestamp(std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::system_clock::now().time_since_epoch()));
  std::vector<StatusRef> refs_a, refs_b;
  auto run = [&](Store& store, const std::string& who, std::vector<StatusRef>& out) {
    for (int i = 0; i < 40; ++i) {
      std::vector<StatusEntry> entries;
      for (int k = 0; k < 2; ++k) {
        entries.push_back({.jti = who + "-" + std::to_string(2 * i + k),
                           .session = who + "-s" + std::to_string(i % 4),
                           .user = who,
                           .issued_at = now - std::chrono::seconds(60),
                           .expires_at = now + std::chrono::hours(1)});
      }
      auto refs = store.allocate_status(entries, spec);
      EXPECT_TRUE(refs.has_value()) << refs.error().message();
      if (refs) out.insert(out.end(), refs->begin(), refs->end());
    }
  };
  std::thread ta(run, std::ref(a), "a", std::ref(refs_a));
  std::thread tb(run, std::ref(b), "b", std::ref(refs_b));
  ta.join();
  tb.join();
  std::set<std::pair<std::uint64_t, std::uint64_t>> all;
  for (const auto* refs : {&refs_a, &refs_b}) {
    for (const StatusRef& r : *refs) all.emplace(r.list, r.index);
  }
  EXPECT_EQ(all.size(), 160u);
  std::set<std::pair<std::uint64_t, std::uint64_t>> expected;
  for (std::uint64_t list = 1; list <= 10; ++list) {
    for (std::uint64_t index = 0; index < 16; ++index) expected.emplace(list, index);
  }
  EXPECT_EQ(all, expected);
  // a-5 (entry 5 of a's), b's session b-s1 (calls 1, 5, 9...: entries 2,
  // 3, 10, 11...), revoked through the other store.
  EXPECT_TRUE(b.revoke(Revocation{.kind = RevocationKind::kToken,
                                  .key = "a-5",
                                  .expires_at = now + std::chrono::hours(1),
                                  .revoked_at = now})
                  .has_value());
  EXPECT_TRUE(a.revoke_session(Revocation{.kind = RevocationKind::kSession,
                                          .key = "b-s1",
                                          .expires_at = now + std::chrono::hours(1),
                                          .revoked_at = now})
                  .has_value());
  std::set<std::pair<std::uint64_t, std::uint64_t>> revoked;
  if (refs_a.size() == 80 && refs_b.size() == 80) {
    revoked.emplace(refs_a[5].list, refs_a[5].index);
    for (int i = 1; i < 40; i += 4) {
      for (int k = 0; k < 2; ++k) revoked.emplace(refs_b[2 * i + k].list, refs_b[2 * i + k].index);
    }
  }
  std::vector<StatusListState> states;
  std::set<std::pair<std::uint64_t, std::uint64_t>> set_now;
  for (std::uint64_t list = 1; list <= 10; ++list) {
    auto state = a.find_status_list(list);
    EXPECT_TRUE(state.has_value() && state->has_value()) << "list " << list;
    if (!state || !*state) continue;
    EXPECT_EQ((*state)->allocated, 16u);
    for (const auto& [index, status] : (*state)->statuses) {
      EXPECT_EQ(status, 1) << list << ":" << index;
      set_now.emplace(list, index);
    }
    states.push_back(**state);
  }
  EXPECT_EQ(set_now, revoked);
  EXPECT_EQ(revoked.size(), 21u);
  return states;
}

}  // namespace jwtguard::testing

#endif  // JWTGUARD_TESTS_STORES_STATUS_TWO_STORES_CASE_H_
