#include "login_limiter.h"

#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace jwtguard::server {
namespace {

using std::chrono::seconds;

// Debian's absl has a string_view of its own, which the maps' heterogeneous
// lookup needs.
absl::string_view as_absl(std::string_view s) { return {s.data(), s.size()}; }

// What happens once a key has `max` attempts counted.
enum class Mode {
  kLockout,  // refused until its window (from the first attempt) ends
  kBackoff,  // each further attempt waits 1 s, 2 s, 4 s ... (at most the window) after the last
};

// The attempts of one key in its current window.
struct Entry {
  // kLockout: the first attempt of the window; kBackoff: the last attempt.
  Timestamp start;
  unsigned count = 0;
};

// The attempts counted per key for one limit. Not locked: the limiter
// that owns it holds one lock across all its limits, so that checking and
// counting an attempt against several limits is one step.
class KeyCounter {
 public:
  KeyCounter(Mode mode, unsigned max, seconds window, std::size_t capacity)
      : mode_(mode),
        max_(max),
        window_(window),
        // Zero would mean remembering nothing, which is no limit at all.
        capacity_(std::max<std::size_t>(capacity, 1)),
        // When full, evict down to this, so the O(n) eviction runs once per
        // capacity/8 new keys rather than on every new key.
        refill_to_(capacity_ - std::max<std::size_t>(capacity_ / 8, 1)) {}

  // A reload's limits: the counts stay, and are judged by these from now on.
  void set_limit(unsigned max, seconds window) {
    max_ = max;
    window_ = window;
  }

  // Zero when `key` may make an attempt now; otherwise until it may, rounded up.
  seconds wait(std::string_view key, Timestamp now) const {
    if (!limited(key)) return seconds(0);
    const auto it = entries_.find(as_absl(key));
    if (it == entries_.end()) return seconds(0);
    const Timestamp until = blocked_until(it->second);
    if (now >= until) return seconds(0);
    return std::max(std::chrono::ceil<seconds>(until - now), seconds(1));
  }

  void count(std::string_view key, Timestamp now) {
    if (!limited(key)) return;
    auto it = entries_.find(as_absl(key));
    if (it == entries_.end()) {
      make_room(now);
      it = entries_.try_emplace(std::string(key)).first;
    }
    Entry& entry = it->second;
    if (entry.count == 0 || now >= end(entry)) entry = Entry{now, 0};
    if (mode_ == Mode::kBackoff) entry.start = now;
    // A lockout's count never passes max (refused attempts are not counted);
    // a backoff's delay stops growing at the window, well before 2^31 s.
    if (entry.count < max_ + 31) ++entry.count;
  }

  // Takes back one attempt counted for `key`.
  void refund(std::string_view key) {
    if (!limited(key)) return;
    const auto it = entries_.find(as_absl(key));
    if (it != entries_.end() && it->second.count > 0) --it->second.count;
  }

  void clear(std::string_view key) {
    if (!limited(key)) return;
    const auto it = entries_.find(as_absl(key));
    if (it != entries_.end()) entries_.erase(it);
  }

 private:
  // No key, no limit: a request without a user name, or from an address the
  // server could not tell, is limited by the other limits alone. A limit of
  // zero turns it off (refusing everyone would lock the service).
  bool limited(std::string_view key) const { return !key.empty() && max_ > 0; }

  // When the key is forgotten: a lockout's window ends; a backoff is
  // forgotten once a window passes without a failure after its wait ended
  // (had it been forgotten when the wait ends, a guesser trying just then
  // would start over at the shortest wait).
  Timestamp end(const Entry& entry) const {
    if (mode_ == Mode::kBackoff && entry.count >= max_) return blocked_until(entry) + window_;
    return entry.start + window_;
  }

  // When the key may make its next attempt (in the past when it may now).
  Timestamp blocked_until(const Entry& entry) const {
    if (entry.count < max_) return Timestamp::min();
    if (mode_ == Mode::kLockout) return end(entry);
    const unsigned doublings = std::min(entry.count - max_, 30u);
    return entry.start + std::min(seconds(std::int64_t{1} << doublings), window_);
  }

  bool blocking(const Entry& entry, Timestamp now) const { return now < blocked_until(entry); }

  // The rare path, when the map is full: entries whose windows ended go
  // first, as they limit nothing; then those under their limit; then those
  // not making anyone wait now (a backoff between waits); those that block
  // last, and in each group the windows that end soonest first. A flood of
  // new names therefore cannot free a blocked key for another round of
  // guesses, nor reset a backoff, while other entries remain.
  void make_room(Timestamp now) {
    if (entries_.size() < capacity_) return;
    absl::erase_if(entries_, [&](const auto& kv) { return now >= end(kv.second); });
    drop_some([this](const Entry& entry) { return entry.count < max_; });
    drop_some([&](const Entry& entry) { return !blocking(entry, now); });
    drop_some([](const Entry&) { return true; });
  }

  // Drops entries `eligible` accepts, oldest first, until the map is down to
  // refill_to_ or none is left.
  template <typename Eligible>
  void drop_some(Eligible eligible) {
    if (entries_.size() <= refill_to_) return;
    const std::size_t candidates = std::count_if(
        entries_.begin(), entries_.end(), [&](const auto& kv) { return eligible(kv.second); });
    if (candidates > 0) drop_oldest(std::min(entries_.size() - refill_to_, candidates), eligible);
  }

  // Drops the `n` entries (of those `eligible` accepts, of which there are at
  // least n) with the earliest window ends, in O(size).
  template <typename Eligible>
  void drop_oldest(std::size_t n, Eligible eligible) {
    std::vector<Timestamp> ends;
    ends.reserve(entries_.size());
    for (const auto& [key, entry] : entries_) {
      if (eligible(entry)) ends.push_back(end(entry));
    }
    std::nth_element(ends.begin(), ends.begin() + (n - 1), ends.end());
    const Timestamp cutoff = ends[n - 1];
    // Entries ending exactly at the cutoff may be more than needed.
    std::size_t ties =
        n - std::count_if(ends.begin(), ends.end(), [cutoff](Timestamp e) { return e < cutoff; });
    absl::erase_if(entries_, [&](const auto& kv) {
      if (!eligible(kv.second)) return false;
      const Timestamp e = end(kv.second);
      if (e < cutoff) return true;
      if (e != cutoff || ties == 0) return false;
      --ties;
      return true;
    });
  }

  const Mode mode_;
  unsigned max_;    // set_limit
  seconds window_;  // set_limit
  const std::size_t capacity_;
  const std::size_t refill_to_;
  absl::flat_hash_map<std::string, Entry> entries_;
};

// The pairs that logged in successfully, each until `known_for` after its
// last success. Not locked, like KeyCounter. When full, the pairs whose
// time is up go first, then those whose last success is oldest.
class KnownPairs {
 public:
  KnownPairs(seconds known_for, std::size_t capacity)
      : known_for_(known_for),
        capacity_(std::max<std::size_t>(capacity, 1)),
        refill_to_(capacity_ - std::max<std::size_t>(capacity_ / 8, 1)) {}

  bool known(std::string_view pair, Timestamp now) const {
    if (pair.empty()) return false;
    const auto it = last_success_.find(as_absl(pair));
    return it != last_success_.end() && now < it->second + known_for_;
  }

  void add(std::string_view pair, Timestamp now) {
    if (pair.empty() || known_for_.count() == 0) return;
    auto it = last_success_.find(as_absl(pair));
    if (it == last_success_.end()) {
      make_room(now);
      it = last_success_.try_emplace(std::string(pair)).first;
    }
    it->second = now;
  }

 private:
  void make_room(Timestamp now) {
    if (last_success_.size() < capacity_) return;
    absl::erase_if(last_success_, [&](const auto& kv) { return now >= kv.second + known_for_; });
    if (last_success_.size() <= refill_to_) return;
    std::vector<Timestamp> times;
    times.reserve(last_success_.size());
    for (const auto& [pair, time] : last_success_) times.push_back(time);
    const std::size_t n = last_success_.size() - refill_to_;
    std::nth_element(times.begin(), times.begin() + (n - 1), times.end());
    const Timestamp cutoff = times[n - 1];
    absl::erase_if(last_success_, [&](const auto& kv) { return kv.second <= cutoff; });
  }

  const seconds known_for_;
  const std::size_t capacity_;
  const std::size_t refill_to_;
  absl::flat_hash_map<std::string, Timestamp> last_success_;
};

// The pair's key: a NUL cannot occur in a user name (valid_user_name), so
// no two pairs share one.
std::string pair_key(std::string_view user, std::string_view address) {
  if (user.empty()) return {};
  std::string key(user);
  key += '\0';
  key += address;
  return key;
}

}  // namespace

class LoginLimiter::Impl {
 public:
  explicit Impl(const LoginLimits& limits)
      : pairs(Mode::kLockout, limits.max_failures, limits.window, limits.capacity),
        users(Mode::kBackoff, limits.max_failures_per_user, limits.window, limits.capacity),
        addresses(Mode::kBackoff, limits.max_failures_per_address, limits.window, limits.capacity),
        known(limits.known_for, limits.capacity) {}

  std::mutex mu;
  KeyCounter pairs;
  KeyCounter users;
  KeyCounter addresses;
  KnownPairs known;
};

LoginLimiter::LoginLimiter(LoginLimits limits) : impl_(std::make_unique<Impl>(limits)) {}
LoginLimiter::~LoginLimiter() = default;

std::chrono::seconds LoginLimiter::try_acquire(std::string_view user, std::string_view address,
                                               Timestamp now) {
  const std::string pair = pair_key(user, address);
  std::lock_guard lock(impl_->mu);
  seconds wait = impl_->pairs.wait(pair, now);
  if (!impl_->known.known(pair, now)) {
    wait = std::max({wait, impl_->users.wait(user, now), impl_->addresses.wait(address, now)});
  }
  if (wait.count() > 0) return wait;
  impl_->pairs.count(pair, now);
  impl_->users.count(user, now);
  impl_->addresses.count(address, now);
  return seconds(0);
}

void LoginLimiter::set_limits(const LoginLimits& limits) {
  std::lock_guard lock(impl_->mu);
  impl_->pairs.set_limit(limits.max_failures, limits.window);
  impl_->users.set_limit(limits.max_failures_per_user, limits.window);
  impl_->addresses.set_limit(limits.max_failures_per_address, limits.window);
}

void LoginLimiter::succeeded(std::string_view user, std::string_view address, Timestamp now) {
  const std::string pair = pair_key(user, address);
  std::lock_guard lock(impl_->mu);
  impl_->pairs.clear(pair);
  impl_->known.add(pair, now);
  impl_->users.refund(user);
  impl_->addresses.refund(address);
}

void LoginLimiter::released(std::string_view user, std::string_view address) {
  const std::string pair = pair_key(user, address);
  std::lock_guard lock(impl_->mu);
  impl_->pairs.refund(pair);
  impl_->users.refund(user);
  impl_->addresses.refund(address);
}

class RegistrationLimiter::Impl {
 public:
  explicit Impl(const RegistrationLimits& limits)
      : addresses(Mode::kLockout, limits.max_per_address, limits.window, limits.capacity),
        total(Mode::kLockout, limits.max_total, limits.window, 1) {}

  std::mutex mu;
  KeyCounter addresses;
  KeyCounter total;  // one key: every registration
};

RegistrationLimiter::RegistrationLimiter(RegistrationLimits limits)
    : impl_(std::make_unique<Impl>(limits)) {}
RegistrationLimiter::~RegistrationLimiter() = default;

void RegistrationLimiter::set_limits(const RegistrationLimits& limits) {
  std::lock_guard lock(impl_->mu);
  impl_->addresses.set_limit(limits.max_per_address, limits.window);
  impl_->total.set_limit(limits.max_total, limits.window);
}

std::chrono::seconds RegistrationLimiter::try_acquire(std::string_view address, Timestamp now) {
  static constexpr std::string_view kTotal = "*";
  std::lock_guard lock(impl_->mu);
  const seconds wait =
      std::max(impl_->addresses.wait(address, now), impl_->total.wait(kTotal, now));
  if (wait.count() > 0) return wait;
  impl_->addresses.count(address, now);
  impl_->total.count(kTotal, now);
  return seconds(0);
}

}  // namespace jwtguard::server
