// The "memory:" store: everything in maps under one mutex. It implements the
// whole contract (feed included) so that tests and throwaway runs behave as
// a real deployment would, minus durability.
#include <algorithm>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <utility>

#include "jwtguard/store.h"
#include "store/memory_status.h"
#include "store/store_rules.h"
#include "util/try.h"

namespace jwtguard {
namespace {

// The record under `key`, copied out (the caller holds the store's lock).
template <typename Record>
std::optional<Record> copy_of(const std::map<std::string, Record>& records, std::string_view key) {
  auto it = records.find(std::string(key));
  if (it == records.end()) return std::nullopt;
  return it->second;
}

// Adds `record` under `key`; kAlreadyExists (naming `what`) when it is taken.
template <typename Record>
Result<void> insert_new(std::map<std::string, Record>& records, const std::string& key,
                        const Record& record, const char* what) {
  if (!records.try_emplace(key, record).second) return fail(Errc::kAlreadyExists, what);
  return {};
}

using Key = std::pair<RevocationKind, std::string>;

struct Row {
  std::int64_t id = 0;  // insertion order, for paging
  Revocation revocation;
};

class MemoryStore final : public Store {
 public:
  Result<std::uint64_t> do_revoke(const Revocation& revocation) override {
    std::lock_guard lock(mu_);
    return revoke_locked(revocation);
  }

  Result<bool> do_unrevoke(RevocationKind kind, std::string_view key, Timestamp now) override {
    std::lock_guard lock(mu_);
    const bool erased = revocations_.erase(Key(kind, std::string(key))) > 0;
    status_.recompute(kind, key, covered_locked());
    if (kind == RevocationKind::kSession) {
      auto it = sessions_.find(std::string(key));
      if (it != sessions_.end()) it->second.revoked_at.reset();
    }
    append(stores::unrevoke_change(kind, key, next_seq_++), now);
    return erased;
  }

  Result<std::optional<Revocation>> do_find_revocation(RevocationKind kind,
                                                       std::string_view key) override {
    std::lock_guard lock(mu_);
    auto it = revocations_.find(Key(kind, std::string(key)));
    if (it == revocations_.end()) return std::optional<Revocation>();
    return std::optional<Revocation>(it->second.revocation);
  }

  Result<RevocationPage> do_list_revocations(const RevocationFilter& filter,
                                             std::optional<std::int64_t> start) override {
    std::lock_guard lock(mu_);
    std::vector<const Row*> rows;
    for (const auto& [key, row] : revocations_) {
      if ((!start || row.id < *start) && stores::matches(row.revocation, filter)) {
        rows.push_back(&row);
      }
    }
    std::sort(rows.begin(), rows.end(), [](const Row* a, const Row* b) { return a->id > b->id; });
    RevocationPage page;
    for (std::size_t i = 0; i < rows.size() && i < filter.limit; ++i) {
      page.entries.push_back(rows[i]->revocation);
    }
    if (rows.size() > filter.limit)
      page.next_cursor = stores::cursor_for(rows[filter.limit - 1]->id);
    return page;
  }

  Result<Snapshot> do_snapshot(Timestamp now) override {
    std::lock_guard lock(mu_);
    Snapshot snapshot;
    snapshot.seq = next_seq_ - 1;
    for (const auto& [key, row] : revocations_) {
      if (row.revocation.expires_at > now) {
        snapshot.entries.push_back(stores::revoke_change(row.revocation, 0));
      }
    }
    return snapshot;
  }

  Result<ChangeBatch> do_changes_since(std::uint64_t after, std::size_t limit,
                                       std::chrono::milliseconds max_wait) override {
    std::unique_lock lock(mu_);
    changed_.wait_for(lock, max_wait, [&] { return next_seq_ - 1 > after; });
    ChangeBatch batch;
    batch.last_seq = after;
    if (after < purged_through_) {
      batch.gap = true;
      return batch;
    }
    // feed_ holds consecutive seqs, so the first one wanted is found by
    // arithmetic: a Guard reads the feed after each of its own writes.
    std::size_t i = 0;
    if (!feed_.empty() && after >= feed_.front().second.seq) {
      i = static_cast<std::size_t>(after - feed_.front().second.seq + 1);
    }
    for (; i < feed_.size() && batch.changes.size() < limit; ++i) {
      batch.changes.push_back(feed_[i].second);
      batch.last_seq = feed_[i].second.seq;
    }
    return batch;
  }

  Result<std::size_t> do_purge(Timestamp now, std::chrono::seconds feed_retention) override {
    std::lock_guard lock(mu_);
    const std::size_t removed = std::erase_if(
        revocations_, [now](const auto& item) { return item.second.revocation.expires_at <= now; });
    std::erase_if(sessions_, [now](const auto& item) { return item.second.expires_at <= now; });
    std::erase_if(reserved_, [now](const auto& item) { return item.second <= now; });
    status_.purge(now);
    const Timestamp horizon = now - feed_retention;
    while (!feed_.empty() && feed_.front().first <= horizon) {
      purged_through_ = feed_.front().second.seq;
      feed_.pop_front();
    }
    return removed;
  }

  Result<void> do_create_session(const Session& session) override {
    std::lock_guard lock(mu_);
    JWTGUARD_TRY(insert_new(sessions_, session.sid, session, "session"));
    auto user = users_.find(session.user);
    if (user != users_.end()) {
      auto& last = user->second.last_login_at;
      last = std::max(last.value_or(Timestamp{}), session.created_at);
    }
    return {};
  }

  Result<std::optional<Session>> do_find_session(std::string_view sid) override {
    std::lock_guard lock(mu_);
    return copy_of(sessions_, sid);
  }

  Result<std::vector<Session>> do_list_sessions(std::string_view user, Timestamp now) override {
    std::lock_guard lock(mu_);
    std::vector<Session> out;
    for (const auto& [sid, session] : sessions_) {
      if (session.user == user && !session.revoked_at && session.expires_at > now) {
        out.push_back(session);
      }
    }
    std::sort(out.begin(), out.end(), [](const Session& a, const Session& b) {
      return std::tie(a.created_at, a.sid) > std::tie(b.created_at, b.sid);
    });
    return out;
  }

  Result<Rotation> do_rotate_refresh(std::string_view sid, std::string_view presented_jti,
                                     std::string_view next_jti, Timestamp now,
                                     Timestamp next_expires_at) override {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(std::string(sid));
    if (it == sessions_.end()) return Rotation::kUnknown;
    Session& session = it->second;
    if (session.revoked_at) return Rotation::kRevoked;
    if (session.refresh_jti != presented_jti) return Rotation::kReused;
    session.previous_refresh_jti = std::move(session.refresh_jti);
    session.refresh_jti = std::string(next_jti);
    session.refreshed_at = now;
    session.expires_at = next_expires_at;
    return Rotation::kRotated;
  }

  Result<std::uint64_t> do_revoke_session(const Revocation& revocation) override {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(revocation.key);
    if (it != sessions_.end() && !it->second.revoked_at) {
      it->second.revoked_at = revocation.revoked_at;
    }
    return revoke_locked(revocation);
  }

  Result<void> do_create_user(const User& user) override {
    std::lock_guard lock(mu_);
    auto reserved = reserved_.find(user.name);
    if (reserved != reserved_.end() && reserved->second > user.created_at) {
      return fail(Errc::kAlreadyExists, "user name reserved");
    }
    return insert_new(users_, user.name, user, "user");
  }

  Result<std::optional<User>> do_find_user(std::string_view name) override {
    std::lock_guard lock(mu_);
    return copy_of(users_, name);
  }

  Result<void> do_set_admin(std::string_view name, bool admin) override {
    return change_user(name, [admin](User& user) { user.admin = admin; });
  }

  Result<void> do_set_password(std::string_view name, std::string_view hash,
                               std::string_view expected) override {
    std::lock_guard lock(mu_);
    auto it = users_.find(std::string(name));
    if (it == users_.end()) return fail(Errc::kNotFound, "user");
    User& user = it->second;
    if (!expected.empty() && (user.password_hash != expected || user.disabled)) {
      return fail(Errc::kRevoked, "password changed meanwhile");
    }
    user.password_hash = std::string(hash);
    return {};
  }

  Result<void> do_set_disabled(std::string_view name, bool disabled) override {
    return change_user(name, [disabled](User& user) { user.disabled = disabled; });
  }

  Result<void> do_delete_user(std::string_view name, Timestamp reserved_until) override {
    std::lock_guard lock(mu_);
    if (users_.erase(std::string(name)) == 0) return fail(Errc::kNotFound, "user");
    std::erase_if(sessions_, [name](const auto& item) { return item.second.user == name; });
    Timestamp& until = reserved_[std::string(name)];
    until = std::max(until, reserved_until);
    return {};
  }

  Result<UserPage> do_list_user_page(const UserFilter& filter) override {
    std::lock_guard lock(mu_);
    UserPage page;
    auto it = filter.cursor.empty() ? users_.begin() : users_.upper_bound(filter.cursor);
    for (; it != users_.end(); ++it) {
      if (page.entries.size() == filter.limit) {
        page.next_cursor = page.entries.back().user.name;
        break;
      }
      UserSummary summary{.user = it->second};
      summary.user.password_hash.clear();
      const auto cutoff = revocations_.find(Key(RevocationKind::kUser, it->first));
      const Timestamp ended_before =
          cutoff == revocations_.end() ? Timestamp{} : cutoff->second.revocation.cutoff;
      for (const auto& [sid, session] : sessions_) {
        if (session.user == it->first && !session.revoked_at && session.expires_at > filter.now &&
            session.refreshed_at >= ended_before) {
          ++summary.sessions;
        }
      }
      page.entries.push_back(std::move(summary));
    }
    return page;
  }

  Result<std::uint64_t> do_append_audit(const AuditEvent& event) override {
    std::lock_guard lock(mu_);
    AuditEvent& stored = audit_.emplace_back(event);
    stored.id = audit_.size();  // ids are 1, 2, ...: the position plus one
    return stored.id;
  }

  Result<AuditPage> do_list_audit(const AuditFilter& filter,
                                  std::optional<std::uint64_t> before) override {
    std::lock_guard lock(mu_);
    AuditPage page;
    for (auto it = audit_.rbegin(); it != audit_.rend(); ++it) {
      if (before && it->id >= *before) continue;
      if (!filter.subject.empty() && it->subject != filter.subject) continue;
      if (page.entries.size() == filter.limit) {
        page.next_cursor = stores::cursor_for(static_cast<std::int64_t>(page.entries.back().id));
        break;
      }
      page.entries.push_back(*it);
    }
    return page;
  }

  Result<std::vector<User>> do_list_users() override {
    std::lock_guard lock(mu_);
    std::vector<User> out;
    for (const auto& [name, user] : users_) out.push_back(user);
    return out;
  }

  Result<Timestamp> do_raise_token_horizon(Timestamp at) override {
    std::lock_guard lock(mu_);
    horizon_ = std::max(horizon_, at);
    return horizon_;
  }

  Result<void> do_ping() override { return {}; }

  Result<std::vector<StatusRef>> do_allocate_status(const std::vector<StatusEntry>& entries,
                                                    const StatusListSpec& spec) override {
    std::lock_guard lock(mu_);
    return status_.allocate(entries, spec, covered_locked());
  }

  Result<std::optional<StatusListState>> do_find_status_list(std::uint64_t id) override {
    std::lock_guard lock(mu_);
    return status_.find(id);
  }

 private:
  Result<void> change_user(std::string_view name, const std::function<void(User&)>& change) {
    std::lock_guard lock(mu_);
    auto it = users_.find(std::string(name));
    if (it == users_.end()) return fail(Errc::kNotFound, "user");
    change(it->second);
    return {};
  }

  Result<std::uint64_t> revoke_locked(const Revocation& revocation) {
    auto [it, inserted] =
        revocations_.try_emplace(Key(revocation.kind, revocation.key), Row{0, revocation});
    std::optional<Timestamp> previous_cutoff;
    if (inserted) {
      it->second.id = next_row_id_++;
    } else {
      previous_cutoff = it->second.revocation.cutoff;
      stores::merge_into(it->second.revocation, revocation);
    }
    status_.cover(it->second.revocation, previous_cutoff);
    const std::uint64_t seq = next_seq_++;
    append(stores::revoke_change(it->second.revocation, seq), revocation.revoked_at);
    return seq;
  }

  // Whether a revocation held now covers the entry (the caller holds mu_).
  stores::MemoryStatusLists::Covered covered_locked() const {
    return [this](const StatusEntry& entry) {
      if (revocations_.contains(Key(RevocationKind::kToken, entry.jti))) return true;
      if (!entry.session.empty() &&
          revocations_.contains(Key(RevocationKind::kSession, entry.session))) {
        return true;
      }
      auto user = revocations_.find(Key(RevocationKind::kUser, entry.user));
      return user != revocations_.end() && entry.issued_at < user->second.revocation.cutoff;
    };
  }

  void append(Change change, Timestamp time) {
    feed_.emplace_back(time, std::move(change));
    changed_.notify_all();
  }

  Timestamp horizon_{};
  std::mutex mu_;
  std::condition_variable changed_;
  std::map<Key, Row> revocations_;
  std::map<std::string, Session> sessions_;  // ordered: list output is stable
  std::map<std::string, User> users_;
  std::map<std::string, Timestamp> reserved_;      // deleted users' names, until
  std::vector<AuditEvent> audit_;                  // in id order
  std::deque<std::pair<Timestamp, Change>> feed_;  // dated, in seq order
  std::uint64_t purged_through_ = 0;               // the last seq purged from feed_
  std::uint64_t next_seq_ = 1;
  std::int64_t next_row_id_ = 1;
  stores::MemoryStatusLists status_;  // kept true to revocations_ under mu_
};

}  // namespace

std::unique_ptr<Store> open_memory_store() { return std::make_unique<MemoryStore>(); }

}  // namespace jwtguard
