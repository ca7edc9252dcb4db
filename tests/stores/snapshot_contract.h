// What an instance joining a cluster relies on when it loads a store's
// revocations (Store::snapshot, then the feed from the snapshot's
// position): every live revocation of every kind however many there are,
// none that has expired, and nothing written while it loads is lost. A typed
// suite on StoreContractTest's fixture, instantiated by each backend's
// program. A Backend whose durable writes are slow may say how many records
// the large store holds (static constexpr std::size_t kSnapshotRecords);
// 50,000 otherwise, enough for several of each backend's chunks and pages.
#ifndef JWTGUARD_TESTS_STORES_SNAPSHOT_CONTRACT_H_
#define JWTGUARD_TESTS_STORES_SNAPSHOT_CONTRACT_H_

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "revocation/follower.h"
#include "revocation/index.h"
#include "stores/store_contract.h"

namespace jwtguard {
namespace {

template <typename Backend>
constexpr std::size_t snapshot_records() {
  if constexpr (requires { Backend::kSnapshotRecords; }) {
    return Backend::kSnapshotRecords;
  } else {
    return 50'000;
  }
}

// Record i of a joining instance's mix: every 20th a user cutoff, 3 in 20
// a session, the rest tokens.
Revocation mixed_revocation(std::size_t i, Timestamp expires) {
  const std::string n = std::to_string(i);
  Revocation r = token_revocation("t" + n, expires);
  if (i % 20 == 0) {
    r = user_revocation("u" + n, kNow + seconds(i % 1000 + 1));
    r.expires_at = expires;
  } else if (i % 20 <= 3) {
    r.kind = RevocationKind::kSession;
    r.key = "s" + n;
    r.token_type.reset();
  }
  return r;
}

// Calls write(i) for each i in [from, to), from 8 threads (the shared
// stores take concurrent writers faster).
template <typename Write>
void write_all(std::size_t from, std::size_t to, const Write& write) {
  std::atomic<std::size_t> next{from};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (std::size_t i; (i = next.fetch_add(1)) < to;) write(i);
    });
  }
  for (auto& thread : threads) thread.join();
}

template <typename Backend>
class SnapshotContractTest : public StoreContractTest<Backend> {};
TYPED_TEST_SUITE_P(SnapshotContractTest);

TYPED_TEST_P(SnapshotContractTest, ALargeStoreLoadsEveryLiveRevocationOfEveryKind) {
  const std::size_t n = snapshot_records<TypeParam>();
  // One in ten is over at the snapshot's instant: it must not be loaded.
  const Timestamp at = kNow + std::chrono::minutes(10);
  auto expires = [&](std::size_t i) {
    return i % 10 == 9 ? kNow + std::chrono::minutes(5) : kNow + hours(1);
  };
  std::map<std::pair<RevocationKind, std::string>, Revocation> live;
  for (std::size_t i = 0; i < n; ++i) {
    if (i % 10 != 9) {
      Revocation r = mixed_revocation(i, expires(i));
      live.emplace(std::pair(r.kind, r.key), r);
    }
  }
  write_all(0, n, [&](std::size_t i) {
    const Revocation r = mixed_revocation(i, expires(i));
    auto write = [&] {
      return r.kind == RevocationKind::kSession ? this->store_->revoke_session(r)
                                                : this->store_->revoke(r);
    };
    // A write may time out on a busy machine; repeating one is safe.
    auto seq = write();
    for (int retry = 0; !seq && retry < 3; ++retry) seq = write();
    ASSERT_TRUE(seq.has_value()) << seq.error().message();
  });

  auto snapshot = this->store_->snapshot(at);
  ASSERT_OK(snapshot);
  ASSERT_EQ(snapshot->entries.size(), live.size());
  std::size_t found = 0;
  for (const Change& c : snapshot->entries) {
    const auto it = live.find(std::pair(c.kind, c.key));
    ASSERT_NE(it, live.end()) << c.key;
    EXPECT_EQ(c.op, Change::Op::kRevoke);
    EXPECT_EQ(c.expires_at, it->second.expires_at) << c.key;
    if (c.kind == RevocationKind::kUser) {
      EXPECT_EQ(c.cutoff, it->second.cutoff) << c.key;
    }
    ++found;
  }
  EXPECT_EQ(found, live.size());

  // And into an index, as the Guard loads it.
  testing::FakeClock clock(at);
  revocation::StoreFeed feed(*this->store_);
  revocation::Index index;
  revocation::Follower follower(feed, index, clock);
  ASSERT_OK(follower.load());
  std::size_t tokens = 0, sessions = 0, users = 0;
  for (const auto& [kind_key, r] : live) {
    (kind_key.first == RevocationKind::kToken     ? tokens
     : kind_key.first == RevocationKind::kSession ? sessions
                                                  : users)++;
  }
  EXPECT_EQ(index.tokens().size(), tokens);
  EXPECT_EQ(index.sessions().size(), sessions);
  EXPECT_EQ(index.users().size(), users);
  EXPECT_EQ(follower.position(), snapshot->seq);
}

TYPED_TEST_P(SnapshotContractTest, NothingWrittenWhileAnIndexLoadsIsLost) {
  const std::size_t before = snapshot_records<TypeParam>() / 5;
  write_all(0, before, [&](std::size_t i) {
    ASSERT_OK(this->store_->revoke(token_revocation("p" + std::to_string(i))));
  });
  // A second instance keeps writing while this one loads: new revocations,
  // and un-revocations of entries the snapshot may already have read.
  std::atomic<bool> loaded{false};
  std::atomic<std::size_t> started{0};
  std::vector<std::string> revoked;
  std::set<std::string> unrevoked;
  std::thread writer([&] {
    // Goes on a little after the load, so that the feed has changes past it.
    for (std::size_t j = 0, after = 0; after < 20; ++j) {
      const std::string key = "w" + std::to_string(j);
      if (!this->store_->revoke(token_revocation(key))) continue;
      revoked.push_back(key);
      const std::string old = "p" + std::to_string(j * 7 % before);
      if (j % 3 == 0 && this->store_->unrevoke(RevocationKind::kToken, old, kNow)) {
        unrevoked.insert(old);
      }
      ++started;
      if (loaded) ++after;
    }
  });
  while (started < 5) std::this_thread::yield();  // under way
  testing::FakeClock clock(kNow);
  revocation::StoreFeed feed(*this->store_);
  revocation::Index index;
  revocation::Follower follower(feed, index, clock);
  auto load = follower.load();
  loaded = true;
  writer.join();
  ASSERT_OK(load);
  ASSERT_OK(follower.sync());
  for (const std::string& key : revoked) EXPECT_TRUE(index.tokens().contains(key)) << key;
  for (const std::string& key : unrevoked) EXPECT_FALSE(index.tokens().contains(key)) << key;
  EXPECT_EQ(index.tokens().size(), before + revoked.size() - unrevoked.size());
}

REGISTER_TYPED_TEST_SUITE_P(SnapshotContractTest, ALargeStoreLoadsEveryLiveRevocationOfEveryKind,
                            NothingWrittenWhileAnIndexLoadsIsLost);

}  // namespace
}  // namespace jwtguard

#endif  // JWTGUARD_TESTS_STORES_SNAPSHOT_CONTRACT_H_
