// The claims jwtguard reads from a token, and the rules it checks them by.
#ifndef JWTGUARD_CLAIMS_H_
#define JWTGUARD_CLAIMS_H_

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jwtguard/clock.h"
#include "jwtguard/error.h"

namespace jwtguard {

// The "type" claim of the tokens jwtguard issues (Flask-JWT-Extended's names).
enum class TokenType { kAccess, kRefresh };
std::string_view token_type_name(TokenType type);  // "access", "refresh"
std::optional<TokenType> parse_token_type(std::string_view name);

// Registered and jwtguard claims, typed. A claim of the wrong JSON type fails
// parsing (kBadClaim) rather than being silently ignored.
struct Claims {
  std::string jti, sub, iss, sid, type;  // empty when absent; see has()
  // "sub_ns": the namespace of "sub" (see subject_key() in revocation.h).
  // Empty for jwtguard's own users; "app" for identities an application
  // minted tokens for.
  std::string sub_ns;
  std::vector<std::string> aud;  // a string "aud" becomes one element
  std::optional<Timestamp> exp, nbf, iat;
  // "iat_ms": the issue time in integer milliseconds. jwtguard's iat is a
  // whole second (what common JWT libraries accept); this orders a token
  // against a user's log-out-everywhere cutoff within that second.
  std::optional<Timestamp> iat_ms;
  std::optional<bool> fresh;
  // "csrf": the double-submit value of a token meant for a cookie
  // (jwtguard/http.h); empty when absent.
  std::string csrf;
  // The whole decoded payload, for claims of the application's own.
  std::string payload_json;

  // Whether the claim named `name` (one of kKnownClaims) was present.
  bool has(std::string_view name) const;

  unsigned present = 0;  // bit i set: kKnownClaims[i] was present
};

inline constexpr std::string_view kKnownClaims[] = {"jti",    "sub",    "iss", "sid", "type",
                                                    "aud",    "exp",    "nbf", "iat", "fresh",
                                                    "sub_ns", "iat_ms", "csrf"};

// When the token was issued, as precisely as it says: "iat_ms" when present,
// else "iat". What a user cutoff is compared with.
std::optional<Timestamp> issue_order(const Claims& claims);

// Parses a payload (a JSON object, as text). Numeric dates may be integers or
// decimals, within year 0..9999; "iat_ms" must be an integer in that range;
// kBadClaim otherwise. Takes ownership of the
// text, which ends up in Claims::payload_json.
Result<Claims> parse_claims(std::string payload_json);

// parse_claims into an existing Claims (which must be default-constructed),
// saving a move on the verification path.
Result<void> parse_claims_into(std::string payload_json, Claims& claims);

struct ClaimsRules {
  std::chrono::seconds leeway{0};  // applied to exp, nbf and iat alike
  bool require_exp = true;
  std::string issuer;                 // checked when non-empty
  std::vector<std::string> audience;  // the token's aud must name one of these
  std::vector<std::string> required;  // names from kKnownClaims
};

// Checks, in this order: required claims and exp (kMissingClaim), exp
// (kExpired: now >= exp + leeway), nbf (kNotYetValid: now < nbf - leeway),
// iat (kIssuedInFuture: now < iat - leeway, iat in whole seconds), iss (kWrongIssuer), aud
// (kWrongAudience). RFC 7519 §4.1.3: a token that carries "aud" is refused
// when no audience is expected, and one without "aud" when one is.
Result<void> check_claims(const Claims& claims, const ClaimsRules& rules, Timestamp now);

}  // namespace jwtguard

#endif  // JWTGUARD_CLAIMS_H_
