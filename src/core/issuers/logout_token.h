// The claims an OpenID Connect back-channel logout token must carry
// (Back-Channel Logout 1.0, sections 2.4 and 2.6), read from its payload
// before anything about the issuer is checked. Private to the library; the
// signature, iss, aud and times are TrustedIssuers::verify_logout_token's.
#ifndef JWTGUARD_ISSUERS_LOGOUT_TOKEN_H_
#define JWTGUARD_ISSUERS_LOGOUT_TOKEN_H_

#include <string>
#include <string_view>

#include "issuers/foreign_claims.h"
#include "jwtguard/claims.h"
#include "jwtguard/error.h"

namespace jwtguard::issuers {

// parse_foreign_payload, then, in this order: iat present (kMissingClaim
// "iat"); jti present and not empty (kMissingClaim "jti"); "events"
// present (kMissingClaim "events") and an object whose member
// kBackchannelLogoutEvent is an object (kBadClaim "events"); the session
// or the subject claim present and not empty (kMissingClaim, naming the
// session claim); no "nonce" (kBadClaim "nonce": an ID token must never
// pass for a logout token).
Result<Claims> parse_logout_claims(std::string payload, const ClaimMapping& mapping);

// Whether a JOSE header "typ" may be a logout token's: absent, "JWT",
// "logout+jwt" or "application/logout+jwt", in any case (RFC 7515 §4.1.9:
// media types are case-insensitive).
bool is_logout_typ(std::string_view typ);

// Whether it names a logout token explicitly ("logout+jwt", with or
// without "application/"): such a token is never an access token.
bool is_explicit_logout_typ(std::string_view typ);

}  // namespace jwtguard::issuers

#endif  // JWTGUARD_ISSUERS_LOGOUT_TOKEN_H_
