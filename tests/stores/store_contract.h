// The contract every Store must keep (jwtguard/store.h), as a typed test
// suite that each backend instantiates in its own test program:
//
//   struct MyBackend {
//     std::unique_ptr<Store> open();  // the same store each time it is called
//   };
//   INSTANTIATE_TYPED_TEST_SUITE_P(My, StoreContractTest, MyBackend);
//   INSTANTIATE_TYPED_TEST_SUITE_P(My, DurableStoreTest, MyBackend);  // if durable
//
// A Backend is constructed once per test, so each test starts from an empty
// store. Include this header in one file per program (it defines tests).
#ifndef JWTGUARD_TESTS_STORES_STORE_CONTRACT_H_
#define JWTGUARD_TESTS_STORES_STORE_CONTRACT_H_

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <set>
#include <thread>

#include "jwtguard/store.h"
#include "testing/fixtures.h"

namespace jwtguard {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

// The real time (whole seconds) when the program started: Redis expires
// keys by its own clock, so the entries the tests make must not lie in the
// past. Every store is told the time explicitly; none reads the clock itself.
const Timestamp kNow = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());

Revocation token_revocation(std::string jti, Timestamp expires = kNow + hours(1)) {
  Revocation r;
  r.kind = RevocationKind::kToken;
  r.key = std::move(jti);
  r.expires_at = expires;
  r.revoked_at = kNow;
  r.token_type = TokenType::kAccess;
  r.user = "alice";
  r.session = "s1";
  r.revoked_by = "alice";
  r.reason = "logout";
  return r;
}

Revocation user_revocation(std::string user, Timestamp cutoff) {
  Revocation r;
  r.kind = RevocationKind::kUser;
  r.key = user;
  r.user = std::move(user);
  r.cutoff = cutoff;
  r.expires_at = cutoff + hours(24);
  r.revoked_at = kNow;
  return r;
}

Session session(std::string sid, std::string user, Timestamp created) {
  return Session{.sid = std::move(sid),
                 .user = std::move(user),
                 .created_at = created,
                 .refreshed_at = created,
                 .expires_at = created + hours(24),
                 .client_address = "127.0.0.1",
                 .user_agent = "curl/8",
                 .refresh_jti = "r0",
                 .previous_refresh_jti = {},
                 .revoked_at = std::nullopt};
}

template <typename Backend>
class StoreContractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = backend_.open();
    ASSERT_NE(store_, nullptr);
  }
  // Closes and opens the same store again (a restart, for durable backends).
  void reopen() {
    store_.reset();
    store_ = backend_.open();
    ASSERT_NE(store_, nullptr);
  }

  Backend backend_;
  std::unique_ptr<Store> store_;
};
TYPED_TEST_SUITE_P(StoreContractTest);

TYPED_TEST_P(StoreContractTest, RevokeThenFind) {
  const Revocation r = token_revocation("jti-1");
  ASSERT_OK(this->store_->revoke(r));
  auto found = this->store_->find_revocation(RevocationKind::kToken, "jti-1");
  ASSERT_OK(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ(**found, r);
  auto other_kind = this->store_->find_revocation(RevocationKind::kSession, "jti-1");
  ASSERT_OK(other_kind);
  EXPECT_FALSE(other_kind->has_value());
}

TYPED_TEST_P(StoreContractTest, EmptyKeyIsRefused) {
  EXPECT_ERRC(this->store_->revoke(token_revocation("")), Errc::kInvalidArgument);
  Revocation no_cutoff = user_revocation("bob", kNow);
  no_cutoff.cutoff = Timestamp{};
  EXPECT_ERRC(this->store_->revoke(no_cutoff), Errc::kInvalidArgument);
}

TYPED_TEST_P(StoreContractTest, RevokingTwiceKeepsTheLaterExpiryAndFirstMetadata) {
  ASSERT_OK(this->store_->revoke(token_revocation("j", kNow + hours(1))));
  Revocation again = token_revocation("j", kNow + hours(2));
  again.reason = "second";
  ASSERT_OK(this->store_->revoke(again));
  Revocation shorter = token_revocation("j", kNow + seconds(1));
  ASSERT_OK(this->store_->revoke(shorter));
  auto found = this->store_->find_revocation(RevocationKind::kToken, "j");
  ASSERT_OK(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->expires_at, kNow + hours(2));
  EXPECT_EQ((*found)->reason, "logout");
}

TYPED_TEST_P(StoreContractTest, UserCutoffOnlyMovesForward) {
  ASSERT_OK(this->store_->revoke(user_revocation("bob", kNow + seconds(10))));
  ASSERT_OK(this->store_->revoke(user_revocation("bob", kNow + seconds(5))));
  auto found = this->store_->find_revocation(RevocationKind::kUser, "bob");
  ASSERT_OK(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->cutoff, kNow + seconds(10));
}

TYPED_TEST_P(StoreContractTest, UnrevokeRemovesAndSaysWhetherThereWasOne) {
  ASSERT_OK(this->store_->revoke(token_revocation("j")));
  auto first = this->store_->unrevoke(RevocationKind::kToken, "j", kNow);
  ASSERT_OK(first);
  EXPECT_TRUE(*first);
  auto second = this->store_->unrevoke(RevocationKind::kToken, "j", kNow);
  ASSERT_OK(second);
  EXPECT_FALSE(*second);
  auto found = this->store_->find_revocation(RevocationKind::kToken, "j");
  ASSERT_OK(found);
  EXPECT_FALSE(found->has_value());
}

TYPED_TEST_P(StoreContractTest, SnapshotHoldsLiveEntriesAndTheFeedPosition) {
  ASSERT_OK(this->store_->revoke(token_revocation("live", kNow + hours(1))));
  ASSERT_OK(this->store_->revoke(token_revocation("dead", kNow)));
  ASSERT_OK(this->store_->revoke(user_revocation("bob", kNow + seconds(3))));
  auto snapshot = this->store_->snapshot(kNow);
  ASSERT_OK(snapshot);
  std::set<std::string> keys;
  for (const Change& c : snapshot->entries) {
    keys.insert(c.key);
    if (c.key == "bob") {
      EXPECT_EQ(c.kind, RevocationKind::kUser);
      EXPECT_EQ(c.cutoff, kNow + seconds(3));
    }
  }
  EXPECT_EQ(keys, (std::set<std::string>{"live", "bob"}));
  // Nothing happened after the snapshot, so the feed has nothing after it.
  auto batch = this->store_->changes_since(snapshot->seq, 100, milliseconds(0));
  ASSERT_OK(batch);
  EXPECT_TRUE(batch->changes.empty());
  EXPECT_FALSE(batch->gap);
}

TYPED_TEST_P(StoreContractTest, FeedDeliversEveryChangeInOrder) {
  auto start = this->store_->snapshot(kNow);
  ASSERT_OK(start);
  auto seq1 = this->store_->revoke(token_revocation("a"));
  ASSERT_OK(seq1);
  ASSERT_OK(this->store_->revoke(user_revocation("bob", kNow + seconds(1))));
  ASSERT_OK(this->store_->unrevoke(RevocationKind::kToken, "a", kNow));
  auto batch = this->store_->changes_since(start->seq, 100, milliseconds(0));
  ASSERT_OK(batch);
  ASSERT_EQ(batch->changes.size(), 3u);
  EXPECT_EQ(batch->changes[0].seq, *seq1);
  EXPECT_EQ(batch->changes[0].op, Change::Op::kRevoke);
  EXPECT_EQ(batch->changes[0].key, "a");
  EXPECT_EQ(batch->changes[1].kind, RevocationKind::kUser);
  EXPECT_EQ(batch->changes[1].cutoff, kNow + seconds(1));
  EXPECT_EQ(batch->changes[2].op, Change::Op::kUnrevoke);
  EXPECT_LT(batch->changes[0].seq, batch->changes[1].seq);
  EXPECT_LT(batch->changes[1].seq, batch->changes[2].seq);
  EXPECT_EQ(batch->last_seq, batch->changes[2].seq);

  auto limited = this->store_->changes_since(start->seq, 2, milliseconds(0));
  ASSERT_OK(limited);
  ASSERT_EQ(limited->changes.size(), 2u);
  EXPECT_EQ(limited->last_seq, limited->changes[1].seq);
}

TYPED_TEST_P(StoreContractTest, FeedCarriesTheMergedEntry) {
  ASSERT_OK(this->store_->revoke(token_revocation("j", kNow + hours(2))));
  auto seq = this->store_->revoke(token_revocation("j", kNow + hours(1)));
  ASSERT_OK(seq);
  auto batch = this->store_->changes_since(*seq - 1, 10, milliseconds(0));
  ASSERT_OK(batch);
  ASSERT_EQ(batch->changes.size(), 1u);
  EXPECT_EQ(batch->changes[0].expires_at, kNow + hours(2));
}

TYPED_TEST_P(StoreContractTest, FeedWaitWakesOnAWriteFromAnotherThread) {
  auto start = this->store_->snapshot(kNow);
  ASSERT_OK(start);
  std::thread writer([&] {
    std::this_thread::sleep_for(milliseconds(50));
    EXPECT_OK(this->store_->revoke(token_revocation("late")));
  });
  // Long enough that only the write can end the wait in a passing run.
  auto batch = this->store_->changes_since(start->seq, 10, milliseconds(20'000));
  writer.join();
  ASSERT_OK(batch);
  ASSERT_EQ(batch->changes.size(), 1u);
  EXPECT_EQ(batch->changes[0].key, "late");
}

TYPED_TEST_P(StoreContractTest, FeedWaitReturnsEmptyAfterMaxWait) {
  auto start = this->store_->snapshot(kNow);
  ASSERT_OK(start);
  auto batch = this->store_->changes_since(start->seq, 10, milliseconds(30));
  ASSERT_OK(batch);
  EXPECT_TRUE(batch->changes.empty());
  EXPECT_EQ(batch->last_seq, start->seq);
}

TYPED_TEST_P(StoreContractTest, PurgeDropsExpiredEntriesAndReportsAFeedGap) {
  ASSERT_OK(this->store_->revoke(token_revocation("old", kNow + seconds(10))));
  ASSERT_OK(this->store_->revoke(token_revocation("new", kNow + hours(1))));
  ASSERT_OK(this->store_->create_session(session("s-old", "alice", kNow - hours(30))));
  auto removed = this->store_->purge(kNow + seconds(10), seconds(0));
  ASSERT_OK(removed);
  EXPECT_EQ(*removed, 1u);
  auto old = this->store_->find_revocation(RevocationKind::kToken, "old");
  ASSERT_OK(old);
  EXPECT_FALSE(old->has_value());
  auto kept = this->store_->find_revocation(RevocationKind::kToken, "new");
  ASSERT_OK(kept);
  EXPECT_TRUE(kept->has_value());
  auto gone = this->store_->find_session("s-old");
  ASSERT_OK(gone);
  EXPECT_FALSE(gone->has_value());
  // The feed entries were dated kNow and retention is zero: a follower at
  // position 0 missed them and must reload.
  auto batch = this->store_->changes_since(0, 10, milliseconds(0));
  ASSERT_OK(batch);
  EXPECT_TRUE(batch->gap);
  // One that is current sees no gap.
  auto snapshot = this->store_->snapshot(kNow);
  ASSERT_OK(snapshot);
  auto current = this->store_->changes_since(snapshot->seq, 10, milliseconds(0));
  ASSERT_OK(current);
  EXPECT_FALSE(current->gap);
}

TYPED_TEST_P(StoreContractTest, PurgeKeepsRecentFeedEntries) {
  ASSERT_OK(this->store_->revoke(token_revocation("j")));
  ASSERT_OK(this->store_->purge(kNow, hours(1)));
  auto batch = this->store_->changes_since(0, 10, milliseconds(0));
  ASSERT_OK(batch);
  EXPECT_FALSE(batch->gap);
  EXPECT_EQ(batch->changes.size(), 1u);
}

TYPED_TEST_P(StoreContractTest, ListingFiltersAndPagesNewestFirst) {
  for (int i = 0; i < 5; ++i) {
    Revocation r = token_revocation("a" + std::to_string(i));
    if (i % 2) r.token_type = TokenType::kRefresh;
    ASSERT_OK(this->store_->revoke(r));
  }
  Revocation bobs = token_revocation("b0");
  bobs.user = "bob";
  ASSERT_OK(this->store_->revoke(bobs));
  ASSERT_OK(this->store_->revoke(user_revocation("alice", kNow + seconds(1))));

  std::vector<std::string> seen;
  RevocationFilter filter{.user = "alice", .limit = 2};
  for (int pages = 0; pages < 10; ++pages) {
    auto page = this->store_->list_revocations(filter);
    ASSERT_OK(page);
    EXPECT_LE(page->entries.size(), 2u);
    for (const Revocation& r : page->entries) seen.push_back(r.key);
    if (page->next_cursor.empty()) break;
    filter.cursor = page->next_cursor;
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"alice", "a4", "a3", "a2", "a1", "a0"}));

  auto refresh_only = this->store_->list_revocations(
      RevocationFilter{.kind = RevocationKind::kToken, .token_type = TokenType::kRefresh});
  ASSERT_OK(refresh_only);
  ASSERT_EQ(refresh_only->entries.size(), 2u);
  EXPECT_EQ(refresh_only->entries[0].key, "a3");
  EXPECT_TRUE(refresh_only->next_cursor.empty());

  auto users = this->store_->list_revocations(RevocationFilter{.kind = RevocationKind::kUser});
  ASSERT_OK(users);
  ASSERT_EQ(users->entries.size(), 1u);
}

TYPED_TEST_P(StoreContractTest, ListingRefusesBadLimitsAndCursors) {
  EXPECT_ERRC(this->store_->list_revocations(RevocationFilter{.limit = 0}), Errc::kInvalidArgument);
  EXPECT_ERRC(this->store_->list_revocations(RevocationFilter{.limit = 1001}),
              Errc::kInvalidArgument);
  EXPECT_ERRC(this->store_->list_revocations(RevocationFilter{.cursor = "abc"}),
              Errc::kInvalidArgument);
  EXPECT_ERRC(this->store_->list_revocations(RevocationFilter{.cursor = "-3"}),
              Errc::kInvalidArgument);
}

TYPED_TEST_P(StoreContractTest, SessionsAreCreatedOnceAndListedPerUser) {
  ASSERT_OK(this->store_->create_session(session("s1", "alice", kNow)));
  ASSERT_OK(this->store_->create_session(session("s2", "alice", kNow + seconds(1))));
  ASSERT_OK(this->store_->create_session(session("s3", "bob", kNow)));
  EXPECT_ERRC(this->store_->create_session(session("s1", "mallory", kNow)), Errc::kAlreadyExists);
  auto found = this->store_->find_session("s1");
  ASSERT_OK(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ(**found, session("s1", "alice", kNow));
  auto listed = this->store_->list_sessions("alice", kNow);
  ASSERT_OK(listed);
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].sid, "s2");
  // Expired sessions are not listed.
  auto later = this->store_->list_sessions("alice", kNow + hours(24));
  ASSERT_OK(later);
  ASSERT_EQ(later->size(), 1u);
  EXPECT_EQ((*later)[0].sid, "s2");
}

TYPED_TEST_P(StoreContractTest, RotationRetiresThePresentedTokenExactlyOnce) {
  ASSERT_OK(this->store_->create_session(session("s1", "alice", kNow)));
  auto first = this->store_->rotate_refresh("s1", "r0", "r1", kNow + seconds(5), kNow + hours(48));
  ASSERT_OK(first);
  EXPECT_EQ(*first, Rotation::kRotated);
  auto found = this->store_->find_session("s1");
  ASSERT_OK(found);
  EXPECT_EQ((*found)->refresh_jti, "r1");
  EXPECT_EQ((*found)->refreshed_at, kNow + seconds(5));
  EXPECT_EQ((*found)->expires_at, kNow + hours(48));

  auto replay = this->store_->rotate_refresh("s1", "r0", "r2", kNow, kNow + hours(48));
  ASSERT_OK(replay);
  EXPECT_EQ(*replay, Rotation::kReused);
  auto unknown = this->store_->rotate_refresh("nope", "r0", "r2", kNow, kNow + hours(48));
  ASSERT_OK(unknown);
  EXPECT_EQ(*unknown, Rotation::kUnknown);
}

TYPED_TEST_P(StoreContractTest, RotationRemembersTheTokenItRetired) {
  ASSERT_OK(this->store_->create_session(session("s1", "alice", kNow)));
  auto before = this->store_->find_session("s1");
  ASSERT_OK(before);
  EXPECT_EQ((*before)->previous_refresh_jti, "");
  ASSERT_OK(this->store_->rotate_refresh("s1", "r0", "r1", kNow + seconds(1), kNow + hours(2)));
  auto once = this->store_->find_session("s1");
  ASSERT_OK(once);
  EXPECT_EQ((*once)->previous_refresh_jti, "r0");
  EXPECT_EQ((*once)->refresh_jti, "r1");
  ASSERT_OK(this->store_->rotate_refresh("s1", "r1", "r2", kNow + seconds(2), kNow + hours(2)));
  auto twice = this->store_->find_session("s1");
  ASSERT_OK(twice);
  EXPECT_EQ((*twice)->previous_refresh_jti, "r1");
  EXPECT_EQ((*twice)->refresh_jti, "r2");
}

TYPED_TEST_P(StoreContractTest, AFailedRotationLeavesThePreviousTokenAlone) {
  ASSERT_OK(this->store_->create_session(session("s1", "alice", kNow)));
  ASSERT_OK(this->store_->rotate_refresh("s1", "r0", "r1", kNow + seconds(1), kNow + hours(2)));
  auto replay = this->store_->rotate_refresh("s1", "r0", "r9", kNow + seconds(2), kNow + hours(3));
  ASSERT_OK(replay);
  EXPECT_EQ(*replay, Rotation::kReused);
  auto found = this->store_->find_session("s1");
  ASSERT_OK(found);
  EXPECT_EQ((*found)->previous_refresh_jti, "r0");
  EXPECT_EQ((*found)->refresh_jti, "r1");
  EXPECT_EQ((*found)->refreshed_at, kNow + seconds(1));
  Revocation r;
  r.kind = RevocationKind::kSession;
  r.key = "s1";
  r.revoked_at = kNow + seconds(3);
  r.expires_at = kNow + hours(2);
  ASSERT_OK(this->store_->revoke_session(r));
  auto refused = this->store_->rotate_refresh("s1", "r1", "r9", kNow + seconds(4), kNow + hours(3));
  ASSERT_OK(refused);
  EXPECT_EQ(*refused, Rotation::kRevoked);
  auto after = this->store_->find_session("s1");
  ASSERT_OK(after);
  EXPECT_EQ((*after)->previous_refresh_jti, "r0");
  EXPECT_EQ((*after)->refresh_jti, "r1");
}

TYPED_TEST_P(StoreContractTest, ASessionIsRecordedWithItsPreviousToken) {
  Session s = session("s1", "alice", kNow);
  s.previous_refresh_jti = "r-before";
  ASSERT_OK(this->store_->create_session(s));
  auto found = this->store_->find_session("s1");
  ASSERT_OK(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ(**found, s);
}

TYPED_TEST_P(StoreContractTest, ConcurrentRotationsOfOneTokenHaveOneWinner) {
  ASSERT_OK(this->store_->create_session(session("s1", "alice", kNow)));
  std::atomic<int> rotated{0}, reused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto r = this->store_->rotate_refresh("s1", "r0", "next" + std::to_string(i), kNow,
                                            kNow + hours(1));
      ASSERT_TRUE(r.has_value());
      (*r == Rotation::kRotated ? rotated : reused)++;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(rotated.load(), 1);
  EXPECT_EQ(reused.load(), 7);
}

TYPED_TEST_P(StoreContractTest, RevokingASessionMarksItAndRecordsTheRevocation) {
  ASSERT_OK(this->store_->create_session(session("s1", "alice", kNow)));
  Revocation r;
  r.kind = RevocationKind::kSession;
  r.key = "s1";
  r.user = "alice";
  r.revoked_at = kNow + seconds(1);
  r.expires_at = kNow + hours(24);
  ASSERT_OK(this->store_->revoke_session(r));
  ASSERT_OK(this->store_->revoke_session(r));  // idempotent
  auto found = this->store_->find_session("s1");
  ASSERT_OK(found);
  EXPECT_EQ((*found)->revoked_at, kNow + seconds(1));
  auto revocation = this->store_->find_revocation(RevocationKind::kSession, "s1");
  ASSERT_OK(revocation);
  EXPECT_TRUE(revocation->has_value());
  auto rotation = this->store_->rotate_refresh("s1", "r0", "r1", kNow, kNow + hours(1));
  ASSERT_OK(rotation);
  EXPECT_EQ(*rotation, Rotation::kRevoked);
  auto listed = this->store_->list_sessions("alice", kNow);
  ASSERT_OK(listed);
  EXPECT_TRUE(listed->empty());
  // A sid the store never saw can be revoked too.
  r.key = "never-seen";
  ASSERT_OK(this->store_->revoke_session(r));
  r.kind = RevocationKind::kToken;
  EXPECT_ERRC(this->store_->revoke_session(r), Errc::kInvalidArgument);
}

TYPED_TEST_P(StoreContractTest, Users) {
  const User alice{"alice", "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA", false, kNow};
  ASSERT_OK(this->store_->create_user(alice));
  EXPECT_ERRC(this->store_->create_user(alice), Errc::kAlreadyExists);
  EXPECT_ERRC(this->store_->create_user(User{}), Errc::kInvalidArgument);
  ASSERT_OK(this->store_->create_user(User{"bob", "h", false, kNow}));
  auto found = this->store_->find_user("alice");
  ASSERT_OK(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ(**found, alice);
  ASSERT_OK(this->store_->set_admin("alice", true));
  EXPECT_ERRC(this->store_->set_admin("carol", true), Errc::kNotFound);
  auto users = this->store_->list_users();
  ASSERT_OK(users);
  ASSERT_EQ(users->size(), 2u);
  EXPECT_EQ((*users)[0].name, "alice");
  EXPECT_TRUE((*users)[0].admin);
  auto none = this->store_->find_user("carol");
  ASSERT_OK(none);
  EXPECT_FALSE(none->has_value());
  EXPECT_OK(this->store_->ping());
}

TYPED_TEST_P(StoreContractTest, TokenHorizonOnlyMovesForward) {
  auto first = this->store_->raise_token_horizon(kNow + hours(2));
  ASSERT_OK(first);
  EXPECT_EQ(*first, kNow + hours(2));
  auto earlier = this->store_->raise_token_horizon(kNow + hours(1));  // shorter lifetimes now
  ASSERT_OK(earlier);
  EXPECT_EQ(*earlier, kNow + hours(2));
  auto later = this->store_->raise_token_horizon(kNow + hours(3) + microseconds(7));
  ASSERT_OK(later);
  EXPECT_EQ(*later, kNow + hours(3) + microseconds(7));
}

TYPED_TEST_P(StoreContractTest, ConcurrentRevocationsAreAllKept) {
  constexpr int kThreads = 8, kEach = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto seq = this->store_->revoke(
            token_revocation("t" + std::to_string(t) + "-" + std::to_string(i)));
        ASSERT_TRUE(seq.has_value()) << seq.error().message();
      }
    });
  }
  for (auto& t : threads) t.join();
  auto snapshot = this->store_->snapshot(kNow);
  ASSERT_OK(snapshot);
  EXPECT_EQ(snapshot->entries.size(), std::size_t{kThreads * kEach});
  auto batch = this->store_->changes_since(0, 1000, milliseconds(0));
  ASSERT_OK(batch);
  std::set<std::uint64_t> seqs;
  for (const Change& c : batch->changes) seqs.insert(c.seq);
  EXPECT_EQ(seqs.size(), std::size_t{kThreads * kEach});  // every change numbered apart
}

REGISTER_TYPED_TEST_SUITE_P(
    StoreContractTest, RevokeThenFind, EmptyKeyIsRefused,
    RevokingTwiceKeepsTheLaterExpiryAndFirstMetadata, UserCutoffOnlyMovesForward,
    UnrevokeRemovesAndSaysWhetherThereWasOne, SnapshotHoldsLiveEntriesAndTheFeedPosition,
    FeedDeliversEveryChangeInOrder, FeedCarriesTheMergedEntry,
    FeedWaitWakesOnAWriteFromAnotherThread, FeedWaitReturnsEmptyAfterMaxWait,
    PurgeDropsExpiredEntriesAndReportsAFeedGap, PurgeKeepsRecentFeedEntries,
    ListingFiltersAndPagesNewestFirst, ListingRefusesBadLimitsAndCursors,
    SessionsAreCreatedOnceAndListedPerUser, RotationRetiresThePresentedTokenExactlyOnce,
    RotationRemembersTheTokenItRetired, AFailedRotationLeavesThePreviousTokenAlone,
    ASessionIsRecordedWithItsPreviousToken, ConcurrentRotationsOfOneTokenHaveOneWinner,
    RevokingASessionMarksItAndRecordsTheRevocation, Users, TokenHorizonOnlyMovesForward,
    ConcurrentRevocationsAreAllKept);

// The memory store is not durable by design; every other backend is.
template <typename Backend>
class DurableStoreTest : public StoreContractTest<Backend> {};
TYPED_TEST_SUITE_P(DurableStoreTest);

TYPED_TEST_P(DurableStoreTest, KeepsEverythingAcrossAReopen) {
  {
    ASSERT_OK(this->store_->revoke(token_revocation("j")));
    ASSERT_OK(this->store_->create_session(session("s1", "alice", kNow)));
    ASSERT_OK(this->store_->create_user(User{"alice", "h", true, kNow}));
    ASSERT_OK(this->store_->raise_token_horizon(kNow + hours(5)));
    auto before = this->store_->snapshot(kNow);
    ASSERT_OK(before);
    this->reopen();
    auto after = this->store_->snapshot(kNow);
    ASSERT_OK(after);
    EXPECT_EQ(after->seq, before->seq);
    ASSERT_EQ(after->entries.size(), 1u);
    EXPECT_EQ(after->entries[0].key, "j");
    auto s = this->store_->find_session("s1");
    ASSERT_OK(s);
    EXPECT_TRUE(s->has_value());
    auto u = this->store_->find_user("alice");
    ASSERT_OK(u);
    ASSERT_TRUE(u->has_value());
    EXPECT_TRUE((*u)->admin);
    auto horizon = this->store_->raise_token_horizon(kNow);
    ASSERT_OK(horizon);
    EXPECT_EQ(*horizon, kNow + hours(5));  // raised before the reopen
    // Numbers go on from where they were.
    auto seq = this->store_->revoke(token_revocation("k"));
    ASSERT_OK(seq);
    EXPECT_GT(*seq, before->seq);
  }
}

REGISTER_TYPED_TEST_SUITE_P(DurableStoreTest, KeepsEverythingAcrossAReopen);

}  // namespace
}  // namespace jwtguard

#endif  // JWTGUARD_TESTS_STORES_STORE_CONTRACT_H_
