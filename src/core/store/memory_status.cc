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
    by_user_.emplace(entry.user, ref);
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

void MemoryStatusLists::cover(const Revocation& revocation) {
  auto [begin, end] = index_of(revocation.kind).equal_range(revocation.key);
  for (auto it = begin; it != end; ++it) {
    if (revocation.kind != RevocationKind::kUser ||
        slot(it->second).entry.issued_at < revocation.cutoff) {
      set_status(it->second, 1);
    }
  }
}

void MemoryStatusLists::recompute(RevocationKind kind, std::string_view key,
                                  const Covered& covered) {
  auto [begin, end] = index_of(kind).equal_range(std::string(key));
  for (auto it = begin; it != end; ++it) {
    set_status(it->second, covered(slot(it->second).entry) ? 1 : 0);
  }
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
      unindex(by_user_, entry.user, ref);
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

MemoryStatusLists::Index& MemoryStatusLists::index_of(RevocationKind kind) {
  switch (kind) {
    case RevocationKind::kSession:
      return by_session_;
    case RevocationKind::kUser:
      return by_user_;
    case RevocationKind::kToken:
      break;
  }
  return by_jti_;
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

}  // namespace jwtguard::stores
