#include "pg_feed.h"

#include <algorithm>
#include <climits>

#include "store/rows.h"
#include "store/store_rules.h"
#include "util/try.h"

namespace jwtguard::pg {

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
