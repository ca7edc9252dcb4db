// Tokens issued in an existing session: refresh (with rotation, reuse
// detection and its interval, and the session limits), implicit refresh,
// fresh access tokens and session renewal.
#include "revocation/guard_impl.h"

namespace jwtguard {

Result<IssuedToken> Guard::Impl::refresh_access(const Claims& claims) {
  if (claims.type != token_type_name(TokenType::kAccess)) {
    return fail(Errc::kInvalidArgument, "not an access token");
  }
  const Timestamp now = clock_.now();
  auto session = live_session(claims, now);
  if (!session) return tl::unexpected(session.error());
  auto request = same_principal(claims);
  if (!request) return tl::unexpected(request.error());
  request->csrf = claims.csrf;
  const auto s = settings();
  // Never past the session's refresh token (with rotation on, its lifetime
  // is the idle limit), nor past the session's limits.
  std::optional<Timestamp> end = s->limits.end(*session);
  if (!end || session->expires_at < *end) end = session->expires_at;
  auto token = revocation::issue_until(s->issuer, std::move(*request), s->options.issuer.access_ttl,
                                       now, end, stamp_for(*s));
  if (!token && token.error().code() == Errc::kExpired) return fail(Errc::kRevoked, "session");
  if (!token) return token;
  // A logout-all, a password change or a disable elsewhere ends the user's
  // tokens by a cutoff, which marks no session: catch up with the feed and
  // check the presented token again, or the new one (ordered after the
  // cutoff) would carry a session that was ended into the future.
  JWTGUARD_TRY(sync());
  JWTGUARD_TRY(check_revocation(claims));
  return token;
}

Result<Refreshed> Guard::Impl::refresh(std::string_view token) {
  auto verified = require(token, {.type = TokenRequirement::kRefresh});
  if (!verified) return tl::unexpected(verified.error());
  const Claims& claims = verified->claims;
  auto request = same_principal(claims);
  if (!request) return tl::unexpected(request.error());
  const Timestamp now = clock_.now();
  const auto s = settings();
  std::optional<Timestamp> end;
  if (s->limits.any()) {
    auto session = within_limits(*s, claims, now);
    if (!session) return tl::unexpected(session.error());
    if (*session) end = s->limits.end_if_refreshed(**session, now);
  }
  if (!s->options.rotate_refresh_tokens) {
    // The refresh token stays, and so does its CSRF value in the browser:
    // the new access token carries the same.
    request->csrf = claims.csrf;
    auto access = revocation::issue_until(s->issuer, *request, s->options.issuer.access_ttl, now,
                                          end, stamp_for(*s));
    if (!access) return tl::unexpected(access.error());
    // As with rotation: a cutoff another process wrote (a reset, a
    // deletion) that this one has not applied yet must not let a new
    // token through. When the feed cannot be read, the index decides.
    (void)sync();
    JWTGUARD_TRY(check_revocation(claims));
    return Refreshed{std::move(*access), std::nullopt};
  }
  if (claims.sid.empty()) return fail(Errc::kMissingClaim, "sid");
  // One CSRF value for the whole session. Two tabs refreshing at once get two
  // responses whose cookies a browser may store interleaved (the refresh
  // cookie of one, the CSRF cookie of the other): with one value, every mix
  // is still a matching pair.
  request->csrf = claims.csrf;
  auto pair =
      revocation::issue_pair_until(s->issuer, *request, s->options.issuer, now, end, stamp_for(*s));
  if (!pair) return tl::unexpected(pair.error());
  auto rotation =
      store_->rotate_refresh(claims.sid, claims.jti, pair->refresh.jti, pair->refresh.issued_at,
                             revocation::Lifetimes::last_expiry(*pair));
  if (!rotation) return tl::unexpected(rotation.error());
  switch (*rotation) {
    case Rotation::kRotated:
      JWTGUARD_TRY(still_valid(claims));
      break;
    case Rotation::kReused:
      return reused(*s, claims, std::move(*request), now);
    case Rotation::kRevoked:
      return fail(Errc::kRevoked, "session");
    case Rotation::kUnknown:
      return fail(Errc::kRevoked, "unknown session");
  }
  return Refreshed{std::move(pair->access), std::move(pair->refresh)};
}

Result<std::optional<Session>> Guard::Impl::within_limits(const GuardSettings& s,
                                                          const Claims& claims, Timestamp now) {
  if (claims.sid.empty()) return std::nullopt;
  auto session = store_->find_session(claims.sid);
  if (!session || !*session || (*session)->revoked_at) return session;
  if (auto limit = s.limits.ended_by(**session, now)) {
    JWTGUARD_TRY(revoke_session(claims.sid, {.revoked_by = "session-limit", .reason = *limit},
                                subject_key(claims)));
    return fail(Errc::kExpired, *limit);
  }
  return session;
}

Result<void> Guard::Impl::still_valid(const Claims& claims) {
  if (auto synced = sync(); !synced) return tl::unexpected(synced.error());
  if (auto ok = check_revocation(claims); !ok) {
    JWTGUARD_TRY(revoke_session(claims.sid,
                                {.revoked_by = "refresh", .reason = "revoked during refresh"},
                                subject_key(claims)));
    return tl::unexpected(ok.error());
  }
  return {};
}

Result<Refreshed> Guard::Impl::reused(const GuardSettings& s, const Claims& claims,
                                      TokenRequest request, Timestamp now) {
  if (s.options.refresh_reuse_interval.count() > 0) {
    auto session = store_->find_session(claims.sid);
    if (!session) return tl::unexpected(session.error());
    if (*session && forgiven(s, **session, claims, now)) {
      return same_session(s, claims, std::move(request), **session, now);
    }
  }
  JWTGUARD_TRY(revoke_session(
      claims.sid, {.revoked_by = "reuse-detection", .reason = "refresh token presented twice"},
      subject_key(claims)));
  return fail(Errc::kRevoked, "refresh token reused; session revoked");
}

bool Guard::Impl::forgiven(const GuardSettings& s, const Session& session, const Claims& claims,
                           Timestamp now) const {
  return !session.revoked_at && !session.previous_refresh_jti.empty() &&
         session.previous_refresh_jti == claims.jti && session.user == subject_key(claims) &&
         now - session.refreshed_at <= s.options.refresh_reuse_interval;
}

Result<Refreshed> Guard::Impl::same_session(const GuardSettings& s, const Claims& claims,
                                            TokenRequest request, const Session& session,
                                            Timestamp now) {
  request.type = TokenType::kAccess;
  request.csrf = claims.csrf;  // the session's one value, as in refresh()
  auto access_request =
      revocation::request_until(request, s.options.issuer.access_ttl, now, s.limits.end(session));
  if (!access_request) return tl::unexpected(access_request.error());
  request.type = TokenType::kRefresh;
  request.jti = session.refresh_jti;
  auto refresh_request = revocation::request_until(std::move(request), s.options.issuer.refresh_ttl,
                                                   now, session.expires_at);
  if (!refresh_request) return tl::unexpected(refresh_request.error());
  // The copy gets an entry of its own (the same jti: every revocation of
  // the current refresh token covers it), recorded with the access token's.
  TokenRequest both[] = {std::move(*access_request), std::move(*refresh_request)};
  if (publisher_) JWTGUARD_TRY(stamp(s, both, now));
  auto access = s.issuer.issue(both[0], now);
  if (!access) return tl::unexpected(access.error());
  auto refresh = s.issuer.issue(both[1], now);
  if (!refresh) return tl::unexpected(refresh.error());
  JWTGUARD_TRY(still_valid(claims));
  return Refreshed{std::move(*access), std::move(*refresh)};
}
Result<IssuedToken> Guard::Impl::fresh_access(const Claims& claims) {
  const Timestamp now = clock_.now();
  auto session = live_session(claims, now);
  if (!session) return tl::unexpected(session.error());
  // Still valid now, by the store's latest changes: the password check the
  // caller made took a while, and another instance may have ended it.
  JWTGUARD_TRY(sync());
  JWTGUARD_TRY(check_revocation(claims));
  auto request = same_principal(claims);
  if (!request) return tl::unexpected(request.error());
  request->fresh = true;
  // The session's browser holds this CSRF value in a cookie already.
  request->csrf = claims.csrf;
  const auto s = settings();
  return revocation::issue_until(s->issuer, std::move(*request), s->options.issuer.access_ttl, now,
                                 s->limits.end(*session), stamp_for(*s));
}

Result<TokenPair> Guard::Impl::renew_session(const Claims& claims) {
  const Timestamp now = clock_.now();
  auto session = live_session(claims, now);
  if (!session) return tl::unexpected(session.error());
  auto request = same_principal(claims);
  if (!request) return tl::unexpected(request.error());
  request->fresh = true;
  const auto s = settings();
  auto pair =
      revocation::issue_pair_until(s->issuer, std::move(*request), s->options.issuer, now,
                                   s->limits.end_if_refreshed(*session, now), stamp_for(*s));
  if (!pair) return pair;
  // The session's record moves to the new refresh token, and with it its
  // last refresh (after the cutoff: the session stays listed) and expiry,
  // rotation or not. A refresh that moves it between the read above and
  // this write wins, and this renewal fails.
  auto rotation =
      store_->rotate_refresh(claims.sid, session->refresh_jti, pair->refresh.jti,
                             pair->refresh.issued_at, revocation::Lifetimes::last_expiry(*pair));
  if (!rotation) return tl::unexpected(rotation.error());
  if (*rotation != Rotation::kRotated) return fail(Errc::kRevoked, "session");
  return pair;
}

}  // namespace jwtguard
