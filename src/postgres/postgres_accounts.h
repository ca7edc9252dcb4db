// The PostgreSQL store's account statements (jwtguard/store.h, "Users" and
// "Audit"), each on a pooled connection that the caller leased. None
// touches the feed, so none goes through the writer: each is one statement
// (data-modifying CTEs make a change to several tables one statement, and
// so atomic), except insert_user, which needs two.
#ifndef JWTGUARD_POSTGRES_POSTGRES_ACCOUNTS_H_
#define JWTGUARD_POSTGRES_POSTGRES_ACCOUNTS_H_

#include <cstdint>
#include <optional>
#include <string_view>

#include "jwtguard/error.h"
#include "jwtguard/revocation.h"
#include "pg_conn.h"
#include "pg_connector.h"

namespace jwtguard::pg {

// kAlreadyExists when the name is taken, or reserved beyond user.created_at
// (also by a deletion that commits while this runs).
Result<void> insert_user(Conn& conn, const Connector& connector, const User& user);
// Records the session; kAlreadyExists when the sid is taken. Raises its
// user's last_login_at to session.created_at, if there is such a user.
Result<void> insert_session(Conn& conn, const Connector& connector, const Session& session);
// kNotFound for an unknown user.
// With `expected_hash`, only while that is the stored hash and the user is
// not disabled (kRevoked otherwise).
Result<void> update_password(Conn& conn, const Connector& connector, std::string_view name,
                             std::string_view password_hash, std::string_view expected_hash);
Result<void> update_disabled(Conn& conn, const Connector& connector, std::string_view name,
                             bool disabled);
// Removes the user and its sessions, and reserves its name until
// `reserved_until` (or later, if it already was). kNotFound for an unknown
// user.
Result<void> remove_user(Conn& conn, const Connector& connector, std::string_view name,
                         Timestamp reserved_until);
// Forgets the reservations that have passed at `now`.
Result<void> purge_reservations(Conn& conn, const Connector& connector, Timestamp now);
// Returns the event's id (an identity: ids grow and never repeat).
Result<std::uint64_t> insert_audit(Conn& conn, const Connector& connector, const AuditEvent& event);

Result<UserPage> read_user_page(Conn& conn, const Connector& connector, const UserFilter& filter);
// `before`: the id to list from (exclusive), none for the first page.
Result<AuditPage> read_audit_page(Conn& conn, const Connector& connector, const AuditFilter& filter,
                                  std::optional<std::uint64_t> before);

}  // namespace jwtguard::pg

#endif  // JWTGUARD_POSTGRES_POSTGRES_ACCOUNTS_H_
