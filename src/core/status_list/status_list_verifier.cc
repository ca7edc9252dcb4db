// StatusListVerifier: the fetch, the cache and the draft's verification
// steps (§8.3) put together. One cache entry per list URI holds either a
// checked list or the last failure, each with the time it may be used until;
// a failure is kept for min_cache so that a flood of tokens naming an
// unreachable list makes one fetch per min_cache, not one per token.
#include "jwtguard/status_list_verifier.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
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
struct CacheEntry {
  std::shared_ptr<const StatusList> list;  // null: `error` holds the failure
  std::optional<Error> error;
  Timestamp until{};
  bool fetching = false;
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
    // Held by pointer: evict_stale may drop it from the map meanwhile.
    std::shared_ptr<CacheEntry>& slot = cache_[uri];
    if (!slot) slot = std::make_shared<CacheEntry>();
    const std::shared_ptr<CacheEntry> held = slot;
    CacheEntry& entry = *held;
    cv_.wait(lock, [&] { return !entry.fetching; });
    if (clock_.now() < entry.until) return answer(entry);
    entry.fetching = true;
    lock.unlock();
    CacheEntry fetched = fetch(uri);
    lock.lock();
    fetched.fetching = false;
    entry = std::move(fetched);
    cv_.notify_all();
    Result<std::shared_ptr<const StatusList>> out = answer(entry);
    evict_stale();
    return out;
  }

  static Result<std::shared_ptr<const StatusList>> answer(const CacheEntry& entry) {
    if (entry.list) return entry.list;
    return tl::unexpected(*entry.error);
  }

  CacheEntry fetch(const std::string& uri) const {
    const auto reply = keys_remote::http_get(uri, fetch_, stop_);
    const Timestamp now = clock_.now();
    if (!reply) return failed(reply.error(), now);
    auto checked = status_list::read_list_token(trimmed(reply->body), uri, rules_, now);
    if (!checked) return failed(checked.error(), now);
    Timestamp until = now + std::clamp(checked->ttl.value_or(options_.default_cache),
                                       options_.min_cache, options_.max_cache);
    if (checked->exp) until = std::min(until, *checked->exp);
    return CacheEntry{std::make_shared<const StatusList>(std::move(checked->list)), std::nullopt,
                      until};
  }

  CacheEntry failed(Error error, Timestamp now) const {
    return CacheEntry{nullptr, std::move(error), now + options_.min_cache};
  }

  // A server may end the token with a newline; the JWS itself has none.
  static std::string_view trimmed(std::string_view body) {
    constexpr std::string_view kSpace = " \t\r\n";
    const auto first = body.find_first_not_of(kSpace);
    if (first == std::string_view::npos) return {};
    return body.substr(first, body.find_last_not_of(kSpace) - first + 1);
  }

  // Called with mu_ held.
  void evict_stale() {
    if (cache_.size() <= kMaxCachedLists) return;
    const Timestamp now = clock_.now();
    std::erase_if(cache_, [&](const auto& item) {
      return !item.second->fetching && item.second->until <= now;
    });
  }

  const StatusVerifierOptions options_;
  const Clock& clock_;
  status_list::ListTokenRules rules_;
  keys_remote::FetchLimits fetch_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::shared_ptr<CacheEntry>, std::less<>> cache_;
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
