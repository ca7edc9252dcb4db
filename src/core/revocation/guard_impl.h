// The Guard's implementation, shared by the files that define it: guard.cc
// (opening, checking, revoking, feed and purge) and guard_refresh.cc (the
// tokens issued in an existing session: refresh, reuse within the
// interval, implicit refresh). Private to the library.
#ifndef JWTGUARD_REVOCATION_GUARD_IMPL_H_
#define JWTGUARD_REVOCATION_GUARD_IMPL_H_

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>

#include "jwtguard/guard.h"
#include "revocation/background.h"
#include "revocation/build.h"
#include "revocation/follower.h"
#include "revocation/index.h"
#include "revocation/lifetimes.h"
#include "revocation/requirements.h"
#include "revocation/session_limits.h"
#include "revocation/session_tokens.h"
#include "revocation/status_publisher.h"
#include "store/store_rules.h"
#include "util/scheduler.h"
#include "util/try.h"

namespace jwtguard {

// What Guard::reconfigure replaces: the keys, and the options a reload may
// change (the rest of GuardOptions is read from Impl::fixed_). Immutable
// once published: a call loads it once and keeps it to its end, so a
// request under way finishes with the keys and lifetimes it started with.
struct GuardSettings {
  Issuer issuer;
  Verifier verifier;
  GuardOptions options;
  revocation::SessionLimits limits;
};

class Guard::Impl {
 public:
  Impl(Issuer issuer, Verifier verifier, std::unique_ptr<Store> store, GuardOptions options,
       const Clock& clock)
      : store_(std::move(store)),
        fixed_(options),
        clock_(clock),
        // The longest any token the Guard issues can live, plus the leeway
        // a verifier grants past exp: how long a revocation must be kept.
        lifetimes_(longest_issued(options), fixed_.purge_interval, foreign_lifetime(fixed_)),
        leeway_(std::max(options.verify.claims.leeway, foreign_leeway(fixed_)).count()) {
    settings_.store(std::make_shared<const GuardSettings>(GuardSettings{
        std::move(issuer), std::move(verifier), options,
        revocation::SessionLimits(options.session_max_lifetime, options.session_idle_timeout)}));
  }

  // The settings new calls use. One atomic load: cheap enough per request.
  std::shared_ptr<const GuardSettings> settings() const {
    return settings_.load(std::memory_order_acquire);
  }

  // Guard::reconfigure (guard_reload.cc).
  Result<void> reconfigure(Key signing_key, KeySet verify_keys, const GuardOptions& options);

  ~Impl() { scheduler_->stop(); }

  // With status lists on: the publisher, and the stamp every issuing path
  // hands its requests to (guard_status.cc).
  void start_status_lists();

  Result<void> load() {
    JWTGUARD_TRY(lifetimes_.raise(*store_, clock_.now()));
    return follower_.load();
  }

  void start() {
    if (!fixed_.background) return;
    revocation::follow_in_background(*scheduler_, follower_, fixed_.feed_wait, feed_errors_);
    revocation::purge_in_background(
        *scheduler_, [this] { return purge(); }, fixed_.purge_interval, feed_errors_);
  }

  // --- Issuing ---------------------------------------------------------------

  // The user's cutoff, which a token issued now must be ordered after
  // ("iat_ms" is raised to it: it is at most a millisecond ahead of the
  // clock), so that a login right after "log out everywhere" works. The
  // token's whole-second iat, nbf and exp still come from the clock.
  Timestamp order_floor(std::string_view key) const {
    return index_.user_cutoff(key).value_or(Timestamp{});
  }

  Result<TokenPair> login(std::string_view subject, std::string_view extra,
                          const ClientInfo& client, std::string_view subject_namespace) {
    TokenRequest request;
    request.subject = std::string(subject);
    request.subject_namespace = std::string(subject_namespace);
    request.extra_claims_json = std::string(extra);
    request.fresh = true;
    const std::string key = subject_key(subject_namespace, subject);
    request.order_at = order_floor(key);
    const Timestamp now = clock_.now();
    const auto s = settings();
    auto pair = revocation::issue_pair_until(s->issuer, std::move(request), s->options.issuer, now,
                                             s->limits.end_of_new_session(now), stamp_for(*s));
    if (!pair) return pair;
    Session session{.sid = pair->refresh.sid,
                    .user = key,
                    .created_at = pair->refresh.issued_at,
                    .refreshed_at = pair->refresh.issued_at,
                    .expires_at = revocation::Lifetimes::last_expiry(*pair),
                    .client_address = client.address,
                    .user_agent = client.user_agent,
                    .refresh_jti = pair->refresh.jti,
                    .previous_refresh_jti = {},
                    .revoked_at = std::nullopt};
    JWTGUARD_TRY(store_->create_session(session));
    return pair;
  }

  Result<IssuedToken> issue(TokenRequest request) {
    // A caller's own "status" would point verifiers at an entry the store
    // never recorded, which no revocation would ever set.
    if (request.status) {
      return fail(Errc::kInvalidArgument, "\"status\" is set by the Guard, not the request");
    }
    const auto s = settings();
    if (request.ttl && *request.ttl > lifetimes_.longest() - s->options.verify.claims.leeway) {
      return fail(Errc::kInvalidArgument, "ttl longer than the longest configured lifetime");
    }
    request.order_at = std::max(
        request.order_at, order_floor(subject_key(request.subject_namespace, request.subject)));
    const Timestamp now = clock_.now();
    if (publisher_) JWTGUARD_TRY(stamp(*s, std::span<TokenRequest>(&request, 1), now));
    return s->issuer.issue(request, now);
  }

  // Tokens of the same principal in the same session (session_tokens.h),
  // ordered after the subject's cutoff.
  Result<TokenRequest> same_principal(const Claims& claims) const {
    return revocation::same_principal(claims, order_floor(subject_key(claims)));
  }
  // The session of `claims`, known, unrevoked, the same subject's and
  // within its limits at `now` (kRevoked otherwise).
  Result<Session> live_session(const Claims& claims, Timestamp now) const {
    // jwtguard never refreshes a trusted issuer's token (no session of its
    // own names one; this says so rather than relying on it).
    if (is_issuer_namespace(claims.sub_ns)) {
      return fail(Errc::kInvalidArgument, "a trusted issuer's token is never refreshed");
    }
    auto session = revocation::live_session(*store_, claims);
    if (session && settings()->limits.ended_by(*session, now)) {
      return fail(Errc::kRevoked, "session");
    }
    return session;
  }

  // Re-authentication and renewal (guard_refresh.cc): tokens of the
  // session of `claims`, which must be live.
  Result<IssuedToken> fresh_access(const Claims& claims);
  Result<TokenPair> renew_session(const Claims& claims);

  Result<IssuedToken> refresh_access(const Claims& claims);

  Result<Refreshed> refresh(std::string_view token);

  // The session of a refresh token's claims as the store has it (nullopt:
  // unknown, which the rotation reports), unless the session limits have
  // ended it: then it is revoked, and the refresh fails as the token's own
  // exp, capped at that end, would have made it.
  Result<std::optional<Session>> within_limits(const GuardSettings& s, const Claims& claims,
                                               Timestamp now);

  // A revocation that committed while a refresh was under way (by this
  // process or another) is in the feed now: catch up and check again, or
  // its tokens would live on through the new ones.
  Result<void> still_valid(const Claims& claims);

  // Someone presented a refresh token that was already exchanged: one of
  // the two holders is not the user, and the whole session is revoked;
  // unless it is the token the last rotation retired, within the reuse
  // interval by the store's record (two tabs that refreshed at once).
  Result<Refreshed> reused(const GuardSettings& s, const Claims& claims, TokenRequest request,
                           Timestamp now);

  bool forgiven(const GuardSettings& s, const Session& session, const Claims& claims,
                Timestamp now) const;

  // A new access token, and a copy of the session's current refresh token
  // (its jti, an exp no later than its): nothing rotates, so whichever
  // answer the client keeps, its refresh token is the current one.
  Result<Refreshed> same_session(const GuardSettings& s, const Claims& claims, TokenRequest request,
                                 const Session& session, Timestamp now);

  // --- Checking --------------------------------------------------------------

  Result<VerifiedToken> require(std::string_view token, const Requirements& req) const {
    if (token.empty()) {
      if (req.optional) return VerifiedToken{};
      return fail(Errc::kMissingToken);
    }
    // Without trusted issuers, jwtguard's own tokens cost what they always did.
    const auto s = settings();
    auto verified = fixed_.trusted_issuers ? verify_any(*s, token, req)
                                           : s->verifier.verify(token, clock_.now());
    if (!verified) return verified;
    const Claims& claims = verified->claims;
    JWTGUARD_TRY(revocation::check_requirements(claims, req));
    if (req.skip_revocation_check) return verified;
    JWTGUARD_TRY(check_revocation(claims));
    if (fixed_.blocklist_callback && fixed_.blocklist_callback(*verified->header, claims)) {
      return fail(Errc::kRevoked, "callback");
    }
    return verified;
  }

  // The index's rules, then (strict mode) the store's (guard.cc).
  Result<void> check_revocation(const Claims& claims) const;
  // Strict mode: what the store holds now. The index already said no; an
  // entry only the store has is one the feed has not delivered yet.
  Result<void> check_store(const Claims& claims, std::string_view jti, std::string_view sid,
                           std::string_view key) const;

  Result<bool> refresh_token_current(const Claims& claims) {
    if (!settings()->options.rotate_refresh_tokens) return true;
    if (claims.sid.empty()) return false;
    auto session = store_->find_session(claims.sid);
    if (!session) return tl::unexpected(session.error());
    return *session && !(*session)->revoked_at && (*session)->refresh_jti == claims.jti;
  }

  // --- Revoking --------------------------------------------------------------

  // Each revocation is built by revocation/build.h, as the command line
  // builds its own, and kept as long as its contract there says.
  Result<void> revoke_token(const Claims& claims, const RevokeContext& context) {
    const Timestamp now = clock_.now();
    auto r = revocation::token_revocation_at(claims, now, lives(now));
    if (!r) return tl::unexpected(r.error());
    return record(with_context(std::move(*r), context), false);
  }

  Result<void> revoke_jti(std::string_view jti, const RevokeContext& context) {
    const Timestamp now = clock_.now();
    return record(with_context(revocation::jti_revocation(jti, now, lives(now)), context), false);
  }

  // A session the store does not know, or any session when rotation is off,
  // is kept as long as any token could live (the token horizon).
  Result<void> revoke_session(std::string_view sid, const RevokeContext& context,
                              std::string_view user = {}) {
    const Timestamp now = clock_.now();
    return record(
        with_context(revocation::session_revocation(*store_, sid, user, now, lives(now)), context),
        true);
  }

  Result<void> revoke_user(std::string_view user, const RevokeContext& context) {
    const Timestamp now = clock_.now();
    // A trusted issuer's clock is not this one: its tokens are accepted
    // with an iat up to its leeway ahead, in whole seconds. Every token it
    // issued before now must fall before the cutoff.
    if (auto cutoff = foreign_cutoff(user, now)) return revoke_user_before(user, *cutoff, context);
    auto r = revocation::user_revocation(*store_, user, now, lives(now));
    if (!r) return tl::unexpected(r.error());
    return record(with_context(std::move(*r), context), false);
  }

  Result<void> revoke_user_before(std::string_view user, Timestamp cutoff,
                                  const RevokeContext& context) {
    const Timestamp now = clock_.now();
    auto r = revocation::user_revocation_before(*store_, user, cutoff, now, lives(now));
    if (!r) return tl::unexpected(r.error());
    return record(with_context(std::move(*r), context), false);
  }

  // guard_foreign.cc.
  Result<void> backchannel_logout(const LogoutToken& logout);
  // For a subject of a trusted issuer's namespace: the whole second of
  // `now`, plus the issuer's leeway (the largest of all issuers' for a
  // namespace no longer configured), plus one second. nullopt for
  // jwtguard's own and the application's subjects.
  std::optional<Timestamp> foreign_cutoff(std::string_view user, Timestamp now) const;

  Result<bool> unrevoke(RevocationKind kind, std::string_view key) {
    auto erased = store_->unrevoke(kind, key, clock_.now());
    if (!erased) return erased;
    // Through the feed, in order, so that a revocation of the same key
    // committed just after this one is not undone here.
    if (!sync()) index_.apply(stores::unrevoke_change(kind, key, 0));
    return erased;
  }

  // --- Feed and purge ----------------------------------------------------------

  Result<void> sync() { return follower_.sync(); }

  Result<void> purge() {
    const Timestamp now = clock_.now();
    index_.evict(now);
    JWTGUARD_TRY(lifetimes_.raise(*store_, now));
    auto purged = store_->purge(now, fixed_.feed_retention);
    if (!purged) return tl::unexpected(purged.error());
    return {};
  }

  GuardStats stats() const {
    return GuardStats{.revoked_tokens = index_.tokens().size(),
                      .revoked_sessions = index_.sessions().size(),
                      .user_cutoffs = index_.users().size(),
                      .index_bytes = index_.tokens().bytes() + index_.sessions().bytes(),
                      .feed_seq = follower_.position(),
                      .feed_errors = feed_errors_.load(),
                      .strict_fallbacks = strict_fallbacks_.load(),
                      .status_list_builds = publisher_ ? publisher_->builds() : 0,
                      .status_allocations = status_allocations_.load(),
                      .status_allocation_failures = status_allocation_failures_.load()};
  }

  // The user's live sessions, as the index and the session limits see them.
  Result<std::vector<Session>> list_sessions(std::string_view user);

  SessionEnds session_ends(const Session& session) const {
    return settings()->limits.ends(session);
  }

  // --- Status lists (guard_status.cc) ------------------------------------------

  Result<std::shared_ptr<const PublishedStatusList>> status_list_token(std::uint64_t id);

  Store& store() { return *store_; }
  // Aliases of the current settings: they keep them alive, so a reload
  // meanwhile leaves the caller's copy intact.
  std::shared_ptr<const Issuer> issuer() const {
    auto s = settings();
    return {s, &s->issuer};
  }
  GuardOptions::CheckMode check_mode() const { return fixed_.check_mode; }
  std::shared_ptr<const Verifier> verifier() const {
    auto s = settings();
    return {s, &s->verifier};
  }

 private:
  // What any verifier of this Guard grants past exp: its own, or a
  // trusted issuer's larger one.
  std::chrono::seconds leeway() const { return std::chrono::seconds(leeway_.load()); }

  // The longest a token issued under `options` can live, plus the leeway a
  // verifier grants past exp.
  static std::chrono::seconds longest_issued(const GuardOptions& options) {
    return std::max(options.issuer.access_ttl, options.issuer.refresh_ttl) +
           options.verify.claims.leeway;
  }

  // Trusted issuers' tokens (guard_foreign.cc): the longest one can live
  // and the largest leeway, for how long revocations are kept.
  static std::chrono::seconds foreign_lifetime(const GuardOptions& options);
  static std::chrono::seconds foreign_leeway(const GuardOptions& options);

  // require()'s verification when trusted issuers are configured
  // (guard_foreign.cc): the token's "iss" chooses who verifies it.
  Result<VerifiedToken> verify_any(const GuardSettings& s, std::string_view token,
                                   const Requirements& req) const;
  static bool is_own_issuer(const GuardSettings& s, std::string_view iss);
  // kAlreadyExists when the logout token with this replay key was seen.
  Result<void> check_not_replayed(std::string_view replay_key) const;

  // What the revocations built at `now` know of the tokens they may block.
  revocation::TokenLives lives(Timestamp now) const {
    const auto s = settings();
    return {.latest_expiry = lifetimes_.latest_expiry_before(now),
            .longest = lifetimes_.kept(),
            .leeway = leeway(),
            .access_ttl = s->options.issuer.access_ttl,
            .rotate_refresh_tokens = s->options.rotate_refresh_tokens};
  }

  // Records the requests' status list entries, one store write, and sets
  // each one's "status" claim (jti and sid chosen first when unset).
  // `s` is the settings the tokens are issued under: their times decide
  // how long each entry is kept.
  Result<void> stamp(const GuardSettings& s, std::span<TokenRequest> requests, Timestamp now);
  // stamp() bound to `s`, for the issuing helpers; empty with status lists
  // off. `s` must outlive the result.
  revocation::Stamp stamp_for(const GuardSettings& s) {
    if (!publisher_) return {};
    return [this, &s](std::span<TokenRequest> requests, Timestamp now) {
      return stamp(s, requests, now);
    };
  }

  static Revocation with_context(Revocation r, const RevokeContext& context) {
    r.revoked_by = context.revoked_by;
    r.reason = context.reason;
    return r;
  }

  // Durable first, then in this process's index: applied from the feed, in
  // the store's order (a direct insert could land after the follower applied
  // a later un-revoke of the same key, or be undone by an earlier one the
  // follower had fetched but not applied yet). When the feed cannot be read,
  // the entry is inserted directly: the safe direction.
  Result<void> record(const Revocation& r, bool session) {
    auto seq = session ? store_->revoke_session(r) : store_->revoke(r);
    if (!seq) return tl::unexpected(seq.error());
    if (!sync()) index_.apply(stores::revoke_change(r, *seq));
    return {};
  }

  std::unique_ptr<Store> store_;
  // open()'s options: what no reload changes (background work, check mode,
  // trusted issuers, status lists, the callback) is read from here only.
  const GuardOptions fixed_;
  const Clock& clock_;
  std::atomic<std::shared_ptr<const GuardSettings>> settings_;
  // Both only grow, by reloads (reconfigure): see Lifetimes::widen.
  revocation::Lifetimes lifetimes_;
  std::atomic<std::int64_t> leeway_;  // seconds
  // Serialises reconfigure() calls (never taken by requests).
  std::mutex reload_mu_;

  revocation::Index index_;
  revocation::StoreFeed feed_{*store_};
  revocation::Follower follower_{feed_, index_, clock_};
  std::atomic<std::uint64_t> feed_errors_{0};
  mutable std::atomic<std::uint64_t> strict_fallbacks_{0};

  // Null with status lists off.
  std::unique_ptr<revocation::StatusPublisher> publisher_;
  std::atomic<std::uint64_t> status_allocations_{0};
  std::atomic<std::uint64_t> status_allocation_failures_{0};

  // Last: its threads stop before the members they use are destroyed.
  std::unique_ptr<util::Scheduler> scheduler_ = util::thread_scheduler();
};

}  // namespace jwtguard

#endif  // JWTGUARD_REVOCATION_GUARD_IMPL_H_
