// Verifying JWTs: signature, then claims. Revocation is a later layer.
#ifndef JWTGUARD_VERIFIER_H_
#define JWTGUARD_VERIFIER_H_

#include <memory>
#include <string_view>

#include "jwtguard/claims.h"
#include "jwtguard/jose.h"
#include "jwtguard/keys.h"

namespace jwtguard {

// Clock skew worth tolerating is seconds or minutes; a day is already lax.
inline constexpr std::chrono::seconds kMaxLeeway = std::chrono::hours(24);

struct VerifyOptions {
  // The algorithm allowlist. Empty: every algorithm some key allows.
  std::vector<Algorithm> algorithms;
  ClaimsRules claims;
  std::vector<std::string> understood_crit;  // see JwsOptions
  // Longer tokens are refused before any parsing (kTokenTooLarge). Positive.
  std::size_t max_token_size = kMaxTokenSize;
};

struct VerifiedToken {
  std::shared_ptr<const JoseHeader> header;  // null only for "no token" (Guard, optional)
  Claims claims;

  bool empty() const { return header == nullptr; }
};

class Verifier {
 public:
  // kInvalidArgument for an empty key set, a leeway outside [0, kMaxLeeway],
  // a zero max_token_size, or a required claim outside kKnownClaims; kNoKeyForAlg when the
  // allowlist names an algorithm no key can verify (a configuration mistake worth failing on).
  static Result<Verifier> create(KeySet keys, VerifyOptions options = {});

  // verify_jws (jwtguard/jose.h), then the payload must be a JSON object
  // (kBadJson, kNotAnObject, kDuplicateMember, kBadClaim), then check_claims
  // at `now`. Errors are those of the first failing step.
  // Thread-safe; allocation is limited to the returned claims.
  Result<VerifiedToken> verify(std::string_view token, Timestamp now) const;

  const KeySet& keys() const { return keys_; }
  const VerifyOptions& options() const { return options_; }

 private:
  Verifier(KeySet keys, VerifyOptions options);
  KeySet keys_;
  VerifyOptions options_;
  JwsOptions jws_options_;
};

}  // namespace jwtguard

#endif  // JWTGUARD_VERIFIER_H_
