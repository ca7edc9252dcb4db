// What issuing more tokens in an existing session needs, for the Guard's
// refresh, fresh login and renewal: the request for tokens of the same
// principal, and the session as the store has it.
#ifndef JWTGUARD_REVOCATION_SESSION_TOKENS_H_
#define JWTGUARD_REVOCATION_SESSION_TOKENS_H_

#include <functional>
#include <optional>
#include <span>

#include "jwtguard/claims.h"
#include "jwtguard/issuer.h"
#include "jwtguard/store.h"

namespace jwtguard::revocation {

// A request for tokens of the same principal, with the same restrictions,
// in the same session as the token with `claims`: the namespace and the
// application's claims come from that token, which carries them signed.
// `order_at`: the subject's cutoff, which "iat_ms" must not precede.
// kInvalidArgument when the payload is not a JSON object.
Result<TokenRequest> same_principal(const Claims& claims, Timestamp order_at);

// The session of `claims`, as `store` has it: kMissingClaim ("sid") without
// a sid; kRevoked when the store does not know it, it was revoked, or it is
// another subject's (a minted identity naming a user's session).
Result<Session> live_session(Store& store, const Claims& claims);

// Called with the requests of one issuing call, final but for their
// "status" claim, before any of them is signed: the Guard records their
// status list entries (one store write for all) and sets each one's
// TokenRequest::status. A failure fails the call: no token is issued
// without its entry. Null: no status lists.
using Stamp = std::function<Result<void>(std::span<TokenRequest> requests, Timestamp now)>;

// `request` with a lifetime of its own (TokenRequest::ttl, else `ttl`),
// shortened so that it expires no later than the session's `end` (none: no
// limit). kExpired ("session ended") when not a whole second is left.
Result<TokenRequest> request_until(TokenRequest request, std::chrono::seconds ttl, Timestamp now,
                                   std::optional<Timestamp> end);

// One token as request_until() makes it, stamped.
Result<IssuedToken> issue_until(const Issuer& issuer, TokenRequest request,
                                std::chrono::seconds ttl, Timestamp now,
                                std::optional<Timestamp> end, const Stamp& stamp = {});

// As Issuer::issue_pair, each token expiring no later than `end`, both
// stamped in one call (the session id is chosen first when the request
// has none, so that both entries name it).
Result<TokenPair> issue_pair_until(const Issuer& issuer, TokenRequest request,
                                   const IssuerOptions& lifetimes, Timestamp now,
                                   std::optional<Timestamp> end, const Stamp& stamp = {});

}  // namespace jwtguard::revocation

#endif  // JWTGUARD_REVOCATION_SESSION_TOKENS_H_
