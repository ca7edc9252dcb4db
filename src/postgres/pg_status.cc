#include "pg_status.h"

#include <algorithm>
#include <climits>
#include <iterator>
#include <string>

#include "util/try.h"

namespace jwtguard::pg {
namespace {

// Whether one of the revocations covers the status_entries row `e`
// (jwtguard/store.h): three probes of revocations' (kind, key) index.
#define JWTGUARD_COVERED(e)                                                                    \
  "(EXISTS (SELECT 1 FROM revocations r WHERE r.kind = 0 AND r.key = " e ".jti) OR (" e        \
  ".sid <> '' AND EXISTS (SELECT 1 FROM revocations r WHERE r.kind = 1 AND "                   \
  "r.key = " e ".sid)) OR EXISTS (SELECT 1 FROM revocations r WHERE r.kind = 2 AND r.key = " e \
  ".usr AND r.cutoff > " e ".issued_at))"

// A list as allocate() fills it: where it stands, and the latest expiry of
// the entries this call put in it.
struct Filling {
  std::int64_t id = 0;
  std::int64_t size = 0;
  std::int64_t allocated = 0;
  Timestamp expires_at{};
  bool touched = false;  // this call put entries in it
};

Result<Filling> open_list(Conn& conn, const Connector& connector, const StatusListSpec& spec) {
  JWTGUARD_ASSIGN_OR_RETURN(
      const Rows rows,
      conn.exec("INSERT INTO status_lists (bits, size) VALUES ($1::smallint, $2::bigint)"
                " RETURNING id",
                Params().add(std::int64_t{spec.bits}).add(static_cast<std::int64_t>(spec.size)),
                connector.statement_deadline()));
  if (rows.size() != 1) return fail(Errc::kStore, "postgresql: no status list id returned");
  return Filling{.id = rows.int64(0, 0), .size = static_cast<std::int64_t>(spec.size)};
}

// The newest list, locked until the transaction ends; nullopt when there is
// none yet.
Result<std::optional<Filling>> newest_list(Conn& conn, const Connector& connector) {
  JWTGUARD_ASSIGN_OR_RETURN(const Rows rows,
                            conn.exec("SELECT id, size, allocated FROM status_lists"
                                      " ORDER BY id DESC LIMIT 1 FOR UPDATE",
                                      connector.statement_deadline()));
  if (rows.size() == 0) return std::optional<Filling>();
  return std::optional<Filling>(
      Filling{.id = rows.int64(0, 0), .size = rows.int64(0, 1), .allocated = rows.int64(0, 2)});
}

Result<void> save_list(Conn& conn, const Connector& connector, const Filling& list) {
  JWTGUARD_TRY(
      conn.exec("UPDATE status_lists SET allocated = $2, expires_at = GREATEST(expires_at, $3)"
                " WHERE id = $1",
                Params().add(list.id).add(list.allocated).add(list.expires_at),
                connector.statement_deadline()));
  return {};
}

// One INSERT for the whole batch, each entry's status computed from the
// revocations as this statement sees them.
Result<void> insert_entries(Conn& conn, const Connector& connector,
                            const std::vector<StatusEntry>& entries,
                            const std::vector<StatusRef>& refs) {
  std::string sql =
      "INSERT INTO status_entries (list, idx, jti, sid, usr, issued_at, expires_at, status)"
      " SELECT e.list, e.idx, e.jti, e.sid, e.usr, e.issued_at, e.expires_at,"
      " CASE WHEN " JWTGUARD_COVERED("e") " THEN 1 ELSE 0 END FROM (VALUES ";
  Params params;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    static constexpr const char* kTypes[] = {"bigint", "bigint", "text",  "text",
                                             "text",   "bigint", "bigint"};
    sql += i ? ", (" : "(";
    for (std::size_t k = 0; k < std::size(kTypes); ++k) {
      if (k) sql += ", ";
      sql += '$';
      sql += std::to_string(i * std::size(kTypes) + k + 1);
      sql += "::";
      sql += kTypes[k];
    }
    sql += ')';
    params.add(static_cast<std::int64_t>(refs[i].list))
        .add(static_cast<std::int64_t>(refs[i].index))
        .add(entries[i].jti)
        .add(entries[i].session)
        .add(entries[i].user)
        .add(entries[i].issued_at)
        .add(entries[i].expires_at);
  }
  sql += ") AS e (list, idx, jti, sid, usr, issued_at, expires_at)";
  JWTGUARD_TRY(conn.exec(sql.c_str(), params, connector.statement_deadline()));
  return {};
}

Result<std::vector<StatusRef>> allocate_locked(Conn& conn, const Connector& connector,
                                               const std::vector<StatusEntry>& entries,
                                               const StatusListSpec& spec) {
  // The head's lock first, as every writer takes it (pg_writer.cc): see
  // pg_status.h for why the allocation needs it.
  JWTGUARD_TRY(
      conn.exec("SELECT seq FROM jwtguard_feed_head FOR UPDATE", connector.statement_deadline()));
  JWTGUARD_ASSIGN_OR_RETURN(std::optional<Filling> list, newest_list(conn, connector));
  std::vector<StatusRef> refs;
  for (const StatusEntry& entry : entries) {
    if (!list || list->allocated >= list->size) {
      if (list && list->touched) JWTGUARD_TRY(save_list(conn, connector, *list));
      JWTGUARD_ASSIGN_OR_RETURN(list, open_list(conn, connector, spec));
    }
    refs.push_back(
        {static_cast<std::uint64_t>(list->id), static_cast<std::uint64_t>(list->allocated++)});
    list->expires_at =
        list->touched ? std::max(list->expires_at, entry.expires_at) : entry.expires_at;
    list->touched = true;
  }
  JWTGUARD_TRY(save_list(conn, connector, *list));
  JWTGUARD_TRY(insert_entries(conn, connector, entries, refs));
  return refs;
}

}  // namespace

Result<std::vector<StatusRef>> allocate_status(Conn& conn, const Connector& connector,
                                               const std::vector<StatusEntry>& entries,
                                               const StatusListSpec& spec) {
  JWTGUARD_TRY(conn.run("BEGIN", connector.statement_deadline()));
  auto refs = allocate_locked(conn, connector, entries, spec);
  if (!refs) {
    // A connection left in the transaction (this failed too) is closed by
    // the pool, which rolls it back.
    static_cast<void>(conn.run("ROLLBACK", connector.statement_deadline()));
    return refs;
  }
  JWTGUARD_TRY(conn.commit("COMMIT", connector.statement_deadline()));
  return refs;
}

Result<std::optional<StatusListState>> find_status_list(Conn& conn, const Connector& connector,
                                                        std::uint64_t id) {
  if (id > static_cast<std::uint64_t>(INT64_MAX)) return std::optional<StatusListState>();
  JWTGUARD_ASSIGN_OR_RETURN(
      const Rows rows,
      conn.exec("SELECT l.bits, l.size, l.allocated, l.expires_at, e.idx, e.status"
                " FROM status_lists l LEFT JOIN status_entries e"
                " ON e.list = l.id AND e.status <> 0"
                " WHERE l.id = $1 AND NOT l.retired ORDER BY e.idx",
                Params().add(static_cast<std::int64_t>(id)), connector.statement_deadline()));
  if (rows.size() == 0) return std::optional<StatusListState>();
  StatusListState state;
  state.id = id;
  state.bits = static_cast<int>(rows.int64(0, 0));
  state.size = static_cast<std::uint64_t>(rows.int64(0, 1));
  state.allocated = static_cast<std::uint64_t>(rows.int64(0, 2));
  state.expires_at = rows.time(0, 3);
  for (int i = 0; i < rows.size(); ++i) {
    if (rows.is_null(i, 4)) continue;
    state.statuses.emplace_back(static_cast<std::uint64_t>(rows.int64(i, 4)),
                                static_cast<std::uint8_t>(rows.int64(i, 5)));
  }
  return std::optional<StatusListState>(std::move(state));
}

const char* uncover_sql(RevocationKind kind) {
  // Only entries set now can change: removing a revocation never sets one.
  switch (kind) {
    case RevocationKind::kToken:
      return "UPDATE status_entries e SET status = 0 WHERE e.jti = $1 AND e.status <> 0"
             " AND NOT " JWTGUARD_COVERED("e");
    case RevocationKind::kSession:
      return "UPDATE status_entries e SET status = 0 WHERE e.sid = $1 AND e.status <> 0"
             " AND NOT " JWTGUARD_COVERED("e");
    case RevocationKind::kUser:
      return "UPDATE status_entries e SET status = 0 WHERE e.usr = $1 AND e.status <> 0"
             " AND NOT " JWTGUARD_COVERED("e");
  }
  return "";
}

Result<void> purge_status_lists(Conn& conn, const Connector& connector, Timestamp now,
                                std::int64_t chunk) {
  JWTGUARD_TRY(
      conn.exec("UPDATE status_lists SET retired = true"
                " WHERE NOT retired AND allocated = size AND expires_at <= $1",
                Params().add(now), connector.statement_deadline()));
  for (;;) {
    JWTGUARD_ASSIGN_OR_RETURN(const Rows rows,
                              conn.exec("DELETE FROM status_entries WHERE ctid = ANY(ARRAY("
                                        "SELECT ctid FROM status_entries WHERE list IN"
                                        " (SELECT id FROM status_lists WHERE retired)"
                                        " LIMIT $1 FOR UPDATE SKIP LOCKED))",
                                        Params().add(chunk), connector.statement_deadline()));
    if (rows.affected() < static_cast<std::uint64_t>(chunk)) break;
  }
  // A list whose rows a revocation held keeps them until the next purge;
  // it stays retired meanwhile.
  JWTGUARD_TRY(
      conn.exec("DELETE FROM status_lists l WHERE retired"
                " AND NOT EXISTS (SELECT 1 FROM status_entries e WHERE e.list = l.id)",
                connector.statement_deadline()));
  return {};
}

#undef JWTGUARD_COVERED

}  // namespace jwtguard::pg
