#include "jwtguard/error.h"

namespace jwtguard {
namespace {

struct ErrorText {
  std::string_view name;
  std::string_view message;
};

ErrorText text(Errc code) {
  switch (code) {
    case Errc::kTokenTooLarge:
      return {"token_too_large", "Token is too large"};
    case Errc::kMalformed:
      return {"malformed", "Malformed token"};
    case Errc::kBadBase64:
      return {"bad_base64", "Invalid base64url encoding"};
    case Errc::kBadJson:
      return {"bad_json", "Invalid JSON"};
    case Errc::kNotAnObject:
      return {"not_an_object", "JSON value is not an object"};
    case Errc::kDuplicateMember:
      return {"duplicate_member", "Duplicate JSON member name"};
    case Errc::kMissingAlg:
      return {"missing_alg", "Missing 'alg' in header"};
    case Errc::kAlgNone:
      return {"alg_none", "The 'none' algorithm is not allowed"};
    case Errc::kUnsupportedAlg:
      return {"unsupported_alg", "Algorithm not supported"};
    case Errc::kAlgNotAllowed:
      return {"alg_not_allowed", "The specified alg value is not allowed"};
    case Errc::kUnsupportedCrit:
      return {"unsupported_crit", "Unsupported critical header parameter"};
    case Errc::kBadHeader:
      return {"bad_header", "Invalid header"};
    case Errc::kUnknownKid:
      return {"unknown_kid", "Unknown key id"};
    case Errc::kNoKeyForAlg:
      return {"no_key_for_alg", "No key for this algorithm"};
    case Errc::kKeyAlgMismatch:
      return {"key_alg_mismatch", "Key cannot be used with this algorithm"};
    case Errc::kBadKey:
      return {"bad_key", "Invalid key"};
    case Errc::kWeakKey:
      return {"weak_key", "Key is too weak"};
    case Errc::kUnsupportedKey:
      return {"unsupported_key", "Unsupported key type"};
    case Errc::kKeyNotPrivate:
      return {"key_not_private", "Key has no private part"};
    case Errc::kBadSignatureEncoding:
      return {"bad_signature_encoding", "Invalid signature encoding"};
    case Errc::kBadSignature:
      return {"bad_signature", "Signature verification failed"};
    case Errc::kExpired:
      return {"expired", "Token has expired"};
    case Errc::kNotYetValid:
      return {"not_yet_valid", "The token is not yet valid (nbf)"};
    case Errc::kIssuedInFuture:
      return {"issued_in_future", "The token is not yet valid (iat)"};
    case Errc::kWrongIssuer:
      return {"wrong_issuer", "Invalid issuer"};
    case Errc::kWrongAudience:
      return {"wrong_audience", "Invalid audience"};
    case Errc::kMissingClaim:
      return {"missing_claim", "Token is missing a required claim"};
    case Errc::kBadClaim:
      return {"bad_claim", "Invalid claim"};
    case Errc::kMissingToken:
      return {"missing_token", "Missing token"};
    case Errc::kRefreshTokenNotAllowed:
      return {"refresh_token_not_allowed", "Only non-refresh tokens are allowed"};
    case Errc::kAccessTokenNotAllowed:
      return {"access_token_not_allowed", "Only refresh tokens are allowed"};
    case Errc::kFreshTokenRequired:
      return {"fresh_token_required", "Fresh token required"};
    case Errc::kRevoked:
      return {"revoked", "Token has been revoked"};
    case Errc::kSuspended:
      return {"suspended", "Token has been suspended"};
    case Errc::kNotFound:
      return {"not_found", "Not found"};
    case Errc::kAlreadyExists:
      return {"already_exists", "Already exists"};
    case Errc::kStore:
      return {"store_error", "Store failure"};
    case Errc::kInvalidArgument:
      return {"invalid_argument", "Invalid argument"};
    case Errc::kCrypto:
      return {"crypto_error", "Cryptographic library failure"};
  }
  return {"unknown", "Unknown error"};
}

}  // namespace

std::string_view error_message(Errc code) { return text(code).message; }

std::string_view error_name(Errc code) { return text(code).name; }

std::string Error::message() const {
  if (code_ == Errc::kMissingClaim && !detail_.empty()) {
    return "Token is missing the \"" + detail_ + "\" claim";  // PyJWT's wording
  }
  std::string out(error_message(code_));
  if (!detail_.empty()) out.append(": ").append(detail_);
  return out;
}

}  // namespace jwtguard
