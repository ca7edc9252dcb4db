#include "redis_feed.h"

#include <algorithm>
#include <array>

#include "redis_records.h"
#include "util/try.h"

namespace jwtguard::redis {
namespace {

struct FeedEntry {
  Change change;
  Timestamp date;
};

// The stream id of the change numbered `seq`.
std::string feed_id(std::uint64_t seq) { return std::to_string(seq) + "-1"; }

std::optional<std::uint64_t> seq_of_id(std::string_view id) {
  if (!id.ends_with("-1")) return std::nullopt;
  auto seq = parse_int(id.substr(0, id.size() - 2));
  if (!seq || *seq <= 0) return std::nullopt;
  return static_cast<std::uint64_t>(*seq);
}

Result<FeedEntry> read_entry(const redisReply& entry) {
  JWTGUARD_ASSIGN_OR_RETURN(const auto id_and_fields, elements_of(entry, 2, "XRANGE"));
  const std::string_view id = text_of(*id_and_fields[0]);
  const Fields f(*id_and_fields[1]);
  auto seq = seq_of_id(id);
  auto kind = parse_revocation_kind(f.get("kind"));
  auto cutoff = f.time("cutoff");
  auto expires = f.time("expires");
  auto date = f.time("date");
  const std::string_view op = f.get("op");
  if (!seq || !kind || !cutoff || !expires || !date || (op != "revoke" && op != "unrevoke")) {
    return fail(Errc::kStore, "redis: malformed feed entry " + std::string(id));
  }
  return FeedEntry{
      .change = Change{.seq = *seq,
                       .op = op == "revoke" ? Change::Op::kRevoke : Change::Op::kUnrevoke,
                       .kind = *kind,
                       .key = std::string(f.get("key")),
                       .cutoff = *cutoff,
                       .expires_at = *expires},
      .date = *date};
}

// XRANGE's reply, or one stream's entries in XREAD's.
Result<std::vector<FeedEntry>> read_entries(const redisReply& reply) {
  std::vector<FeedEntry> out;
  if (reply.type != REDIS_REPLY_ARRAY) return unexpected_reply("XRANGE");
  for (std::size_t i = 0; i < reply.elements; ++i) {
    JWTGUARD_ASSIGN_OR_RETURN(FeedEntry entry, read_entry(*reply.element[i]));
    out.push_back(std::move(entry));
  }
  return out;
}

// The batch for a follower at `after`, given the entries that follow it in
// the stream: seqs are contiguous, so a first entry other than after + 1
// means the ones between were trimmed.
ChangeBatch to_batch(std::uint64_t after, std::vector<FeedEntry>& entries) {
  if (!entries.empty() && entries.front().change.seq != after + 1) return gap_at(after);
  ChangeBatch batch;
  batch.last_seq = after;
  for (FeedEntry& entry : entries) batch.changes.push_back(std::move(entry.change));
  if (!batch.changes.empty()) batch.last_seq = batch.changes.back().seq;
  return batch;
}

Result<std::uint64_t> seq_from(const redisReply& reply) {
  if (reply.type == REDIS_REPLY_NIL) return 0;
  auto value = parse_int(text_of(reply));
  if (!value || *value < 0) return unexpected_reply("GET " + kSeq);
  return static_cast<std::uint64_t>(*value);
}

// XREAD's reply: nil when max_wait passed, else [[stream, entries]].
Result<std::vector<FeedEntry>> read_xread(const redisReply& reply) {
  if (reply.type == REDIS_REPLY_NIL) return std::vector<FeedEntry>();
  JWTGUARD_ASSIGN_OR_RETURN(const auto streams, elements_of(reply, 1, "XREAD"));
  JWTGUARD_ASSIGN_OR_RETURN(const auto name_and_entries, elements_of(*streams[0], 2, "XREAD"));
  return read_entries(*name_and_entries[1]);
}

}  // namespace

ChangeBatch gap_at(std::uint64_t after) {
  ChangeBatch gap;
  gap.last_seq = after;
  gap.gap = true;
  return gap;
}

Result<std::uint64_t> read_seq(Connection& connection) {
  JWTGUARD_ASSIGN_OR_RETURN(const Reply reply, call(connection, Command("GET").arg(kSeq)));
  return seq_from(*reply);
}

Result<ChangeBatch> read_feed(Connection& connection, std::uint64_t after, std::size_t limit) {
  // In this order on one connection: every change up to the seq read is in
  // the stream by then (one script wrote both), unless it was trimmed.
  const std::array commands = {Command("GET").arg(kSeq),
                               Command("XRANGE")
                                   .arg(kFeed)
                                   .arg(std::to_string(after + 1) + "-0")
                                   .arg("+")
                                   .arg("COUNT")
                                   .arg(static_cast<std::uint64_t>(limit))};
  JWTGUARD_ASSIGN_OR_RETURN(const std::vector<Reply> replies, call_all(connection, commands));
  JWTGUARD_ASSIGN_OR_RETURN(const std::uint64_t seq, seq_from(*replies[0]));
  JWTGUARD_ASSIGN_OR_RETURN(std::vector<FeedEntry> entries, read_entries(*replies[1]));
  if (seq < after || (seq > after && entries.empty())) return gap_at(after);
  return to_batch(after, entries);
}

Result<ChangeBatch> wait_for_feed(Connection& connection, std::uint64_t after, std::size_t limit,
                                  std::chrono::milliseconds max_wait,
                                  std::chrono::milliseconds command_timeout) {
  auto batch = read_feed(connection, after, limit);
  if (!batch || batch->gap || !batch->changes.empty()) return batch;
  // Without this, a quiet feed would look like a dead server.
  JWTGUARD_TRY(connection.set_timeout(max_wait + command_timeout));
  // From the last change seen, exclusive: the next one is "<after + 1>-1".
  Command xread("XREAD");
  xread.arg("COUNT").arg(static_cast<std::uint64_t>(limit));
  xread.arg("BLOCK").arg(static_cast<std::int64_t>(max_wait.count()));
  xread.arg("STREAMS").arg(kFeed).arg(feed_id(after));
  // A failure here is a broken connection, which the caller drops.
  JWTGUARD_ASSIGN_OR_RETURN(const Reply reply, connection.run(xread));
  JWTGUARD_TRY(connection.set_timeout(command_timeout));
  JWTGUARD_TRY(check(connection, xread, *reply));
  JWTGUARD_ASSIGN_OR_RETURN(std::vector<FeedEntry> entries, read_xread(*reply));
  return to_batch(after, entries);
}

Result<void> trim_feed(Connection& connection, Timestamp horizon, std::size_t batch) {
  for (;;) {
    JWTGUARD_ASSIGN_OR_RETURN(
        const Reply range,
        call(connection, Command("XRANGE").arg(kFeed).arg("-").arg("+").arg("COUNT").arg(
                             static_cast<std::uint64_t>(batch))));
    JWTGUARD_ASSIGN_OR_RETURN(const std::vector<FeedEntry> entries, read_entries(*range));
    if (entries.empty()) return {};
    auto keep = std::find_if(entries.begin(), entries.end(),
                             [&](const FeedEntry& e) { return e.date > horizon; });
    // MINID keeps the ids from the one given: the entry to keep, or the id
    // after the last one read when all of them go.
    const std::string min_id = keep != entries.end()
                                   ? feed_id(keep->change.seq)
                                   : std::to_string(entries.back().change.seq + 1) + "-0";
    JWTGUARD_TRY(call(connection, Command("XTRIM").arg(kFeed).arg("MINID").arg(min_id)));
    if (keep != entries.end() || entries.size() < batch) return {};
  }
}

}  // namespace jwtguard::redis
