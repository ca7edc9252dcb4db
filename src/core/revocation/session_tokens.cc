#include "revocation/session_tokens.h"

#include "jwtguard/revocation.h"
#include "revocation/session_limits.h"

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

Result<IssuedToken> issue_until(const Issuer& issuer, TokenRequest request,
                                std::chrono::seconds ttl, Timestamp now,
                                std::optional<Timestamp> end) {
  auto within = ttl_within(request.ttl.value_or(ttl), now, end);
  if (!within) return fail(Errc::kExpired, "session ended");
  request.ttl = *within;
  return issuer.issue(request, now);
}

Result<TokenPair> issue_pair_until(const Issuer& issuer, TokenRequest request,
                                   const IssuerOptions& lifetimes, Timestamp now,
                                   std::optional<Timestamp> end) {
  request.type = TokenType::kAccess;
  auto access = issue_until(issuer, request, lifetimes.access_ttl, now, end);
  if (!access) return tl::unexpected(access.error());
  request.type = TokenType::kRefresh;
  request.fresh = false;
  request.session_id = access->sid;
  auto refresh = issue_until(issuer, request, lifetimes.refresh_ttl, now, end);
  if (!refresh) return tl::unexpected(refresh.error());
  return TokenPair{std::move(*access), std::move(*refresh)};
}

}  // namespace jwtguard::revocation
