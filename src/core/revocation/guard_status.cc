// Status lists (draft-ietf-oauth-status-list): the entry each issued token
// gets before it is signed, and the lists as published.
#include "revocation/guard_impl.h"

namespace jwtguard {

void Guard::Impl::start_status_lists() {
  if (!fixed_.status_list.enabled) return;
  const auto s = settings();
  publisher_ = std::make_unique<revocation::StatusPublisher>(
      fixed_.status_list, s->issuer.key(), s->issuer.algorithm(), *store_, clock_);
}

Result<void> Guard::Impl::stamp(const GuardSettings& s, std::span<TokenRequest> requests,
                                Timestamp now) {
  std::vector<StatusEntry> entries;
  entries.reserve(requests.size());
  for (TokenRequest& request : requests) {
    // The entry names the token's jti and sid, so both are chosen here
    // rather than by the Issuer.
    for (std::string* id : {&request.jti, &request.session_id}) {
      if (!id->empty()) continue;
      auto random = random_id();
      if (!random) return tl::unexpected(random.error());
      *id = std::move(*random);
    }
    auto times = s.issuer.times(request, now);
    if (!times) return tl::unexpected(times.error());
    // A verifier accepts the token up to its leeway past exp.
    entries.push_back({.jti = request.jti,
                       .session = request.session_id,
                       .user = subject_key(request.subject_namespace, request.subject),
                       .issued_at = times->issued_at,
                       .expires_at = times->expires_at + s.options.verify.claims.leeway});
  }
  const StatusListSpec spec{.bits = fixed_.status_list.bits, .size = fixed_.status_list.list_size};
  auto refs = store_->allocate_status(entries, spec);
  if (!refs) {
    ++status_allocation_failures_;
    return fail(Errc::kStore, "status list entry not recorded: " + refs.error().detail());
  }
  status_allocations_ += refs->size();
  publisher_->saw(refs->back().list);
  for (std::size_t i = 0; i < requests.size(); ++i) {
    requests[i].status =
        StatusClaim{.idx = (*refs)[i].index,
                    .uri = revocation::status_list_uri(fixed_.status_list, (*refs)[i].list)};
  }
  return {};
}

Result<std::shared_ptr<const PublishedStatusList>> Guard::Impl::status_list_token(
    std::uint64_t id) {
  if (!publisher_) return fail(Errc::kNotFound, "status lists are off");
  return publisher_->get(id);
}

}  // namespace jwtguard
