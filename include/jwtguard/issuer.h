// Issuing access and refresh tokens with the claims of Flask-JWT-Extended
// (jti, type, sub, iat, nbf, exp, fresh) plus the session id "sid".
#ifndef JWTGUARD_ISSUER_H_
#define JWTGUARD_ISSUER_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jwtguard/claims.h"
#include "jwtguard/keys.h"

namespace jwtguard {

struct IssuerOptions {
  // Default: the first algorithm the key allows: HS256 for a secret, RS256
  // for RSA, the curve's ES*, EdDSA; or the one a JWK's "alg" binds it to.
  std::optional<Algorithm> algorithm;
  std::chrono::seconds access_ttl = std::chrono::minutes(15);
  std::chrono::seconds refresh_ttl = std::chrono::hours(24 * 30);
  std::string issuer;                 // "iss" when non-empty
  std::vector<std::string> audience;  // "aud" when non-empty (a string if one)
  // Every token gets a "csrf" claim: 128 random bits (random_id()), the
  // value a browser must repeat in a header when the token travels in a
  // cookie (double submit, jwtguard/http.h). Flask-JWT-Extended's
  // JWT_COOKIE_CSRF_PROTECT with cookies in JWT_TOKEN_LOCATION.
  bool csrf_claim = false;
};

// A token's "status" claim (draft-ietf-oauth-status-list, docs/status-list.md):
//   "status": {"status_list": {"idx": idx, "uri": uri}}
// where the status of the token sits in the Status List Token at `uri`.
struct StatusClaim {
  std::uint64_t idx = 0;
  std::string uri;
};

struct TokenRequest {
  std::string subject;  // "sub"; must not be empty nor contain U+001F
  // "sub_ns" when non-empty (see subject_key() in revocation.h); must not
  // contain U+001F.
  std::string subject_namespace;
  // "csrf": this value when non-empty (a new access token of a session
  // keeps the value its browser already holds); otherwise a new random one
  // when IssuerOptions::csrf_claim, else none.
  std::string csrf;
  TokenType type = TokenType::kAccess;
  bool fresh = false;      // access tokens only (as Flask-JWT-Extended)
  std::string session_id;  // "sid"; a new random one when empty
  // "jti": this value when non-empty (a copy of a session's current refresh
  // token, which every revocation of that token covers); otherwise a new
  // random one.
  std::string jti;
  // A JSON object of further claims. It may not set the claims jwtguard owns
  // (jti, type, sub, sub_ns, sid, iat, iat_ms, nbf, exp, fresh, iss, aud, csrf,
  // status): kInvalidArgument.
  std::string extra_claims_json;
  std::optional<std::chrono::seconds> ttl;  // overrides the type's default
  // "iat_ms" is never before this (a user's cutoff, which may be up to a
  // millisecond ahead of `now`); iat, nbf and exp still come from `now`.
  Timestamp order_at{};
  // "status" when set: the token's entry in a status list, which the caller
  // (the Guard) recorded before asking for the token.
  std::optional<StatusClaim> status;
};

// When a token is issued and when it expires, as Issuer::issue writes
// them: issued_at is its "iat_ms" (milliseconds), expires_at its "exp"
// (whole seconds).
struct TokenTimes {
  Timestamp issued_at{};
  Timestamp expires_at{};
};

// The claims of a token's payload that jwtguard does not own: what an
// application added (TokenRequest::extra_claims_json), as a JSON object.
// kInvalidArgument when the payload is not a JSON object.
Result<std::string> extra_claims_of(std::string_view payload_json);

struct IssuedToken {
  std::string token;
  std::string jti;
  std::string sid;
  TokenType type = TokenType::kAccess;
  std::string csrf;  // the "csrf" claim; empty when none
  Timestamp issued_at;
  Timestamp expires_at;
};

struct TokenPair {
  IssuedToken access;
  IssuedToken refresh;
};

// 128 random bits from OpenSSL's CSPRNG, base64url: 22 characters.
Result<std::string> random_id();

class Issuer {
 public:
  // kKeyNotPrivate for a public key, kKeyAlgMismatch when the key does not
  // allow the algorithm, kWeakKey for an HS* secret shorter than the hash,
  // kInvalidArgument for a non-positive TTL.
  static Result<Issuer> create(Key key, IssuerOptions options = {});

  // "iat", "nbf" and "exp" are whole seconds (iat = nbf = `now` rounded
  // down, exp = nbf + ttl), as RFC 7519 and every common JWT library read
  // them; "iat_ms" carries the milliseconds, so that a cutoff taken within a
  // second still tells older tokens from newer ones. Thread-safe.
  Result<IssuedToken> issue(const TokenRequest& request, Timestamp now) const;

  // The times issue(request, now) would give the token, exactly, so that a
  // caller can record the token (its status entry) before it exists. Fails
  // as issue() does for a request it would refuse (subject, namespace,
  // lifetime, extra claims), without signing anything.
  Result<TokenTimes> times(const TokenRequest& request, Timestamp now) const;

  // A fresh access token and a refresh token of one new session, for
  // `subject` (no namespace) with `extra_claims_json`.
  Result<TokenPair> issue_pair(std::string_view subject, std::string_view extra_claims_json,
                               Timestamp now) const;
  // An access token as `request` asks (its type aside), and a refresh token
  // of the same session (the request's session_id, else the new one the
  // access token got), subject, namespace, claims and "csrf" value.
  Result<TokenPair> issue_pair(TokenRequest request, Timestamp now) const;

  Algorithm algorithm() const { return algorithm_; }
  const Key& key() const { return key_; }

 private:
  Issuer(Key key, Algorithm alg, IssuerOptions options, std::string encoded_header);
  // The request's lifetime, after the checks issue() and times() share.
  Result<std::chrono::seconds> checked_ttl(const TokenRequest& request) const;
  static Timestamp issued_at(const TokenRequest& request, Timestamp now);
  Key key_;
  Algorithm algorithm_;
  IssuerOptions options_;
  std::string encoded_header_;  // constant for the issuer, so encoded once
};

}  // namespace jwtguard

#endif  // JWTGUARD_ISSUER_H_
