#include "revocation/index.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "jwtguard/issuer.h"

namespace jwtguard::revocation {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const Timestamp kNow = from_unix_seconds(1'700'000'000);

std::string own_id() { return random_id().value(); }

TEST(Fingerprint, OwnIdsAreDecodedOtherStringsHashed) {
  const std::string a = own_id(), b = own_id();
  EXPECT_NE(fingerprint(a), fingerprint(b));
  EXPECT_EQ(fingerprint(a), fingerprint(a));
  // 22 characters that are not canonical base64url still get a fingerprint,
  // and a different one from their canonical neighbour.
  EXPECT_NE(fingerprint("AAAAAAAAAAAAAAAAAAAAAB"), fingerprint("AAAAAAAAAAAAAAAAAAAAAA"));
  EXPECT_NE(fingerprint("6f1c0a0e-4b5e-4c4e-9d57-2b1f0d9a7e11"),
            fingerprint("6f1c0a0e-4b5e-4c4e-9d57-2b1f0d9a7e12"));
  EXPECT_NE(fingerprint(""), fingerprint("x"));
}

TEST(ExpirySeconds, RoundsUpAndSaturates) {
  EXPECT_EQ(expiry_seconds(kNow), 1'700'000'000u);
  EXPECT_EQ(expiry_seconds(kNow + std::chrono::microseconds(1)), 1'700'000'001u);
  EXPECT_EQ(expiry_seconds(from_unix_seconds(-5)), 0u);
  EXPECT_EQ(expiry_seconds(from_unix_seconds(std::int64_t{1} << 40)), 0xffffffffu);
}

TEST(IdSet, InsertContainsErase) {
  IdSet set;
  const std::string id = own_id();
  EXPECT_FALSE(set.contains(id));
  set.insert(id, kNow + seconds(10));
  set.insert("not-one-of-ours", kNow + seconds(10));
  EXPECT_TRUE(set.contains(id));
  EXPECT_TRUE(set.contains("not-one-of-ours"));
  EXPECT_FALSE(set.contains(own_id()));
  EXPECT_EQ(set.size(), 2u);
  set.insert(id, kNow + seconds(10));  // again: no duplicate
  EXPECT_EQ(set.size(), 2u);
  EXPECT_TRUE(set.erase(id));
  EXPECT_FALSE(set.erase(id));
  EXPECT_FALSE(set.contains(id));
  EXPECT_EQ(set.size(), 1u);
  EXPECT_GT(set.bytes(), 0u);
}

TEST(IdSet, EvictsAtExpiryAndKeepsRaisedExpiries) {
  IdSet set;
  const std::string short_lived = own_id(), raised = own_id(), long_lived = own_id();
  set.insert(short_lived, kNow + seconds(10));
  set.insert(raised, kNow + seconds(10));
  set.insert(raised, kNow + seconds(100));
  set.insert(raised, kNow + seconds(5));  // a shorter one never lowers it
  set.insert(long_lived, kNow + seconds(100));
  EXPECT_EQ(set.evict(kNow + seconds(9)), 0u);
  EXPECT_EQ(set.evict(kNow + seconds(10)), 1u);
  EXPECT_FALSE(set.contains(short_lived));
  EXPECT_TRUE(set.contains(raised));
  EXPECT_EQ(set.evict(kNow + seconds(100)), 2u);
  EXPECT_EQ(set.size(), 0u);
}

TEST(IdSet, NeverEvictsBeforeTheExactExpiry) {
  IdSet set;
  const std::string id = own_id();
  set.insert(id, kNow + milliseconds(10'500));  // held as 11 s, rounded up
  EXPECT_EQ(set.evict(kNow + milliseconds(10'400)), 0u);
  EXPECT_EQ(set.evict(kNow + milliseconds(10'999)), 0u);
  EXPECT_TRUE(set.contains(id));
  EXPECT_EQ(set.evict(kNow + seconds(11)), 1u);
}

TEST(IdSet, ManyEntriesAcrossShards) {
  IdSet set;
  set.reserve(10'000);
  std::vector<std::string> ids;
  for (int i = 0; i < 10'000; ++i) {
    ids.push_back(own_id());
    set.insert(ids.back(), kNow + seconds(i));
  }
  EXPECT_EQ(set.size(), 10'000u);
  for (const auto& id : ids) ASSERT_TRUE(set.contains(id));
  EXPECT_EQ(set.evict(kNow + seconds(4999)), 5000u);
  EXPECT_FALSE(set.contains(ids[0]));
  EXPECT_TRUE(set.contains(ids[5000]));
  set.clear();
  EXPECT_EQ(set.size(), 0u);
}

TEST(IdSet, ReadersSeeEveryAcknowledgedInsertWhileAWriterRuns) {
  IdSet set;
  constexpr int kIds = 20'000;
  std::vector<std::string> ids;
  for (int i = 0; i < kIds; ++i) ids.push_back(own_id());
  std::atomic<int> published{0};
  std::atomic<bool> failed{false};
  std::thread writer([&] {
    for (int i = 0; i < kIds; ++i) {
      set.insert(ids[i], kNow + seconds(60));
      published.store(i + 1, std::memory_order_release);
    }
  });
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      while (published.load(std::memory_order_acquire) < kIds) {
        const int n = published.load(std::memory_order_acquire);
        if (n > 0 && !set.contains(ids[n - 1])) failed = true;
      }
    });
  }
  writer.join();
  for (auto& t : readers) t.join();
  EXPECT_FALSE(failed.load());
  EXPECT_EQ(set.size(), std::size_t{kIds});
}

TEST(UserCutoffs, StrictlyBeforeTheCutoffIsRevoked) {
  UserCutoffs users;
  EXPECT_FALSE(users.revokes("alice", kNow));
  users.insert("alice", kNow, kNow + seconds(100));
  EXPECT_TRUE(users.revokes("alice", kNow - std::chrono::microseconds(1)));
  EXPECT_FALSE(users.revokes("alice", kNow));
  EXPECT_FALSE(users.revokes("alice", kNow + milliseconds(1)));
  EXPECT_TRUE(users.revokes("alice", std::nullopt));  // cannot prove it is newer
  EXPECT_FALSE(users.revokes("bob", std::nullopt));
  users.insert("alice", kNow - seconds(5), kNow);  // an older cutoff never wins
  EXPECT_EQ(users.cutoff("alice"), kNow);
  EXPECT_EQ(users.evict(kNow + seconds(99)), 0u);
  EXPECT_EQ(users.evict(kNow + seconds(100)), 1u);
  EXPECT_FALSE(users.revokes("alice", std::nullopt));
  users.insert("bob", kNow, kNow + seconds(1));
  EXPECT_TRUE(users.erase("bob"));
  EXPECT_EQ(users.size(), 0u);
}

TEST(Index, AppliesChangesIdempotently) {
  Index index;
  const std::string jti = own_id(), sid = own_id();
  const Change revoke_jti{.seq = 1,
                          .op = Change::Op::kRevoke,
                          .kind = RevocationKind::kToken,
                          .key = jti,
                          .cutoff = {},
                          .expires_at = kNow + seconds(60)};
  index.apply(revoke_jti);
  index.apply(revoke_jti);
  EXPECT_EQ(index.revoked_by(jti, sid, "alice", kNow), "token");
  EXPECT_EQ(index.revoked_by(own_id(), sid, "alice", kNow), "");
  index.apply(Change{.seq = 2,
                     .op = Change::Op::kRevoke,
                     .kind = RevocationKind::kSession,
                     .key = sid,
                     .cutoff = {},
                     .expires_at = kNow + seconds(60)});
  EXPECT_EQ(index.revoked_by(own_id(), sid, "alice", kNow), "session");
  index.apply(Change{.seq = 3,
                     .op = Change::Op::kRevoke,
                     .kind = RevocationKind::kUser,
                     .key = "alice",
                     .cutoff = kNow,
                     .expires_at = kNow + seconds(60)});
  EXPECT_EQ(index.revoked_by(own_id(), own_id(), "alice", kNow - milliseconds(1)), "user");
  EXPECT_EQ(index.revoked_by(own_id(), own_id(), "alice", kNow), "");
  index.apply(Change{.seq = 4,
                     .op = Change::Op::kUnrevoke,
                     .kind = RevocationKind::kToken,
                     .key = jti,
                     .cutoff = {},
                     .expires_at = {}});
  EXPECT_EQ(index.revoked_by(jti, own_id(), "bob", kNow), "");
  EXPECT_EQ(index.evict(kNow + seconds(60)), 2u);
  EXPECT_EQ(index.revoked_by(own_id(), sid, "alice", kNow - seconds(1)), "");
}

}  // namespace
}  // namespace jwtguard::revocation
