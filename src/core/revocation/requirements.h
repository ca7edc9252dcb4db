// What Guard::require() checks of a verified token's claims before it asks
// about revocation: the token's type and freshness, as Requirements ask.
#ifndef JWTGUARD_REVOCATION_REQUIREMENTS_H_
#define JWTGUARD_REVOCATION_REQUIREMENTS_H_

#include "jwtguard/claims.h"
#include "jwtguard/error.h"
#include "jwtguard/guard.h"

namespace jwtguard::revocation {

// The type first: any type passes kAny; otherwise a missing "type" claim is
// kMissingClaim and an unknown one kBadClaim, a refresh token where an
// access token is required kRefreshTokenNotAllowed, and the reverse
// kAccessTokenNotAllowed. Then, when `req.fresh`, anything but an access
// token carrying fresh: true is kFreshTokenRequired.
Result<void> check_requirements(const Claims& claims, const Requirements& req);

}  // namespace jwtguard::revocation

#endif  // JWTGUARD_REVOCATION_REQUIREMENTS_H_
