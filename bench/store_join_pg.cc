// The join case's bulk fill of a PostgreSQL store (store_join.cc,
// --join-fill=sql): the same records the Store interface writes, made by a
// few INSERT ... SELECT statements. PostgreSQL's durable revoke does about
// 600 a second here (five round trips each inside the writer's batch), so
// a million through the interface would take half an hour; the load being
// measured reads the rows, not how they were written.
#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include "jwtguard/revocation.h"
#include "store_join.h"

namespace jwtguard::bench {
namespace {

// id_of's shape in SQL: 22 base64url characters of 128 bits (an MD5 here;
// the index takes any 22-character base64url id as 128 bits).
std::string sql_id(const std::string& i, const char* salt) {
  return "rtrim(translate(encode(decode(md5(" + i + "::text || '" + salt +
         "'), 'hex'), 'base64'), '+/', '-_'), '=')";
}

bool run(PGconn* conn, const std::string& sql) {
  PGresult* result = PQexec(conn, sql.c_str());
  const bool ok =
      PQresultStatus(result) == PGRES_COMMAND_OK || PQresultStatus(result) == PGRES_TUPLES_OK;
  if (!ok) std::fprintf(stderr, "store_bench: %s\n", PQresultErrorMessage(result));
  PQclear(result);
  return ok;
}

}  // namespace

bool fill_postgres_with_sql(const std::string& url, std::uint64_t revocations,
                            std::uint64_t sessions, Timestamp now) {
  PGconn* conn = PQconnectdb(url.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::fprintf(stderr, "store_bench: %s\n", PQerrorMessage(conn));
    PQfinish(conn);
    return false;
  }
  const std::string at = std::to_string(now.time_since_epoch().count());
  const std::string until =
      std::to_string((now + std::chrono::hours(24 * 7)).time_since_epoch().count());
  const std::string cutoff = std::to_string(user_cutoff_after(now).time_since_epoch().count());
  const std::string r = std::to_string(revocations), s = std::to_string(sessions);
  const std::string sid_of_i = sql_id(sessions > 0 ? "(i % " + s + ")" : "i", "s");
  const auto start = std::chrono::steady_clock::now();
  const bool ok =
      run(conn, "BEGIN") &&
      run(conn,
          "INSERT INTO sessions (sid, subject, created_at, refreshed_at, expires_at,"
          " client_address, user_agent, refresh_jti) SELECT " +
              sql_id("i", "s") + ", 'join-user-' || (i % 50000), " + at + ", " + at + ", " + until +
              ", '127.0.0.1', 'store_bench', " + sql_id("i", "r") + " FROM generate_series(0, " +
              s + " - 1) i") &&
      run(conn,
          "INSERT INTO revocations (kind, key, cutoff, expires_at, revoked_at, token_type,"
          " subject, session, revoked_by) SELECT"
          " CASE WHEN i % 20 = 0 THEN 2 WHEN i % 20 <= 3 THEN 1 ELSE 0 END,"
          " CASE WHEN i % 20 = 0 THEN 'join-user-' || (i / 20) WHEN i % 20 <= 3 THEN " +
              sid_of_i + " ELSE " + sql_id("i", "j") + " END, CASE WHEN i % 20 = 0 THEN " + cutoff +
              " ELSE 0 END, " + until + ", " + at +
              ", CASE WHEN i % 20 > 3 THEN 'access' END,"
              " CASE WHEN i % 20 = 0 THEN 'join-user-' || (i / 20) ELSE 'join-user-' ||"
              " (i % 50000) END, CASE WHEN i % 20 > 3 THEN " +
              sid_of_i + " ELSE '' END, 'store_bench' FROM generate_series(0, " + r +
              " - 1) i ON CONFLICT DO NOTHING") &&
      run(conn, "UPDATE sessions SET revoked_at = " + at +
                    " WHERE sid IN (SELECT key FROM revocations WHERE kind = 1)") &&
      run(conn,
          "INSERT INTO revocation_log (seq, op, kind, key, cutoff, expires_at, logged_at)"
          " SELECT h.seq + row_number() OVER (ORDER BY r.id), 0, r.kind, r.key, r.cutoff,"
          " r.expires_at, r.revoked_at FROM revocations r, jwtguard_feed_head h") &&
      run(conn, "UPDATE jwtguard_feed_head SET seq = seq + (SELECT count(*) FROM revocations)") &&
      run(conn, "COMMIT") && run(conn, "VACUUM ANALYZE");
  PQfinish(conn);
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("  fill (SQL)   %llu sessions and %llu revocations in %.1f s\n",
              static_cast<unsigned long long>(sessions),
              static_cast<unsigned long long>(revocations), took);
  return ok;
}

}  // namespace jwtguard::bench
