// The "redis://" store.
//
// Data model (every key starts with "jwtguard:"; times are decimal
// microseconds since the epoch; a revocation's index member is "<t|s|u>:KEY"
// for a token, session or user revocation):
//
//   rev:<member>              hash: cutoff, expires, revoked_at, type, user,
//                             session, revoked_by, reason, row. Redis expires
//                             it at `expires` (PEXPIREAT), the exp of the
//                             token it blocks: each revocation gets its own
//                             expiry, unlike one TTL for every token type.
//   idx:rev-expiry            zset member -> expires: snapshot and purge.
//   idx:rev-rows              zset member -> row: listing, newest first; the
//                             row (from the counter `rows`) is the cursor.
//   seq, feed                 the change feed: a counter and a stream whose
//                             ids are "<seq>-1", so stream ids are the
//                             contract's contiguous seqs, trimmed to about
//                             feed_max_length entries and by purge's retention.
//   sess:<sid>                hash, expired by Redis at the session's expiry.
//   idx:sess-expiry           zset sid -> expires_at: purge.
//   idx:user-sessions:<user>  zset sid -> created_at: list_sessions. It expires
//                             with the longest session in it.
//   user:<name>, idx:users    hash, and a zset of names (score 0: by name).
//
// Redis expires keys by its own clock, but the contract's purge(now) must
// honour a `now` of the caller's: purge deletes by the indexes, explicitly.
// An index member whose key Redis expired already is dangling until purge
// (or a listing) removes it; readers skip dangling members.
//
// Every write that must be atomic is one Lua script (redis_scripts.h), run
// with EVALSHA, and EVAL when Redis answers NOSCRIPT (its script cache is
// empty after a restart). A write is acknowledged only once Redis replied;
// how durable that is depends on Redis's persistence, checked at open
// (redis_persistence.h). Reads use plain commands, pipelined where several
// are needed.
//
// Connections (redis_client.h): a pool for reads and writes, and one
// dedicated connection for blocking feed reads (XREAD BLOCK), so that a
// follower waiting on the feed never holds a pooled connection.
//
// A Redis that lost data (a restart with RDB only, or with AOF everysec
// after a crash of its host; a failover to a replica that lagged) gives the
// lost seqs again to new changes: a follower past the point the data went
// back to would skip those silently. Each connection reads the server's
// run_id when it opens, which changes at every restart and failover; the
// feed reports a gap whenever it is read from another server than the one
// the last snapshot came from, until a snapshot is taken there. Restarts
// that lost nothing cost a reload too: the run_id cannot tell them apart.
#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "jwtguard/store.h"
#include "redis_client.h"
#include "redis_feed.h"
#include "redis_persistence.h"
#include "redis_records.h"
#include "redis_scripts.h"
#include "redis_url.h"
#include "store/store_rules.h"
#include "util/try.h"

namespace jwtguard::redis {
namespace {

using std::chrono::milliseconds;

// Reads of many records go in pipelines of this many commands; scripts that
// loop do this many items per call, so that none blocks Redis for long.
constexpr std::size_t kBatch = 500;

class RedisStore final : public Store {
 public:
  RedisStore(Settings settings, const RedisOptions& options)
      : options_(options),
        connector_(std::move(settings)),
        pool_(connector_, options.connections) {}

  // Connects, checks Redis's persistence and loads the scripts.
  Result<void> start();

  Result<std::uint64_t> do_revoke(const Revocation& revocation) override {
    return write_revocation(revocation, false);
  }

  Result<std::uint64_t> do_revoke_session(const Revocation& revocation) override {
    return write_revocation(revocation, true);
  }

  Result<bool> do_unrevoke(RevocationKind kind, std::string_view key, Timestamp now) override;
  Result<std::optional<Revocation>> do_find_revocation(RevocationKind kind,
                                                       std::string_view key) override;
  Result<RevocationPage> do_list_revocations(const RevocationFilter& filter,
                                             std::optional<std::int64_t> start) override;
  Result<Snapshot> do_snapshot(Timestamp now) override;
  Result<ChangeBatch> do_changes_since(std::uint64_t after, std::size_t limit,
                                       milliseconds max_wait) override;
  Result<std::size_t> do_purge(Timestamp now, std::chrono::seconds feed_retention) override;

  Result<void> do_create_session(const Session& session) override;
  Result<std::optional<Session>> do_find_session(std::string_view sid) override;
  Result<std::vector<Session>> do_list_sessions(std::string_view user, Timestamp now) override;
  Result<Rotation> do_rotate_refresh(std::string_view sid, std::string_view presented_jti,
                                     std::string_view next_jti, Timestamp now,
                                     Timestamp next_expires_at) override;

  Result<void> do_create_user(const User& user) override;
  Result<std::optional<User>> do_find_user(std::string_view name) override;
  Result<void> do_set_admin(std::string_view name, bool admin) override;
  Result<std::vector<User>> do_list_users() override;

  Result<Timestamp> do_raise_token_horizon(Timestamp at) override;

  Result<Hits> do_lookup(std::string_view jti, std::string_view sid,
                         std::string_view user) override;
  Result<void> do_ping() override;

 private:
  using Script = scripts::Script;

  Result<std::uint64_t> write_revocation(const Revocation& r, bool mark_session);

  // EVALSHA, or EVAL when Redis lost its script cache: NOSCRIPT means the
  // script did not run, so sending it again cannot apply it twice.
  Result<Reply> eval(Connection& c, const Script& script, std::vector<std::string> keys,
                     std::vector<std::string> args);
  // One command, or one script, on a connection of the pool.
  Result<Reply> call_pooled(const Command& command);
  Result<Reply> eval(const Script& script, std::vector<std::string> keys,
                     std::vector<std::string> args);
  // A script answering 1 (done) or 0 (nothing to do: taken, or not found).
  Result<bool> eval_flag(const Script& script, std::vector<std::string> keys,
                         std::vector<std::string> args);
  // The record in the hash `key`, read by `read(fields)`; nullopt when the
  // key is gone.
  template <typename T, typename Read>
  Result<std::optional<T>> find_record(const std::string& key, Read read);
  // Many hashes in one round trip per kBatch; an empty Fields for a missing key.
  Result<std::vector<Reply>> read_hashes(Connection& c, const std::string& prefix,
                                         std::span<const std::string> names);
  // The revocations of these index members, in order; nullopt where the key
  // is gone.
  Result<std::vector<std::optional<Revocation>>> read_revocations(
      Connection& c, std::span<const std::string> members);
  // Best effort: the index entries left by keys Redis expired.
  void drop_dangling(Connection& c, const std::string& index, const std::string& prefix,
                     std::vector<std::string> members);

  Result<ChangeBatch> wait_for_changes(std::uint64_t after, std::size_t limit,
                                       milliseconds max_wait);

  // Whether positions in the feed (which come from snapshots of the server
  // whose run_id is synced_run_id_, and from feed reads there) mean nothing
  // on the server `c` reached.
  bool other_server(const Connection& c);
  void synced_with(const Connection& c);

  // Fails for a Redis older than 7.0 (the scripts use PEXPIREAT NX/GT, the
  // feed XTRIM MINID); warns when INFO is refused and nothing can be checked.
  Result<void> check_server(const Connection& c);

  void warn(const std::string& message) const;

  const RedisOptions options_;
  Connector connector_;
  Pool pool_;
  // The scripts' full sources and SHA1s, by script: filled by start(), then
  // read-only.
  struct Loaded {
    std::string source;
    std::string sha;
  };
  std::unordered_map<const Script*, Loaded> scripts_;

  std::mutex feed_mu_;  // the feed connection, for blocking reads
  std::optional<Connection> feed_;

  std::mutex synced_mu_;
  std::string synced_run_id_;
};

constexpr std::array<const scripts::Script*, 9> kScripts = {
    &scripts::kRevoke, &scripts::kUnrevoke,     &scripts::kCreateSession,
    &scripts::kRotate, &scripts::kCreateUser,   &scripts::kSetAdmin,
    &scripts::kPurge,  &scripts::kDropDangling, &scripts::kRaiseHorizon};

Result<void> RedisStore::start() {
  auto c = pool_.acquire();
  if (!c) return tl::unexpected(c.error());
  JWTGUARD_TRY(check_server(**c));
  synced_with(**c);
  auto report = inspect_persistence(**c);
  if (!report) return tl::unexpected(report.error());
  if (report->unsafe && options_.require_persistence) {
    return fail(Errc::kStore, report->warnings.front() +
                                  " (refusing to open: RedisOptions::require_persistence is set)");
  }
  for (const std::string& warning : report->warnings) warn(warning);
  for (const Script* script : kScripts) {
    Loaded loaded{script->source(), ""};
    auto reply = call(**c, Command("SCRIPT").arg("LOAD").arg(loaded.source).label(script->name));
    if (!reply) return tl::unexpected(reply.error());
    loaded.sha = std::string(text_of(**reply));
    scripts_.emplace(script, std::move(loaded));
  }
  return {};
}

Result<void> RedisStore::check_server(const Connection& c) {
  const std::string& version = c.server().version;
  if (version.empty()) {
    warn("redis at " + c.address() +
         " refuses INFO, so jwtguard can neither check its version (7.0 or later is needed) nor "
         "notice that Redis restarted and lost changes that followers had already passed; "
         "allow INFO for jwtguard's user");
    return {};
  }
  if (!version_at_least(version, 7, 0)) {
    return fail(Errc::kStore, "redis at " + c.address() +
                                  ": jwtguard needs Redis 7.0 or later (found " + version + ")");
  }
  return {};
}

bool RedisStore::other_server(const Connection& c) {
  std::lock_guard lock(synced_mu_);
  return c.server().run_id != synced_run_id_;
}

void RedisStore::synced_with(const Connection& c) {
  std::lock_guard lock(synced_mu_);
  synced_run_id_ = c.server().run_id;
}

void RedisStore::warn(const std::string& message) const {
  if (options_.warn) {
    options_.warn(message);
  } else {
    std::fprintf(stderr, "jwtguard: warning: %s\n", message.c_str());
  }
}

Result<Reply> RedisStore::eval(Connection& c, const Script& script, std::vector<std::string> keys,
                               std::vector<std::string> args) {
  auto command = [&](std::string_view verb, std::string_view body) {
    Command out(verb);
    out.label(script.name).arg(body).arg(static_cast<std::int64_t>(keys.size()));
    for (const auto& key : keys) out.arg(key);
    for (const auto& arg : args) out.arg(arg);
    return out;
  };
  const auto found = scripts_.find(&script);
  if (found == scripts_.end()) {
    return fail(Errc::kStore, std::string(script.name) + " is not among the scripts loaded");
  }
  const Loaded& loaded = found->second;
  const Command evalsha = command("EVALSHA", loaded.sha);
  auto reply = c.run(evalsha);
  if (!reply) return reply;
  if ((*reply)->type == REDIS_REPLY_ERROR &&
      std::string_view((*reply)->str, (*reply)->len).starts_with("NOSCRIPT")) {
    return call(c, command("EVAL", loaded.source));
  }
  JWTGUARD_TRY(check(c, evalsha, **reply));
  return reply;
}

Result<Reply> RedisStore::call_pooled(const Command& command) {
  auto c = pool_.acquire();
  if (!c) return tl::unexpected(c.error());
  return call(**c, command);
}

Result<Reply> RedisStore::eval(const Script& script, std::vector<std::string> keys,
                               std::vector<std::string> args) {
  auto c = pool_.acquire();
  if (!c) return tl::unexpected(c.error());
  return eval(**c, script, std::move(keys), std::move(args));
}

Result<bool> RedisStore::eval_flag(const Script& script, std::vector<std::string> keys,
                                   std::vector<std::string> args) {
  auto reply = eval(script, std::move(keys), std::move(args));
  if (!reply) return tl::unexpected(reply.error());
  if ((*reply)->type != REDIS_REPLY_INTEGER) return unexpected_reply(script.name);
  return (*reply)->integer != 0;
}

template <typename T, typename Read>
Result<std::optional<T>> RedisStore::find_record(const std::string& key, Read read) {
  auto reply = call_pooled(Command("HGETALL").arg(key));
  if (!reply) return tl::unexpected(reply.error());
  const Fields fields(**reply);
  if (fields.empty()) return std::optional<T>();
  auto record = read(fields);
  if (!record) return tl::unexpected(record.error());
  return std::optional<T>(std::move(*record));
}

Result<std::vector<Reply>> RedisStore::read_hashes(Connection& c, const std::string& prefix,
                                                   std::span<const std::string> names) {
  std::vector<Reply> out;
  for (std::size_t at = 0; at < names.size(); at += kBatch) {
    std::vector<Command> commands;
    for (std::size_t i = at; i < std::min(names.size(), at + kBatch); ++i) {
      commands.push_back(std::move(Command("HGETALL").arg(prefix + names[i])));
    }
    auto replies = call_all(c, commands);
    if (!replies) return tl::unexpected(replies.error());
    for (Reply& reply : *replies) out.push_back(std::move(reply));
  }
  return out;
}

Result<std::vector<std::optional<Revocation>>> RedisStore::read_revocations(
    Connection& c, std::span<const std::string> members) {
  auto hashes = read_hashes(c, kRevPrefix, members);
  if (!hashes) return tl::unexpected(hashes.error());
  std::vector<std::optional<Revocation>> out;
  for (std::size_t i = 0; i < members.size(); ++i) {
    const Fields fields(*(*hashes)[i]);
    if (fields.empty()) {
      out.emplace_back();
      continue;
    }
    auto r = read_revocation(members[i], fields);
    if (!r) return tl::unexpected(r.error());
    out.emplace_back(std::move(*r));
  }
  return out;
}

void RedisStore::drop_dangling(Connection& c, const std::string& index, const std::string& prefix,
                               std::vector<std::string> members) {
  for (std::size_t at = 0; at < members.size(); at += kBatch) {
    std::vector<std::string> args = {prefix};
    const auto end =
        members.begin() + static_cast<std::ptrdiff_t>(std::min(members.size(), at + kBatch));
    args.insert(args.end(), members.begin() + static_cast<std::ptrdiff_t>(at), end);
    // A failure leaves the entries for the next listing or purge.
    if (!eval(c, scripts::kDropDangling, {index}, std::move(args))) return;
  }
}

// --- Revocations ----------------------------------------------------------------------

Result<std::uint64_t> RedisStore::write_revocation(const Revocation& r, bool mark_session) {
  auto c = pool_.acquire();
  if (!c) return tl::unexpected(c.error());
  const std::string m = member(r.kind, r.key);
  auto reply =
      eval(**c, scripts::kRevoke,
           {kSeq, kFeed, kRevPrefix + m, kRevExpiry, kRevRows, kRowCounter, kSessPrefix + r.key},
           {std::to_string(options_.feed_max_length), m, std::string(revocation_kind_name(r.kind)),
            r.key, micros(r.cutoff), micros(r.expires_at), millis_up(r.expires_at),
            micros(r.revoked_at), r.token_type ? std::string(token_type_name(*r.token_type)) : "",
            r.user, r.session, r.revoked_by, r.reason, mark_session ? "1" : "0"});
  if (!reply) return tl::unexpected(reply.error());
  if ((*reply)->type != REDIS_REPLY_INTEGER) return unexpected_reply(scripts::kRevoke.name);
  return static_cast<std::uint64_t>((*reply)->integer);
}

Result<bool> RedisStore::do_unrevoke(RevocationKind kind, std::string_view key, Timestamp now) {
  auto c = pool_.acquire();
  if (!c) return tl::unexpected(c.error());
  const std::string m = member(kind, key);
  auto reply =
      eval(**c, scripts::kUnrevoke,
           {kSeq, kFeed, kRevPrefix + m, kRevExpiry, kRevRows, kSessPrefix + std::string(key)},
           {std::to_string(options_.feed_max_length), m, std::string(revocation_kind_name(kind)),
            std::string(key), micros(now), kind == RevocationKind::kSession ? "1" : "0"});
  if (!reply) return tl::unexpected(reply.error());
  if ((*reply)->type != REDIS_REPLY_ARRAY || (*reply)->elements != 2) {
    return unexpected_reply(scripts::kUnrevoke.name);
  }
  return (*reply)->element[0]->integer > 0;
}

Result<std::optional<Revocation>> RedisStore::do_find_revocation(RevocationKind kind,
                                                                 std::string_view key) {
  const std::string m = member(kind, key);
  return find_record<Revocation>(kRevPrefix + m,
                                 [&](const Fields& fields) { return read_revocation(m, fields); });
}

Result<RevocationPage> RedisStore::do_list_revocations(const RevocationFilter& filter,
                                                       std::optional<std::int64_t> start) {
  auto c = pool_.acquire();
  if (!c) return tl::unexpected(c.error());
  // Newest first from the row index, a chunk at a time, until one entry more
  // than the page matched (then there is a next page) or the index ends.
  std::string below = start ? "(" + std::to_string(*start) : "+inf";
  const std::size_t chunk = std::max(filter.limit + 1, kBatch);
  std::vector<std::pair<std::int64_t, Revocation>> matched;
  std::vector<std::string> dangling;
  while (matched.size() <= filter.limit) {
    auto range = call(**c, Command("ZREVRANGEBYSCORE")
                               .arg(kRevRows)
                               .arg(below)
                               .arg("-inf")
                               .arg("WITHSCORES")
                               .arg("LIMIT")
                               .arg("0")
                               .arg(static_cast<std::uint64_t>(chunk)));
    if (!range) return tl::unexpected(range.error());
    std::vector<std::string> members;
    std::vector<std::int64_t> rows;
    for (std::size_t i = 0; i + 1 < (*range)->elements; i += 2) {
      auto row = parse_score(text_of(*(*range)->element[i + 1]));
      if (!row) return unexpected_reply("ZREVRANGEBYSCORE");
      members.emplace_back(text_of(*(*range)->element[i]));
      rows.push_back(*row);
    }
    auto found = read_revocations(**c, members);
    if (!found) return tl::unexpected(found.error());
    for (std::size_t i = 0; i < members.size() && matched.size() <= filter.limit; ++i) {
      if (!(*found)[i]) {
        dangling.push_back(members[i]);
      } else if (stores::matches(*(*found)[i], filter)) {
        matched.emplace_back(rows[i], std::move(*(*found)[i]));
      }
    }
    if (members.size() < chunk) break;
    below = "(" + std::to_string(rows.back());
  }
  drop_dangling(**c, kRevRows, kRevPrefix, std::move(dangling));
  RevocationPage page;
  for (std::size_t i = 0; i < matched.size() && i < filter.limit; ++i) {
    page.entries.push_back(std::move(matched[i].second));
  }
  if (matched.size() > filter.limit) {
    page.next_cursor = stores::cursor_for(matched[filter.limit - 1].first);
  }
  return page;
}

// The sequence is read before the entries, and the two reads are not one
// transaction: a change committed in between may or may not show in the
// entries, but it is after `seq`, so the follower replays it from the feed.
// Replaying is idempotent: a revoke carries the whole merged entry and an
// un-revoke removes it, so after the replay every key touched meanwhile is
// as its last change left it, and every other key as the entries show it.
// The entries are read with ZSCAN, which returns every member present for
// the whole scan at least once (duplicates are dropped): paging by offset
// would skip live entries when an un-revoke shifts the ones before them.
Result<Snapshot> RedisStore::do_snapshot(Timestamp now) {
  auto c = pool_.acquire();
  if (!c) return tl::unexpected(c.error());
  Snapshot out;
  auto seq = read_seq(**c);
  if (!seq) return tl::unexpected(seq.error());
  out.seq = *seq;
  std::unordered_set<std::string> seen;
  std::string cursor = "0";
  do {
    auto scan = call(**c, Command("ZSCAN")
                              .arg(kRevExpiry)
                              .arg(cursor)
                              .arg("COUNT")
                              .arg(static_cast<std::uint64_t>(kBatch)));
    if (!scan) return tl::unexpected(scan.error());
    if ((*scan)->type != REDIS_REPLY_ARRAY || (*scan)->elements != 2) {
      return unexpected_reply("ZSCAN");
    }
    cursor = std::string(text_of(*(*scan)->element[0]));
    const redisReply& items = *(*scan)->element[1];
    std::vector<std::string> members;
    for (std::size_t i = 0; i + 1 < items.elements; i += 2) {
      auto expires = parse_score(text_of(*items.element[i + 1]));
      std::string m(text_of(*items.element[i]));
      if (expires && *expires > now.time_since_epoch().count() && seen.insert(m).second) {
        members.push_back(std::move(m));
      }
    }
    auto found = read_revocations(**c, members);
    if (!found) return tl::unexpected(found.error());
    for (const auto& r : *found) {
      // Skipped: un-revoked or expired meanwhile.
      if (r && r->expires_at > now) out.entries.push_back(stores::revoke_change(*r, 0));
    }
  } while (cursor != "0");
  synced_with(**c);
  return out;
}

// --- The feed -------------------------------------------------------------------------

Result<ChangeBatch> RedisStore::do_changes_since(std::uint64_t after, std::size_t limit,
                                                 milliseconds max_wait) {
  if (limit == 0) {
    ChangeBatch none;
    none.last_seq = after;
    return none;
  }
  if (max_wait > milliseconds(0)) return wait_for_changes(after, limit, max_wait);
  auto c = pool_.acquire();
  if (!c) return tl::unexpected(c.error());
  if (other_server(**c)) return gap_at(after);
  return read_feed(**c, after, limit);
}

Result<ChangeBatch> RedisStore::wait_for_changes(std::uint64_t after, std::size_t limit,
                                                 milliseconds max_wait) {
  std::lock_guard lock(feed_mu_);
  if (feed_ && (feed_->broken() || feed_->closed_by_peer())) feed_.reset();
  if (!feed_) {
    auto opened = connector_.connect();
    if (!opened) return tl::unexpected(opened.error());
    feed_.emplace(std::move(*opened));
  }
  if (other_server(*feed_)) return gap_at(after);
  auto batch = wait_for_feed(*feed_, after, limit, max_wait, connector_.settings().command_timeout);
  if (feed_->broken()) feed_.reset();
  return batch;
}

Result<std::size_t> RedisStore::do_purge(Timestamp now, std::chrono::seconds feed_retention) {
  auto c = pool_.acquire();
  if (!c) return tl::unexpected(c.error());
  std::size_t removed = 0;
  for (;;) {
    auto reply = eval(**c, scripts::kPurge, {kRevExpiry, kRevRows, kSessExpiry},
                      {micros(now), std::to_string(kBatch), kPrefix});
    if (!reply) return tl::unexpected(reply.error());
    if ((*reply)->type != REDIS_REPLY_ARRAY || (*reply)->elements != 2) {
      return unexpected_reply(scripts::kPurge.name);
    }
    const auto revocations = static_cast<std::size_t>((*reply)->element[0]->integer);
    const auto sessions = static_cast<std::size_t>((*reply)->element[1]->integer);
    removed += revocations;
    if (revocations < kBatch && sessions < kBatch) break;
  }
  JWTGUARD_TRY(trim_feed(**c, now - feed_retention, kBatch));
  return removed;
}

// --- Sessions -------------------------------------------------------------------------

Result<void> RedisStore::do_create_session(const Session& s) {
  auto created = eval_flag(
      scripts::kCreateSession, {kSessPrefix + s.sid, kSessExpiry, kUserSessPrefix + s.user},
      {s.sid, s.user, micros(s.created_at), micros(s.refreshed_at), micros(s.expires_at),
       millis_up(s.expires_at), s.client_address, s.user_agent, s.refresh_jti,
       s.revoked_at ? micros(*s.revoked_at) : ""});
  if (!created) return tl::unexpected(created.error());
  if (!*created) return fail(Errc::kAlreadyExists, "session");
  return {};
}

Result<std::optional<Session>> RedisStore::do_find_session(std::string_view sid) {
  return find_record<Session>(kSessPrefix + std::string(sid),
                              [&](const Fields& fields) { return read_session(sid, fields); });
}

Result<std::vector<Session>> RedisStore::do_list_sessions(std::string_view user, Timestamp now) {
  auto c = pool_.acquire();
  if (!c) return tl::unexpected(c.error());
  const std::string index = kUserSessPrefix + std::string(user);
  // By created_at, then sid, both descending: the order the contract asks.
  auto range = call(**c, Command("ZREVRANGE").arg(index).arg("0").arg("-1"));
  if (!range) return tl::unexpected(range.error());
  const std::vector<std::string> sids = texts_of(**range);
  auto hashes = read_hashes(**c, kSessPrefix, sids);
  if (!hashes) return tl::unexpected(hashes.error());
  std::vector<Session> out;
  std::vector<std::string> dangling;
  for (std::size_t i = 0; i < sids.size(); ++i) {
    const Fields fields(*(*hashes)[i]);
    if (fields.empty()) {
      dangling.push_back(sids[i]);
      continue;
    }
    auto session = read_session(sids[i], fields);
    if (!session) return tl::unexpected(session.error());
    if (session->user == user && !session->revoked_at && session->expires_at > now) {
      out.push_back(std::move(*session));
    }
  }
  drop_dangling(**c, index, kSessPrefix, std::move(dangling));
  return out;
}

Result<Rotation> RedisStore::do_rotate_refresh(std::string_view sid, std::string_view presented_jti,
                                               std::string_view next_jti, Timestamp now,
                                               Timestamp next_expires_at) {
  auto reply =
      eval(scripts::kRotate, {kSessPrefix + std::string(sid), kSessExpiry},
           {std::string(sid), std::string(presented_jti), std::string(next_jti), micros(now),
            micros(next_expires_at), millis_up(next_expires_at), kUserSessPrefix});
  if (!reply) return tl::unexpected(reply.error());
  const std::string_view outcome = text_of(**reply);
  if (outcome == "rotated") return Rotation::kRotated;
  if (outcome == "reused") return Rotation::kReused;
  if (outcome == "revoked") return Rotation::kRevoked;
  if (outcome == "unknown") return Rotation::kUnknown;
  return unexpected_reply(scripts::kRotate.name);
}

// --- Users ----------------------------------------------------------------------------

Result<void> RedisStore::do_create_user(const User& user) {
  auto created =
      eval_flag(scripts::kCreateUser, {kUserPrefix + user.name, kUsers},
                {user.name, user.password_hash, user.admin ? "1" : "0", micros(user.created_at)});
  if (!created) return tl::unexpected(created.error());
  if (!*created) return fail(Errc::kAlreadyExists, "user");
  return {};
}

Result<std::optional<User>> RedisStore::do_find_user(std::string_view name) {
  return find_record<User>(kUserPrefix + std::string(name),
                           [&](const Fields& fields) { return read_user(name, fields); });
}

Result<void> RedisStore::do_set_admin(std::string_view name, bool admin) {
  auto found =
      eval_flag(scripts::kSetAdmin, {kUserPrefix + std::string(name)}, {admin ? "1" : "0"});
  if (!found) return tl::unexpected(found.error());
  if (!*found) return fail(Errc::kNotFound, "user");
  return {};
}

Result<Timestamp> RedisStore::do_raise_token_horizon(Timestamp at) {
  auto reply = eval(scripts::kRaiseHorizon, {kTokenHorizon},
                    {std::to_string(at.time_since_epoch().count())});
  if (!reply) return tl::unexpected(reply.error());
  if ((*reply)->type != REDIS_REPLY_STRING) return unexpected_reply(scripts::kRaiseHorizon.name);
  std::int64_t micros = 0;
  const std::string_view text((*reply)->str, (*reply)->len);
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), micros);
  if (error != std::errc() || end != text.data() + text.size()) {
    return unexpected_reply(scripts::kRaiseHorizon.name);
  }
  return Timestamp(std::chrono::microseconds(micros));
}

Result<std::vector<User>> RedisStore::do_list_users() {
  auto c = pool_.acquire();
  if (!c) return tl::unexpected(c.error());
  auto range = call(**c, Command("ZRANGE").arg(kUsers).arg("0").arg("-1"));
  if (!range) return tl::unexpected(range.error());
  const std::vector<std::string> names = texts_of(**range);
  auto hashes = read_hashes(**c, kUserPrefix, names);
  if (!hashes) return tl::unexpected(hashes.error());
  std::vector<User> out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const Fields fields(*(*hashes)[i]);
    if (fields.empty()) continue;
    auto user = read_user(names[i], fields);
    if (!user) return tl::unexpected(user.error());
    out.push_back(std::move(*user));
  }
  return out;
}

// --- Strict mode and health -------------------------------------------------------------

Result<Store::Hits> RedisStore::do_lookup(std::string_view jti, std::string_view sid,
                                          std::string_view user) {
  // One pipeline: strict mode asks on every check.
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
  Hits hits;
  if (commands.empty()) return hits;
  auto c = pool_.acquire();
  if (!c) return tl::unexpected(c.error());
  auto replies = call_all(**c, commands);
  if (!replies) return tl::unexpected(replies.error());
  std::size_t next = 0;
  if (!jti.empty()) hits.token = (*replies)[next++]->integer > 0;
  if (!sid.empty()) hits.session = (*replies)[next++]->integer > 0;
  if (!user.empty() && (*replies)[next]->type != REDIS_REPLY_NIL) {
    auto cutoff = parse_int(text_of(*(*replies)[next]));
    if (!cutoff) return unexpected_reply("HGET cutoff");
    hits.cutoff = Timestamp(std::chrono::microseconds(*cutoff));
  }
  return hits;
}

Result<void> RedisStore::do_ping() {
  auto reply = call_pooled(Command("PING"));
  if (!reply) return tl::unexpected(reply.error());
  if (text_of(**reply) != "PONG") return unexpected_reply("PING");
  return {};
}

}  // namespace
}  // namespace jwtguard::redis

namespace jwtguard {

Result<std::unique_ptr<Store>> open_redis_store(std::string_view url, const RedisOptions& options) {
  auto endpoint = redis::parse_url(url);
  if (!endpoint) return tl::unexpected(endpoint.error());
  if (options.connections == 0) {
    return fail(Errc::kInvalidArgument, "RedisOptions::connections must be at least 1");
  }
  if (options.feed_max_length == 0) {
    return fail(Errc::kInvalidArgument, "RedisOptions::feed_max_length must be at least 1");
  }
  if (options.connect_timeout <= std::chrono::milliseconds(0) ||
      options.command_timeout <= std::chrono::milliseconds(0)) {
    return fail(Errc::kInvalidArgument, "RedisOptions timeouts must be positive");
  }
  auto store = std::make_unique<redis::RedisStore>(
      redis::Settings{.endpoint = std::move(*endpoint),
                      .connect_timeout = options.connect_timeout,
                      .command_timeout = options.command_timeout},
      options);
  JWTGUARD_TRY(store->start());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace jwtguard
