// The Token Status List side of the Store contract (jwtguard/store.h:
// allocate_status, find_status_list, and the statuses every revocation,
// un-revocation and purge must keep true), as a typed suite each backend
// instantiates beside StoreContractTest:
//
//   INSTANTIATE_TYPED_TEST_SUITE_P(My, StatusContractTest, MyBackend);
//
// The entries are dated around kNow (the real time), so that a backend that
// expires keys by its own clock keeps everything the tests make.
#ifndef JWTGUARD_TESTS_STORES_STATUS_CONTRACT_H_
#define JWTGUARD_TESTS_STORES_STATUS_CONTRACT_H_

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "stores/store_contract.h"

namespace jwtguard {
namespace {

using StatusMap = std::vector<std::pair<std::uint64_t, std::uint8_t>>;

StatusEntry status_entry(std::string jti, std::string sid = "s1", std::string user = "alice",
                         Timestamp issued = kNow - seconds(60),
                         Timestamp expires = kNow + hours(1)) {
  return StatusEntry{.jti = std::move(jti),
                     .session = std::move(sid),
                     .user = std::move(user),
                     .issued_at = issued,
                     .expires_at = expires};
}

StatusListSpec status_spec(std::uint64_t size, int bits = 1) {
  return StatusListSpec{.bits = bits, .size = size};
}

Revocation session_revocation(std::string sid) {
  Revocation r = token_revocation(std::move(sid));
  r.kind = RevocationKind::kSession;
  return r;
}

template <typename Backend>
class StatusContractTest : public StoreContractTest<Backend> {
 protected:
  // Allocates and returns the refs (failing the test on an error).
  std::vector<StatusRef> allocate(const std::vector<StatusEntry>& entries,
                                  const StatusListSpec& spec) {
    auto refs = this->store_->allocate_status(entries, spec);
    EXPECT_TRUE(refs.has_value()) << refs.error().message();
    if (!refs) return {};
    EXPECT_EQ(refs->size(), entries.size());
    return *refs;
  }
  StatusRef allocate_one(const StatusEntry& entry, const StatusListSpec& spec) {
    auto refs = allocate({entry}, spec);
    return refs.empty() ? StatusRef{} : refs.front();
  }

  // The list as the store reports it; an empty state with id 0 when it is
  // not there (or on an error, which fails the test).
  StatusListState list(std::uint64_t id) {
    auto found = this->store_->find_status_list(id);
    EXPECT_TRUE(found.has_value()) << found.error().message();
    if (!found || !found->has_value()) return StatusListState{};
    return **found;
  }
  StatusMap statuses(std::uint64_t id) { return list(id).statuses; }
  std::uint8_t status_of(StatusRef ref) {
    for (const auto& [index, status] : statuses(ref.list)) {
      if (index == ref.index) return status;
    }
    return 0;
  }
};
TYPED_TEST_SUITE_P(StatusContractTest);

TYPED_TEST_P(StatusContractTest, IndicesComeInOrderFromZeroInListOne) {
  const auto spec = status_spec(100);
  EXPECT_EQ(this->allocate_one(status_entry("a"), spec), (StatusRef{1, 0}));
  EXPECT_EQ(this->allocate_one(status_entry("b"), spec), (StatusRef{1, 1}));
  EXPECT_EQ(this->allocate_one(status_entry("c"), spec), (StatusRef{1, 2}));
  // A batch gets consecutive indices, in the order of its entries.
  const auto batch =
      this->allocate({status_entry("d"), status_entry("e"), status_entry("f")}, spec);
  EXPECT_EQ(batch, (std::vector<StatusRef>{{1, 3}, {1, 4}, {1, 5}}));
  const StatusListState state = this->list(1);
  EXPECT_EQ(state.id, 1u);
  EXPECT_EQ(state.allocated, 6u);
  EXPECT_TRUE(state.statuses.empty());
}

TYPED_TEST_P(StatusContractTest, AFullListOpensTheNextOneWithTheSpecOfThatMoment) {
  const auto refs =
      this->allocate({status_entry("a"), status_entry("b"), status_entry("c")}, status_spec(3));
  EXPECT_EQ(refs.back(), (StatusRef{1, 2}));
  // Full: the next allocation opens a list of the spec passed now.
  const StatusRef next = this->allocate_one(status_entry("d"), status_spec(5, 2));
  EXPECT_GT(next.list, 1u);
  EXPECT_EQ(next.index, 0u);
  const StatusListState full = this->list(1);
  EXPECT_EQ(full.bits, 1);
  EXPECT_EQ(full.size, 3u);
  EXPECT_EQ(full.allocated, 3u);
  const StatusListState opened = this->list(next.list);
  EXPECT_EQ(opened.id, next.list);
  EXPECT_EQ(opened.bits, 2);
  EXPECT_EQ(opened.size, 5u);
  EXPECT_EQ(opened.allocated, 1u);
  // While a list has room, a different spec does not open another one.
  EXPECT_EQ(this->allocate_one(status_entry("e"), status_spec(9, 8)), (StatusRef{next.list, 1}));
  EXPECT_EQ(this->list(next.list).size, 5u);
  // A batch that does not fit goes on in a new list.
  const auto spanning =
      this->allocate({status_entry("f"), status_entry("g"), status_entry("h"), status_entry("i")},
                     status_spec(4, 4));
  ASSERT_EQ(spanning.size(), 4u);
  EXPECT_EQ(spanning[0], (StatusRef{next.list, 2}));
  EXPECT_EQ(spanning[1], (StatusRef{next.list, 3}));
  EXPECT_EQ(spanning[2], (StatusRef{next.list, 4}));
  EXPECT_GT(spanning[3].list, next.list);
  EXPECT_EQ(spanning[3].index, 0u);
  EXPECT_EQ(this->list(next.list).allocated, 5u);
  const StatusListState third = this->list(spanning[3].list);
  EXPECT_EQ(third.bits, 4);
  EXPECT_EQ(third.size, 4u);
  EXPECT_EQ(third.allocated, 1u);
}

TYPED_TEST_P(StatusContractTest, FindReportsTheListAndItsNonZeroStatusesAscending) {
  std::vector<StatusEntry> entries;
  for (int i = 0; i < 10; ++i) {
    entries.push_back(status_entry("j" + std::to_string(i), "s" + std::to_string(i), "alice",
                                   kNow - seconds(60), kNow + hours(1) + seconds(i % 4)));
  }
  this->allocate(entries, status_spec(16, 2));
  for (const char* jti : {"j7", "j2", "j5"}) {
    ASSERT_OK(this->store_->revoke(token_revocation(jti)));
  }
  const StatusListState state = this->list(1);
  EXPECT_EQ(state.id, 1u);
  EXPECT_EQ(state.bits, 2);
  EXPECT_EQ(state.size, 16u);
  EXPECT_EQ(state.allocated, 10u);
  EXPECT_EQ(state.expires_at, kNow + hours(1) + seconds(3));  // the latest entry's
  EXPECT_EQ(state.statuses, (StatusMap{{2, 1}, {5, 1}, {7, 1}}));
  for (std::uint64_t unknown : {0, 2, 99}) {
    auto none = this->store_->find_status_list(unknown);
    ASSERT_OK(none);
    EXPECT_FALSE(none->has_value()) << unknown;
  }
}

TYPED_TEST_P(StatusContractTest, BadArgumentsAreRefusedAndAllocateNothing) {
  Store& store = *this->store_;
  const auto spec = status_spec(8);
  EXPECT_ERRC(store.allocate_status({}, spec), Errc::kInvalidArgument);
  EXPECT_ERRC(store.allocate_status(std::vector<StatusEntry>(65, status_entry("j")), spec),
              Errc::kInvalidArgument);
  EXPECT_ERRC(store.allocate_status({status_entry("")}, spec), Errc::kInvalidArgument);
  EXPECT_ERRC(store.allocate_status({status_entry("j", "s", "")}, spec), Errc::kInvalidArgument);
  EXPECT_ERRC(store.allocate_status({status_entry("j"), status_entry("")}, spec),
              Errc::kInvalidArgument);
  EXPECT_ERRC(store.allocate_status({status_entry("j")}, status_spec(8, 3)),
              Errc::kInvalidArgument);
  EXPECT_ERRC(store.allocate_status({status_entry("j")}, status_spec(8, 0)),
              Errc::kInvalidArgument);
  EXPECT_ERRC(store.allocate_status({status_entry("j")}, status_spec(0)), Errc::kInvalidArgument);
  EXPECT_ERRC(store.allocate_status({status_entry("j")}, status_spec((1ULL << 31) + 1)),
              Errc::kInvalidArgument);
  auto none = store.find_status_list(1);
  ASSERT_OK(none);
  EXPECT_FALSE(none->has_value());
  // The limits themselves are accepted: 64 entries, a list of 2^31.
  const auto refs =
      this->allocate(std::vector<StatusEntry>(64, status_entry("j")), status_spec(1ULL << 31));
  ASSERT_EQ(refs.size(), 64u);
  EXPECT_EQ(refs.back(), (StatusRef{1, 63}));
  // No entry needs a session.
  EXPECT_EQ(this->allocate_one(status_entry("k", ""), spec), (StatusRef{1, 64}));
}

TYPED_TEST_P(StatusContractTest, RevokingATokenSetsEveryEntryOfItsJtiAndNoOther) {
  // Two entries share a jti (a refresh token's copy), in two lists.
  const auto first =
      this->allocate({status_entry("j", "s1"), status_entry("k", "s1")}, status_spec(2));
  const auto second =
      this->allocate({status_entry("j", "s1"), status_entry("l", "s2")}, status_spec(2));
  ASSERT_EQ(first.size(), 2u);
  ASSERT_EQ(second.size(), 2u);
  ASSERT_NE(first[0].list, second[0].list);
  ASSERT_OK(this->store_->revoke(token_revocation("j")));
  EXPECT_EQ(this->statuses(first[0].list), (StatusMap{{0, 1}}));
  EXPECT_EQ(this->statuses(second[0].list), (StatusMap{{0, 1}}));
  // Revoking again changes nothing.
  ASSERT_OK(this->store_->revoke(token_revocation("j", kNow + hours(2))));
  EXPECT_EQ(this->statuses(first[0].list), (StatusMap{{0, 1}}));
  // A token key is not a session key, and a key no entry has sets nothing.
  ASSERT_OK(this->store_->revoke(token_revocation("s2")));
  ASSERT_OK(this->store_->revoke(token_revocation("unknown")));
  EXPECT_EQ(this->statuses(second[0].list), (StatusMap{{0, 1}}));
}

TYPED_TEST_P(StatusContractTest, RevokingASessionSetsEveryEntryOfItEitherWay) {
  const auto refs =
      this->allocate({status_entry("a", "s1"), status_entry("b", "s2"), status_entry("c", "s1"),
                      status_entry("d", "s3"), status_entry("s1", "s4"), status_entry("e", "")},
                     status_spec(16));
  ASSERT_OK(this->store_->revoke_session(session_revocation("s1")));
  EXPECT_EQ(this->statuses(1), (StatusMap{{0, 1}, {2, 1}}));
  // revoke() with a kSession revocation is the same revocation.
  ASSERT_OK(this->store_->revoke(session_revocation("s3")));
  EXPECT_EQ(this->statuses(1), (StatusMap{{0, 1}, {2, 1}, {3, 1}}));
  EXPECT_EQ(refs.size(), 6u);
}

TYPED_TEST_P(StatusContractTest, AUserCutoffSetsTheEntriesIssuedBeforeIt) {
  const Timestamp cutoff = kNow - seconds(30);
  this->allocate({status_entry("a", "s1", "alice", cutoff - microseconds(1)),
                  status_entry("b", "s2", "alice", cutoff),
                  status_entry("c", "s3", "alice", cutoff + seconds(10)),
                  status_entry("d", "s4", "bob", cutoff - seconds(10)),
                  status_entry("e", "s5", "alice", cutoff - seconds(20))},
                 status_spec(16));
  ASSERT_OK(this->store_->revoke(user_revocation("alice", cutoff)));
  EXPECT_EQ(this->statuses(1), (StatusMap{{0, 1}, {4, 1}}));
  // An earlier cutoff merges into the later one: nothing changes.
  ASSERT_OK(this->store_->revoke(user_revocation("alice", cutoff - seconds(25))));
  EXPECT_EQ(this->statuses(1), (StatusMap{{0, 1}, {4, 1}}));
  // A later one covers more.
  ASSERT_OK(this->store_->revoke(user_revocation("alice", cutoff + microseconds(1))));
  EXPECT_EQ(this->statuses(1), (StatusMap{{0, 1}, {1, 1}, {4, 1}}));
  ASSERT_OK(this->store_->revoke(user_revocation("alice", cutoff + seconds(11))));
  EXPECT_EQ(this->statuses(1), (StatusMap{{0, 1}, {1, 1}, {2, 1}, {4, 1}}));
}

// A raised cutoff marks only the entries from the old cutoff on (the ones
// before it are set already): an entry issued at the old cutoff itself is
// the first it must reach. An un-revoke forgets the old cutoff, so the next
// revocation covers the whole range again.
TYPED_TEST_P(StatusContractTest, ARaisedUserCutoffSetsTheEntriesFromTheOldCutoffOn) {
  const Timestamp t1 = kNow - seconds(50), t2 = kNow - seconds(40), t3 = kNow - seconds(30);
  this->allocate({status_entry("a", "s1", "alice", t1), status_entry("b", "s2", "alice", t2),
                  status_entry("c", "s3", "alice", t3), status_entry("d", "s4", "bob", t1)},
                 status_spec(16));
  ASSERT_OK(this->store_->revoke(user_revocation("alice", t2)));
  EXPECT_EQ(this->statuses(1), (StatusMap{{0, 1}}));
  ASSERT_OK(this->store_->revoke(user_revocation("alice", t3 + microseconds(1))));
  EXPECT_EQ(this->statuses(1), (StatusMap{{0, 1}, {1, 1}, {2, 1}}));
  // An earlier cutoff, or the same one, changes nothing.
  ASSERT_OK(this->store_->revoke(user_revocation("alice", t1)));
  ASSERT_OK(this->store_->revoke(user_revocation("alice", t3 + microseconds(1))));
  EXPECT_EQ(this->statuses(1), (StatusMap{{0, 1}, {1, 1}, {2, 1}}));
  ASSERT_OK(this->store_->unrevoke(RevocationKind::kUser, "alice", kNow));
  EXPECT_EQ(this->statuses(1), StatusMap{});
  ASSERT_OK(this->store_->revoke(user_revocation("alice", t2 + microseconds(1))));
  EXPECT_EQ(this->statuses(1), (StatusMap{{0, 1}, {1, 1}}));
}

// Under a held cutoff an entry issued before it starts set, whatever path
// recorded it, so a raised cutoff need not look at it again; and one that
// another revocation set and then released stays set by the cutoff.
TYPED_TEST_P(StatusContractTest, EntriesBeforeAHeldCutoffStaySetWhenItIsRaised) {
  const Timestamp cutoff = kNow - seconds(30);
  ASSERT_OK(this->store_->revoke(user_revocation("alice", cutoff)));
  const auto refs = this->allocate({status_entry("a", "s1", "alice", cutoff - seconds(10)),
                                    status_entry("b", "s2", "alice", cutoff),
                                    status_entry("c", "s3", "alice", cutoff + seconds(5))},
                                   status_spec(16));
  ASSERT_EQ(refs.size(), 3u);
  EXPECT_EQ(this->statuses(1), (StatusMap{{0, 1}}));
  ASSERT_OK(this->store_->revoke(token_revocation("a")));
  ASSERT_OK(this->store_->unrevoke(RevocationKind::kToken, "a", kNow));
  ASSERT_OK(this->store_->revoke_session(session_revocation("s1")));
  ASSERT_OK(this->store_->unrevoke(RevocationKind::kSession, "s1", kNow));
  EXPECT_EQ(this->statuses(1), (StatusMap{{0, 1}}));
  ASSERT_OK(this->store_->revoke(user_revocation("alice", cutoff + seconds(1))));
  EXPECT_EQ(this->statuses(1), (StatusMap{{0, 1}, {1, 1}}));
  ASSERT_OK(this->store_->unrevoke(RevocationKind::kUser, "alice", kNow));
  EXPECT_EQ(this->statuses(1), StatusMap{});
}

TYPED_TEST_P(StatusContractTest, UnrevokingRecomputesFromTheRevocationsLeft) {
  const Timestamp cutoff = kNow - seconds(30);
  this->allocate({status_entry("a", "s1", "alice", cutoff - seconds(5)),
                  status_entry("b", "s1", "alice", cutoff + seconds(5)),
                  status_entry("c", "s2", "alice", cutoff - seconds(5)),
                  status_entry("d", "s3", "alice", cutoff + seconds(5))},
                 status_spec(16));
  ASSERT_OK(this->store_->revoke(token_revocation("b")));
  ASSERT_OK(this->store_->revoke_session(session_revocation("s1")));
  ASSERT_OK(this->store_->revoke(user_revocation("alice", cutoff)));
  EXPECT_EQ(this->statuses(1), (StatusMap{{0, 1}, {1, 1}, {2, 1}}));
  // b is still covered by its session.
  ASSERT_OK(this->store_->unrevoke(RevocationKind::kToken, "b", kNow));
  EXPECT_EQ(this->statuses(1), (StatusMap{{0, 1}, {1, 1}, {2, 1}}));
  // a is still covered by the cutoff; b by nothing now.
  ASSERT_OK(this->store_->unrevoke(RevocationKind::kSession, "s1", kNow));
  EXPECT_EQ(this->statuses(1), (StatusMap{{0, 1}, {2, 1}}));
  ASSERT_OK(this->store_->revoke(token_revocation("c")));
  // c is still covered by its jti.
  ASSERT_OK(this->store_->unrevoke(RevocationKind::kUser, "alice", kNow));
  EXPECT_EQ(this->statuses(1), (StatusMap{{2, 1}}));
  ASSERT_OK(this->store_->unrevoke(RevocationKind::kToken, "c", kNow));
  EXPECT_EQ(this->statuses(1), StatusMap{});
  // Un-revoking what was never revoked changes nothing.
  ASSERT_OK(this->store_->revoke(token_revocation("d")));
  ASSERT_OK(this->store_->unrevoke(RevocationKind::kSession, "s9", kNow));
  ASSERT_OK(this->store_->unrevoke(RevocationKind::kUser, "bob", kNow));
  EXPECT_EQ(this->statuses(1), (StatusMap{{3, 1}}));
}

TYPED_TEST_P(StatusContractTest, AnEntryStartsCoveredByTheRevocationsAlreadyThere) {
  const Timestamp cutoff = kNow - seconds(30);
  ASSERT_OK(this->store_->revoke_session(session_revocation("s-gone")));
  ASSERT_OK(this->store_->revoke(token_revocation("j-gone")));
  ASSERT_OK(this->store_->revoke(user_revocation("bob", cutoff)));
  const auto refs =
      this->allocate({status_entry("a", "s-gone", "alice"), status_entry("j-gone", "s1", "alice"),
                      status_entry("b", "s1", "bob", cutoff - seconds(1)),
                      status_entry("c", "s1", "bob", cutoff), status_entry("d", "s1", "alice")},
                     status_spec(16));
  ASSERT_EQ(refs.size(), 5u);
  EXPECT_EQ(this->statuses(1), (StatusMap{{0, 1}, {1, 1}, {2, 1}}));
  EXPECT_EQ(this->status_of(refs[3]), 0);
}

TYPED_TEST_P(StatusContractTest, PurgeDropsAListOnlyWhenFullAndExpired) {
  const auto spec = status_spec(2);
  const Timestamp soon = kNow + hours(1), later = kNow + hours(3);
  // List 1: full, every entry expired at the purge.
  this->allocate(
      {status_entry("a", "s", "alice", kNow, soon), status_entry("b", "s", "alice", kNow, soon)},
      spec);
  // List 2: full, one entry still valid.
  const auto second = this->allocate(
      {status_entry("c", "s", "alice", kNow, soon), status_entry("d", "s", "alice", kNow, later)},
      spec);
  // List 3: expired but not full.
  const StatusRef third = this->allocate_one(status_entry("e", "s", "alice", kNow, soon), spec);
  ASSERT_OK(this->store_->revoke(token_revocation("d", later)));
  ASSERT_OK(this->store_->purge(kNow + hours(2), seconds(0)));
  auto gone = this->store_->find_status_list(1);
  ASSERT_OK(gone);
  EXPECT_FALSE(gone->has_value());
  const StatusListState kept = this->list(second[0].list);
  EXPECT_EQ(kept.allocated, 2u);
  EXPECT_EQ(kept.statuses, (StatusMap{{1, 1}}));
  EXPECT_EQ(this->list(third.list).allocated, 1u);
  // The open list goes on.
  EXPECT_EQ(this->allocate_one(status_entry("f"), spec), (StatusRef{third.list, 1}));
  // At expires_at itself a full list is dropped.
  ASSERT_OK(this->store_->purge(later, seconds(0)));
  for (std::uint64_t id : {second[0].list, third.list}) {
    auto dropped = this->store_->find_status_list(id);
    ASSERT_OK(dropped);
    EXPECT_FALSE(dropped->has_value()) << id;
  }
}

TYPED_TEST_P(StatusContractTest, IndicesAreNeverReusedAfterAPurge) {
  const auto spec = status_spec(1);
  const StatusRef first = this->allocate_one(status_entry("a", "s", "alice", kNow, kNow), spec);
  EXPECT_EQ(first, (StatusRef{1, 0}));
  ASSERT_OK(this->store_->purge(kNow + hours(1), seconds(0)));
  auto gone = this->store_->find_status_list(1);
  ASSERT_OK(gone);
  ASSERT_FALSE(gone->has_value());
  // No list is left, yet the next one has a new id.
  const StatusRef next = this->allocate_one(status_entry("b"), status_spec(4));
  EXPECT_GT(next.list, first.list);
  EXPECT_EQ(next.index, 0u);
  // A purged entry no longer follows revocations.
  ASSERT_OK(this->store_->revoke(token_revocation("a")));
  EXPECT_EQ(this->statuses(next.list), StatusMap{});
}

TYPED_TEST_P(StatusContractTest, ConcurrentAllocationsGetDistinctIndices) {
  constexpr int kThreads = 8, kBatches = 50;
  const auto spec = status_spec(37);  // odd: batches of 2 span lists
  std::mutex mu;
  std::vector<std::vector<StatusRef>> batches;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kBatches; ++i) {
        const std::string jti = "t" + std::to_string(t) + "-" + std::to_string(i);
        auto refs = this->store_->allocate_status(
            {status_entry(jti + "a", jti), status_entry(jti + "r", jti)}, spec);
        ASSERT_TRUE(refs.has_value()) << refs.error().message();
        std::lock_guard lock(mu);
        batches.push_back(*refs);
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(batches.size(), std::size_t{kThreads * kBatches});
  std::set<std::pair<std::uint64_t, std::uint64_t>> seen;
  std::set<std::uint64_t> lists;
  for (const auto& batch : batches) {
    ASSERT_EQ(batch.size(), 2u);
    // Consecutive: the next index, or the first of a newer list.
    if (batch[1].list == batch[0].list) {
      EXPECT_EQ(batch[1].index, batch[0].index + 1);
    } else {
      EXPECT_GT(batch[1].list, batch[0].list);
      EXPECT_EQ(batch[1].index, 0u);
      EXPECT_EQ(batch[0].index, spec.size - 1);
    }
    for (const StatusRef& ref : batch) {
      EXPECT_LT(ref.index, spec.size);
      EXPECT_TRUE(seen.emplace(ref.list, ref.index).second) << ref.list << "/" << ref.index;
      lists.insert(ref.list);
    }
  }
  std::uint64_t allocated = 0;
  for (std::uint64_t id : lists) allocated += this->list(id).allocated;
  EXPECT_EQ(allocated, std::uint64_t{2 * kThreads * kBatches});
}

REGISTER_TYPED_TEST_SUITE_P(
    StatusContractTest, IndicesComeInOrderFromZeroInListOne,
    AFullListOpensTheNextOneWithTheSpecOfThatMoment,
    FindReportsTheListAndItsNonZeroStatusesAscending, BadArgumentsAreRefusedAndAllocateNothing,
    RevokingATokenSetsEveryEntryOfItsJtiAndNoOther, RevokingASessionSetsEveryEntryOfItEitherWay,
    AUserCutoffSetsTheEntriesIssuedBeforeIt, ARaisedUserCutoffSetsTheEntriesFromTheOldCutoffOn,
    EntriesBeforeAHeldCutoffStaySetWhenItIsRaised, UnrevokingRecomputesFromTheRevocationsLeft,
    AnEntryStartsCoveredByTheRevocationsAlreadyThere, PurgeDropsAListOnlyWhenFullAndExpired,
    IndicesAreNeverReusedAfterAPurge, ConcurrentAllocationsGetDistinctIndices);

}  // namespace
}  // namespace jwtguard

#endif  // JWTGUARD_TESTS_STORES_STATUS_CONTRACT_H_
