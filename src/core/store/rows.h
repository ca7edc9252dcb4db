// The SQL stores' records as rows: one column list per record, and one
// reader from a row to the record, shared by the SQLite and PostgreSQL
// backends (each adapts its result rows to Row).
//
// The column lists are macros so that they splice into SQL string literals
// ("SELECT " JWTGUARD_SESSION_COLUMNS " FROM sessions ...") and each
// statement stays one literal (SQLite's statement cache is keyed by it).
#ifndef JWTGUARD_STORE_ROWS_H_
#define JWTGUARD_STORE_ROWS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "jwtguard/clock.h"
#include "jwtguard/revocation.h"

// revocations: read_revocation. The user is stored as `subject`.
#define JWTGUARD_REVOCATION_COLUMNS \
  "kind, key, cutoff, expires_at, revoked_at, token_type, subject, session, revoked_by, reason"
// sessions: read_session.
#define JWTGUARD_SESSION_COLUMNS                                                     \
  "sid, subject, created_at, refreshed_at, expires_at, client_address, user_agent, " \
  "refresh_jti, revoked_at, previous_refresh_jti"
// users: read_user.
#define JWTGUARD_USER_COLUMNS "name, password_hash, admin, created_at, disabled, last_login_at"
// users as a listing shows them, without the hash: read_user (which then
// reads an empty hash).
#define JWTGUARD_USER_SUMMARY_COLUMNS "name, '', admin, created_at, disabled, last_login_at"
// audit_log: read_audit.
#define JWTGUARD_AUDIT_COLUMNS "id, happened_at, actor, action, subject, detail"
// revocation_log: read_change.
#define JWTGUARD_CHANGE_COLUMNS "seq, op, kind, key, cutoff, expires_at"
// revocations, as a snapshot's entry: read_entry.
#define JWTGUARD_ENTRY_COLUMNS "kind, key, cutoff, expires_at"

namespace jwtguard::stores {

// How many columns a column list names.
constexpr int column_count(std::string_view columns) {
  int n = 1;
  for (char c : columns) n += c == ',' ? 1 : 0;
  return n;
}

// Where the columns that a statement selects after a list start.
inline constexpr int kRevocationColumns = column_count(JWTGUARD_REVOCATION_COLUMNS);
inline constexpr int kSessionColumns = column_count(JWTGUARD_SESSION_COLUMNS);
inline constexpr int kUserColumns = column_count(JWTGUARD_USER_COLUMNS);
static_assert(column_count(JWTGUARD_USER_SUMMARY_COLUMNS) == kUserColumns);
inline constexpr int kAuditColumns = column_count(JWTGUARD_AUDIT_COLUMNS);
inline constexpr int kChangeColumns = column_count(JWTGUARD_CHANGE_COLUMNS);
inline constexpr int kEntryColumns = column_count(JWTGUARD_ENTRY_COLUMNS);

// One row of a result, as the readers see it. Columns are 0-based. What a
// column holds that its accessor cannot read is the backend's to report
// (it is a bug in jwtguard's SQL, not bad data from a client).
class Row {
 public:
  virtual ~Row() = default;
  virtual bool is_null(int col) const = 0;
  // Empty for NULL.
  virtual std::string text(int col) const = 0;
  // 0 for NULL.
  virtual std::int64_t int64(int col) const = 0;
  // The backend's spelling of a boolean column (an integer, or "t"/"f").
  virtual bool boolean(int col) const = 0;
  // Times are stored as microseconds since the epoch.
  Timestamp time(int col) const { return Timestamp(std::chrono::microseconds(int64(col))); }
};

// The row's columns from `first` on, in the order of the column list named.
Revocation read_revocation(const Row& row, int first = 0);  // JWTGUARD_REVOCATION_COLUMNS
Session read_session(const Row& row, int first = 0);        // JWTGUARD_SESSION_COLUMNS
User read_user(const Row& row, int first = 0);              // JWTGUARD_USER_COLUMNS
Change read_change(const Row& row, int first = 0);          // JWTGUARD_CHANGE_COLUMNS
AuditEvent read_audit(const Row& row, int first = 0);       // JWTGUARD_AUDIT_COLUMNS
// A snapshot's entry: a kRevoke change without seq.
Change read_entry(const Row& row, int first = 0);  // JWTGUARD_ENTRY_COLUMNS

}  // namespace jwtguard::stores

#endif  // JWTGUARD_STORE_ROWS_H_
