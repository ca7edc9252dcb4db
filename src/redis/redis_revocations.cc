#include "redis_revocations.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "redis_feed.h"
#include "redis_keys.h"
#include "redis_records.h"
#include "store/store_rules.h"
#include "util/try.h"

namespace jwtguard::redis {
namespace {

using std::chrono::milliseconds;
constexpr std::size_t kBatch = RedisDb::kBatch;

// A chunk of the row index, newest first: members and their rows.
struct Rows {
  std::vector<std::string> members;
  std::vector<std::int64_t> rows;
};

Result<Rows> read_rows(Connection& c, const std::string& below, std::size_t count) {
  JWTGUARD_ASSIGN_OR_RETURN(const Reply range,
                            call(c, Command("ZREVRANGEBYSCORE")
                                        .arg(kRevRows)
                                        .arg(below)
                                        .arg("-inf")
                                        .arg("WITHSCORES")
                                        .arg("LIMIT")
                                        .arg("0")
                                        .arg(static_cast<std::uint64_t>(count))));
  Rows out;
  for (std::size_t i = 0; i + 1 < range->elements; i += 2) {
    auto row = parse_score(text_of(*range->element[i + 1]));
    if (!row) return unexpected_reply("ZREVRANGEBYSCORE");
    out.members.emplace_back(text_of(*range->element[i]));
    out.rows.push_back(*row);
  }
  return out;
}

// A ZREVRANGEBYSCORE bound: the scores below `row`, exclusive.
std::string below_row(std::int64_t row) {
  std::string out = "(";
  out += std::to_string(row);
  return out;
}

RevocationPage page_of(std::vector<std::pair<std::int64_t, Revocation>>& matched,
                       std::size_t limit) {
  RevocationPage page;
  for (std::size_t i = 0; i < matched.size() && i < limit; ++i) {
    page.entries.push_back(std::move(matched[i].second));
  }
  if (matched.size() > limit) page.next_cursor = stores::cursor_for(matched[limit - 1].first);
  return page;
}

}  // namespace

Result<std::uint64_t> Revocations::write(const Revocation& r, bool mark_session) {
  JWTGUARD_ASSIGN_OR_RETURN(
      const Reply reply, db_.eval(scripts::revoke(r, mark_session, db_.options().feed_max_length)));
  if (reply->type != REDIS_REPLY_INTEGER) return unexpected_reply(scripts::kRevoke.name);
  return static_cast<std::uint64_t>(reply->integer);
}

Result<bool> Revocations::unrevoke(RevocationKind kind, std::string_view key, Timestamp now) {
  JWTGUARD_ASSIGN_OR_RETURN(const Reply reply, db_.eval(scripts::unrevoke(
                                                   kind, key, now, db_.options().feed_max_length)));
  JWTGUARD_ASSIGN_OR_RETURN(const auto existed_and_seq,
                            elements_of(*reply, 2, scripts::kUnrevoke.name));
  return existed_and_seq[0]->integer > 0;
}

Result<std::optional<Revocation>> Revocations::find(RevocationKind kind, std::string_view key) {
  return db_.find_record(kRevPrefix, member(kind, key), &read_revocation);
}

Result<RevocationPage> Revocations::list(const RevocationFilter& filter,
                                         std::optional<std::int64_t> start) {
  JWTGUARD_ASSIGN_OR_RETURN(const Pool::Lease c, db_.acquire());
  // Newest first from the row index, a chunk at a time, until one entry more
  // than the page matched (then there is a next page) or the index ends.
  std::string below = start ? below_row(*start) : "+inf";
  const std::size_t chunk = std::max(filter.limit + 1, kBatch);
  std::vector<std::pair<std::int64_t, Revocation>> matched;
  std::vector<std::string> dangling;
  while (matched.size() <= filter.limit) {
    JWTGUARD_ASSIGN_OR_RETURN(const Rows chunk_rows, read_rows(*c, below, chunk));
    const auto& [members, rows] = chunk_rows;
    JWTGUARD_ASSIGN_OR_RETURN(auto found,
                              db_.read_records(*c, kRevPrefix, members, &read_revocation));
    for (std::size_t i = 0; i < members.size() && matched.size() <= filter.limit; ++i) {
      if (!found[i]) {
        dangling.push_back(members[i]);
      } else if (stores::matches(*found[i], filter)) {
        matched.emplace_back(rows[i], std::move(*found[i]));
      }
    }
    if (members.size() < chunk) break;
    below = below_row(rows.back());
  }
  db_.drop_dangling(*c, kRevRows, kRevPrefix, dangling);
  return page_of(matched, filter.limit);
}

Result<ChangeBatch> Revocations::changes_since(std::uint64_t after, std::size_t limit,
                                               milliseconds max_wait) {
  if (limit == 0) {
    ChangeBatch none;
    none.last_seq = after;
    return none;
  }
  if (max_wait > milliseconds(0)) return wait_for_changes(after, limit, max_wait);
  JWTGUARD_ASSIGN_OR_RETURN(const Pool::Lease c, db_.acquire());
  if (db_.other_server(*c)) return gap_at(after);
  return read_feed(*c, after, limit);
}

Result<ChangeBatch> Revocations::wait_for_changes(std::uint64_t after, std::size_t limit,
                                                  milliseconds max_wait) {
  std::lock_guard lock(feed_mu_);
  if (feed_ && (feed_->broken() || feed_->closed_by_peer())) feed_.reset();
  if (!feed_) {
    JWTGUARD_ASSIGN_OR_RETURN(Connection opened, db_.connector().connect());
    feed_.emplace(std::move(opened));
  }
  if (db_.other_server(*feed_)) return gap_at(after);
  auto batch =
      wait_for_feed(*feed_, after, limit, max_wait, db_.connector().settings().command_timeout);
  if (feed_->broken()) feed_.reset();
  return batch;
}

Result<std::size_t> Revocations::purge(Timestamp now, std::chrono::seconds feed_retention) {
  JWTGUARD_ASSIGN_OR_RETURN(const Pool::Lease c, db_.acquire());
  std::size_t removed = 0;
  for (;;) {
    JWTGUARD_ASSIGN_OR_RETURN(const Reply reply, db_.eval(*c, scripts::purge(now, kBatch)));
    JWTGUARD_ASSIGN_OR_RETURN(const auto counts, elements_of(*reply, 3, scripts::kPurge.name));
    const auto revocations = static_cast<std::size_t>(counts[0]->integer);
    const auto sessions = static_cast<std::size_t>(counts[1]->integer);
    const auto reservations = static_cast<std::size_t>(counts[2]->integer);
    removed += revocations;
    if (revocations < kBatch && sessions < kBatch && reservations < kBatch) break;
  }
  JWTGUARD_TRY(trim_feed(*c, now - feed_retention, kBatch));
  return removed;
}

Result<Store::Hits> Revocations::lookup(std::string_view jti, std::string_view sid,
                                        std::string_view user) {
  std::vector<Command> commands;
  if (!jti.empty()) {
    commands.push_back(
        std::move(Command("EXISTS").arg(kRevPrefix + member(RevocationKind::kToken, jti))));
  }
  if (!sid.empty()) {
    commands.push_back(
        std::move(Command("EXISTS").arg(kRevPrefix + member(RevocationKind::kSession, sid))));
  }
  if (!user.empty()) {
    commands.push_back(std::move(
        Command("HGET").arg(kRevPrefix + member(RevocationKind::kUser, user)).arg("cutoff")));
  }
  Store::Hits hits;
  if (commands.empty()) return hits;
  JWTGUARD_ASSIGN_OR_RETURN(const Pool::Lease c, db_.acquire());
  JWTGUARD_ASSIGN_OR_RETURN(const std::vector<Reply> replies, call_all(*c, commands));
  std::size_t next = 0;
  if (!jti.empty()) hits.token = replies[next++]->integer > 0;
  if (!sid.empty()) hits.session = replies[next++]->integer > 0;
  if (!user.empty() && replies[next]->type != REDIS_REPLY_NIL) {
    auto cutoff = parse_int(text_of(*replies[next]));
    if (!cutoff) return unexpected_reply("HGET cutoff");
    hits.cutoff = Timestamp(std::chrono::microseconds(*cutoff));
  }
  return hits;
}

}  // namespace jwtguard::redis
