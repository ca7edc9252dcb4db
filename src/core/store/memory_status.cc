#include "store/memory_status.h"

#include <algorithm>
#include <utility>

namespace jwtguard::stores {

std::pair<std::uint64_t, MemoryStatusLists::List*> MemoryStatusLists::open_list(
    const StatusListSpec& spec) {
  // Only the newest list can have room: purge drops full lists only, and a
  // list is opened only when the one before it is full.
  if (!lists_.empty()) {
    auto& [id, newest] = *lists_.rbegin();
    if (newest.slots.size() < newest.size) return {id, &newest};
  }
  List& list = lists_[++last_id_];
  list.bits = spec.bits;
  list.size = spec.size;
  return {last_id_, &list};
}

std::vector<StatusRef> MemoryStatusLists::allocate(const std::vector<StatusEntry>& entries,
                                                   const StatusListSpec& spec,
                                                   const Covered& covered) {
  std::vector<StatusRef> refs;
  refs.reserve(entries.size());
  for (const StatusEntry& entry : entries) {
    auto [id, list] = open_list(spec);
    const StatusRef ref{id, list->slots.size()};
    list->slots.push_back(Slot{entry, 0});
    list->expires_at = std::max(list->expires_at, entry.expires_at);
    by_jti_.emplace(entry.jti, ref);
    if (!entry.session.empty()) by_session_.emplace(entry.session, ref);
    by_user_[entry.user].emplace(entry.issued_at, ref);
    if (covered(entry)) set_status(ref, 1);
    refs.push_back(ref);
  }
  return refs;
}

std::optional<StatusListState> MemoryStatusLists::find(std::uint64_t id) const {
  auto it = lists_.find(id);
  if (it == lists_.end()) return std::nullopt;
  const List& list = it->second;
  StatusListState state{.id = id,
                        .bits = list.bits,
                        .size = list.size,
                        .allocated = list.slots.size(),
                        .expires_at = list.expires_at,
                        .statuses = {}};
  state.statuses.reserve(list.non_zero.size());
  for (std::uint64_t index : list.non_zero) {
    state.statuses.emplace_back(index, list.slots[index].status);
  }
  return state;
}

void MemoryStatusLists::cover(const Revocation& revocation,
                              std::optional<Timestamp> previous_cutoff) {
  const std::vector<StatusRef> refs =
      revocation.kind == RevocationKind::kUser
          ? user_refs(revocation.key, previous_cutoff.value_or(Timestamp::min()), revocation.cutoff)
          : refs_of(revocation.kind, revocation.key);
  for (StatusRef ref : refs) set_status(ref, 1);
}

void MemoryStatusLists::recompute(RevocationKind kind, std::string_view key,
                                  const Covered& covered) {
  const std::string name(key);
  // Every entry of the user: whatever cutoff the revocation had is gone.
  const std::vector<StatusRef> refs = kind == RevocationKind::kUser
                                          ? user_refs(name, Timestamp::min(), std::nullopt)
                                          : refs_of(kind, name);
  for (StatusRef ref : refs) set_status(ref, covered(slot(ref).entry) ? 1 : 0);
}

void MemoryStatusLists::purge(Timestamp now) {
  for (auto it = lists_.begin(); it != lists_.end();) {
    const List& list = it->second;
    if (list.slots.size() < list.size || list.expires_at > now) {
      ++it;
      continue;
    }
    for (std::uint64_t i = 0; i < list.slots.size(); ++i) {
      const StatusEntry& entry = list.slots[i].entry;
      const StatusRef ref{it->first, i};
      unindex(by_jti_, entry.jti, ref);
      if (!entry.session.empty()) unindex(by_session_, entry.session, ref);
      unindex_user(entry, ref);
    }
    it = lists_.erase(it);
  }
}

void MemoryStatusLists::set_status(StatusRef ref, std::uint8_t status) {
  List& list = lists_.at(ref.list);
  list.slots[ref.index].status = status;
  if (status == 0) {
    list.non_zero.erase(ref.index);
  } else {
    list.non_zero.insert(ref.index);
  }
}

std::vector<StatusRef> MemoryStatusLists::refs_of(RevocationKind kind,
                                                  const std::string& key) const {
  const Index& index = kind == RevocationKind::kSession ? by_session_ : by_jti_;
  std::vector<StatusRef> refs;
  auto [begin, end] = index.equal_range(key);
  for (auto it = begin; it != end; ++it) refs.push_back(it->second);
  return refs;
}

std::vector<StatusRef> MemoryStatusLists::user_refs(const std::string& user, Timestamp from,
                                                    std::optional<Timestamp> to) const {
  std::vector<StatusRef> refs;
  auto found = by_user_.find(user);
  if (found == by_user_.end() || (to && from >= *to)) return refs;
  const ByIssued& issued = found->second;
  const auto end = to ? issued.lower_bound(*to) : issued.end();
  for (auto it = issued.lower_bound(from); it != end; ++it) refs.push_back(it->second);
  return refs;
}

void MemoryStatusLists::unindex(Index& index, const std::string& key, StatusRef ref) {
  auto [begin, end] = index.equal_range(key);
  for (auto it = begin; it != end; ++it) {
    if (it->second == ref) {
      index.erase(it);
      return;
    }
  }
}

void MemoryStatusLists::unindex_user(const StatusEntry& entry, StatusRef ref) {
  auto found = by_user_.find(entry.user);
  if (found == by_user_.end()) return;
  auto [begin, end] = found->second.equal_range(entry.issued_at);
  for (auto it = begin; it != end; ++it) {
    if (it->second == ref) {
      found->second.erase(it);
      break;
    }
  }
  if (found->second.empty()) by_user_.erase(found);
}

}  // namespace jwtguard::stores
