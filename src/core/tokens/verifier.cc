#include "jwtguard/verifier.h"

#include <algorithm>

#include "jose/json.h"
#include "jose/jws_internal.h"

namespace jwtguard {
namespace {

Result<void> validate(const KeySet& keys, const VerifyOptions& options) {
  if (keys.empty()) return fail(Errc::kInvalidArgument, "no verification key");
  if (options.max_token_size == 0) return fail(Errc::kInvalidArgument, "zero max_token_size");
  if (options.claims.leeway.count() < 0) return fail(Errc::kInvalidArgument, "negative leeway");
  // Also keeps leeway arithmetic in microseconds far from overflow.
  if (options.claims.leeway > kMaxLeeway) {
    return fail(Errc::kInvalidArgument, "leeway over one day");
  }
  for (const std::string& name : options.claims.required) {
    if (std::find(std::begin(kKnownClaims), std::end(kKnownClaims), name) ==
        std::end(kKnownClaims)) {
      return fail(Errc::kInvalidArgument, "cannot require unknown claim \"" + name + "\"");
    }
  }
  for (Algorithm alg : options.algorithms) {
    if (!keys.allows(alg)) {
      return fail(Errc::kNoKeyForAlg,
                  std::string(algorithm_name(alg)) + " is allowed but no key can verify it");
    }
  }
  return {};
}

}  // namespace

Verifier::Verifier(KeySet keys, VerifyOptions options)
    : keys_(std::move(keys)), options_(std::move(options)) {
  jws_options_.algorithms = options_.algorithms;
  jws_options_.understood_crit = options_.understood_crit;
  jws_options_.max_token_size = options_.max_token_size;
}

Result<Verifier> Verifier::create(KeySet keys, VerifyOptions options) {
  if (auto ok = validate(keys, options); !ok) return tl::unexpected(ok.error());
  return Verifier(std::move(keys), std::move(options));
}

Result<VerifiedToken> Verifier::verify(std::string_view token, Timestamp now) const {
  auto parts = detail::verify_parts(token, keys_, jws_options_);
  if (!parts) return tl::unexpected(parts.error());
  // Room for simdjson to read past the payload, so that it parses in place.
  auto payload = detail::decode_segment(parts->payload_b64, "payload", simdjson::SIMDJSON_PADDING);
  if (!payload) return tl::unexpected(payload.error());
  Result<VerifiedToken> out{VerifiedToken{std::move(parts->header), {}}};
  if (auto ok = parse_claims_into(std::move(*payload), out->claims); !ok) {
    return tl::unexpected(ok.error());
  }
  if (auto ok = check_claims(out->claims, options_.claims, now); !ok) {
    return tl::unexpected(ok.error());
  }
  return out;
}

}  // namespace jwtguard
