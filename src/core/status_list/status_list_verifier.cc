// StatusListVerifier: the fetch, the cache and the draft's verification
// steps (§8.3) put together. One cache entry per list URI holds either a
// checked list or the last failure, each with the time it may be used until;
// a failure is kept for min_cache so that a flood of tokens naming an
// unreachable list makes one fetch per min_cache, not one per token.
//
// The cache is bounded twice, in entries and in decoded bytes, because the
// URIs come from tokens: an issuer we trust (or anyone whose tokens pass
// the signature check) can name as many lists as it likes. Past either
// bound the least recently used entries go, never one whose fetch is in
// flight (its callers wait on it being in the map, so that they share it).
#include "jwtguard/status_list_verifier.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>

#include "jwtguard/verifier.h"
#include "keys_remote/http_fetch.h"
#include "status_list/list_token.h"
#include "status_list/status_reference.h"
#include "util/try.h"

namespace jwtguard {
namespace {

using std::chrono::seconds;

// Lists are named by the tokens of trusted issuers, but a cache without a
// bound still grows with every URI they ever name.
constexpr std::size_t kMaxCachedLists = 256;
// Four lists at the default decoding limit (16 MiB each).
constexpr std::size_t kMaxCachedBytes = std::size_t{64} << 20;

Result<void> check_options(const StatusVerifierOptions& o) {
  if (o.keys.empty()) return fail(Errc::kInvalidArgument, "no key to verify status lists with");
  for (Algorithm alg : o.algorithms) {
    if (!o.keys.allows(alg)) {
      return fail(Errc::kNoKeyForAlg,
                  std::string(algorithm_name(alg)) + " is allowed but no key can verify it");
    }
  }
  if (o.leeway.count() < 0 || o.leeway > kMaxLeeway) {
    return fail(Errc::kInvalidArgument, "leeway must be 0 to one day");
  }
  if (o.min_cache.count() < 0 || o.min_cache > o.max_cache) {
    return fail(Errc::kInvalidArgument, "status list cache bounds: need 0 <= min <= max");
  }
  if (o.default_cache.count() < 0) return fail(Errc::kInvalidArgument, "negative default_cache");
  if (o.timeout.count() <= 0 || o.connect_timeout.count() <= 0) {
    return fail(Errc::kInvalidArgument, "status list timeouts must be positive");
  }
  if (o.max_response_bytes == 0) return fail(Errc::kInvalidArgument, "zero max_response_bytes");
  if (o.limits.max_bytes == 0 || o.limits.max_bytes > StatusList::kMaxBytes) {
    return fail(Errc::kInvalidArgument, "status list limits.max_bytes must be 1 to 256 MiB");
  }
  return {};
}

// What one URI's list is known to be: a list or the failure to get one.
struct Known {
  std::shared_ptr<const StatusList> list;  // null: `error` holds the failure
  std::optional<Error> error;
  Timestamp until{};

  std::size_t bytes() const { return list ? list->bytes().size() : 0; }
};

struct CacheEntry {
  Known known;
  bool fetching = false;
  std::uint64_t last_used = 0;  // Impl::uses_ when it was last asked for
};

class Impl final : public StatusListVerifier {
 public:
  Impl(StatusVerifierOptions options, const Clock& clock)
      : options_(std::move(options)), clock_(clock) {
    rules_.keys = &options_.keys;
    rules_.jws.algorithms = options_.algorithms;
    rules_.jws.max_token_size = options_.max_response_bytes;
    rules_.leeway = options_.leeway;
    rules_.limits = options_.limits;
    fetch_.timeout = options_.timeout;
    fetch_.connect_timeout = options_.connect_timeout;
    fetch_.max_bytes = options_.max_response_bytes;
    fetch_.ca_file = options_.ca_file;
    fetch_.accept = "application/statuslist+jwt";
  }

  ~Impl() override { stop_ = true; }

  Result<TokenStatus> status(std::string_view payload_json) override {
    JWTGUARD_ASSIGN_OR_RETURN(const status_list::StatusReference ref,
                              status_list::parse_status_reference(payload_json));
    JWTGUARD_ASSIGN_OR_RETURN(const std::shared_ptr<const StatusList> list, list_for(ref.uri));
    if (ref.idx >= list->size()) {
      return fail(Errc::kBadClaim, "status.status_list.idx: index out of range (the list has " +
                                       std::to_string(list->size()) + " entries)");
    }
    return list->get_status(static_cast<std::size_t>(ref.idx));
  }

 private:
  // The cached list of `uri` while it may be used, else one fetch shared by
  // every caller asking meanwhile.
  Result<std::shared_ptr<const StatusList>> list_for(const std::string& uri) {
    std::unique_lock lock(mu_);
    for (;;) {
      // Held by pointer: once its fetch is over, the entry may leave the map.
      const std::shared_ptr<CacheEntry> entry = slot(uri);
      cv_.wait(lock, [&] { return !entry->fetching; });
      if (clock_.now() < entry->known.until) return answer(entry->known);
      // Evicted while we waited: fetching into it would be lost to the
      // others and to the byte count.
      if (!holds(uri, entry)) continue;
      entry->fetching = true;
      lock.unlock();
      Known fetched = fetch(uri);
      lock.lock();
      entry->fetching = false;
      cached_bytes_ += fetched.bytes();
      cached_bytes_ -= entry->known.bytes();
      entry->known = std::move(fetched);
      cv_.notify_all();
      Result<std::shared_ptr<const StatusList>> out = answer(entry->known);
      evict(kMaxCachedLists, entry.get());
      return out;
    }
  }

  // Called with mu_ held: the entry of `uri`, made (within the bound) when
  // there is none, marked as just used.
  std::shared_ptr<CacheEntry> slot(const std::string& uri) {
    auto found = cache_.find(uri);
    if (found == cache_.end()) {
      evict(kMaxCachedLists - 1, nullptr);
      found = cache_.emplace(uri, std::make_shared<CacheEntry>()).first;
    }
    found->second->last_used = ++uses_;
    return found->second;
  }

  bool holds(const std::string& uri, const std::shared_ptr<CacheEntry>& entry) const {
    auto found = cache_.find(uri);
    return found != cache_.end() && found->second == entry;
  }

  static Result<std::shared_ptr<const StatusList>> answer(const Known& known) {
    if (known.list) return known.list;
    return tl::unexpected(*known.error);
  }

  Known fetch(const std::string& uri) const {
    const auto reply = keys_remote::http_get(uri, fetch_, stop_);
    const Timestamp now = clock_.now();
    if (!reply) return failed(reply.error(), now);
    auto checked = status_list::read_list_token(trimmed(reply->body), uri, rules_, now);
    if (!checked) return failed(checked.error(), now);
    Timestamp until = now + std::clamp(checked->ttl.value_or(options_.default_cache),
                                       options_.min_cache, options_.max_cache);
    if (checked->exp) until = std::min(until, *checked->exp);
    return Known{std::make_shared<const StatusList>(std::move(checked->list)), std::nullopt, until};
  }

  Known failed(Error error, Timestamp now) const {
    return Known{nullptr, std::move(error), now + options_.min_cache};
  }

  // A server may end the token with a newline; the JWS itself has none.
  static std::string_view trimmed(std::string_view body) {
    constexpr std::string_view kSpace = " \t\r\n";
    const auto first = body.find_first_not_of(kSpace);
    if (first == std::string_view::npos) return {};
    return body.substr(first, body.find_last_not_of(kSpace) - first + 1);
  }

  // Called with mu_ held: drops the stale entries, then the least recently
  // used ones, until at most `max_entries` are left and their lists hold
  // at most kMaxCachedBytes. `keep` (the list just fetched) stays even when
  // it alone is over the bytes: dropping it would fetch it for every token.
  // Entries being fetched stay too, so more fetches in flight at once than
  // the bound hold it off until they end.
  void evict(std::size_t max_entries, const CacheEntry* keep) {
    const auto over = [&] {
      return cache_.size() > max_entries || cached_bytes_ > kMaxCachedBytes;
    };
    if (!over()) return;
    const Timestamp now = clock_.now();
    std::erase_if(cache_, [&](const auto& item) {
      const CacheEntry& entry = *item.second;
      if (entry.fetching || &entry == keep || entry.known.until > now) return false;
      cached_bytes_ -= entry.known.bytes();
      return true;
    });
    while (over()) {
      auto oldest = cache_.end();
      for (auto it = cache_.begin(); it != cache_.end(); ++it) {
        const CacheEntry& entry = *it->second;
        if (entry.fetching || &entry == keep) continue;
        if (oldest == cache_.end() || entry.last_used < oldest->second->last_used) oldest = it;
      }
      if (oldest == cache_.end()) return;
      cached_bytes_ -= oldest->second->known.bytes();
      cache_.erase(oldest);
    }
  }

  const StatusVerifierOptions options_;
  const Clock& clock_;
  status_list::ListTokenRules rules_;
  keys_remote::FetchLimits fetch_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::shared_ptr<CacheEntry>, std::less<>> cache_;
  std::uint64_t uses_ = 0;        // counts list_for's calls: the LRU order
  std::size_t cached_bytes_ = 0;  // the decoded lists in cache_
};

}  // namespace

Result<std::unique_ptr<StatusListVerifier>> StatusListVerifier::create(
    StatusVerifierOptions options, const Clock& clock) {
  JWTGUARD_TRY(check_options(options));
  return std::unique_ptr<StatusListVerifier>(std::make_unique<Impl>(std::move(options), clock));
}

Result<void> StatusListVerifier::check(std::string_view payload_json) {
  JWTGUARD_ASSIGN_OR_RETURN(const TokenStatus status, status(payload_json));
  switch (status) {
    case TokenStatus::kValid:
      return {};
    case TokenStatus::kInvalid:
      return fail(Errc::kRevoked, "status list");
    case TokenStatus::kSuspended:
      return fail(Errc::kSuspended, "status list");
  }
  return fail(Errc::kRevoked,
              "status list: status " + std::to_string(static_cast<unsigned>(status)));
}

}  // namespace jwtguard
