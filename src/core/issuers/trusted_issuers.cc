// TrustedIssuers (jwtguard/trusted_issuers.h): the checks of the
// configuration, the choice of the issuer by "iss", and the verification
// of its access and logout tokens.
#include "jwtguard/trusted_issuers.h"

#include <algorithm>
#include <array>

#include "issuers/foreign_claims.h"
#include "issuers/logout_token.h"
#include "jose/json.h"
#include "jose/jws_internal.h"
#include "jwtguard/jose.h"
#include "jwtguard/revocation.h"
#include "util/try.h"

namespace jwtguard {

class TrustedIssuers::Impl {
 public:
  std::vector<TrustedIssuer> issuers;
  std::vector<JwsOptions> jws;  // one per issuer, in the same order

  // The position of `issuer` in `issuers`, which it must be an element of.
  std::optional<std::size_t> index_of(const TrustedIssuer& issuer) const {
    if (issuers.empty() || &issuer < issuers.data() || &issuer >= issuers.data() + issuers.size()) {
      return std::nullopt;
    }
    return static_cast<std::size_t>(&issuer - issuers.data());
  }
};

namespace {

// Claims a mapping may not name: they mean something of their own in
// every token, and a logout token's "events" and "nonce" are its rules.
constexpr std::array<std::string_view, 8> kUnmappable = {"jti", "iss", "aud",    "exp",
                                                         "nbf", "iat", "events", "nonce"};

Result<void> check_claim_names(const TrustedIssuer& issuer) {
  for (std::string_view name :
       {std::string_view(issuer.subject_claim), std::string_view(issuer.session_claim)}) {
    if (name.empty()) return fail(Errc::kInvalidArgument, "empty claim name");
    if (std::find(kUnmappable.begin(), kUnmappable.end(), name) != kUnmappable.end()) {
      std::string detail(name);  // built stepwise: GCC 12 misreports operator+ (bug 105329)
      detail += " cannot be mapped";
      return fail(Errc::kInvalidArgument, std::move(detail));
    }
  }
  if (issuer.subject_claim == issuer.session_claim) {
    return fail(Errc::kInvalidArgument, "one claim for the subject and the session");
  }
  return {};
}

Result<void> check_durations(const TrustedIssuer& issuer) {
  using std::chrono::seconds;
  if (issuer.leeway < seconds(0) || issuer.leeway > kMaxLeeway) {
    return fail(Errc::kInvalidArgument, "leeway outside 0 s .. one day");
  }
  if (issuer.max_token_lifetime <= seconds(0) || issuer.logout_token_max_age <= seconds(0)) {
    return fail(Errc::kInvalidArgument,
                "a token lifetime or logout token age that is not positive");
  }
  return {};
}

Result<void> check_one(const TrustedIssuer& issuer) {
  if (issuer.issuer.empty()) return fail(Errc::kInvalidArgument, "empty issuer");
  const std::string& name = issuer.name_or_issuer();
  if (issuers::has_control_character(issuer.issuer) || issuers::has_control_character(name)) {
    return fail(Errc::kInvalidArgument, "control character in an issuer or its name");
  }
  // A trusted issuer's subjects must never share keys with jwtguard's
  // users or the application's identities.
  if (!is_issuer_namespace(name) || name == kUserNamespaceName) {
    return fail(Errc::kInvalidArgument, "reserved issuer name \"" + name + "\"");
  }
  if (!issuer.keys) return fail(Errc::kInvalidArgument, "no key source for " + issuer.issuer);
  for (Algorithm alg : issuer.algorithms) {
    if (algorithm_family(alg) == AlgorithmFamily::kHmac) {
      return fail(Errc::kInvalidArgument,
                  std::string(algorithm_name(alg)) + " for a trusted issuer (its keys are public)");
    }
  }
  JWTGUARD_TRY(check_claim_names(issuer));
  return check_durations(issuer);
}

Result<void> check_unique(const std::vector<TrustedIssuer>& issuers) {
  for (std::size_t i = 0; i < issuers.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (issuers[i].issuer == issuers[j].issuer) {
        return fail(Errc::kInvalidArgument, "issuer listed twice: " + issuers[i].issuer);
      }
      if (issuers[i].name_or_issuer() == issuers[j].name_or_issuer()) {
        return fail(Errc::kInvalidArgument,
                    "issuer name used twice: " + issuers[i].name_or_issuer());
      }
    }
  }
  return {};
}

// The allowlist as given, or every public-key algorithm: whatever the
// keys allow, never a shared secret's.
JwsOptions jws_options(const TrustedIssuer& issuer) {
  JwsOptions options;
  options.algorithms = issuer.algorithms;
  if (options.algorithms.empty()) {
    for (Algorithm alg : all_algorithms()) {
      if (algorithm_family(alg) != AlgorithmFamily::kHmac) options.algorithms.push_back(alg);
    }
  }
  return options;
}

issuers::ClaimMapping mapping_of(const TrustedIssuer& issuer) {
  return {.ns = issuer.name_or_issuer(),
          .subject_claim = issuer.subject_claim,
          .session_claim = issuer.session_claim};
}

// The header's "kid", read without verifying anything (empty when unreadable).
std::string unverified_kid(std::string_view token) {
  auto decoded = decode_jws(token);
  if (!decoded) return {};
  auto header = json::parse_object(decoded->header_json, "header");
  std::string_view kid;
  if (!header || header->at_key("kid").get_string().get(kid)) return {};
  return std::string(kid);
}

// A key the source may learn of by fetching its set again.
bool new_keys_may_help(const Error& error) {
  return error == Errc::kUnknownKid || error == Errc::kNoKeyForAlg;
}

struct Signed {
  std::shared_ptr<const JoseHeader> header;
  std::string payload;
};

// The signature by the issuer's keys: those the source holds, and, when
// none of them can verify the token (or none are loaded yet), those it
// holds after one keys_with() for the token's kid.
Result<Signed> verify_signed(const TrustedIssuer& issuer, const JwsOptions& options,
                             std::string_view token) {
  std::shared_ptr<const KeySet> keys = issuer.keys->keys();
  Result<detail::VerifiedParts> parts = fail(Errc::kUnknownKid, "no keys loaded");
  if (keys) parts = detail::verify_parts(token, *keys, options);
  if (!parts && new_keys_may_help(parts.error())) {
    keys = issuer.keys->keys_with(unverified_kid(token));
    if (!keys) return fail(Errc::kUnknownKid, "the issuer's keys are not loaded");
    parts = detail::verify_parts(token, *keys, options);
  }
  if (!parts) return tl::unexpected(parts.error());
  auto payload = detail::decode_segment(parts->payload_b64, "payload");
  if (!payload) return tl::unexpected(payload.error());
  return Signed{std::move(parts->header), std::move(*payload)};
}

Result<void> check_access_claims(const TrustedIssuer& issuer, const Claims& claims, Timestamp now) {
  const ClaimsRules rules{.leeway = issuer.leeway,
                          .require_exp = true,
                          .issuer = issuer.issuer,
                          .audience = issuer.audience,
                          .required = {}};
  JWTGUARD_TRY(check_claims(claims, rules, now));
  // A user cutoff orders tokens by their issue time: without one, a token
  // could never be shown to come after a log-out-everywhere.
  if (!claims.iat) return fail(Errc::kMissingClaim, "iat");
  if (*claims.exp - *claims.iat > issuer.max_token_lifetime) {
    return fail(Errc::kBadClaim,
                "exp: the token lives longer than the issuer's max_token_lifetime");
  }
  if (claims.sub.empty()) return fail(Errc::kMissingClaim, issuer.subject_claim);
  return {};
}

Result<void> check_logout_claims(const TrustedIssuer& issuer, const Claims& claims, Timestamp now) {
  // exp is REQUIRED in a logout token (Back-Channel Logout 1.0, 2.4).
  const ClaimsRules rules{.leeway = issuer.leeway,
                          .require_exp = true,
                          .issuer = issuer.issuer,
                          .audience = {issuer.client_id},
                          .required = {}};
  JWTGUARD_TRY(check_claims(claims, rules, now));
  if (now - *claims.iat > issuer.logout_token_max_age + issuer.leeway) {
    return fail(Errc::kExpired, "iat: older than the issuer's logout_token_max_age");
  }
  return {};
}

}  // namespace

TrustedIssuers::TrustedIssuers(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

Result<std::shared_ptr<const TrustedIssuers>> TrustedIssuers::create(
    std::vector<TrustedIssuer> issuers) {
  for (const TrustedIssuer& issuer : issuers) JWTGUARD_TRY(check_one(issuer));
  JWTGUARD_TRY(check_unique(issuers));
  auto impl = std::make_shared<Impl>();
  for (const TrustedIssuer& issuer : issuers) impl->jws.push_back(jws_options(issuer));
  impl->issuers = std::move(issuers);
  return std::shared_ptr<const TrustedIssuers>(new TrustedIssuers(std::move(impl)));
}

const TrustedIssuer* TrustedIssuers::find(std::string_view token) const {
  const auto iss = issuers::unverified_issuer(token, kMaxTokenSize);
  return iss ? find_by_issuer(*iss) : nullptr;
}

const TrustedIssuer* TrustedIssuers::find_by_issuer(std::string_view iss) const {
  for (const TrustedIssuer& issuer : impl_->issuers) {
    if (issuer.issuer == iss) return &issuer;
  }
  return nullptr;
}

const TrustedIssuer* TrustedIssuers::find_by_name(std::string_view name) const {
  for (const TrustedIssuer& issuer : impl_->issuers) {
    if (issuer.name_or_issuer() == name) return &issuer;
  }
  return nullptr;
}

const std::vector<TrustedIssuer>& TrustedIssuers::issuers() const { return impl_->issuers; }

Result<VerifiedToken> TrustedIssuers::verify(const TrustedIssuer& issuer, std::string_view token,
                                             Timestamp now) const {
  const auto index = impl_->index_of(issuer);
  if (!index) return fail(Errc::kInvalidArgument, "not one of these trusted issuers");
  JWTGUARD_ASSIGN_OR_RETURN(auto verified, verify_signed(issuer, impl_->jws[*index], token));
  if (issuers::is_explicit_logout_typ(verified.header->typ)) {
    return fail(Errc::kBadHeader, "typ: a logout token is not an access token");
  }
  auto payload = issuers::parse_foreign_payload(std::move(verified.payload), mapping_of(issuer));
  if (!payload) return tl::unexpected(payload.error());
  if (payload->events == issuers::Events::kLogoutEvent) {
    return fail(Errc::kBadClaim, "events: a logout token is not an access token");
  }
  JWTGUARD_TRY(check_access_claims(issuer, payload->claims, now));
  return VerifiedToken{std::move(verified.header), std::move(payload->claims)};
}

Result<LogoutToken> TrustedIssuers::verify_logout_token(std::string_view token,
                                                        Timestamp now) const {
  const auto iss = issuers::unverified_issuer(token, kMaxTokenSize);
  const TrustedIssuer* issuer = iss ? find_by_issuer(*iss) : nullptr;
  if (!issuer) return fail(Errc::kWrongIssuer, "not a trusted issuer's logout token");
  if (issuer->client_id.empty()) {
    return fail(Errc::kWrongAudience, "no client_id is configured for the issuer's logout tokens");
  }
  const auto index = impl_->index_of(*issuer);
  JWTGUARD_ASSIGN_OR_RETURN(auto verified, verify_signed(*issuer, impl_->jws[*index], token));
  if (!issuers::is_logout_typ(verified.header->typ)) {
    return fail(Errc::kBadHeader, "typ: not a logout token's");
  }
  // A logout token names the session and the subject by the specification's
  // own claims, "sid" and "sub", whatever claims the issuer's access tokens
  // carry them in (TrustedIssuer::session_claim must hold the same session
  // id there). Reading them through the access-token mapping would ignore
  // the logout's sid, and fall back to ending every session of the user.
  const issuers::ClaimMapping logout_mapping{.ns = issuer->name_or_issuer()};
  JWTGUARD_ASSIGN_OR_RETURN(
      auto claims, issuers::parse_logout_claims(std::move(verified.payload), logout_mapping));
  JWTGUARD_TRY(check_logout_claims(*issuer, claims, now));
  if (claims.sid.empty() && issuer->subject_claim != "sub") {
    // Its "sub" is not what the access tokens' subject is recorded by: a
    // cutoff on it would end nothing, and the identity server would be told
    // the logout was done.
    return fail(Errc::kMissingClaim,
                "sid: a logout by sub alone cannot be applied when the issuer's subject_claim is " +
                    issuer->subject_claim);
  }
  return LogoutToken{.name = issuer->name_or_issuer(),
                     .issuer = issuer->issuer,
                     .jti = claims.jti,
                     .sid = claims.sid,
                     .sub = claims.sub,
                     .iat = *claims.iat,
                     .exp = *claims.exp};
}

}  // namespace jwtguard
