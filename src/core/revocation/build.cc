#include "revocation/build.h"

#include <algorithm>
#include <optional>

namespace jwtguard::revocation {
namespace {

Revocation bare(RevocationKind kind, std::string_view key, Timestamp now, const TokenLives& lives) {
  Revocation r;
  r.kind = kind;
  r.key = std::string(key);
  r.revoked_at = now;
  r.expires_at = lives.latest_expiry;
  return r;
}

}  // namespace

Result<Revocation> token_revocation_at(const Claims& claims, Timestamp now,
                                       const TokenLives& lives) {
  if (claims.jti.empty()) return fail(Errc::kMissingClaim, "jti");
  Revocation r = token_revocation(claims);
  r.revoked_at = now;
  // Needed exactly until the token itself expires (which may be later than
  // the configured lifetimes allow: another issuer, or older settings).
  r.expires_at = claims.exp ? *claims.exp + lives.leeway : lives.latest_expiry;
  return r;
}

Revocation jti_revocation(std::string_view jti, Timestamp now, const TokenLives& lives) {
  return bare(RevocationKind::kToken, jti, now, lives);
}

// Kept until the last token of the session expires, as the store recorded
// it (a session begun under longer lifetimes than today's configuration
// stays revoked as long as its tokens live; once revoked it issues no more),
// and at least an access token's lifetime (sessions recorded before they
// noted their access token's exp).
Revocation session_revocation(Store& store, std::string_view sid, std::string_view user,
                              Timestamp now, const TokenLives& lives) {
  Revocation r = bare(RevocationKind::kSession, sid, now, lives);
  r.user = std::string(user);
  std::optional<Session> session;
  if (lives.rotate_refresh_tokens || user.empty()) {
    if (auto found = store.find_session(sid)) session = std::move(*found);
  }
  if (session && lives.rotate_refresh_tokens) {
    r.expires_at = std::max(session->expires_at, now + lives.access_ttl) + lives.leeway;
  }
  if (session && r.user.empty()) r.user = session->user;
  return r;
}

Result<Revocation> user_revocation(Store& store, std::string_view user_key, Timestamp now,
                                   const TokenLives& lives) {
  return user_revocation_before(store, user_key, user_cutoff_after(now), now, lives);
}

Result<Revocation> user_revocation_before(Store& store, std::string_view user_key, Timestamp cutoff,
                                          Timestamp now, const TokenLives& lives) {
  Revocation r = bare(RevocationKind::kUser, user_key, now, lives);
  r.user = std::string(user_key);
  // Tokens issued since an earlier cutoff in this same millisecond carry
  // that cutoff as their iat_ms: a new cutoff must come after it, or they
  // would survive this log-out-everywhere. The earlier one may be another
  // process's that this one has not seen yet: the store is asked.
  auto stored = store.find_revocation(RevocationKind::kUser, user_key);
  if (!stored) return tl::unexpected(stored.error());
  r.cutoff =
      cutoff_after_earlier(cutoff, *stored ? std::optional((*stored)->cutoff) : std::nullopt);
  r.expires_at = std::max(lives.latest_expiry, r.cutoff + lives.longest);
  auto sessions = store.list_sessions(user_key, now);
  if (!sessions) return tl::unexpected(sessions.error());
  for (const Session& session : *sessions) {
    r.expires_at = std::max(r.expires_at, session.expires_at + lives.leeway);
  }
  return r;
}

}  // namespace jwtguard::revocation
