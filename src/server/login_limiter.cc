#include "server/login_limiter.h"

#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <mutex>
#include <string>
#include <vector>

namespace jwtguard::server {
namespace {

using std::chrono::seconds;

// Debian's absl has a string_view of its own, which the maps' heterogeneous
// lookup needs.
absl::string_view as_absl(std::string_view s) { return {s.data(), s.size()}; }

// The failures of one key (a user or an address) in its current window.
struct Entry {
  Timestamp window_end;  // first failure + window
  unsigned failures = 0;
};

// One kind of key with its own limit. Each kind has its own lock: a check
// takes both in turn, never together.
class KeyLimiter {
 public:
  KeyLimiter(unsigned max_failures, seconds window, std::size_t capacity)
      : max_failures_(max_failures),
        window_(window),
        // Zero would mean remembering nothing, which is no limit at all.
        capacity_(std::max<std::size_t>(capacity, 1)),
        // When full, evict down to this, so the O(n) eviction runs once per
        // capacity/8 new keys rather than on every new key.
        refill_to_(capacity_ - std::max<std::size_t>(capacity_ / 8, 1)) {}

  // Zero when `key` may try now; otherwise until its window ends, rounded up.
  seconds retry_after(std::string_view key, Timestamp now) const {
    if (!limited(key)) return seconds(0);
    std::lock_guard lock(mu_);
    const auto it = entries_.find(as_absl(key));
    if (it == entries_.end() || !blocked(it->second, now)) return seconds(0);
    return std::max(std::chrono::ceil<seconds>(it->second.window_end - now), seconds(1));
  }

  void record_failure(std::string_view key, Timestamp now) {
    if (!limited(key)) return;
    std::lock_guard lock(mu_);
    auto it = entries_.find(as_absl(key));
    if (it == entries_.end()) {
      make_room(now);
      it = entries_.try_emplace(std::string(key)).first;
    }
    Entry& entry = it->second;
    if (entry.failures == 0 || now >= entry.window_end) {
      entry = Entry{now + window_, 0};
    }
    if (entry.failures < max_failures_) ++entry.failures;  // past the limit, the count is moot
  }

  void clear(std::string_view key) {
    if (key.empty()) return;
    std::lock_guard lock(mu_);
    const auto it = entries_.find(as_absl(key));
    if (it != entries_.end()) entries_.erase(it);
  }

 private:
  // No key, no limit: a request without a user name, or from an address the
  // server could not tell, is limited by the other kind alone. A limit of
  // zero turns the kind off (refusing everyone would lock the service).
  bool limited(std::string_view key) const { return !key.empty() && max_failures_ > 0; }

  bool blocked(const Entry& entry, Timestamp now) const {
    return entry.failures >= max_failures_ && now < entry.window_end;
  }

  // The rare path, when the map is full: entries whose windows ended go
  // first, as they limit nothing; then the entries that block nobody yet,
  // those whose windows end soonest first; blocked entries last. A flood of
  // new names therefore cannot free a blocked user for another round of
  // guesses while unblocked entries remain.
  void make_room(Timestamp now) {
    if (entries_.size() < capacity_) return;
    absl::erase_if(entries_, [now](const auto& kv) { return now >= kv.second.window_end; });
    if (entries_.size() <= refill_to_) return;
    auto is_blocked = [this, now](const Entry& entry) { return blocked(entry, now); };
    std::size_t excess = entries_.size() - refill_to_;
    std::size_t unblocked = std::count_if(entries_.begin(), entries_.end(),
                                          [&](const auto& kv) { return !is_blocked(kv.second); });
    if (unblocked > 0) {
      drop_oldest(std::min(excess, unblocked), [&](const Entry& e) { return !is_blocked(e); });
    }
    if (entries_.size() > refill_to_) {
      drop_oldest(entries_.size() - refill_to_, [](const Entry&) { return true; });
    }
  }

  // Drops the `n` entries (of those `eligible` accepts, of which there are at
  // least n) with the earliest window ends, in O(size).
  template <typename Eligible>
  void drop_oldest(std::size_t n, Eligible eligible) {
    std::vector<Timestamp> ends;
    ends.reserve(entries_.size());
    for (const auto& [key, entry] : entries_) {
      if (eligible(entry)) ends.push_back(entry.window_end);
    }
    std::nth_element(ends.begin(), ends.begin() + (n - 1), ends.end());
    const Timestamp cutoff = ends[n - 1];
    // Entries ending exactly at the cutoff may be more than needed.
    std::size_t ties = n - std::count_if(ends.begin(), ends.end(),
                                         [cutoff](Timestamp end) { return end < cutoff; });
    absl::erase_if(entries_, [&](const auto& kv) {
      if (!eligible(kv.second)) return false;
      const Timestamp end = kv.second.window_end;
      if (end < cutoff) return true;
      if (end != cutoff || ties == 0) return false;
      --ties;
      return true;
    });
  }

  const unsigned max_failures_;
  const seconds window_;
  const std::size_t capacity_;
  const std::size_t refill_to_;
  mutable std::mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_;
};

}  // namespace

class LoginLimiter::Impl {
 public:
  explicit Impl(const LoginLimits& limits)
      : users(limits.max_failures_per_user, limits.window, limits.capacity),
        addresses(limits.max_failures_per_address, limits.window, limits.capacity) {}

  KeyLimiter users;
  KeyLimiter addresses;
};

LoginLimiter::LoginLimiter(LoginLimits limits) : impl_(std::make_unique<Impl>(limits)) {}
LoginLimiter::~LoginLimiter() = default;

std::chrono::seconds LoginLimiter::retry_after(std::string_view user, std::string_view address,
                                               Timestamp now) const {
  return std::max(impl_->users.retry_after(user, now), impl_->addresses.retry_after(address, now));
}

void LoginLimiter::record_failure(std::string_view user, std::string_view address, Timestamp now) {
  impl_->users.record_failure(user, now);
  impl_->addresses.record_failure(address, now);
}

// One address may try many users, so a success only forgives the user.
void LoginLimiter::record_success(std::string_view user, Timestamp /*now*/) {
  impl_->users.clear(user);
}

}  // namespace jwtguard::server
