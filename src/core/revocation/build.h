// Building a revocation: which key it blocks, the cutoff of a
// log-out-everywhere, and how long it must be kept. The Guard and the
// command line (`jwtguard revoke`, which has no Guard) both build theirs
// here, so a revocation written by either lives exactly as long.
//
// Each function fills kind, key, cutoff, expires_at, revoked_at (= now) and
// what it knows of user, session and token_type; revoked_by and reason are
// the caller's. None writes to the store.
#ifndef JWTGUARD_REVOCATION_BUILD_H_
#define JWTGUARD_REVOCATION_BUILD_H_

#include <chrono>
#include <string_view>

#include "jwtguard/revocation.h"
#include "jwtguard/store.h"

namespace jwtguard::revocation {

// How long the tokens a revocation may block can live.
struct TokenLives {
  // The latest a token issued before now can expire, leeway included: the
  // Guard's Lifetimes::latest_expiry_before(now); for the command line,
  // now + --max-lifetime or the store's token horizon, whichever is later.
  Timestamp latest_expiry{};
  // The longest a token issued from now on can live, leeway included.
  std::chrono::seconds longest{0};
  // What a verifier grants past a token's exp.
  std::chrono::seconds leeway{0};
  // An access token's lifetime: a session lives at least that long.
  std::chrono::seconds access_ttl{0};
  // With rotation, a session's record bounds its tokens (a refresh updates
  // it); without, a refresh issues tokens the record does not know of.
  bool rotate_refresh_tokens = true;
};

// The token with these claims, kept until its exp plus the leeway, or until
// lives.latest_expiry when it has no exp. kMissingClaim ("jti") without a jti.
Result<Revocation> token_revocation_at(const Claims& claims, Timestamp now,
                                       const TokenLives& lives);

// A token known by its jti alone: kept until lives.latest_expiry.
Revocation jti_revocation(std::string_view jti, Timestamp now, const TokenLives& lives);

// A session: with rotation, a session the store knows is kept until its
// recorded expiry (at least now + access_ttl) plus the leeway; otherwise
// until lives.latest_expiry. `user` is the subject's key, or empty to take
// it from the store's record. The store is read only when that is needed,
// and a failed read counts as an unknown session (the longer expiry).
Revocation session_revocation(Store& store, std::string_view sid, std::string_view user,
                              Timestamp now, const TokenLives& lives);

// Every token of the subject `user_key` issued until now: the cutoff is
// user_cutoff_after(now), moved past an earlier cutoff the store holds
// (cutoff_after_earlier); kept until lives.latest_expiry, cutoff +
// lives.longest, and every live session's expiry plus the leeway, whichever
// is latest. The store's error when it cannot be read.
Result<Revocation> user_revocation(Store& store, std::string_view user_key, Timestamp now,
                                   const TokenLives& lives);

// The same with a given cutoff in place of user_cutoff_after(now) (still
// moved past an earlier cutoff): a back-channel logout's, its logout
// token's iat plus one second.
Result<Revocation> user_revocation_before(Store& store, std::string_view user_key, Timestamp cutoff,
                                          Timestamp now, const TokenLives& lives);

}  // namespace jwtguard::revocation

#endif  // JWTGUARD_REVOCATION_BUILD_H_
