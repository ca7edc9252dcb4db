// Reading another issuer's token payload (jwtguard/trusted_issuers.h):
// strict JSON as parse_claims is, the registered claims read by the same
// rules, the subject and session taken from the issuer's mapped claims, and
// jwtguard's own claims ("type", "fresh", "sub_ns", "iat_ms", "csrf")
// ignored, whatever they hold. Private to the library.
#ifndef JWTGUARD_ISSUERS_FOREIGN_CLAIMS_H_
#define JWTGUARD_ISSUERS_FOREIGN_CLAIMS_H_

#include <optional>
#include <string>
#include <string_view>

#include "jwtguard/claims.h"
#include "jwtguard/error.h"

namespace jwtguard::issuers {

// The back-channel logout event (OpenID Connect Back-Channel Logout 1.0,
// section 2.4): the member of "events" that makes a JWT a logout token.
inline constexpr std::string_view kBackchannelLogoutEvent =
    "http://schemas.openid.net/event/backchannel-logout";

// How one issuer's claims map to jwtguard's.
struct ClaimMapping {
  std::string_view ns;  // the issuer's namespace: Claims::sub_ns
  std::string_view subject_claim = "sub";
  std::string_view session_claim = "sid";
};

// What "events" holds, as far as a logout token cares.
enum class Events {
  kAbsent,
  kNotObject,       // "events" is not an object
  kNoLogoutEvent,   // an object without kBackchannelLogoutEvent
  kBadLogoutEvent,  // kBackchannelLogoutEvent is there, but not an object
  kLogoutEvent,     // kBackchannelLogoutEvent, an object
};

struct ForeignPayload {
  // sub and sid from the mapped claims (the token's own "sub" or "sid" when
  // another claim is mapped is ignored); jti, iss, aud, exp, nbf, iat as
  // the token says them; sub_ns = mapping.ns; type = "access" (marked
  // present); never fresh, iat_ms or csrf; payload_json = the payload.
  Claims claims;
  Events events = Events::kAbsent;
  bool nonce = false;  // a "nonce" member, whatever its value
};

// Parses `payload` (JSON text). Errors: those of json::parse_object
// (kBadJson, kNotAnObject, kDuplicateMember); kBadClaim naming the claim
// for a registered or mapped claim of the wrong type or out of range, and
// for control characters (U+0000..U+001F, U+007F) in jti, sub or sid,
// which would otherwise let a token's ids reach into another namespace's
// revocation keys.
Result<ForeignPayload> parse_foreign_payload(std::string payload, const ClaimMapping& mapping);

// Whether `text` holds a control character.
bool has_control_character(std::string_view text);

// The "iss" of a compact JWS, read without verifying anything: the payload
// segment decoded (tokens over `max_token_size` bytes are not read) and
// parsed as a JSON object. nullopt when any of that fails, or when there
// is no string "iss".
std::optional<std::string> unverified_issuer(std::string_view token, std::size_t max_token_size);

}  // namespace jwtguard::issuers

#endif  // JWTGUARD_ISSUERS_FOREIGN_CLAIMS_H_
