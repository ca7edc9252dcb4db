#include "redis_feed.h"

#include <algorithm>
#include <array>

#include "redis_records.h"

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
  if (entry.type != REDIS_REPLY_ARRAY || entry.elements != 2) return unexpected_reply("XRANGE");
  const std::string_view id = text_of(*entry.element[0]);
  const Fields f(*entry.element[1]);
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
    auto entry = read_entry(*reply.element[i]);
    if (!entry) return tl::unexpected(entry.error());
    out.push_back(std::move(*entry));
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
  const redisReply* stream =
      reply.type == REDIS_REPLY_ARRAY && reply.elements == 1 ? reply.element[0] : nullptr;
  if (stream == nullptr || stream->type != REDIS_REPLY_ARRAY || stream->elements != 2) {
    return unexpected_reply("XREAD");
  }
  return read_entries(*stream->element[1]);
}

}  // namespace

ChangeBatch gap_at(std::uint64_t after) {
  ChangeBatch gap;
  gap.last_seq = after;
  gap.gap = true;
  return gap;
}

Result<std::uint64_t> read_seq(Connection& connection) {
  auto reply = call(connection, Command("GET").arg(kSeq));
  if (!reply) return tl::unexpected(reply.error());
  return seq_from(**reply);
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
  auto replies = call_all(connection, commands);
  if (!replies) return tl::unexpected(replies.error());
  auto seq = seq_from(*(*replies)[0]);
  if (!seq) return tl::unexpected(seq.error());
  auto entries = read_entries(*(*replies)[1]);
  if (!entries) return tl::unexpected(entries.error());
  if (*seq < after || (*seq > after && entries->empty())) return gap_at(after);
  return to_batch(after, *entries);
}

Result<ChangeBatch> wait_for_feed(Connection& connection, std::uint64_t after, std::size_t limit,
                                  std::chrono::milliseconds max_wait,
                                  std::chrono::milliseconds command_timeout) {
  auto batch = read_feed(connection, after, limit);
  if (!batch || batch->gap || !batch->changes.empty()) return batch;
  // Without this, a quiet feed would look like a dead server.
  if (auto ok = connection.set_timeout(max_wait + command_timeout); !ok) {
    return tl::unexpected(ok.error());
  }
  // From the last change seen, exclusive: the next one is "<after + 1>-1".
  Command xread("XREAD");
  xread.arg("COUNT").arg(static_cast<std::uint64_t>(limit));
  xread.arg("BLOCK").arg(static_cast<std::int64_t>(max_wait.count()));
  xread.arg("STREAMS").arg(kFeed).arg(feed_id(after));
  auto reply = connection.run(xread);
  if (!reply) return tl::unexpected(reply.error());  // a broken connection, to be dropped
  if (auto ok = connection.set_timeout(command_timeout); !ok) return tl::unexpected(ok.error());
  if (auto ok = check(connection, xread, **reply); !ok) return tl::unexpected(ok.error());
  auto entries = read_xread(**reply);
  if (!entries) return tl::unexpected(entries.error());
  return to_batch(after, *entries);
}

Result<void> trim_feed(Connection& connection, Timestamp horizon, std::size_t batch) {
  for (;;) {
    auto range = call(connection, Command("XRANGE").arg(kFeed).arg("-").arg("+").arg("COUNT").arg(
                                      static_cast<std::uint64_t>(batch)));
    if (!range) return tl::unexpected(range.error());
    auto entries = read_entries(**range);
    if (!entries) return tl::unexpected(entries.error());
    if (entries->empty()) return {};
    auto keep = std::find_if(entries->begin(), entries->end(),
                             [&](const FeedEntry& e) { return e.date > horizon; });
    // MINID keeps the ids from the one given: the entry to keep, or the id
    // after the last one read when all of them go.
    const std::string min_id = keep != entries->end()
                                   ? feed_id(keep->change.seq)
                                   : std::to_string(entries->back().change.seq + 1) + "-0";
    auto trimmed = call(connection, Command("XTRIM").arg(kFeed).arg("MINID").arg(min_id));
    if (!trimmed) return tl::unexpected(trimmed.error());
    if (keep != entries->end() || entries->size() < batch) return {};
  }
}

}  // namespace jwtguard::redis
