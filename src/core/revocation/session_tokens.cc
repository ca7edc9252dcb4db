#include "revocation/session_tokens.h"

#include "jwtguard/revocation.h"

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

}  // namespace jwtguard::revocation
