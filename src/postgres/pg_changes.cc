#include "pg_changes.h"

#include "pg_status.h"
#include "store/rows.h"
#include "store/store_rules.h"

namespace jwtguard::pg {
namespace {

// One statement per revocation: the upsert, the feed's next number, the
// log entry of the merged revocation, and the entries it covers. Its
// sub-statements all read one snapshot, taken before any of them writes:
// `prev` is the user's cutoff before this revocation, and the merged
// values come from the upsert's RETURNING. Parameters: $1 kind, $2 key,
// $3 cutoff, $4 expires_at, $5 revoked_at (also the log's time), then
// token_type, subject, session, revoked_by, reason.
#define JWTGUARD_REVOKE(prev, marked)                                                          \
  "WITH " prev " up AS (INSERT INTO revocations (" JWTGUARD_REVOCATION_COLUMNS                 \
  ") VALUES ($1::smallint, $2::text, $3::bigint, $4::bigint, $5::bigint, $6::text, $7::text,"  \
  " $8::text, $9::text, $10::text)"                                                            \
  " ON CONFLICT (kind, key) DO UPDATE SET"                                                     \
  " cutoff = GREATEST(revocations.cutoff, EXCLUDED.cutoff),"                                   \
  " expires_at = GREATEST(revocations.expires_at, EXCLUDED.expires_at)"                        \
  " RETURNING cutoff, expires_at),"                                                            \
  " head AS (UPDATE jwtguard_feed_head SET seq = seq + 1 RETURNING seq),"                      \
  " logged AS (INSERT INTO revocation_log (seq, op, kind, key, cutoff, expires_at, logged_at)" \
  " SELECT head.seq, 0, $1::smallint, $2::text, up.cutoff, up.expires_at, $5::bigint"          \
  " FROM head, up RETURNING seq),"                                                             \
  " marked AS (UPDATE status_entries SET status = 1 WHERE status = 0 AND " marked              \
  ")"                                                                                          \
  " SELECT seq FROM logged"

constexpr const char* kRevokeToken = JWTGUARD_REVOKE("", "jti = $2::text");
// sid <> '' lets the plan use the partial index on sid even when it is
// generic (prepared, pg_conn.h), $2's value unknown; a session's key is
// never empty.
constexpr const char* kRevokeSession = JWTGUARD_REVOKE("", "sid = $2::text AND sid <> ''");
// A user's revocation covers the entries issued before its cutoff, and only
// what the merge added is walked on the (usr, issued_at) index: a repeated
// "log out everywhere" covers nothing new, an empty range. `prev` is a plain
// read: every sub-statement sees the table as it was before the statement,
// so it reads the cutoff from before the upsert (a FOR UPDATE there would
// find the row already updated by `up` and skip it), and writers are
// serialised by the feed head's lock anyway. The constant fallback (rather
// than issued_at itself) keeps the lower bound an index condition.
constexpr const char* kRevokeUser = JWTGUARD_REVOKE(
    "prev AS (SELECT cutoff FROM revocations WHERE kind = 2 AND key = $2::text),",
    "usr = $2::text"
    " AND issued_at >= COALESCE((SELECT cutoff FROM prev), '-9223372036854775808'::bigint)"
    " AND issued_at < (SELECT cutoff FROM up)");

#undef JWTGUARD_REVOKE

const char* revoke_sql(RevocationKind kind) {
  switch (kind) {
    case RevocationKind::kToken:
      return kRevokeToken;
    case RevocationKind::kSession:
      return kRevokeSession;
    case RevocationKind::kUser:
      return kRevokeUser;
  }
  return kRevokeToken;
}

// The seq the statement logged its change at (to `*seq` unless null); a
// failure when the feed head has no row, and so nothing was logged.
std::function<Result<void>(const Rows&)> read_seq(std::uint64_t* seq) {
  return [seq](const Rows& rows) -> Result<void> {
    if (rows.size() != 1) return fail(Errc::kStore, "postgresql: jwtguard_feed_head has no row");
    if (seq != nullptr) *seq = static_cast<std::uint64_t>(rows.int64(0, 0));
    return {};
  };
}

}  // namespace

Job revoke_job(const Revocation& r, std::uint64_t* seq) {
  Params params;
  params.add(number(r.kind)).add(r.key).add(r.cutoff).add(r.expires_at).add(r.revoked_at);
  r.token_type ? params.add(token_type_name(*r.token_type)) : params.add_null();
  params.add(r.user).add(r.session).add(r.revoked_by).add(r.reason);
  Job job;
  job.push_back(Step{revoke_sql(r.kind), std::move(params), read_seq(seq)});
  return job;
}

Job revoke_session_job(const Revocation& r, std::uint64_t* seq) {
  Job job;
  job.push_back(Step{"UPDATE sessions SET revoked_at = $2 WHERE sid = $1 AND revoked_at IS NULL",
                     Params().add(r.key).add(r.revoked_at), nullptr});
  for (Step& step : revoke_job(r, seq)) job.push_back(std::move(step));
  return job;
}

Job unrevoke_job(RevocationKind kind, std::string_view key, Timestamp now, bool* erased) {
  Job job;
  job.push_back(Step{"DELETE FROM revocations WHERE kind = $1 AND key = $2",
                     Params().add(number(kind)).add(key), [erased](const Rows& rows) {
                       *erased = rows.affected() > 0;
                       return Result<void>();
                     }});
  job.push_back(Step{uncover_sql(kind), Params().add(key), nullptr});
  if (kind == RevocationKind::kSession) {
    job.push_back(
        Step{"UPDATE sessions SET revoked_at = NULL WHERE sid = $1", Params().add(key), nullptr});
  }
  // An un-revocation's change carries no cutoff or expiry.
  const Change change = stores::unrevoke_change(kind, key, 0);
  job.push_back(
      Step{"WITH head AS (UPDATE jwtguard_feed_head SET seq = seq + 1 RETURNING seq)"
           " INSERT INTO revocation_log (seq, op, kind, key, cutoff, expires_at, logged_at)"
           " SELECT seq, $1::smallint, $2::smallint, $3::text, $4::bigint, $5::bigint, $6::bigint"
           " FROM head RETURNING seq",
           Params()
               .add(static_cast<std::int64_t>(change.op))
               .add(number(change.kind))
               .add(change.key)
               .add(change.cutoff)
               .add(change.expires_at)
               .add(now),
           read_seq(nullptr)});
  return job;
}

}  // namespace jwtguard::pg
