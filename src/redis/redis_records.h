// How the Redis store lays out its records: key names, and the conversions
// between jwtguard's values and Redis's strings, hashes and stream entries.
// The layout itself is described at the top of redis_store.cc.
#ifndef JWTGUARD_REDIS_REDIS_RECORDS_H_
#define JWTGUARD_REDIS_REDIS_RECORDS_H_

#include <hiredis/hiredis.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "jwtguard/error.h"
#include "jwtguard/revocation.h"

namespace jwtguard::redis {

// --- Keys ------------------------------------------------------------------------

inline const std::string kPrefix = "jwtguard:";
inline const std::string kSeq = kPrefix + "seq";
inline const std::string kFeed = kPrefix + "feed";
inline const std::string kRowCounter = kPrefix + "rows";
inline const std::string kRevExpiry = kPrefix + "idx:rev-expiry";
inline const std::string kRevRows = kPrefix + "idx:rev-rows";
inline const std::string kSessExpiry = kPrefix + "idx:sess-expiry";
inline const std::string kUsers = kPrefix + "idx:users";
// The purge script spells these out too (it derives keys from kPrefix).
inline const std::string kRevPrefix = kPrefix + "rev:";
inline const std::string kSessPrefix = kPrefix + "sess:";
inline const std::string kUserSessPrefix = kPrefix + "idx:user-sessions:";
inline const std::string kUserPrefix = kPrefix + "user:";
inline const std::string kTokenHorizon = kPrefix + "token-horizon";

// A revocation's index member, "<t|s|u>:KEY"; its hash is kRevPrefix + member.
std::string member(RevocationKind kind, std::string_view key);

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

}  // namespace jwtguard::redis

#endif  // JWTGUARD_REDIS_REDIS_RECORDS_H_
