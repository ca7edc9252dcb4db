// Tokens issued elsewhere: identity servers (Keycloak, Auth0, Hydra, …)
// whose access tokens jwtguard checks and revokes, and whose OpenID Connect
// back-channel logout tokens it receives.
//
// The issuer is chosen by the token's "iss" before any key is looked at:
// each issuer's keys verify its own tokens only. A trusted issuer's token
// becomes Claims in the issuer's subject namespace (TrustedIssuer::name_or_issuer()),
// so that its subjects, sessions and token ids can never stand for
// jwtguard's own users or another issuer's (jwtguard/revocation.h,
// subject_key and revocation_key). jwtguard's own claims ("type", "fresh",
// "sub_ns", "iat_ms", "csrf") mean nothing in a foreign token and are
// dropped from its Claims: an identity server that lets users shape claims
// cannot make a token fresh, move it into another namespace, or order it
// after a cutoff. For jwtguard's rules a foreign token is an access token,
// never fresh, never refreshed.
#ifndef JWTGUARD_TRUSTED_ISSUERS_H_
#define JWTGUARD_TRUSTED_ISSUERS_H_

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jwtguard/algorithm.h"
#include "jwtguard/claims.h"
#include "jwtguard/clock.h"
#include "jwtguard/error.h"
#include "jwtguard/remote_jwks.h"
#include "jwtguard/verifier.h"

namespace jwtguard {

struct TrustedIssuer {
  // The exact "iss" of its tokens (compared byte for byte).
  std::string issuer;
  // The subject namespace of its tokens (X-Auth-Namespace, admin
  // revocations by user). Empty: the issuer string itself. Never "", "user"
  // or "app" once resolved, never with control characters, unique among
  // the issuers.
  std::string name;
  // Where its keys come from (a RemoteJwks for a jwks_url).
  std::shared_ptr<KeySource> keys;
  // Accepted "aud" values: the token's aud must name one. Empty: the
  // token must carry no aud (RFC 7519 §4.1.3, as for jwtguard's own).
  std::vector<std::string> audience;
  // The allowlist. Empty: whatever each key allows (its type, or its JWK
  // "alg"). HS* and "none" are refused here either way: a JWK Set publishes
  // public keys, and a secret in one is no secret.
  std::vector<Algorithm> algorithms;
  // The "aud" of its back-channel logout tokens (this relying party's
  // client id at the identity server). Empty: logout tokens from it are
  // refused.
  std::string client_id;
  // The claims that name the subject and the session (both strings; the
  // session claim may be absent from a token).
  std::string subject_claim = "sub";
  std::string session_claim = "sid";
  std::chrono::seconds leeway{0};
  // The longest a token of this issuer may live: a token whose exp is
  // further than this from its iat (or from now, without iat) is refused
  // (kBadClaim "exp"), because revocations of its sessions and subjects are
  // kept only this long (Guard raises the store's token horizon to it).
  std::chrono::seconds max_token_lifetime{std::chrono::hours(24)};
  // A back-channel logout token issued longer ago than this (by its iat)
  // is refused.
  std::chrono::seconds logout_token_max_age{std::chrono::minutes(5)};

  // `name`, or `issuer` when name is empty.
  const std::string& name_or_issuer() const { return name.empty() ? issuer : name; }
};

// A validated OpenID Connect Back-Channel Logout token (section 2.4).
struct LogoutToken {
  std::string name;  // the issuer's namespace (TrustedIssuer::name_or_issuer())
  std::string issuer;
  std::string jti;
  std::string sid;  // empty when absent
  std::string sub;  // the subject_claim's value; empty when absent
  Timestamp iat{};
  Timestamp exp{};
};

class TrustedIssuers {
 public:
  // kInvalidArgument: an empty issuer, two issuers with one "iss" or one
  // name, a reserved or malformed name, no key source, an HS* or unknown
  // algorithm, an empty claim name, a negative duration or leeway over
  // kMaxLeeway.
  static Result<std::shared_ptr<const TrustedIssuers>> create(std::vector<TrustedIssuer> issuers);

  // The issuer whose "iss" the token's payload names, read without
  // verifying anything (nullptr: none of them, or no readable "iss").
  const TrustedIssuer* find(std::string_view token) const;
  // The issuer whose "iss" is exactly `iss` (nullptr: none).
  const TrustedIssuer* find_by_issuer(std::string_view iss) const;
  const TrustedIssuer* find_by_name(std::string_view name) const;
  const std::vector<TrustedIssuer>& issuers() const;

  // Verifies a token of `issuer` (as found by find()): its signature by
  // the issuer's keys (an unknown kid asks the source once: keys_with), on
  // its allowlist; exp (required), nbf, iat, iss, aud with its leeway;
  // iat required (kMissingClaim "iat": a user cutoff orders tokens by their
  // issue time, and a token without one could never be shown to come after
  // it); max_token_lifetime (exp - iat beyond it: kBadClaim "exp"). A
  // header "typ" naming a logout token ("logout+jwt"), or a payload
  // carrying the back-channel logout event, is refused (kBadHeader,
  // kBadClaim): a logout token is not an access token. `issuer` must be an
  // element of issuers() (kInvalidArgument otherwise). Claims: sub and sid from the mapped claims
  // (a mapped claim that is not a string: kBadClaim; sub is required: kMissingClaim), jti, iss,
  // aud, exp, nbf, iat as the token says them, sub_ns = the issuer's name, type = "access", and no
  // fresh, iat_ms or csrf. Control characters in jti, sub or sid: kBadClaim.
  Result<VerifiedToken> verify(const TrustedIssuer& issuer, std::string_view token,
                               Timestamp now) const;

  // Validates a back-channel logout token as OpenID Connect Back-Channel
  // Logout 1.0 section 2.6 asks: a trusted issuer's (by "iss"), signed by
  // its keys with an allowed algorithm (header "typ", when present, is
  // "logout+jwt", "application/logout+jwt" or "JWT", in any case; else
  // kBadHeader); an issuer not trusted or without a client_id: kWrongIssuer,
  // kWrongAudience; aud naming the issuer's client_id; iat present,
  // not in the future beyond the leeway, not older than
  // logout_token_max_age plus the leeway (kExpired); exp present and not
  // passed; jti present; "events" an object with a member
  // "http://schemas.openid.net/event/backchannel-logout" that is an
  // object; "sid" and/or "sub" present (strings; these names whatever the
  // issuer's subject_claim and session_claim say, and a logout by "sub"
  // alone is refused when subject_claim is not "sub": it could not be
  // applied); no "nonce". The error's code says which rule (kMissingClaim,
  // kBadClaim, kWrongAudience, …) and the detail names the claim.
  Result<LogoutToken> verify_logout_token(std::string_view token, Timestamp now) const;

  class Impl;

 private:
  explicit TrustedIssuers(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

}  // namespace jwtguard

#endif  // JWTGUARD_TRUSTED_ISSUERS_H_
