#include "pg_feed.h"

#include <algorithm>
#include <climits>

#include "store/rows.h"
#include "store/store_rules.h"
#include "util/try.h"

namespace jwtguard::pg {
namespace {

std::int64_t number(RevocationKind kind) { return static_cast<std::int64_t>(kind); }

}  // namespace

Result<std::uint64_t> append_change(Conn& conn, const Connector& connector, const Change& change,
                                    Timestamp logged_at) {
  JWTGUARD_ASSIGN_OR_RETURN(
      const Rows rows,
      conn.exec(
          "WITH head AS (UPDATE jwtguard_feed_head SET seq = seq + 1 RETURNING seq)"
          " INSERT INTO revocation_log (seq, op, kind, key, cutoff, expires_at, logged_at)"
          " SELECT seq, $1::smallint, $2::smallint, $3::text, $4::bigint, $5::bigint, $6::bigint"
          " FROM head RETURNING seq",
          Params()
              .add(static_cast<std::int64_t>(change.op))
              .add(number(change.kind))
              .add(change.key)
              .add(change.cutoff)
              .add(change.expires_at)
              .add(logged_at),
          connector.statement_deadline()));
  if (rows.size() != 1) return fail(Errc::kStore, "postgresql: jwtguard_feed_head has no row");
  return static_cast<std::uint64_t>(rows.int64(0, 0));
}

Result<std::uint64_t> upsert_revocation(Conn& conn, const Connector& connector,
                                        const Revocation& r) {
  Params params;
  params.add(number(r.kind)).add(r.key).add(r.cutoff).add(r.expires_at).add(r.revoked_at);
  r.token_type ? params.add(token_type_name(*r.token_type)) : params.add_null();
  params.add(r.user).add(r.session).add(r.revoked_by).add(r.reason);
  JWTGUARD_ASSIGN_OR_RETURN(
      const Rows rows,
      conn.exec("INSERT INTO revocations (" JWTGUARD_REVOCATION_COLUMNS
                ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
                " ON CONFLICT (kind, key) DO UPDATE SET"
                " cutoff = GREATEST(revocations.cutoff, EXCLUDED.cutoff),"
                " expires_at = GREATEST(revocations.expires_at, EXCLUDED.expires_at)"
                " RETURNING cutoff, expires_at",
                params, connector.statement_deadline()));
  if (rows.size() != 1) return fail(Errc::kStore, "postgresql: upsert returned no row");
  Revocation merged = r;
  merged.cutoff = rows.time(0, 0);
  merged.expires_at = rows.time(0, 1);
  return append_change(conn, connector, stores::revoke_change(merged, 0), r.revoked_at);
}

Result<ChangeBatch> read_changes(Conn& conn, const Connector& connector, std::uint64_t after,
                                 std::size_t limit) {
  ChangeBatch batch;
  batch.last_seq = after;
  if (limit == 0) return batch;
  // One statement: the head and the rows come from one snapshot.
  JWTGUARD_ASSIGN_OR_RETURN(
      const Rows rows,
      conn.exec("SELECT h.seq, l.* FROM jwtguard_feed_head h LEFT JOIN LATERAL"
                " (SELECT " JWTGUARD_CHANGE_COLUMNS " FROM revocation_log"
                "  WHERE seq > $1 ORDER BY seq LIMIT $2) l ON true"
                " ORDER BY l.seq",
                Params()
                    .add(static_cast<std::int64_t>(std::min<std::uint64_t>(after, INT64_MAX)))
                    .add(static_cast<std::int64_t>(std::min<std::uint64_t>(limit, INT64_MAX))),
                connector.statement_deadline()));
  if (rows.size() == 0) return fail(Errc::kStore, "postgresql: jwtguard_feed_head has no row");
  const auto head = static_cast<std::uint64_t>(rows.int64(0, 0));
  // Seqs are contiguous, so the change after `after` is after + 1 unless a
  // purge deleted it. Stop at the first missing number: the next call
  // reports the gap before anything past it is applied.
  for (int i = 0; i < rows.size() && !rows.is_null(i, 1); ++i) {
    Change change = stores::read_change(rows.row(i), 1);
    if (change.seq != batch.last_seq + 1) break;
    batch.last_seq = change.seq;
    batch.changes.push_back(std::move(change));
  }
  // Nothing readable although changes were made after `after`: purged.
  // A head behind `after` means the database lost changes the follower
  // saw (restored from a backup, say): it must reload as well.
  batch.gap = batch.changes.empty() && head != after;
  return batch;
}

}  // namespace jwtguard::pg
