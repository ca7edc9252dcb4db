// The SQLite store's account statements (jwtguard/store.h, "Users" and
// "Audit"): what the store runs for them on the writer's connection, inside
// a group-commit job, or on the reader's, under its lock.
#ifndef JWTGUARD_SQLITE_SQLITE_ACCOUNTS_H_
#define JWTGUARD_SQLITE_SQLITE_ACCOUNTS_H_

#include <cstdint>
#include <optional>
#include <string_view>

#include "jwtguard/error.h"
#include "jwtguard/revocation.h"
#include "sqlite_db.h"

namespace jwtguard::sqlite {

// --- Writes: each runs inside a job of the writer's transaction, whose
// savepoint undoes what a failing one did.

// kAlreadyExists when the name is taken, or reserved beyond user.created_at.
Result<void> insert_user(Db& db, const User& user);
// Records the session; kAlreadyExists when the sid is taken. Raises its
// user's last_login_at to session.created_at, if there is such a user.
Result<void> insert_session(Db& db, const Session& session);
// kNotFound for an unknown user.
// With `expected_hash`, only while that is the stored hash and the user is
// not disabled (kRevoked otherwise).
Result<void> update_password(Db& db, std::string_view name, std::string_view password_hash,
                             std::string_view expected_hash);
Result<void> update_disabled(Db& db, std::string_view name, bool disabled);
// Removes the user and its sessions, and reserves its name until
// `reserved_until` (or later, if it already was). kNotFound for an unknown
// user.
Result<void> remove_user(Db& db, std::string_view name, Timestamp reserved_until);
// Forgets the reservations that have passed at `now`.
Result<void> purge_reservations(Db& db, Timestamp now);
// Returns the event's id: AUTOINCREMENT, so ids grow and never repeat.
Result<std::uint64_t> insert_audit(Db& db, const AuditEvent& event);

// --- Reads, in one statement each (one consistent view).

Result<UserPage> read_user_page(Db& db, const UserFilter& filter);
// `before`: the id to list from (exclusive), none for the first page.
Result<AuditPage> read_audit_page(Db& db, const AuditFilter& filter,
                                  std::optional<std::uint64_t> before);

}  // namespace jwtguard::sqlite

#endif  // JWTGUARD_SQLITE_SQLITE_ACCOUNTS_H_
