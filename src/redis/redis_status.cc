#include "redis_status.h"

#include <algorithm>
#include <string>

#include "redis_keys.h"
#include "redis_records.h"
#include "redis_status_scripts.h"
#include "util/try.h"

namespace jwtguard::redis {
namespace {

scripts::Call allocate_call(const std::vector<StatusEntry>& entries, const StatusListSpec& spec) {
  scripts::Call call{&scripts::kAllocateStatus,
                     {kStatusListCounter, kStatusLists},
                     {kPrefix, std::to_string(spec.bits), std::to_string(spec.size)}};
  for (const StatusEntry& e : entries) {
    call.args.insert(call.args.end(),
                     {e.jti, e.session, e.user, micros(e.issued_at), micros(e.expires_at)});
  }
  return call;
}

std::optional<std::uint64_t> unsigned_of(const redisReply& reply) {
  if (reply.type == REDIS_REPLY_INTEGER) {
    if (reply.integer < 0) return std::nullopt;
    return static_cast<std::uint64_t>(reply.integer);
  }
  const auto value = parse_int(text_of(reply));
  if (!value || *value < 0) return std::nullopt;
  return static_cast<std::uint64_t>(*value);
}

// {{bits, size, allocated, expires_at}, {idx, status, ...}}
Result<StatusListState> read_state(std::uint64_t id, const redisReply& reply) {
  const std::string_view what = scripts::kFindStatusList.name;
  JWTGUARD_ASSIGN_OR_RETURN(const auto parts, elements_of(reply, 2, what));
  JWTGUARD_ASSIGN_OR_RETURN(const auto fields, elements_of(*parts[0], 4, what));
  StatusListState state;
  state.id = id;
  const auto bits = unsigned_of(*fields[0]);
  const auto size = unsigned_of(*fields[1]);
  const auto allocated = unsigned_of(*fields[2]);
  const auto expires = parse_int(text_of(*fields[3]));
  if (!bits || !size || !allocated || !expires) return unexpected_reply(what);
  state.bits = static_cast<int>(*bits);
  state.size = *size;
  state.allocated = *allocated;
  state.expires_at = Timestamp(std::chrono::microseconds(*expires));
  const redisReply& statuses = *parts[1];
  for (std::size_t i = 0; i + 1 < statuses.elements; i += 2) {
    const auto index = unsigned_of(*statuses.element[i]);
    const auto status = unsigned_of(*statuses.element[i + 1]);
    if (!index || !status || *status > 255) return unexpected_reply(what);
    state.statuses.emplace_back(*index, static_cast<std::uint8_t>(*status));
  }
  // A hash has no order.
  std::sort(state.statuses.begin(), state.statuses.end());
  return state;
}

}  // namespace

Result<std::vector<StatusRef>> allocate_status(RedisDb& db, const std::vector<StatusEntry>& entries,
                                               const StatusListSpec& spec) {
  JWTGUARD_ASSIGN_OR_RETURN(const Reply reply, db.eval(allocate_call(entries, spec)));
  JWTGUARD_ASSIGN_OR_RETURN(const auto items,
                            elements_of(*reply, entries.size() * 2, scripts::kAllocateStatus.name));
  std::vector<StatusRef> refs;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto list = unsigned_of(*items[2 * i]);
    const auto index = unsigned_of(*items[2 * i + 1]);
    if (!list || !index) return unexpected_reply(scripts::kAllocateStatus.name);
    refs.push_back({*list, *index});
  }
  return refs;
}

Result<std::optional<StatusListState>> find_status_list(RedisDb& db, std::uint64_t id) {
  const std::string name = std::to_string(id);
  JWTGUARD_ASSIGN_OR_RETURN(
      const Reply reply,
      db.eval({&scripts::kFindStatusList, {kStatusListPrefix + name, kStatusesPrefix + name}, {}}));
  if (reply->type == REDIS_REPLY_NIL) return std::optional<StatusListState>();
  JWTGUARD_ASSIGN_OR_RETURN(StatusListState state, read_state(id, *reply));
  return std::optional<StatusListState>(std::move(state));
}

Result<void> purge_status_lists(RedisDb& db, Timestamp now) {
  JWTGUARD_ASSIGN_OR_RETURN(const Pool::Lease c, db.acquire());
  for (;;) {
    JWTGUARD_ASSIGN_OR_RETURN(
        const Reply reply, db.eval(*c, {&scripts::kPurgeStatusLists,
                                        {kStatusLists},
                                        {kPrefix, micros(now), std::to_string(RedisDb::kBatch)}}));
    JWTGUARD_ASSIGN_OR_RETURN(const auto counts,
                              elements_of(*reply, 2, scripts::kPurgeStatusLists.name));
    if (counts[1]->integer == 0) return {};
  }
}

}  // namespace jwtguard::redis
