// The memory store's status lists (jwtguard/store.h, "Token Status List"):
// the lists, their entries, and the indexes from a jti, a session and a user
// to the entries, so that a revocation touches only the entries it covers.
#ifndef JWTGUARD_STORE_MEMORY_STATUS_H_
#define JWTGUARD_STORE_MEMORY_STATUS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "jwtguard/store.h"

namespace jwtguard::stores {

// Not thread-safe: the memory store calls it under its own lock, in the
// same critical section as the revocation it follows.
class MemoryStatusLists {
 public:
  // Whether one of the store's revocations covers the entry now.
  using Covered = std::function<bool(const StatusEntry&)>;

  // Hands out the next indices (opening lists of `spec` as the newest fills
  // up); each entry starts at 1 if `covered` says so. Arguments as checked
  // by Store::allocate_status.
  std::vector<StatusRef> allocate(const std::vector<StatusEntry>& entries,
                                  const StatusListSpec& spec, const Covered& covered);

  std::optional<StatusListState> find(std::uint64_t id) const;

  // Sets to 1 every entry the (merged) revocation covers. For a kUser
  // revocation merged into one of the user's with cutoff `previous_cutoff`,
  // only the entries issued from that cutoff on: those issued before it were
  // set by it (when it came, or when they were recorded under it) and stay
  // set while it is held, so a repeated "log out everywhere" costs what it
  // adds, not what the user piled up.
  void cover(const Revocation& revocation, std::optional<Timestamp> previous_cutoff);

  // Recomputes every entry keyed by (kind, key) after its revocation went.
  void recompute(RevocationKind kind, std::string_view key, const Covered& covered);

  // Drops the lists that are full and whose entries all expired by `now`.
  void purge(Timestamp now);

 private:
  struct Slot {
    StatusEntry entry;
    std::uint8_t status = 0;
  };
  struct List {
    int bits = 1;
    std::uint64_t size = 0;
    Timestamp expires_at{};
    std::vector<Slot> slots;           // by index; slots.size() is `allocated`
    std::set<std::uint64_t> non_zero;  // the indices whose status is not 0
  };
  using Index = std::unordered_multimap<std::string, StatusRef>;
  // A user's entries by issued_at, so that a cutoff reaches only its range.
  using ByIssued = std::multimap<Timestamp, StatusRef>;

  // The newest list if it has room, else a new one of `spec`.
  std::pair<std::uint64_t, List*> open_list(const StatusListSpec& spec);
  void set_status(StatusRef ref, std::uint8_t status);
  Slot& slot(StatusRef ref) { return lists_.at(ref.list).slots[ref.index]; }
  // The refs of a kToken or kSession key.
  std::vector<StatusRef> refs_of(RevocationKind kind, const std::string& key) const;
  // The user's refs issued in [from, to), or from `from` on without `to`.
  std::vector<StatusRef> user_refs(const std::string& user, Timestamp from,
                                   std::optional<Timestamp> to) const;
  static void unindex(Index& index, const std::string& key, StatusRef ref);
  void unindex_user(const StatusEntry& entry, StatusRef ref);

  std::map<std::uint64_t, List> lists_;
  std::uint64_t last_id_ = 0;  // never goes back, even when purge empties lists_
  Index by_jti_, by_session_;
  std::unordered_map<std::string, ByIssued> by_user_;
};

}  // namespace jwtguard::stores

#endif  // JWTGUARD_STORE_MEMORY_STATUS_H_
