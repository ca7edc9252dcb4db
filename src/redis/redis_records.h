// The conversions between jwtguard's values and Redis's strings, hashes and
// replies. The keys they live under are in redis_keys.h.
#ifndef JWTGUARD_REDIS_REDIS_RECORDS_H_
#define JWTGUARD_REDIS_REDIS_RECORDS_H_

#include <hiredis/hiredis.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "jwtguard/error.h"
#include "jwtguard/revocation.h"
#include "redis_keys.h"

namespace jwtguard::redis {

// --- Values ----------------------------------------------------------------------

// Times are stored as decimal microseconds since the epoch.
std::string micros(Timestamp t);
// PEXPIREAT's argument: milliseconds, rounded up, so that a key never
// disappears before the instant it stands for.
std::string millis_up(Timestamp t);

std::optional<std::int64_t> parse_int(std::string_view text);
// A sorted-set score that holds an integer (Redis may print it as a double).
std::optional<std::int64_t> parse_score(std::string_view text);
// A string or status reply's text; empty for other types.
std::string_view text_of(const redisReply& reply);
// An array reply's elements as text (ZRANGE's members); empty for other types.
std::vector<std::string> texts_of(const redisReply& reply);

tl::unexpected<Error> unexpected_reply(std::string_view what);
// The elements of an array reply of exactly `size` elements; else
// unexpected_reply(what).
Result<std::span<redisReply* const>> elements_of(const redisReply& reply, std::size_t size,
                                                 std::string_view what);

// A hash's fields, from HGETALL's [field, value, ...]. Holds views into the
// reply, which must outlive it.
class Fields {
 public:
  explicit Fields(const redisReply& reply);
  bool empty() const { return items_.empty(); }
  bool has(std::string_view name) const { return find(name) != nullptr; }
  std::string_view get(std::string_view name) const;  // "" when absent
  std::optional<Timestamp> time(std::string_view name) const;

 private:
  const std::pair<std::string_view, std::string_view>* find(std::string_view name) const;
  std::vector<std::pair<std::string_view, std::string_view>> items_;
};

// kStore for a record that does not have the shape this build writes.
Result<Revocation> read_revocation(std::string_view member, const Fields& fields);
Result<Session> read_session(std::string_view sid, const Fields& fields);
Result<User> read_user(std::string_view name, const Fields& fields);
// `id`: the decimal id the event's hash is named by.
Result<AuditEvent> read_audit(std::string_view id, const Fields& fields);

// One of the readers above: the record named `name` (a member, sid or user
// name) from its hash's fields.
template <typename T>
using RecordReader = Result<T> (*)(std::string_view name, const Fields& fields);

// The record named `name` in HGETALL's reply; nullopt when the reply is
// empty (the key is gone); what `read` returns for a malformed record.
template <typename T>
Result<std::optional<T>> record_of(std::string_view name, const redisReply& reply,
                                   RecordReader<T> read) {
  const Fields fields(reply);
  if (fields.empty()) return std::optional<T>();
  return read(name, fields).map([](T&& record) { return std::optional<T>(std::move(record)); });
}

}  // namespace jwtguard::redis

#endif  // JWTGUARD_REDIS_REDIS_RECORDS_H_
