// Error codes and the Result type used across the jwtguard API.
//
// No jwtguard call throws across the public API: every fallible call returns
// Result<T>, which holds either the value or an Error. An Error carries one
// precise code (tests assert the exact code) and an optional detail naming the
// part at fault, e.g. the claim that is missing. Neither ever contains key
// material or a whole token.
#ifndef JWTGUARD_ERROR_H_
#define JWTGUARD_ERROR_H_

#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <utility>

namespace jwtguard {

enum class Errc {
  // The token's shape.
  kTokenTooLarge,    // longer than the size limit; nothing was parsed
  kMalformed,        // not three non-empty dot-separated segments, or stray characters
  kBadBase64,        // a segment is not strict, canonical, unpadded base64url
  kBadJson,          // header or payload is not valid UTF-8 JSON (or too deeply nested)
  kNotAnObject,      // header or payload is JSON but not an object
  kDuplicateMember,  // an object names the same member twice
  // The header.
  kMissingAlg,       // no "alg" in the header
  kAlgNone,          // "alg" is "none" in any spelling: never accepted
  kUnsupportedAlg,   // "alg" names an algorithm jwtguard does not implement
  kAlgNotAllowed,    // the algorithm is not on the verifier's allowlist
  kUnsupportedCrit,  // "crit" is malformed or names a parameter not understood
  kBadHeader,        // a header parameter has the wrong JSON type
  // Keys.
  kUnknownKid,      // the header's "kid" matches no key
  kNoKeyForAlg,     // no key may be used with the token's algorithm
  kKeyAlgMismatch,  // the key's type or curve does not fit the algorithm
  kBadKey,          // PEM / JWK / JWK Set text could not be read as a key
  kWeakKey,         // HMAC secret shorter than the hash, or RSA modulus under 2048 bits
  kUnsupportedKey,  // a key type or curve jwtguard does not implement
  kKeyNotPrivate,   // signing needs a private key and this one is public
  // The signature.
  kBadSignatureEncoding,  // wrong length for the algorithm, or ECDSA r or s is zero
  kBadSignature,          // the signature does not verify
  // The claims.
  kExpired,         // now >= exp + leeway
  kNotYetValid,     // now < nbf - leeway
  kIssuedInFuture,  // now < iat - leeway
  kWrongIssuer,     // "iss" differs from the expected issuer
  kWrongAudience,   // "aud" names none of the expected audiences (or any, when none is expected)
  kMissingClaim,    // a required claim is absent; the detail names it
  kBadClaim,        // a claim has the wrong JSON type or an impossible value; the detail names it
  // The guard's requirements (Flask-JWT-Extended's jwt_required()).
  kMissingToken,            // no token where one is required
  kRefreshTokenNotAllowed,  // a refresh token where an access token is required
  kAccessTokenNotAllowed,   // an access token where a refresh token is required
  kFreshTokenRequired,      // a non-fresh access token where a fresh one is required
  kRevoked,                 // revoked by jti, session, user cutoff or the application's check
  kSuspended,               // suspended (temporarily invalid) in its issuer's status list
  // Stores.
  kNotFound,       // the record asked for does not exist
  kAlreadyExists,  // creating a record whose key is taken (a user name)
  kStore,          // the store failed (I/O, corrupt file, lost connection); the detail says how
  // Anything else.
  kInvalidArgument,  // the caller passed something unusable; the detail says what
  kCrypto,           // OpenSSL failed where it should not (out of memory, broken provider)
};

// A short human sentence for the code, e.g. "Signature verification failed".
// The texts follow Flask-JWT-Extended / PyJWT where those have one.
std::string_view error_message(Errc code);

// A stable snake_case identifier for the code, e.g. "bad_signature".
std::string_view error_name(Errc code);

class Error {
 public:
  explicit Error(Errc code, std::string detail = {}) : code_(code), detail_(std::move(detail)) {}

  Errc code() const { return code_; }
  const std::string& detail() const { return detail_; }

  // error_message(code()), followed by the detail when there is one.
  std::string message() const;

  friend bool operator==(const Error& a, Errc b) { return a.code_ == b; }

 private:
  Errc code_;
  std::string detail_;
};

template <typename T>
using Result = tl::expected<T, Error>;

// Shorthand for returning a failure: `return fail(Errc::kBadKey, "not PEM");`
inline tl::unexpected<Error> fail(Errc code, std::string detail = {}) {
  return tl::unexpected<Error>(Error(code, std::move(detail)));
}

}  // namespace jwtguard

#endif  // JWTGUARD_ERROR_H_
