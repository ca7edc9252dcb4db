// Status lists in SQLite: an entry's status is written when it is recorded
// and rewritten by each revocation that reaches it, so that publishing a list
// reads only the non-zero rows (a partial index) and no revocation is
// re-evaluated per request. Every statement here is on an indexed key: a
// revocation touches the entries it names, nothing else.
#include "sqlite_status.h"

#include "util/try.h"

namespace jwtguard::sqlite {
namespace {

// Whether a revocation held now covers the entry whose jti, sid, user and
// issued_at are the four SQL expressions (kinds: 0 token, 1 session, 2
// user; the store's rule in jwtguard/store.h). A macro so that each
// statement stays one literal.
// clang-format off
#define JWTGUARD_STATUS_COVERED(JTI, SID, USR, ISSUED)                                      \
  "(EXISTS (SELECT 1 FROM revocations WHERE kind = 0 AND key = " JTI ")"                   \
  " OR (" SID " <> '' AND EXISTS (SELECT 1 FROM revocations WHERE kind = 1 AND key = " SID "))" \
  " OR EXISTS (SELECT 1 FROM revocations WHERE kind = 2 AND key = " USR                    \
  " AND cutoff > " ISSUED "))"
// clang-format on

struct OpenList {
  std::int64_t id = 0;
  std::int64_t allocated = 0;
};

// The newest list if it has room, else a new one of `spec`. Only the newest
// can have room: a list opens only when the one before is full, and purge
// drops full lists only.
Result<OpenList> open_list(Db& db, const StatusListSpec& spec) {
  {
    JWTGUARD_ASSIGN_OR_RETURN(
        Stmt newest,
        db.prepare("SELECT id, allocated FROM status_lists WHERE id = (SELECT max(id) FROM"
                   " status_lists) AND allocated < size"));
    JWTGUARD_ASSIGN_OR_RETURN(auto found, newest.first_row([](const Stmt& row) {
      return OpenList{row.int64(0), row.int64(1)};
    }));
    if (found) return *found;
  }
  JWTGUARD_ASSIGN_OR_RETURN(Stmt insert,
                            db.prepare("INSERT INTO status_lists (bits, size) VALUES (?1, ?2)"));
  JWTGUARD_TRY(
      insert.bind(1, std::int64_t{spec.bits}).bind(2, static_cast<std::int64_t>(spec.size)).run());
  return OpenList{sqlite3_last_insert_rowid(db.handle()), 0};
}

Result<StatusRef> insert_entry(Db& db, const StatusEntry& entry, const StatusListSpec& spec) {
  JWTGUARD_ASSIGN_OR_RETURN(const OpenList list, open_list(db, spec));
  JWTGUARD_ASSIGN_OR_RETURN(Stmt take,
                            db.prepare("UPDATE status_lists SET allocated = allocated + 1,"
                                       " expires_at = max(expires_at, ?2) WHERE id = ?1"));
  JWTGUARD_TRY(take.bind(1, list.id).bind(2, entry.expires_at).run());
  JWTGUARD_ASSIGN_OR_RETURN(
      Stmt insert,
      db.prepare("INSERT INTO status_entries (list, idx, jti, sid, usr, issued_at, expires_at,"
                 " status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, CASE WHEN " JWTGUARD_STATUS_COVERED(
                     "?3", "?4", "?5", "?6") " THEN 1 ELSE 0 END)"));
  insert.bind(1, list.id).bind(2, list.allocated).bind(3, entry.jti).bind(4, entry.session);
  insert.bind(5, entry.user).bind(6, entry.issued_at).bind(7, entry.expires_at);
  JWTGUARD_TRY(insert.run());
  return StatusRef{static_cast<std::uint64_t>(list.id), static_cast<std::uint64_t>(list.allocated)};
}

}  // namespace

Result<std::vector<StatusRef>> insert_status_entries(Db& db,
                                                     const std::vector<StatusEntry>& entries,
                                                     const StatusListSpec& spec) {
  std::vector<StatusRef> refs;
  refs.reserve(entries.size());
  for (const StatusEntry& entry : entries) {
    JWTGUARD_ASSIGN_OR_RETURN(const StatusRef ref, insert_entry(db, entry, spec));
    refs.push_back(ref);
  }
  return refs;
}

// A raised user cutoff reaches only [previous, merged): the entries issued
// before the previous cutoff were set by it, or recorded set under it, and
// stay set while it is held (an un-revoke deletes it, and then no previous
// cutoff is passed). So a repeated "log out everywhere" walks the index over
// what it adds, not over every entry the user ever piled up.
Result<void> cover_status_entries(Db& db, const Revocation& merged,
                                  std::optional<Timestamp> previous_cutoff) {
  switch (merged.kind) {
    case RevocationKind::kToken: {
      JWTGUARD_ASSIGN_OR_RETURN(
          Stmt s, db.prepare("UPDATE status_entries SET status = 1 WHERE jti = ?1 AND status = 0"));
      return s.bind(1, merged.key).run();
    }
    case RevocationKind::kSession: {
      JWTGUARD_ASSIGN_OR_RETURN(Stmt s, db.prepare("UPDATE status_entries SET status = 1"
                                                   " WHERE sid = ?1 AND sid <> '' AND status = 0"));
      return s.bind(1, merged.key).run();
    }
    case RevocationKind::kUser: {
      if (previous_cutoff && *previous_cutoff >= merged.cutoff) return {};
      JWTGUARD_ASSIGN_OR_RETURN(
          Stmt s, db.prepare("UPDATE status_entries SET status = 1 WHERE usr = ?1"
                             " AND issued_at >= ?2 AND issued_at < ?3 AND status = 0"));
      s.bind(1, merged.key).bind(2, previous_cutoff.value_or(Timestamp::min()));
      return s.bind(3, merged.cutoff).run();
    }
  }
  return {};
}

// Removing a revocation can only lower statuses: only the entries of the
// key that are set now are looked at again.
Result<void> recompute_status_entries(Db& db, RevocationKind kind, std::string_view key) {
#define JWTGUARD_STATUS_RECOMPUTE(WHERE)                                   \
  "UPDATE status_entries SET status = CASE WHEN " JWTGUARD_STATUS_COVERED( \
      "jti", "sid", "usr", "issued_at") " THEN 1 ELSE 0 END WHERE " WHERE " AND status <> 0"
  const char* sql = nullptr;
  switch (kind) {
    case RevocationKind::kToken:
      sql = JWTGUARD_STATUS_RECOMPUTE("jti = ?1");
      break;
    case RevocationKind::kSession:
      sql = JWTGUARD_STATUS_RECOMPUTE("sid = ?1 AND sid <> ''");
      break;
    case RevocationKind::kUser:
      sql = JWTGUARD_STATUS_RECOMPUTE("usr = ?1");
      break;
  }
#undef JWTGUARD_STATUS_RECOMPUTE
  if (sql == nullptr) return {};
  JWTGUARD_ASSIGN_OR_RETURN(Stmt s, db.prepare(sql));
  return s.bind(1, key).run();
}

// A retired list is marked by bits = 0, a width no list is opened with, so
// that retiring needs no schema change. Only its row is written, so the
// whole list leaves find_status_list at once however many entries it has;
// open_list never picks it (it is full).
Result<void> retire_status_lists(Db& db, Timestamp now) {
  JWTGUARD_ASSIGN_OR_RETURN(
      Stmt retire, db.prepare("UPDATE status_lists SET bits = 0"
                              " WHERE bits <> 0 AND allocated = size AND expires_at <= ?1"));
  return retire.bind(1, now).run();
}

Result<bool> purge_retired_entries(Db& db, std::int64_t chunk) {
  JWTGUARD_ASSIGN_OR_RETURN(
      Stmt retired, db.prepare("SELECT id FROM status_lists WHERE bits = 0 ORDER BY id LIMIT 1"));
  JWTGUARD_ASSIGN_OR_RETURN(const auto list,
                            retired.first_row([](const Stmt& row) { return row.int64(0); }));
  if (!list) return false;
  // The primary key (list, idx) finds the chunk; SQLite's DELETE has no
  // LIMIT of its own.
  JWTGUARD_ASSIGN_OR_RETURN(
      Stmt entries,
      db.prepare("DELETE FROM status_entries WHERE list = ?1 AND idx IN (SELECT idx FROM"
                 " status_entries WHERE list = ?1 ORDER BY idx LIMIT ?2)"));
  JWTGUARD_TRY(entries.bind(1, *list).bind(2, chunk).run());
  if (sqlite3_changes(db.handle()) < chunk) {
    JWTGUARD_ASSIGN_OR_RETURN(Stmt drop, db.prepare("DELETE FROM status_lists WHERE id = ?1"));
    JWTGUARD_TRY(drop.bind(1, *list).run());
  }
  return true;
}

namespace {

Result<std::optional<StatusListState>> read_status_list_locked(Db& db, std::uint64_t id) {
  JWTGUARD_ASSIGN_OR_RETURN(Stmt head,
                            db.prepare("SELECT bits, size, allocated, expires_at FROM status_lists"
                                       " WHERE id = ?1 AND bits <> 0"));
  head.bind(1, static_cast<std::int64_t>(id));
  JWTGUARD_ASSIGN_OR_RETURN(auto state, head.first_row([id](const Stmt& row) {
    return StatusListState{.id = id,
                           .bits = static_cast<int>(row.int64(0)),
                           .size = static_cast<std::uint64_t>(row.int64(1)),
                           .allocated = static_cast<std::uint64_t>(row.int64(2)),
                           .expires_at = row.time(3),
                           .statuses = {}};
  }));
  if (!state) return state;
  JWTGUARD_ASSIGN_OR_RETURN(Stmt set, db.prepare("SELECT idx, status FROM status_entries"
                                                 " WHERE list = ?1 AND status <> 0 ORDER BY idx"));
  set.bind(1, static_cast<std::int64_t>(id));
  JWTGUARD_TRY(set.each_row([&](const Stmt& row) {
    state->statuses.emplace_back(static_cast<std::uint64_t>(row.int64(0)),
                                 static_cast<std::uint8_t>(row.int64(1)));
  }));
  return state;
}

}  // namespace

Result<std::optional<StatusListState>> read_status_list(Db& db, std::uint64_t id) {
  // Ids above SQLite's integer range were never handed out.
  if (id > static_cast<std::uint64_t>(INT64_MAX)) return std::optional<StatusListState>();
  // One read transaction: the list's counts and its statuses agree.
  JWTGUARD_TRY(db.exec("BEGIN"));
  auto out = read_status_list_locked(db, id);
  static_cast<void>(db.exec("COMMIT"));
  return out;
}

}  // namespace jwtguard::sqlite
