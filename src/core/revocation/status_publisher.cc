#include "revocation/status_publisher.h"

#include <nlohmann/json.hpp>

#include "jose/base64url.h"
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
  Json header = {{"alg", algorithm_name(alg)}, {"typ", "statuslist+jwt"}};
  if (!key.kid().empty()) header["kid"] = key.kid();
  out.jwt = base64url::encode(header.dump());
  out.jwt += '.';
  base64url::encode_append(claims.dump(), out.jwt);
  auto signature = jws_signature(key, alg, out.jwt);
  if (!signature) return tl::unexpected(signature.error());
  out.jwt += '.';
  out.jwt += *signature;
  out.json = std::move(*claim);
  out.issued_at = from_unix_seconds(claims["iat"].get<std::int64_t>());
  out.expires_at = from_unix_seconds(claims["exp"].get<std::int64_t>());
  return out;
}

StatusPublisher::StatusPublisher(const StatusListOptions& options, const Key& key, Algorithm alg,
                                 Store& store, const Clock& clock, ChangeCount changes)
    : options_(options),
      key_(key),
      alg_(alg),
      store_(store),
      clock_(clock),
      changes_(std::move(changes)) {}

bool StatusPublisher::current(const Slot& slot, Timestamp now) const {
  if (!slot.published) return false;
  const auto age = now - slot.built_at;
  if (age >= options_.token_lifetime / 2) return false;
  return changes_() == slot.changes || age < options_.publish_interval;
}

Result<std::shared_ptr<const PublishedStatusList>> StatusPublisher::get(std::uint64_t id) {
  std::unique_lock lock(mu_);
  for (;;) {
    const Timestamp now = clock_.now();
    auto it = slots_.find(id);
    if (it != slots_.end()) {
      Slot& slot = it->second;
      if (current(slot, now)) return slot.published;
      // Another caller is building it: the kept one meanwhile, if any.
      if (slot.building) {
        if (slot.published) return slot.published;
        built_.wait(lock);
        continue;
      }
    }
    Slot& slot = slots_[id];
    slot.building = true;
    // Read before the store: a change applied during the build leaves the
    // new build out of date, never the reverse.
    const std::uint64_t changes = changes_();
    lock.unlock();
    auto built = build(id, now);
    lock.lock();
    slot.building = false;
    built_.notify_all();
    if (built) {
      slot = Slot{.published = *built, .changes = changes, .built_at = now, .building = false};
      return *built;
    }
    if (built.error().code() != Errc::kNotFound && slot.published) return slot.published;
    slots_.erase(id);
    return tl::unexpected(built.error());
  }
}

Result<std::shared_ptr<const PublishedStatusList>> StatusPublisher::build(std::uint64_t id,
                                                                          Timestamp now) {
  auto state = store_.find_status_list(id);
  if (!state) return tl::unexpected(state.error());
  if (!*state) return fail(Errc::kNotFound, "no status list " + std::to_string(id));
  auto published = build_status_list(**state, options_, key_, alg_, now);
  if (!published) return tl::unexpected(published.error());
  ++builds_;
  return std::make_shared<const PublishedStatusList>(std::move(*published));
}

}  // namespace jwtguard::revocation
