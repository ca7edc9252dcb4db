#include "revocation/status_publisher.h"

#include <nlohmann/json.hpp>

#include "jwtguard/jose.h"
#include "jwtguard/status_list.h"
#include "keys_remote/http_fetch.h"
#include "util/try.h"

namespace jwtguard::revocation {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::uint64_t kMaxListSize = std::uint64_t{1} << 31;

Result<void> check_base_url(std::string_view url) {
  // The same rule as for the identity servers jwtguard fetches from: a
  // verifier fetches the list from here.
  auto origin = keys_remote::fetchable_origin(url);
  if (!origin) {
    return fail(Errc::kInvalidArgument, "status_list.base_url: " + origin.error().detail());
  }
  if (url.ends_with('/') || url.find_first_of("?#") != std::string_view::npos) {
    return fail(Errc::kInvalidArgument,
                "status_list.base_url must not end with '/' nor hold a query or fragment: the "
                "lists are at base_url + \"/statuslists/<id>\"");
  }
  return {};
}

bool symmetric(Algorithm alg) { return algorithm_name(alg).starts_with("HS"); }

// The draft's JWT form (section 5.1): iat and exp in whole seconds, ttl
// in seconds.
Json list_claims(const StatusListOptions& options, std::string_view uri, const Json& status_list,
                 Timestamp now) {
  const std::int64_t iat = to_unix_seconds(now);
  return Json{{"sub", uri},
              {"iat", iat},
              {"exp", iat + options.token_lifetime.count()},
              {"ttl", options.ttl.count()},
              {"status_list", status_list}};
}

}  // namespace

std::string status_list_uri(const StatusListOptions& options, std::uint64_t id) {
  return options.base_url + "/statuslists/" + std::to_string(id);
}

Result<void> check_status_list_options(const StatusListOptions& options, Algorithm alg) {
  if (!options.enabled) return {};
  if (symmetric(alg)) {
    return fail(Errc::kInvalidArgument,
                "status lists need an asymmetric signing algorithm (RS*, PS*, ES* or EdDSA), not " +
                    std::string(algorithm_name(alg)) +
                    ": verifiers elsewhere check the lists with the public key");
  }
  JWTGUARD_TRY(check_base_url(options.base_url));
  if (options.bits != 1 && options.bits != 2) {
    return fail(Errc::kInvalidArgument, "status_list.bits must be 1 or 2");
  }
  if (options.list_size < 1 || options.list_size > kMaxListSize) {
    return fail(Errc::kInvalidArgument, "status_list.list_size must be 1 to 2^31");
  }
  // A list a verifier cannot inflate within its default limit (16 MiB:
  // jwtguard's own verifier's, a reasonable one's) would be published and
  // refused everywhere: 2^27 one-bit or 2^26 two-bit statuses at most.
  if (options.list_size * static_cast<std::uint64_t>(options.bits) > DecodeLimits{}.max_bytes * 8) {
    return fail(Errc::kInvalidArgument,
                "status_list.list_size " + std::to_string(options.list_size) + " of " +
                    std::to_string(options.bits) +
                    "-bit statuses makes lists over 16 MiB, more than verifiers inflate: at most " +
                    std::to_string(DecodeLimits{}.max_bytes * 8 / options.bits));
  }
  if (options.ttl.count() <= 0 || options.token_lifetime.count() <= 0 ||
      options.publish_interval.count() <= 0) {
    return fail(Errc::kInvalidArgument,
                "status_list.ttl, token_lifetime and publish_interval must be positive");
  }
  return {};
}

Result<PublishedStatusList> build_status_list(const StatusListState& state,
                                              const StatusListOptions& options, const Key& key,
                                              Algorithm alg, Timestamp now) {
  auto list = StatusList::create(state.size, state.bits);
  if (!list) return tl::unexpected(list.error());
  for (const auto& [index, status] : state.statuses) JWTGUARD_TRY(list->set(index, status));
  auto claim = status_list_claim_json(*list);
  if (!claim) return tl::unexpected(claim.error());
  PublishedStatusList out;
  out.list = state.id;
  out.uri = status_list_uri(options, state.id);
  const Json status_list = Json::parse(*claim);
  const Json claims = list_claims(options, out.uri, status_list, now);
  auto jwt = sign_jws(key, alg, claims.dump(), "statuslist+jwt");
  if (!jwt) return tl::unexpected(jwt.error());
  out.jwt = std::move(*jwt);
  out.json = std::move(*claim);
  out.issued_at = from_unix_seconds(claims["iat"].get<std::int64_t>());
  out.expires_at = from_unix_seconds(claims["exp"].get<std::int64_t>());
  return out;
}

StatusPublisher::StatusPublisher(const StatusListOptions& options, const Key& key, Algorithm alg,
                                 Store& store, const Clock& clock)
    : options_(options),
      signer_(std::make_shared<const Signer>(Signer{key, alg, 0})),
      store_(store),
      clock_(clock) {}

void StatusPublisher::rekey(const Key& key, Algorithm alg) {
  std::lock_guard lock(mu_);
  signer_ = std::make_shared<const Signer>(Signer{key, alg, signer_->generation + 1});
}

void StatusPublisher::saw(std::uint64_t id) {
  std::lock_guard lock(mu_);
  highest_ = std::max(highest_, id);
}

bool StatusPublisher::fresh(const Slot& slot, Timestamp now) const {
  return slot.published && slot.signer == signer_->generation &&
         now - slot.checked_at < options_.publish_interval &&
         now - slot.built_at < options_.token_lifetime / 2;
}

Result<void> StatusPublisher::admit(std::uint64_t id, Timestamp now) {
  const auto not_found = [&] {
    return fail(Errc::kNotFound, "no status list " + std::to_string(id));
  };
  if (id > highest_) {
    // Not a list this instance knows of: maybe one another instance just
    // opened (or one from before a restart), maybe a made-up id. A few
    // reads per interval find the real ones; a flood gets no more.
    if (!probe_window_ || now - *probe_window_ >= options_.publish_interval) {
      probe_window_ = now;
      probes_ = 0;
    }
    if (probes_ >= kProbesPerInterval) return not_found();
    ++probes_;
    return {};
  }
  // A list known once and missing since was retired: one read per
  // interval tells, whatever the number of requests.
  if (auto miss = misses_.find(id); miss != misses_.end()) {
    if (now - miss->second < options_.publish_interval) return not_found();
    misses_.erase(miss);
  }
  return {};
}

Result<std::shared_ptr<const PublishedStatusList>> StatusPublisher::get(std::uint64_t id) {
  std::unique_lock lock(mu_);
  for (;;) {
    const Timestamp now = clock_.now();
    auto it = slots_.find(id);
    if (it != slots_.end()) {
      Slot& slot = it->second;
      if (fresh(slot, now)) return slot.published;
      if (slot.busy) {
        // Another caller reads or builds it: the kept one meanwhile.
        if (slot.published) return slot.published;
        done_.wait(lock);
        continue;
      }
    } else {
      JWTGUARD_TRY(admit(id, now));
    }
    return refresh(id, now, lock);
  }
}

namespace {

// What a published list shows: the statuses and their width. An allocation
// moves `allocated` and `expires_at`, which are not published.
bool same_list(const StatusListState& a, const StatusListState& b) {
  return a.bits == b.bits && a.size == b.size && a.statuses == b.statuses;
}

}  // namespace

Result<std::shared_ptr<const PublishedStatusList>> StatusPublisher::refresh(
    std::uint64_t id, Timestamp now, std::unique_lock<std::mutex>& lock) {
  // The slot stays busy through the read and the build (encoding a large
  // list takes tens of milliseconds), both done without the lock: others
  // get the kept build meanwhile, or wait for this one.
  slots_[id].busy = true;
  lock.unlock();
  auto state = store_.find_status_list(id);
  Result<PublishedStatusList> built = fail(Errc::kNotFound, "not built");
  bool rebuilt = false;
  std::shared_ptr<const Signer> signer;
  {
    std::lock_guard peek(mu_);
    const Slot& slot = slots_[id];
    signer = signer_;
    rebuilt =
        state && *state &&
        !(slot.published && slot.signer == signer->generation && same_list(slot.state, **state) &&
          now - slot.built_at < options_.token_lifetime / 2);
  }
  if (rebuilt) built = build_status_list(**state, options_, signer->key, signer->alg, now);
  lock.lock();
  Slot& slot = slots_[id];
  slot.busy = false;
  done_.notify_all();
  if (!state) {
    // The store failed: the kept build if any, and the next read after
    // publish_interval rather than one per request.
    slot.checked_at = now;
    if (slot.published) return slot.published;
    slots_.erase(id);
    return tl::unexpected(state.error());
  }
  if (!*state) {  // never opened, or retired (purged): forget it
    slots_.erase(id);
    // At most one per known id: bounded by the lists there were.
    if (id <= highest_) misses_[id] = now;
    return fail(Errc::kNotFound, "no status list " + std::to_string(id));
  }
  highest_ = std::max(highest_, id);
  slot.checked_at = now;
  if (!rebuilt) return slot.published;
  if (!built) {
    if (slot.published) return slot.published;
    slots_.erase(id);
    return tl::unexpected(built.error());
  }
  ++builds_;
  slot.published = std::make_shared<const PublishedStatusList>(std::move(*built));
  slot.state = std::move(**state);
  slot.built_at = now;
  slot.signer = signer->generation;
  return slot.published;
}

}  // namespace jwtguard::revocation
