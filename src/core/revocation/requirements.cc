#include "revocation/requirements.h"

#include "util/try.h"

namespace jwtguard::revocation {
namespace {

Result<void> check_type(const Claims& claims, const Requirements& req) {
  if (req.type == TokenRequirement::kAny) return {};
  if (!claims.has("type")) return fail(Errc::kMissingClaim, "type");
  const auto type = parse_token_type(claims.type);
  if (!type) return fail(Errc::kBadClaim, "type");
  if (req.type == TokenRequirement::kAccess && *type != TokenType::kAccess) {
    return fail(Errc::kRefreshTokenNotAllowed);
  }
  if (req.type == TokenRequirement::kRefresh && *type != TokenType::kRefresh) {
    return fail(Errc::kAccessTokenNotAllowed);
  }
  return {};
}

}  // namespace

Result<void> check_requirements(const Claims& claims, const Requirements& req) {
  JWTGUARD_TRY(check_type(claims, req));
  if (req.fresh && (claims.type != "access" || claims.fresh != true)) {
    return fail(Errc::kFreshTokenRequired);
  }
  return {};
}

}  // namespace jwtguard::revocation
