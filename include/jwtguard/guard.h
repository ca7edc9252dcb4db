// The Guard: issues tokens, checks them, and revokes them.
//
// It does what Flask-JWT-Extended's create_access_token(), jwt_required()
// and token_in_blocklist_loader do together, against a Store that keeps
// revocations durable (jwtguard/store.h).
//
// Checks never touch the store (unless GuardOptions::check_mode asks for
// strict mode): the Guard keeps an in-memory index of every live
// revocation, loaded when it is created and kept current by a background
// thread that follows the store's change feed (so revocations made by
// another process sharing the store arrive as soon as the store announces
// them: milliseconds with Redis and PostgreSQL, within
// GuardOptions::feed_wait with SQLite). When the store is unreachable,
// checks go on from the index and the follower catches up once it is back.
// A revocation made through this Guard is in its index before the call
// returns, and only after the store made it durable.
// Expired revocations leave the index and the store in the background.
#ifndef JWTGUARD_GUARD_H_
#define JWTGUARD_GUARD_H_

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jwtguard/clock.h"
#include "jwtguard/error.h"
#include "jwtguard/issuer.h"
#include "jwtguard/keys.h"
#include "jwtguard/revocation.h"
#include "jwtguard/status_list.h"
#include "jwtguard/store.h"
#include "jwtguard/trusted_issuers.h"
#include "jwtguard/verifier.h"

namespace jwtguard {

// The token_in_blocklist_loader equivalent: return true to refuse the token
// as revoked. Called after every built-in check passed, from the checking
// thread, so it must be thread-safe. It must not throw.
using BlocklistCallback = std::function<bool(const JoseHeader& header, const Claims& claims)>;

// Token Status List (draft-ietf-oauth-status-list, docs/status-list.md):
// every token the Guard issues carries
//   "status": {"status_list": {"idx": N, "uri": "<base_url>/statuslists/<id>"}}
// its entry recorded in the store (Store::allocate_status), which keeps the
// entry's status true to every revocation; the Guard publishes each list as
// a signed Status List Token (status_list_token()).
struct StatusListOptions {
  bool enabled = false;
  // The public URL of this service, without a trailing slash: a list's URI
  // is base_url + "/statuslists/" + its id. https, or http to a loopback
  // host only.
  std::string base_url;
  int bits = 1;  // 1 or 2 bits per status
  // Statuses per list (a new list starts when one is full); list_size *
  // bits at most 2^27, so that a list stays within the 16 MiB verifiers
  // inflate (DecodeLimits).
  std::uint64_t list_size = 1ULL << 20;
  // The list token's "ttl": how long a verifier may cache it.
  std::chrono::seconds ttl{300};
  // exp - iat of a list token; an unchanged list is re-signed once half of
  // it has passed.
  std::chrono::seconds token_lifetime{86400};
  // A list's record is read from the store at most this often, and signed
  // again only when its statuses changed (never per request): a revocation
  // committed in the store, by any instance, is published within this.
  std::chrono::milliseconds publish_interval{1000};
};

struct GuardOptions {
  IssuerOptions issuer;  // lifetimes, iss, aud of the tokens the Guard issues
  VerifyOptions verify;  // algorithms, leeway, expected iss/aud
  // Refresh returns a new refresh token and retires the presented one;
  // presenting a retired one revokes its whole session.
  bool rotate_refresh_tokens = true;
  // With rotation on: how long after its rotation the retired refresh token
  // may still be presented (two browser tabs refreshing at once; a response
  // lost on the way). Within it, by the store's record (the session's
  // previous_refresh_jti, and now - refreshed_at <= this interval, so it
  // holds across instances sharing the store), refresh answers with tokens
  // of the same session instead of revoking it: a new access token and a
  // copy of the session's current refresh token (the same jti, so every
  // revocation of that one covers it; an exp no later than its), so that
  // whichever answer a client keeps, it holds the current refresh token.
  // Nothing rotates. Past the interval, or for a token retired before the
  // previous one, reuse revokes the session. 0 (the default): any reuse
  // revokes it. Ignored with rotation off (nothing is retired).
  // Negative: kInvalidArgument from open().
  std::chrono::seconds refresh_reuse_interval{0};
  // A session's absolute limit, from its login (Session::created_at): no
  // token issued in it (login, refresh, fresh_access, renew_session,
  // refresh_access) expires later than created_at + this. A refresh at or
  // after that instant fails with kExpired (detail "session max lifetime")
  // and revokes the session, as the refresh token's own exp would have
  // (it is capped there). Sessions recorded before the limit was set are
  // held to it too. 0 (the default): none. Negative: kInvalidArgument from
  // open().
  std::chrono::seconds session_max_lifetime{0};
  // A session not refreshed for this long ends: refresh tokens expire at
  // most this long after they are issued (access tokens at most this long
  // after the session's last refresh), and a refresh at or after
  // refreshed_at + this fails with kExpired (detail "session idle timeout")
  // and revokes the session. 0 (the default): none, the refresh token's own
  // lifetime is the idle limit. Needs rotation on (without it, a refresh
  // does not update the record, and a session in use would end this long
  // after its login): with rotation off, or negative, kInvalidArgument from
  // open().
  std::chrono::seconds session_idle_timeout{0};
  BlocklistCallback blocklist_callback;
  // Identity servers whose access tokens require() accepts when
  // Requirements::foreign is set (jwtguard/trusted_issuers.h). A token whose
  // "iss" names one of them is verified by that issuer's keys and rules
  // only, never by the Guard's own keys; one whose "iss" is neither theirs
  // nor the Guard's own (VerifyOptions::claims.issuer, when set) is
  // refused (kWrongIssuer) whenever issuers are configured. open() raises
  // the store's token horizon to the longest max_token_lifetime, so that
  // revocations of their sessions and subjects outlive their tokens; an
  // issuer string equal to the Guard's own is kInvalidArgument. Null: none.
  std::shared_ptr<const TrustedIssuers> trusted_issuers;
  // Status lists for the tokens this Guard issues. Enabled: the signing
  // key must be asymmetric (a verifier elsewhere checks the list token with
  // the public key) and base_url valid, else kInvalidArgument from open();
  // a store without status lists fails each issue with kStore.
  StatusListOptions status_list;
  // How long the feed follower waits on the store per round; also the
  // longest a change made by another process takes to reach this Guard.
  std::chrono::milliseconds feed_wait{200};
  // How often expired revocations are dropped from the index and the store.
  std::chrono::seconds purge_interval{60};
  // Unrevoke changes stay in the store's feed this long, so that a follower
  // that fell behind by less still sees them (more than that: it reloads).
  std::chrono::seconds feed_retention{3600};
  // Where checks look for revocations. kIndex (the default): the in-memory
  // index alone, which the feed keeps current; a check does no I/O. kStore
  // (strict mode, as Flask-JWT-Extended's blocklist examples do): the store
  // is also asked on every check, one round trip, so a revocation made
  // anywhere counts at once, feed or not. When the store cannot answer, the
  // check falls back to the index (counted in GuardStats::strict_fallbacks)
  // rather than failing: while the store is down nobody can revoke anything
  // anyway.
  enum class CheckMode { kIndex, kStore };
  CheckMode check_mode = CheckMode::kIndex;
  // Start the feed follower and purge threads. Off only in tests that drive
  // sync() and purge() themselves.
  bool background = true;
};

enum class TokenRequirement { kAccess, kRefresh, kAny };

// jwt_required()'s arguments.
struct Requirements {
  TokenRequirement type = TokenRequirement::kAccess;  // kAny: verify_type=False
  bool fresh = false;                                 // the access token must carry fresh: true
  bool optional = false;               // no token is fine: require() returns an empty token
  bool skip_revocation_check = false;  // signature, time and type only
  // Accept a trusted issuer's token (GuardOptions::trusted_issuers): an
  // access token for these rules, never fresh. Off: such a token is
  // refused with kWrongIssuer. Routes about jwtguard's own accounts
  // (refresh, sessions, password) leave it off.
  bool foreign = false;
};

// Who asked for a revocation and why, for the record.
struct RevokeContext {
  std::string revoked_by;
  std::string reason;
};

// What a client looked like when it logged in or refreshed (for the sessions
// list). Both optional.
struct ClientInfo {
  std::string address;
  std::string user_agent;
};

// The result of a refresh: a new access token (never fresh), and a new
// refresh token when rotation is on (otherwise the presented one stays valid
// and `refresh` is empty).
struct Refreshed {
  IssuedToken access;
  std::optional<IssuedToken> refresh;
};

// When a session ends by GuardOptions' limits, each unset when that limit
// is off: `absolute` = created_at + session_max_lifetime, `idle` =
// refreshed_at + session_idle_timeout (moved on by each refresh).
struct SessionEnds {
  std::optional<Timestamp> absolute;
  std::optional<Timestamp> idle;
};

struct GuardStats {
  std::size_t revoked_tokens = 0;    // jti entries in the index
  std::size_t revoked_sessions = 0;  // sid entries
  std::size_t user_cutoffs = 0;
  std::size_t index_bytes = 0;  // heap memory the index holds
  std::uint64_t feed_seq = 0;   // the last change applied
  // Failed rounds of the background feed follower and purge (the store was
  // unreachable); they are retried.
  std::uint64_t feed_errors = 0;
  // Strict-mode checks answered from the index because the store failed.
  std::uint64_t strict_fallbacks = 0;
  // Status lists: lists built (each one store read and one signature),
  // entries recorded, and issuing calls that failed to record theirs.
  std::uint64_t status_list_builds = 0;
  std::uint64_t status_allocations = 0;
  std::uint64_t status_allocation_failures = 0;
};

class Guard {
 public:
  // Opens a Guard over `store`, loading every live revocation into the
  // index. `verify_keys` are the keys tokens may be signed with; empty means
  // the signing key alone. `clock` must outlive
  // the Guard. Errors: those of Issuer::create and Verifier::create, and
  // kStore when the snapshot cannot be read.
  static Result<std::unique_ptr<Guard>> open(Key signing_key, KeySet verify_keys,
                                             std::unique_ptr<Store> store, GuardOptions options,
                                             const Clock& clock);

  // Stops the background threads; waits for none of the store's clients.
  ~Guard();

  // A reload: new keys, and the reloadable part of `options` (issuer, verify,
  // rotate_refresh_tokens, refresh_reuse_interval, session_max_lifetime and
  // session_idle_timeout; the rest stays as open() had it), for the calls
  // that start after it returns; calls under way finish with the old ones.
  // Status lists are signed with the new key. The revocation horizon only
  // grows: a longer lifetime or leeway raises it (in the store too), a
  // shorter one leaves it until the next open(), since the tokens issued
  // before still live. On error nothing changes: open()'s errors, or kStore
  // when the horizon cannot be raised. Thread-safe (calls are serialised).
  Result<void> reconfigure(Key signing_key, KeySet verify_keys, const GuardOptions& options);

  // --- Issuing -------------------------------------------------------------

  // A login: a fresh access token and a refresh token of a new session,
  // recorded in the store under subject_key(subject_namespace, subject)
  // (revocation.h). The tokens are ordered after the user's cutoff
  // ("iat_ms"), so a login right after "log out everywhere" works. Both
  // tokens carry `extra_claims_json`, and so does every token refreshed
  // from them. kInvalidArgument for an empty subject, or a subject or
  // namespace holding U+001F.
  Result<TokenPair> login(std::string_view subject, std::string_view extra_claims_json = {},
                          const ClientInfo& client = {}, std::string_view subject_namespace = {});

  // One token, as Issuer::issue (no session is recorded; a refresh token
  // issued this way cannot be rotated unless its session exists).
  // kInvalidArgument for a ttl longer than the longer of the configured
  // access and refresh lifetimes: revocations are kept only that long; and
  // for a request with `status` set: the Guard records the token's entry
  // and sets it itself (with status lists off, a token has none).
  Result<IssuedToken> issue(const TokenRequest& request);

  // Checks `refresh_token` (a refresh token, not revoked) and returns new
  // tokens of the same session, the same subject and namespace, and the
  // same application claims as the refresh token carries. With rotation on, presenting a retired
  // refresh token revokes the session and fails with kRevoked, unless
  // GuardOptions::refresh_reuse_interval forgives it; a session the
  // store does not know fails with kRevoked too. A session past its limits
  // (GuardOptions::session_max_lifetime, session_idle_timeout) is revoked
  // and the refresh fails with kExpired (the detail names the limit); the
  // new tokens expire no later than the session's end. A revocation of the
  // presented token or its user that commits while the refresh is under way
  // also revokes the session: the new pair never outlives it.
  Result<Refreshed> refresh(std::string_view refresh_token);

  // Re-authentication (Flask-JWT-Extended's "fresh login"): a fresh access
  // token of the session of `claims` (a verified access token's), with the
  // same subject, namespace and application claims, for a caller that has
  // just checked the user's password. kMissingClaim ("sid") for a token
  // without a session; kRevoked when the token has been revoked meanwhile
  // (the store's feed is read first) or its session is not one the store
  // knows, live, of the same subject, within its limits (SessionEnds; the
  // token expires by then); kStore when the feed cannot be read.
  Result<IssuedToken> fresh_access(const Claims& claims);

  // After the user's tokens were all ended by a cutoff (a password change
  // keeps the session it was made from): a fresh access token and a new
  // refresh token of the session of `claims`, ordered after the cutoff, the
  // session's record moved to the new refresh token (its last refresh and
  // expiry with it). kMissingClaim ("sid") without a session; kRevoked when
  // the session is not one the store knows, live, of the same subject and
  // within its limits (the new tokens expire by its end), or a refresh moved
  // it on between this call's read of the session and its write.
  Result<TokenPair> renew_session(const Claims& claims);

  // Implicit refresh, for a response to a request authenticated by the
  // access token with these (verified, unrevoked) claims: a new access
  // token (not fresh) of the same session, subject, namespace and
  // application claims, keeping the token's "csrf" value (so that the
  // browser's CSRF cookie stays right), and expiring no later than the
  // session's end (SessionEnds). kInvalidArgument for a refresh token's
  // claims; kMissingClaim ("sid") without a session; kRevoked when the
  // session is unknown to the store, revoked, another subject's, or past
  // its limits. One store read, no write: a session revocation committed
  // before that read refuses the call, one committed after it covers the
  // new token anyway (it carries the sid, and a session's revocation is
  // kept until the session's expiry, at least an access token's lifetime
  // from now), so a logout racing an implicit refresh always wins.
  Result<IssuedToken> refresh_access(const Claims& access_claims);

  // --- Checking ------------------------------------------------------------

  // Verifies the token (signature, then exp/nbf/iat/iss/aud; with trusted
  // issuers, the token's unverified "iss" first chooses who verifies it:
  // a trusted issuer's token is verified by TrustedIssuers::verify alone,
  // and refused with kWrongIssuer unless requirements.foreign; an "iss"
  // that is neither theirs nor the Guard's own is kWrongIssuer before any
  // key is tried), then its type
  // (kRefreshTokenNotAllowed, kAccessTokenNotAllowed; a missing "type" claim
  // is kMissingClaim unless any type is accepted), then freshness
  // (kFreshTokenRequired), then revocation (kRevoked, detail "token",
  // "session", "user" or "callback"). An empty token is kMissingToken, or an
  // empty VerifiedToken (null header) when requirements.optional is set.
  // Thread-safe and without I/O. A writer holds the lock of one of 64 index
  // shards for one insert (a rehash of that shard when it grows) or for a
  // batch of 256 evictions.
  Result<VerifiedToken> require(std::string_view token,
                                const Requirements& requirements = {}) const;

  // Whether these claims are revoked by jti, sid or user cutoff (not the
  // callback). The detail names the rule, as in require().
  Result<void> check_revocation(const Claims& claims) const;

  // Whether the refresh token with these (verified) claims would be
  // exchanged by refresh(): with rotation on, it must be its session's
  // current refresh token, of a session the store knows and has not
  // revoked (a retired one would trigger reuse detection instead). Always
  // true with rotation off. One store read; kStore when it fails.
  Result<bool> refresh_token_current(const Claims& claims);

  // --- Revoking (each durable before it returns; each idempotent) ----------

  // The token's own jti (token_key(): namespaced for a trusted issuer's
  // token), kept until the token expires.
  Result<void> revoke_token(const Claims& claims, const RevokeContext& context = {});
  // A jti whose token is not at hand (a trusted issuer's: pass
  // revocation_key(its namespace, jti)): kept as long as any token issued so
  // far could live, by the configured lifetimes or by longer ones a Guard
  // on the same store used before (Store::raise_token_horizon, which the
  // Guard raises when it opens and on every purge round).
  Result<void> revoke_jti(std::string_view jti, const RevokeContext& context = {});
  // Every token of the session, including those refreshed from it later
  // (a trusted issuer's session: pass session_key(claims) or
  // revocation_key(its namespace, sid)).
  // With rotation on and a session the store knows: kept until the session's
  // recorded expiry (its last token's exp; at least an access token's
  // lifetime from now) plus the leeway. Otherwise (rotation off: refreshes
  // do not update the record; or an unknown session): as long as any token
  // issued so far could live (the token horizon).
  Result<void> revoke_session(std::string_view sid, const RevokeContext& context = {});
  // Log out everywhere: every token of the user issued until now. `user` is
  // the subject's key (subject_key() in revocation.h: the name, for
  // jwtguard's own users). Kept until the last of the user's live sessions
  // expires, when that is later than the configured lifetimes allow.
  // For a trusted issuer's subject (its namespace in the key) the cutoff is
  // the whole second of now plus that issuer's leeway plus one second: its
  // clock may run ahead by the leeway, and its iat is whole seconds, so
  // every token it issued before now is covered (and its new ones pass
  // again after the leeway). kStore when the sessions cannot be read.
  Result<void> revoke_user(std::string_view user, const RevokeContext& context = {});
  // The same with a given cutoff (tokens issued strictly before it are
  // refused): what a back-channel logout by subject uses, its logout
  // token's iat plus one second, so that replaying it later ends nothing
  // issued since. A cutoff earlier than the user's current one changes
  // nothing (but a cutoff_after_earlier() step past it, as for revoke_user).
  // Kept as revoke_user's. kInvalidArgument for an empty user or an unset
  // cutoff.
  Result<void> revoke_user_before(std::string_view user, Timestamp cutoff,
                                  const RevokeContext& context = {});
  // A validated back-channel logout token (TrustedIssuers::
  // verify_logout_token): revokes the session its sid names
  // (revocation_key(name, sid)), or, without sid, every token of its
  // subject issued up to its iat (revoke_user_before). Durable before it
  // returns, and reaches other Guards on the store by the feed. The token's
  // jti is recorded (until its exp plus the leeway) so that presenting it
  // again fails with kAlreadyExists and revokes nothing more (the store is
  // asked as well as the index, whatever the check mode, so a replay to
  // another instance is refused before the feed reaches it). The order:
  // replay check, the revocation, then the replay record; a failure between
  // the last two leaves the logout done and may accept its replay, which
  // revokes the same again. kInvalidArgument for a LogoutToken that cannot
  // be a validated one (no namespace of a trusted issuer, no jti, neither
  // sid nor sub, no iat); kStore when the store fails.
  Result<void> backchannel_logout(const LogoutToken& logout);
  // Removes a revocation (admin use); true when there was one.
  Result<bool> unrevoke(RevocationKind kind, std::string_view key);

  // The live sessions of the subject with key `user` (subject_key()), newest first: those neither
  // revoked nor expired, nor ended by a "log out everywhere" (a user cutoff after the session's
  // last refresh), which the store does not mark on each session, nor past the session limits
  // (GuardOptions::session_max_lifetime, session_idle_timeout). kStore when the store cannot be
  // read.
  Result<std::vector<Session>> list_sessions(std::string_view user);

  // When `session` ends by the configured session limits (for listing it).
  SessionEnds session_ends(const Session& session) const;

  // --- Status lists ----------------------------------------------------------

  // The published form of the status list `id`: signed with the Guard's
  // signing key (header typ "statuslist+jwt"; claims sub = the list's URI,
  // iat, exp, ttl, status_list {bits, lst}), built from the store's record
  // and kept: once publish_interval has passed since the store was last
  // read for it, the next call reads the record again and builds anew only
  // when the statuses changed (by any instance) or half its lifetime has
  // passed. Thread-safe; concurrent callers share one read and one build.
  // kNotFound when status lists are off, or the store has no such list
  // (never opened, or retired: purged once full and every token in it has
  // expired; unknown ids cost a bounded number of store reads per
  // publish_interval); kStore when the store cannot be read and no earlier
  // build is at hand.
  Result<std::shared_ptr<const PublishedStatusList>> status_list_token(std::uint64_t id);

  // --- Maintenance -----------------------------------------------------------

  // Applies every change the store's feed holds now (the follower thread
  // does this continuously).
  Result<void> sync();
  // Drops expired entries from the index and the store.
  Result<void> purge();

  GuardStats stats() const;
  Store& store();
  // The Guard's issuer, for its key and algorithm. A token issued through
  // it directly has no status list entry (nor status claim) and no session
  // in the store: issue through the Guard. A reconfigure() leaves it valid.
  std::shared_ptr<const Issuer> issuer() const;
  std::shared_ptr<const Verifier> verifier() const;
  // GuardOptions::check_mode: kStore when every check asks the store.
  GuardOptions::CheckMode check_mode() const;

 private:
  class Impl;
  explicit Guard(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace jwtguard

#endif  // JWTGUARD_GUARD_H_
