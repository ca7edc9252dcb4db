#include "revocation/session_tokens.h"

#include "jwtguard/revocation.h"
#include "revocation/session_limits.h"
#include "util/try.h"

namespace jwtguard::revocation {

Result<TokenRequest> same_principal(const Claims& claims, Timestamp order_at) {
  auto extra = extra_claims_of(claims.payload_json);
  if (!extra) return tl::unexpected(extra.error());
  TokenRequest request;
  request.subject = claims.sub;
  request.subject_namespace = claims.sub_ns;
  request.session_id = claims.sid;
  request.extra_claims_json = std::move(*extra);
  request.order_at = order_at;
  return request;
}

Result<Session> live_session(Store& store, const Claims& claims) {
  if (claims.sid.empty()) return fail(Errc::kMissingClaim, "sid");
  auto session = store.find_session(claims.sid);
  if (!session) return tl::unexpected(session.error());
  if (!*session || (*session)->revoked_at || (*session)->user != subject_key(claims)) {
    return fail(Errc::kRevoked, "session");
  }
  return std::move(**session);
}

Result<TokenRequest> request_until(TokenRequest request, std::chrono::seconds ttl, Timestamp now,
                                   std::optional<Timestamp> end) {
  auto within = ttl_within(request.ttl.value_or(ttl), now, end);
  if (!within) return fail(Errc::kExpired, "session ended");
  request.ttl = *within;
  return request;
}

Result<IssuedToken> issue_until(const Issuer& issuer, TokenRequest request,
                                std::chrono::seconds ttl, Timestamp now,
                                std::optional<Timestamp> end, const Stamp& stamp) {
  auto capped = request_until(std::move(request), ttl, now, end);
  if (!capped) return tl::unexpected(capped.error());
  if (stamp) JWTGUARD_TRY(stamp(std::span<TokenRequest>(&*capped, 1), now));
  return issuer.issue(*capped, now);
}

Result<TokenPair> issue_pair_until(const Issuer& issuer, TokenRequest request,
                                   const IssuerOptions& lifetimes, Timestamp now,
                                   std::optional<Timestamp> end, const Stamp& stamp) {
  if (stamp && request.session_id.empty()) {
    auto sid = random_id();
    if (!sid) return tl::unexpected(sid.error());
    request.session_id = std::move(*sid);
  }
  request.type = TokenType::kAccess;
  auto access_request = request_until(request, lifetimes.access_ttl, now, end);
  if (!access_request) return tl::unexpected(access_request.error());
  request.type = TokenType::kRefresh;
  request.fresh = false;
  auto refresh_request = request_until(std::move(request), lifetimes.refresh_ttl, now, end);
  if (!refresh_request) return tl::unexpected(refresh_request.error());
  if (stamp) {
    TokenRequest both[] = {std::move(*access_request), std::move(*refresh_request)};
    JWTGUARD_TRY(stamp(both, now));
    access_request = std::move(both[0]);
    refresh_request = std::move(both[1]);
  }
  auto access = issuer.issue(*access_request, now);
  if (!access) return tl::unexpected(access.error());
  refresh_request->session_id = access->sid;
  // One CSRF value for the pair, as Issuer::issue_pair: whichever token
  // cookie a request carries, the page's CSRF header matches it.
  refresh_request->csrf = access->csrf;
  auto refresh = issuer.issue(*refresh_request, now);
  if (!refresh) return tl::unexpected(refresh.error());
  return TokenPair{std::move(*access), std::move(*refresh)};
}

}  // namespace jwtguard::revocation
