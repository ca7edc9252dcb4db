#include "jwtguard/guard.h"

#include "revocation/guard_impl.h"

namespace jwtguard {

namespace {

Result<void> check_session_options(const GuardOptions& options) {
  using std::chrono::seconds;
  if (options.refresh_reuse_interval < seconds(0) || options.session_max_lifetime < seconds(0) ||
      options.session_idle_timeout < seconds(0)) {
    return fail(Errc::kInvalidArgument, "negative session limit or reuse interval");
  }
  // Without rotation a refresh leaves the session's record as it was, and
  // the idle timeout would end a session in use that long after its login.
  if (options.session_idle_timeout > seconds(0) && !options.rotate_refresh_tokens) {
    return fail(Errc::kInvalidArgument, "a session idle timeout needs refresh token rotation");
  }
  return {};
}

// A trusted issuer that claimed the Guard's own "iss" would have its keys
// chosen for jwtguard's tokens, and jwtguard's for none.
Result<void> check_trusted_issuers(const GuardOptions& options) {
  if (!options.trusted_issuers) return {};
  for (const TrustedIssuer& issuer : options.trusted_issuers->issuers()) {
    if (issuer.issuer == options.verify.claims.issuer || issuer.issuer == options.issuer.issuer) {
      return fail(Errc::kInvalidArgument, "a trusted issuer is the Guard's own: " + issuer.issuer);
    }
  }
  return {};
}

}  // namespace

Result<void> Guard::Impl::check_revocation(const Claims& claims) const {
  // Most tokens are of jwtguard's own users, whose keys are the names
  // themselves; a trusted issuer's are namespaced (revocation_key).
  std::string namespaced, jti_key, sid_key;
  if (!claims.sub_ns.empty()) namespaced = subject_key(claims);
  const std::string_view key = claims.sub_ns.empty() ? std::string_view(claims.sub) : namespaced;
  const bool foreign = is_issuer_namespace(claims.sub_ns);
  if (foreign) {
    jti_key = token_key(claims);
    sid_key = session_key(claims);
  }
  const std::string_view jti = foreign ? std::string_view(jti_key) : claims.jti;
  const std::string_view sid = foreign ? std::string_view(sid_key) : claims.sid;
  const std::string_view rule = index_.revoked_by(jti, sid, key, issue_order(claims));
  if (!rule.empty()) return fail(Errc::kRevoked, std::string(rule));
  if (fixed_.check_mode == GuardOptions::CheckMode::kStore) {
    return check_store(claims, jti, sid, key);
  }
  return {};
}

// Strict mode: what the store holds now. The index already said no; an
// entry only the store has is one the feed has not delivered yet.
Result<void> Guard::Impl::check_store(const Claims& claims, std::string_view jti,
                                      std::string_view sid, std::string_view key) const {
  auto hits = store_->lookup(jti, sid, key);
  if (!hits) {
    ++strict_fallbacks_;
    return {};
  }
  if (hits->token) return fail(Errc::kRevoked, "token");
  if (hits->session) return fail(Errc::kRevoked, "session");
  // As in the index: a token without iat cannot prove it came after the cutoff.
  const auto issued = issue_order(claims);
  if (hits->cutoff && (!issued || *issued < *hits->cutoff)) {
    return fail(Errc::kRevoked, "user");
  }
  return {};
}

Result<std::vector<Session>> Guard::Impl::list_sessions(std::string_view user) {
  const Timestamp now = clock_.now();
  auto sessions = store_->list_sessions(user, now);
  if (!sessions) return sessions;
  if (auto cutoff = index_.user_cutoff(user)) {
    std::erase_if(*sessions, [&](const Session& s) { return s.refreshed_at < *cutoff; });
  }
  const auto s = settings();
  std::erase_if(*sessions,
                [&](const Session& one) { return s->limits.ended_by(one, now).has_value(); });
  return sessions;
}

Result<std::unique_ptr<Guard>> Guard::open(Key signing_key, KeySet verify_keys,
                                           std::unique_ptr<Store> store, GuardOptions options,
                                           const Clock& clock) {
  if (!store) return fail(Errc::kInvalidArgument, "no store");
  JWTGUARD_TRY(check_session_options(options));
  JWTGUARD_TRY(check_trusted_issuers(options));
  auto issuer = Issuer::create(signing_key, options.issuer);
  if (!issuer) return tl::unexpected(issuer.error());
  JWTGUARD_TRY(revocation::check_status_list_options(options.status_list, issuer->algorithm()));
  if (verify_keys.empty()) verify_keys = KeySet(signing_key);
  auto verifier = Verifier::create(std::move(verify_keys), options.verify);
  if (!verifier) return tl::unexpected(verifier.error());
  auto impl = std::make_unique<Impl>(std::move(*issuer), std::move(*verifier), std::move(store),
                                     std::move(options), clock);
  JWTGUARD_TRY(impl->load());
  impl->start_status_lists();
  impl->start();
  return std::unique_ptr<Guard>(new Guard(std::move(impl)));
}

Result<void> Guard::reconfigure(Key signing_key, KeySet verify_keys, const GuardOptions& options) {
  return impl_->reconfigure(std::move(signing_key), std::move(verify_keys), options);
}

// What a reload may change is taken from `options`; the rest stays.
Result<void> Guard::Impl::reconfigure(Key signing_key, KeySet verify_keys,
                                      const GuardOptions& options) {
  GuardOptions merged = fixed_;
  merged.issuer = options.issuer;
  merged.verify = options.verify;
  merged.rotate_refresh_tokens = options.rotate_refresh_tokens;
  merged.refresh_reuse_interval = options.refresh_reuse_interval;
  merged.session_max_lifetime = options.session_max_lifetime;
  merged.session_idle_timeout = options.session_idle_timeout;
  JWTGUARD_TRY(check_session_options(merged));
  JWTGUARD_TRY(check_trusted_issuers(merged));
  auto issuer = Issuer::create(signing_key, merged.issuer);
  if (!issuer) return tl::unexpected(issuer.error());
  JWTGUARD_TRY(revocation::check_status_list_options(merged.status_list, issuer->algorithm()));
  if (verify_keys.empty()) verify_keys = KeySet(signing_key);
  auto verifier = Verifier::create(std::move(verify_keys), merged.verify);
  if (!verifier) return tl::unexpected(verifier.error());
  std::lock_guard lock(reload_mu_);
  // Before any token is issued under a longer lifetime, the store's horizon
  // covers it, as open() makes sure for the first ones. A shorter lifetime
  // leaves the horizon where it is: the tokens issued before still live.
  const std::chrono::seconds longest = longest_issued(merged);
  if (longest > lifetimes_.longest()) {
    lifetimes_.widen(longest);
    JWTGUARD_TRY(lifetimes_.raise(*store_, clock_.now()));
  }
  revocation::raise_to(leeway_, merged.verify.claims.leeway.count());
  if (publisher_) publisher_->rekey(issuer->key(), issuer->algorithm());
  revocation::SessionLimits limits(merged.session_max_lifetime, merged.session_idle_timeout);
  settings_.store(std::make_shared<const GuardSettings>(GuardSettings{
                      std::move(*issuer), std::move(*verifier), std::move(merged), limits}),
                  std::memory_order_release);
  return {};
}

Guard::Guard(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Guard::~Guard() = default;

Result<TokenPair> Guard::login(std::string_view subject, std::string_view extra_claims_json,
                               const ClientInfo& client, std::string_view subject_namespace) {
  return impl_->login(subject, extra_claims_json, client, subject_namespace);
}
Result<IssuedToken> Guard::issue(const TokenRequest& request) { return impl_->issue(request); }
Result<Refreshed> Guard::refresh(std::string_view refresh_token) {
  return impl_->refresh(refresh_token);
}
Result<IssuedToken> Guard::fresh_access(const Claims& claims) {
  return impl_->fresh_access(claims);
}
Result<TokenPair> Guard::renew_session(const Claims& claims) {
  return impl_->renew_session(claims);
}
Result<IssuedToken> Guard::refresh_access(const Claims& access_claims) {
  return impl_->refresh_access(access_claims);
}
Result<VerifiedToken> Guard::require(std::string_view token,
                                     const Requirements& requirements) const {
  return impl_->require(token, requirements);
}
Result<void> Guard::check_revocation(const Claims& claims) const {
  return impl_->check_revocation(claims);
}
Result<bool> Guard::refresh_token_current(const Claims& claims) {
  return impl_->refresh_token_current(claims);
}
Result<void> Guard::revoke_token(const Claims& claims, const RevokeContext& context) {
  return impl_->revoke_token(claims, context);
}
Result<void> Guard::revoke_jti(std::string_view jti, const RevokeContext& context) {
  if (jti.empty()) return fail(Errc::kInvalidArgument, "empty jti");
  return impl_->revoke_jti(jti, context);
}
Result<void> Guard::revoke_session(std::string_view sid, const RevokeContext& context) {
  if (sid.empty()) return fail(Errc::kInvalidArgument, "empty session id");
  return impl_->revoke_session(sid, context);
}
Result<void> Guard::revoke_user(std::string_view user, const RevokeContext& context) {
  if (user.empty()) return fail(Errc::kInvalidArgument, "empty user");
  return impl_->revoke_user(user, context);
}
Result<void> Guard::revoke_user_before(std::string_view user, Timestamp cutoff,
                                       const RevokeContext& context) {
  if (user.empty()) return fail(Errc::kInvalidArgument, "empty user");
  if (cutoff == Timestamp{}) return fail(Errc::kInvalidArgument, "no cutoff");
  return impl_->revoke_user_before(user, cutoff, context);
}
Result<void> Guard::backchannel_logout(const LogoutToken& logout) {
  return impl_->backchannel_logout(logout);
}
Result<bool> Guard::unrevoke(RevocationKind kind, std::string_view key) {
  return impl_->unrevoke(kind, key);
}
Result<std::shared_ptr<const PublishedStatusList>> Guard::status_list_token(std::uint64_t id) {
  return impl_->status_list_token(id);
}
Result<void> Guard::sync() { return impl_->sync(); }
Result<void> Guard::purge() { return impl_->purge(); }
GuardStats Guard::stats() const { return impl_->stats(); }
Result<std::vector<Session>> Guard::list_sessions(std::string_view user) {
  return impl_->list_sessions(user);
}
SessionEnds Guard::session_ends(const Session& session) const {
  return impl_->session_ends(session);
}
Store& Guard::store() { return impl_->store(); }
std::shared_ptr<const Issuer> Guard::issuer() const { return impl_->issuer(); }
GuardOptions::CheckMode Guard::check_mode() const { return impl_->check_mode(); }
std::shared_ptr<const Verifier> Guard::verifier() const { return impl_->verifier(); }

}  // namespace jwtguard
