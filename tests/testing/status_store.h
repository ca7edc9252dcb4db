// A Store with status lists over one without: the lists live in this
// wrapper's memory, everything else goes to the wrapped store. An entry's
// status is derived, when a list is read, from the revocations the
// wrapped store holds then (the store contract's coverage rule: the
// token's jti, its session, or a user cutoff after its issued_at), so it
// is true to every revocation, un-revocation and other writer of the
// wrapped store. Unlike a real store it keeps no status set by a
// revocation that was purged since. For the Guard's and the service's
// tests; the store backends' own lists are tested by the store contract.
#ifndef JWTGUARD_TESTS_TESTING_STATUS_STORE_H_
#define JWTGUARD_TESTS_TESTING_STATUS_STORE_H_

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "testing/forwarding_store.h"

namespace jwtguard::testing {

class StatusStore : public ForwardingStore {
 public:
  // What the lists hold, shared by every StatusStore made over the same
  // wrapped store (several Guards on one store).
  struct Lists {
    std::mutex mu;
    std::map<std::uint64_t, StatusListState> lists;  // statuses unused: derived
    std::map<std::uint64_t, std::vector<StatusEntry>> entries;
    std::atomic<bool> fail_allocate{false};
    std::atomic<bool> fail_find{false};
    std::atomic<int> finds{0};
  };

  StatusStore(std::unique_ptr<Store> owned, std::shared_ptr<Lists> lists)
      : ForwardingStore(*owned), owned_(std::move(owned)), lists_(std::move(lists)) {}
  StatusStore(Store& inner, std::shared_ptr<Lists> lists)
      : ForwardingStore(inner), lists_(std::move(lists)) {}

 protected:
  Result<std::vector<StatusRef>> do_allocate_status(const std::vector<StatusEntry>& entries,
                                                    const StatusListSpec& spec) override {
    if (lists_->fail_allocate) return fail(Errc::kStore, "allocation refused by the test");
    std::lock_guard lock(lists_->mu);
    std::vector<StatusRef> refs;
    for (const StatusEntry& entry : entries) {
      if (lists_->lists.empty() ||
          lists_->lists.rbegin()->second.allocated == lists_->lists.rbegin()->second.size) {
        const std::uint64_t id = lists_->lists.size() + 1;
        lists_->lists[id] = StatusListState{.id = id, .bits = spec.bits, .size = spec.size};
      }
      StatusListState& list = lists_->lists.rbegin()->second;
      refs.push_back({.list = list.id, .index = list.allocated++});
      list.expires_at = std::max(list.expires_at, entry.expires_at);
      lists_->entries[list.id].push_back(entry);
    }
    return refs;
  }

  Result<std::optional<StatusListState>> do_find_status_list(std::uint64_t id) override {
    ++lists_->finds;
    if (lists_->fail_find) return fail(Errc::kStore, "read refused by the test");
    std::vector<StatusEntry> entries;
    StatusListState state;
    {
      std::lock_guard lock(lists_->mu);
      auto it = lists_->lists.find(id);
      if (it == lists_->lists.end()) return std::nullopt;
      state = it->second;
      entries = lists_->entries[id];
    }
    for (std::size_t i = 0; i < entries.size(); ++i) {
      auto covered = covers(entries[i]);
      if (!covered) return tl::unexpected(covered.error());
      if (*covered) state.statuses.emplace_back(i, std::uint8_t{1});
    }
    return state;
  }

 private:
  Result<bool> covers(const StatusEntry& entry) {
    auto token = inner_.find_revocation(RevocationKind::kToken, entry.jti);
    if (!token) return tl::unexpected(token.error());
    if (*token) return true;
    if (!entry.session.empty()) {
      auto session = inner_.find_revocation(RevocationKind::kSession, entry.session);
      if (!session) return tl::unexpected(session.error());
      if (*session) return true;
    }
    auto user = inner_.find_revocation(RevocationKind::kUser, entry.user);
    if (!user) return tl::unexpected(user.error());
    return *user && (*user)->cutoff > entry.issued_at;
  }

  std::unique_ptr<Store> owned_;
  std::shared_ptr<Lists> lists_;
};

}  // namespace jwtguard::testing

#endif  // JWTGUARD_TESTS_TESTING_STATUS_STORE_H_
