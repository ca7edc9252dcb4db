// The records a store keeps: revocations, sessions and users.
//
// These are plain values. Times are Timestamps (microseconds since the Unix
// epoch); strings are UTF-8 and may be empty where the comment says so.
#ifndef JWTGUARD_REVOCATION_H_
#define JWTGUARD_REVOCATION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "jwtguard/claims.h"
#include "jwtguard/clock.h"

namespace jwtguard {

// What a revocation blocks (rules 1 to 3 of docs/architecture.md, "Revocation").
enum class RevocationKind {
  kToken,    // one token, by its "jti"
  kSession,  // every token whose "sid" is the key: access, refresh, and all refreshed since
  kUser,     // every token of the user "sub" == key whose "iat" is before `cutoff`
};
std::string_view revocation_kind_name(RevocationKind kind);  // "token", "session", "user"
std::optional<RevocationKind> parse_revocation_kind(std::string_view name);

// The cutoff of a user revocation made at `now`: the next millisecond
// boundary. Every token issued up to and including now's millisecond is
// ordered before it (jwtguard's tokens carry their issue time in whole
// milliseconds, "iat_ms"; see issue_order() in claims.h).
Timestamp user_cutoff_after(Timestamp now);

// `cutoff`, or one millisecond past `earlier` (the user's cutoff so far)
// when that is not before it: tokens issued since the earlier cutoff within
// its millisecond carry it as their iat_ms, and a second log-out-everywhere
// in that millisecond must refuse them too.
Timestamp cutoff_after_earlier(Timestamp cutoff, std::optional<Timestamp> earlier);

// Subjects live in namespaces, so that one name can never stand for two
// principals. jwtguard's own users (registered, or made with `jwtguard user`)
// are the empty namespace; the identities an application mints tokens for
// through the service's POST /admin/tokens are kAppNamespace. A token says
// its namespace in the "sub_ns" claim (absent: the empty one), which only
// jwtguard sets.
//
// Sessions, user cutoffs ("log out everywhere") and the revocations' `user`
// are recorded under the subject's key: the name itself for the empty
// namespace, else the namespace, U+001F, and the name. No user name can
// contain U+001F (control characters are refused), so a minted identity
// "root" and the user "root" never share sessions, cutoffs or admin rights.
inline constexpr std::string_view kAppNamespace = "app";
// How the empty namespace is named where a name must be given (the service's
// X-Auth-Namespace header).
inline constexpr std::string_view kUserNamespaceName = "user";
inline constexpr char kNamespaceSeparator = '\x1f';
std::string subject_key(std::string_view subject_namespace, std::string_view subject);
// The key of the token's subject: subject_key(claims.sub_ns, claims.sub).
std::string subject_key(const Claims& claims);
// Whether `ns` is a trusted issuer's namespace (jwtguard/trusted_issuers.h):
// anything but "" and kAppNamespace.
bool is_issuer_namespace(std::string_view ns);
// The key a jti or sid is revoked under. jwtguard's own tokens and the
// application's (namespaces "" and kAppNamespace) use the value itself, as
// they always did; a trusted issuer's are the namespace, U+001F and the
// value, so that two identity servers' ids (or theirs and jwtguard's) never
// name each other's tokens.
std::string revocation_key(std::string_view ns, std::string_view id);
// revocation_key(claims.sub_ns, claims.jti) and (…, claims.sid); empty when
// the claim is.
std::string token_key(const Claims& claims);
std::string session_key(const Claims& claims);
// A key split back into {namespace, name}; a key without the separator is
// {"", key}.
std::pair<std::string_view, std::string_view> split_subject_key(std::string_view key);
// A namespace as a request or a command line names it: "" for jwtguard's
// users, kAppNamespace; nullopt for any other (there are no others).
std::optional<std::string_view> parse_subject_namespace(std::string_view name);

struct Revocation {
  RevocationKind kind = RevocationKind::kToken;
  std::string key;  // the jti, sid or user name; never empty

  // kUser only: tokens issued (iat) strictly before this instant are refused.
  // Revoking a user again keeps the later of the two cutoffs.
  Timestamp cutoff{};

  // The revocation may be forgotten once this has passed: no token it blocks
  // can still be valid then (the token's exp, or the longest lifetime a token
  // issued before the revocation can have, plus the verifier's leeway).
  // Revoking again keeps the later of the two expiries.
  Timestamp expires_at{};

  // Metadata, for listing and audit. All optional (empty when unknown).
  Timestamp revoked_at{};
  std::optional<TokenType> token_type;  // kToken: the type of the revoked token
  std::string user;                     // the token's or session's "sub"
  std::string session;                  // kToken: the token's "sid"
  std::string revoked_by;               // who asked: a user name, "cli", "reuse-detection"...
  std::string reason;

  friend bool operator==(const Revocation&, const Revocation&) = default;
};

// The kToken revocation of the token with these claims: its token_key,
// type, user (the subject's key) and session (its session_key), kept
// until its exp (left unset when it has none; the caller adds any
// leeway). Timestamps other than expires_at and the who/why fields are the
// caller's to fill.
Revocation token_revocation(const Claims& claims);

// Which revocations list_revocations returns. Empty fields match everything.
struct RevocationFilter {
  std::optional<RevocationKind> kind;
  std::string user;
  std::optional<TokenType> token_type;
  // Paging: at most `limit` entries (1..1000), after the position `cursor`
  // that the previous page returned (empty for the first page).
  std::size_t limit = 100;
  std::string cursor;
};

struct RevocationPage {
  std::vector<Revocation> entries;  // newest revocation first
  std::string next_cursor;          // empty on the last page
};

// A login session: the access and refresh tokens sharing one "sid", and every
// pair refreshed from them.
struct Session {
  std::string sid;
  std::string user;
  Timestamp created_at{};
  Timestamp refreshed_at{};  // the last rotation; created_at before the first
  Timestamp expires_at{};    // the current refresh token's exp
  std::string client_address;
  std::string user_agent;
  std::string refresh_jti;  // the one refresh token that may be presented next
  // The refresh token the last rotation retired (empty before the first):
  // what a second tab that raced the rotation presents again
  // (GuardOptions::refresh_reuse_interval).
  std::string previous_refresh_jti;
  std::optional<Timestamp> revoked_at;

  friend bool operator==(const Session&, const Session&) = default;
};

// The outcome of presenting a refresh token for rotation.
enum class Rotation {
  kRotated,  // it was the session's current refresh token; now retired
  kReused,   // it was retired earlier: the session is being replayed
  kRevoked,  // the session was revoked before
  kUnknown,  // no such session (never recorded, or purged after it expired)
};

// A user of the HTTP service. The library never sees passwords, only the
// Argon2id hash string the service stores.
struct User {
  std::string name;
  std::string password_hash;
  bool admin = false;
  Timestamp created_at{};
  // A disabled user cannot log in or refresh; the tokens it held were ended
  // when it was disabled (a user cutoff), and enabling it does not bring
  // them back.
  bool disabled = false;
  // When its latest session began: set by Store::create_session.
  std::optional<Timestamp> last_login_at;

  friend bool operator==(const User&, const User&) = default;
};

// One page of the users, by name, with how many live sessions each has.
// Never holds a password hash (User::password_hash is empty).
struct UserSummary {
  User user;
  std::size_t sessions = 0;  // neither revoked nor expired

  friend bool operator==(const UserSummary&, const UserSummary&) = default;
};

struct UserFilter {
  // At most `limit` users (1..1000) after the name `cursor` (the previous
  // page's next_cursor; empty for the first page), in byte order of names.
  std::size_t limit = 100;
  std::string cursor;
  Timestamp now{};  // what "live" means for the session counts
};

struct UserPage {
  std::vector<UserSummary> entries;
  std::string next_cursor;  // empty on the last page
};

// A change to an account, recorded for the administrators: who did what to
// whom, and when. Never a password or a hash.
struct AuditEvent {
  std::uint64_t id = 0;  // set by the store: grows with every event
  Timestamp at{};
  std::string actor;    // who did it: a subject key, or "cli" for the command line
  std::string action;   // e.g. "user.disable", "password.change"
  std::string subject;  // the account it was done to
  std::string detail;   // a JSON object with what else matters, or empty

  friend bool operator==(const AuditEvent&, const AuditEvent&) = default;
};

struct AuditFilter {
  // Newest first: at most `limit` events (1..1000) older than `cursor` (the
  // previous page's next_cursor; empty for the first page); of `subject`
  // only, when it is set.
  std::size_t limit = 100;
  std::string cursor;
  std::string subject;
};

struct AuditPage {
  std::vector<AuditEvent> entries;
  std::string next_cursor;  // empty on the last page
};

// The change feed: every revoke and un-revoke, in commit order, numbered by a
// sequence that only grows. A follower that has applied everything up to
// `seq` asks for what came after it.
struct Change {
  enum class Op { kRevoke, kUnrevoke };
  std::uint64_t seq = 0;
  Op op = Op::kRevoke;
  RevocationKind kind = RevocationKind::kToken;
  std::string key;
  Timestamp cutoff{};      // kRevoke of kUser
  Timestamp expires_at{};  // kRevoke
};

struct ChangeBatch {
  std::vector<Change> changes;  // in seq order
  std::uint64_t last_seq = 0;   // the position to ask from next time
  // The store no longer holds every change after the position asked from
  // (they were purged, or the store's server was replaced or restarted and
  // may have lost some): the follower must reload a snapshot.
  bool gap = false;
};

// Every live revocation, and the feed position they are current to.
struct Snapshot {
  std::vector<Change> entries;  // op == kRevoke, seq unset
  std::uint64_t seq = 0;
};

}  // namespace jwtguard

#endif  // JWTGUARD_REVOCATION_H_
