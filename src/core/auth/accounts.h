// Changes to an account that end its tokens: disable, delete, a new
// password. The service and the command line both make them here, so that
// each ends the same tokens, in the same order, and leaves the same record.
//
// Each change ends the user's tokens with a user cutoff (the revocation of
// "log out everywhere") after the change itself is durable: a login racing
// the change either sees the change (and is refused) or was issued before the
// cutoff (and is ended by it). Nothing here reads the store per request:
// tokens of a disabled or deleted user are refused by the cutoff, which
// every instance sharing the store holds in its index.
#ifndef JWTGUARD_AUTH_ACCOUNTS_H_
#define JWTGUARD_AUTH_ACCOUNTS_H_

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "jwtguard/guard.h"
#include "jwtguard/store.h"

namespace jwtguard::accounts {

// How a change ends every token of the user named `user`: Guard::revoke_user
// in the service (its own index holds the cutoff before the call returns),
// or a revocation the command line writes to the store (the instances learn
// it from the feed).
using EndTokens = std::function<Result<void>(std::string_view user, const RevokeContext&)>;

// Who makes a change, and when. `actor` is recorded: the subject key of the
// user or admin who asked, or "cli" for the command line. `reason` is the
// admin's free text (may be empty); neither is ever a secret.
struct Change {
  std::string actor;
  Timestamp now{};
  std::string reason;
};

// The audit actions (AuditEvent::action) these changes record.
inline constexpr std::string_view kDisable = "user.disable";
inline constexpr std::string_view kEnable = "user.enable";
inline constexpr std::string_view kDelete = "user.delete";        // by an admin or the CLI
inline constexpr std::string_view kDeleteOwn = "account.delete";  // by the user itself
inline constexpr std::string_view kReset = "password.reset";      // by an admin or the CLI
inline constexpr std::string_view kChange = "password.change";    // by the user itself

// The user's sessions that are live at `now`: neither revoked nor expired,
// nor refreshed before its cutoff.
Result<std::size_t> live_sessions(Store& store, std::string_view name, Timestamp now);

// Marks the user disabled, then ends its tokens, and records the change.
// Returns how many live sessions that ended. kNotFound for an unknown user.
Result<std::size_t> disable(Store& store, const EndTokens& end, std::string_view name,
                            const Change& change);

// Marks the user enabled and records it. Tokens ended when it was disabled
// stay ended. kNotFound for an unknown user.
Result<void> enable(Store& store, std::string_view name, const Change& change);

// Disables the user (so that no login races the deletion), ends its tokens,
// then deletes it with its sessions and hash, its name reserved as long as
// the cutoff is kept (as long as any token it held could be presented), and
// records `action` (kDelete or kDeleteOwn). Returns how many live sessions
// ended. kNotFound for an unknown user.
Result<std::size_t> remove(Store& store, const EndTokens& end, std::string_view name,
                           const Change& change, std::string_view action);

// Sets the new hash, then ends every token of the user, and records `action`
// (kReset or kChange). Returns how many live sessions ended, the one named
// `keep_sid` excepted (the session a user changes its own password from,
// which the caller renews: Guard::renew_session). kNotFound for an unknown
// user. The hash is durable before any token ends: a login with the old
// password cannot slip in after the cutoff. With `expected_hash` (the hash
// the caller checked the old password against), nothing changes unless it
// is still the stored one and the user is not disabled: kRevoked
// (Store::set_password).
Result<std::size_t> set_password(Store& store, const EndTokens& end, std::string_view name,
                                 std::string_view password_hash, const Change& change,
                                 std::string_view action, std::string_view keep_sid = {},
                                 std::string_view expected_hash = {});

}  // namespace jwtguard::accounts

#endif  // JWTGUARD_AUTH_ACCOUNTS_H_
