// The Guard and tokens issued elsewhere (GuardOptions::trusted_issuers):
// choosing who verifies a token by its "iss", and OpenID Connect
// back-channel logout.
#include "issuers/foreign_claims.h"
#include "revocation/guard_impl.h"

namespace jwtguard {

std::chrono::seconds Guard::Impl::foreign_lifetime(const GuardOptions& options) {
  std::chrono::seconds longest{0};
  if (!options.trusted_issuers) return longest;
  for (const TrustedIssuer& issuer : options.trusted_issuers->issuers()) {
    // A token may carry an iat up to the leeway ahead of this clock, live
    // max_token_lifetime from it, and be accepted a leeway past its exp.
    longest =
        std::max(longest, issuer.max_token_lifetime + 2 * issuer.leeway + std::chrono::seconds(1));
  }
  return longest;
}

std::chrono::seconds Guard::Impl::foreign_leeway(const GuardOptions& options) {
  std::chrono::seconds largest{0};
  if (!options.trusted_issuers) return largest;
  for (const TrustedIssuer& issuer : options.trusted_issuers->issuers()) {
    largest = std::max(largest, issuer.leeway);
  }
  return largest;
}

std::optional<Timestamp> Guard::Impl::foreign_cutoff(std::string_view user, Timestamp now) const {
  const std::string_view ns = split_subject_key(user).first;
  if (!is_issuer_namespace(ns)) return std::nullopt;
  std::chrono::seconds leeway = foreign_leeway(fixed_);
  if (fixed_.trusted_issuers) {
    if (const TrustedIssuer* issuer = fixed_.trusted_issuers->find_by_name(ns)) {
      leeway = issuer->leeway;
    }
  }
  return std::chrono::floor<std::chrono::seconds>(now) + leeway + std::chrono::seconds(1);
}

bool Guard::Impl::is_own_issuer(const GuardSettings& s, std::string_view iss) {
  return iss == s.options.verify.claims.issuer || iss == s.options.issuer.issuer;
}

// The issuer is chosen before any key is looked at, so that one issuer's
// keys never verify another's tokens (nor jwtguard's own keys theirs).
Result<VerifiedToken> Guard::Impl::verify_any(const GuardSettings& s, std::string_view token,
                                              const Requirements& req) const {
  const Timestamp now = clock_.now();
  const auto iss = issuers::unverified_issuer(token, s.options.verify.max_token_size);
  if (!iss) return s.verifier.verify(token, now);
  const TrustedIssuers& trusted = *fixed_.trusted_issuers;
  if (const TrustedIssuer* issuer = trusted.find_by_issuer(*iss)) {
    if (!req.foreign)
      return fail(Errc::kWrongIssuer, "a trusted issuer's token is not accepted here");
    return trusted.verify(*issuer, token, now);
  }
  if (!is_own_issuer(s, *iss)) return fail(Errc::kWrongIssuer, "not a trusted issuer");
  return s.verifier.verify(token, now);
}

// The store is asked too, whatever the check mode: a logout token replayed
// to another instance may arrive before the feed brought it the record.
// Logouts are rare; the round trip costs nothing that matters.
Result<void> Guard::Impl::check_not_replayed(std::string_view replay_key) const {
  if (!index_.revoked_by(replay_key, {}, {}, std::nullopt).empty()) {
    return fail(Errc::kAlreadyExists, "logout token already received");
  }
  auto stored = store_->find_revocation(RevocationKind::kToken, replay_key);
  if (!stored) return tl::unexpected(stored.error());
  if (*stored) return fail(Errc::kAlreadyExists, "logout token already received");
  return {};
}

Result<void> Guard::Impl::backchannel_logout(const LogoutToken& logout) {
  if (!is_issuer_namespace(logout.name) || logout.jti.empty() ||
      (logout.sid.empty() && logout.sub.empty()) || logout.iat == Timestamp{}) {
    return fail(Errc::kInvalidArgument, "not a validated logout token");
  }
  std::string replay_id = "logout";
  replay_id.append(1, kNamespaceSeparator).append(logout.jti);
  const std::string replay = revocation_key(logout.name, replay_id);
  JWTGUARD_TRY(check_not_replayed(replay));
  const RevokeContext context{.revoked_by = "backchannel-logout",
                              .reason = "OpenID Connect back-channel logout"};
  const std::string user =
      logout.sub.empty() ? std::string() : subject_key(logout.name, logout.sub);
  if (!logout.sid.empty()) {
    JWTGUARD_TRY(revoke_session(revocation_key(logout.name, logout.sid), context, user));
  } else {
    // iat + 1 s: a token issued in the logout token's second may predate
    // it (whole-second iat), and a replay much later ends nothing newer.
    JWTGUARD_TRY(revoke_user_before(user, logout.iat + std::chrono::seconds(1), context));
  }
  Revocation r;
  r.kind = RevocationKind::kToken;
  r.key = replay;
  r.revoked_at = clock_.now();
  r.expires_at = logout.exp + leeway();
  r.user = user;
  if (!logout.sid.empty()) r.session = revocation_key(logout.name, logout.sid);
  return record(with_context(std::move(r), context), false);
}

}  // namespace jwtguard
