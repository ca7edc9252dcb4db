#include "revocation/index.h"

#include <openssl/evp.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <new>
#include <vector>

#include "jose/base64url.h"

namespace jwtguard::revocation {
namespace {

constexpr std::size_t kOwnIdLength = 22;  // base64url of 128 bits

// An id and its expiry, 16 bytes with 4-byte alignment. Only the id takes
// part in hashing and equality, so the expiry may be raised in place.
struct Entry {
  Fingerprint fp;
  mutable std::uint32_t expires;
};
static_assert(sizeof(Entry) == 16);

// The fingerprint is uniformly random already (random ids, or SHA-256), so
// its first 64 bits serve as the hash.
struct EntryHash {
  using is_transparent = void;
  std::size_t operator()(const Fingerprint& fp) const {
    return (std::uint64_t{fp.word[0]} << 32) | fp.word[1];
  }
  std::size_t operator()(const Entry& e) const { return (*this)(e.fp); }
};
struct EntryEq {
  using is_transparent = void;
  static const Fingerprint& fp(const Entry& e) { return e.fp; }
  static const Fingerprint& fp(const Fingerprint& f) { return f; }
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    return fp(a) == fp(b);
  }
};

// Large tables go on transparent huge pages where the kernel allows it
// ("madvise" mode): a lookup in a table of 10M entries then costs one cache
// miss instead of a cache miss plus a page-table walk.
template <typename T>
struct HugePageAllocator {
  using value_type = T;
  static constexpr std::size_t kHugePage = std::size_t{2} << 20;

  HugePageAllocator() = default;
  template <typename U>
  HugePageAllocator(const HugePageAllocator<U>&) {}  // NOLINT: allocators convert implicitly

  T* allocate(std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    void* p = nullptr;
    if (bytes >= kHugePage) {
      // Only the whole huge pages inside the block are advised: rounding the
      // block up would cost up to 2 MiB per shard in resident memory (40
      // instead of 29 bytes per entry at 10M entries).
      if (::posix_memalign(&p, kHugePage, bytes) != 0) p = nullptr;
      if (p != nullptr) ::madvise(p, bytes / kHugePage * kHugePage, MADV_HUGEPAGE);
    } else {
      p = std::malloc(bytes);
    }
    if (p == nullptr) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t) { std::free(p); }

  friend bool operator==(const HugePageAllocator&, const HugePageAllocator&) { return true; }
};

using EntrySet = absl::flat_hash_set<Entry, EntryHash, EntryEq, HugePageAllocator<Entry>>;

// Control bytes and slots of an absl::flat_hash_set of this capacity
// (raw_hash_set's layout: capacity + 1 + group-width control bytes).
std::size_t table_bytes(const EntrySet& set) {
  const std::size_t capacity = set.capacity();
  if (capacity == 0) return 0;
  return capacity * (sizeof(Entry) + 1) + 1 + 16;
}

}  // namespace

Fingerprint fingerprint(std::string_view id) {
  Fingerprint fp{};
  std::uint8_t bytes[32];
  if (id.size() == kOwnIdLength && base64url::decode_to(id, bytes)) {
    std::memcpy(fp.word, bytes, sizeof fp.word);
    return fp;
  }
  unsigned int size = 0;
  // SHA-256 cannot fail on a valid context short of memory exhaustion; a
  // zero fingerprint is still a valid (if shared) value then.
  if (EVP_Digest(id.data(), id.size(), bytes, &size, EVP_sha256(), nullptr) == 1) {
    std::memcpy(fp.word, bytes, sizeof fp.word);
  }
  return fp;
}

namespace {
std::uint32_t saturated_seconds(std::chrono::seconds since_epoch) {
  return static_cast<std::uint32_t>(
      std::clamp<std::int64_t>(since_epoch.count(), 0, std::numeric_limits<std::uint32_t>::max()));
}
}  // namespace

std::uint32_t expiry_seconds(Timestamp t) {
  return saturated_seconds(std::chrono::ceil<std::chrono::seconds>(t).time_since_epoch());
}

struct alignas(64) IdSet::Shard {
  mutable std::shared_mutex mu;
  EntrySet set;
};

IdSet::IdSet() : shards_(std::make_unique<Shard[]>(kShards)) {}
IdSet::~IdSet() = default;

IdSet::Shard& IdSet::shard_for(const Fingerprint& fp) const {
  return shards_[fp.word[2] % kShards];
}

void IdSet::insert(std::string_view id, Timestamp expires) {
  insert(fingerprint(id), expiry_seconds(expires));
}

void IdSet::insert(const Fingerprint& fp, std::uint32_t expires) {
  Shard& shard = shard_for(fp);
  std::unique_lock lock(shard.mu);
  auto [it, inserted] = shard.set.insert(Entry{fp, expires});
  if (!inserted && it->expires < expires) it->expires = expires;
  if (inserted) count_.fetch_add(1, std::memory_order_release);
}

bool IdSet::erase(std::string_view id) {
  const Fingerprint fp = fingerprint(id);
  Shard& shard = shard_for(fp);
  std::unique_lock lock(shard.mu);
  const bool erased = shard.set.erase(fp) > 0;
  if (erased) count_.fetch_sub(1, std::memory_order_release);
  return erased;
}

bool IdSet::contains(std::string_view id) const {
  // Most deployments have few revoked sessions, or none: skip the work.
  if (count_.load(std::memory_order_acquire) == 0) return false;
  return contains(fingerprint(id));
}

bool IdSet::contains(const Fingerprint& fp) const {
  const Shard& shard = shard_for(fp);
  std::shared_lock lock(shard.mu);
  return shard.set.contains(fp);
}

std::size_t IdSet::evict(Timestamp now) {
  // Entries hold their expiry rounded up; `now` is rounded down, so nothing
  // leaves before its exact expiry.
  const std::uint32_t limit =
      saturated_seconds(std::chrono::floor<std::chrono::seconds>(now).time_since_epoch());
  constexpr std::size_t kBatch = 256;
  std::size_t removed = 0;
  std::vector<Fingerprint> expired;
  for (std::size_t i = 0; i < kShards; ++i) {
    Shard& shard = shards_[i];
    expired.clear();
    {
      std::shared_lock lock(shard.mu);
      for (const Entry& e : shard.set) {
        if (e.expires <= limit) expired.push_back(e.fp);
      }
    }
    for (std::size_t at = 0; at < expired.size(); at += kBatch) {
      std::unique_lock lock(shard.mu);
      const std::size_t end = std::min(expired.size(), at + kBatch);
      for (std::size_t j = at; j < end; ++j) {
        // Re-check: a writer may have raised the expiry since the scan.
        auto it = shard.set.find(expired[j]);
        if (it != shard.set.end() && it->expires <= limit) {
          shard.set.erase(it);
          count_.fetch_sub(1, std::memory_order_release);
          ++removed;
        }
      }
    }
  }
  return removed;
}

void IdSet::reserve(std::size_t n) {
  for (std::size_t i = 0; i < kShards; ++i) {
    std::unique_lock lock(shards_[i].mu);
    shards_[i].set.reserve(n / kShards + n / kShards / 8 + 1);
  }
}

void IdSet::clear() {
  for (std::size_t i = 0; i < kShards; ++i) {
    std::unique_lock lock(shards_[i].mu);
    count_.fetch_sub(shards_[i].set.size(), std::memory_order_release);
    EntrySet().swap(shards_[i].set);
  }
}

std::size_t IdSet::size() const { return count_.load(std::memory_order_acquire); }

std::size_t IdSet::bytes() const {
  std::size_t n = 0;
  for (std::size_t i = 0; i < kShards; ++i) {
    std::shared_lock lock(shards_[i].mu);
    n += table_bytes(shards_[i].set);
  }
  return n;
}

void UserCutoffs::insert(std::string_view user, Timestamp cutoff, Timestamp expires) {
  std::unique_lock lock(mu_);
  auto [it, inserted] = map_.try_emplace(std::string(user), Entry{cutoff, expires});
  if (!inserted) {
    it->second.cutoff = std::max(it->second.cutoff, cutoff);
    it->second.expires = std::max(it->second.expires, expires);
  }
  count_.store(map_.size(), std::memory_order_release);
}

bool UserCutoffs::erase(std::string_view user) {
  std::unique_lock lock(mu_);
  const bool erased = map_.erase(absl::string_view(user.data(), user.size())) > 0;
  count_.store(map_.size(), std::memory_order_release);
  return erased;
}

std::optional<Timestamp> UserCutoffs::cutoff(std::string_view user) const {
  if (count_.load(std::memory_order_acquire) == 0) return std::nullopt;
  std::shared_lock lock(mu_);
  auto it = map_.find(absl::string_view(user.data(), user.size()));
  if (it == map_.end()) return std::nullopt;
  return it->second.cutoff;
}

bool UserCutoffs::revokes(std::string_view user, std::optional<Timestamp> iat) const {
  const auto cut = cutoff(user);
  if (!cut) return false;
  // A token without iat cannot prove it was issued after the cutoff.
  return !iat || *iat < *cut;
}

std::size_t UserCutoffs::evict(Timestamp now) {
  std::unique_lock lock(mu_);
  const std::size_t removed =
      absl::erase_if(map_, [now](const auto& item) { return item.second.expires <= now; });
  count_.store(map_.size(), std::memory_order_release);
  return removed;
}

void UserCutoffs::clear() {
  std::unique_lock lock(mu_);
  map_.clear();
  count_.store(0, std::memory_order_release);
}

std::size_t UserCutoffs::size() const { return count_.load(std::memory_order_acquire); }

void Index::apply(const Change& change) {
  const bool revoke = change.op == Change::Op::kRevoke;
  switch (change.kind) {
    case RevocationKind::kToken:
      revoke ? tokens_.insert(change.key, change.expires_at) : void(tokens_.erase(change.key));
      break;
    case RevocationKind::kSession:
      revoke ? sessions_.insert(change.key, change.expires_at) : void(sessions_.erase(change.key));
      break;
    case RevocationKind::kUser:
      revoke ? users_.insert(change.key, change.cutoff, change.expires_at)
             : void(users_.erase(change.key));
      break;
  }
}

void Index::clear() {
  tokens_.clear();
  sessions_.clear();
  users_.clear();
}

std::string_view Index::revoked_by(std::string_view jti, std::string_view sid,
                                   std::string_view user, std::optional<Timestamp> iat) const {
  if (!jti.empty() && tokens_.contains(jti)) return "token";
  if (!sid.empty() && sessions_.contains(sid)) return "session";
  if (users_.revokes(user, iat)) return "user";
  return {};
}

std::size_t Index::evict(Timestamp now) {
  return tokens_.evict(now) + sessions_.evict(now) + users_.evict(now);
}

}  // namespace jwtguard::revocation
