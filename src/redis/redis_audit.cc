#include "redis_audit.h"

#include <string>
#include <vector>

#include "redis_keys.h"
#include "redis_records.h"
#include "redis_scripts.h"
#include "store/store_rules.h"
#include "util/try.h"

namespace jwtguard::redis {

Result<std::uint64_t> append_audit(RedisDb& db, const AuditEvent& event) {
  JWTGUARD_ASSIGN_OR_RETURN(const Reply reply, db.eval(scripts::append_audit(event)));
  if (reply->type != REDIS_REPLY_INTEGER || reply->integer <= 0) {
    return unexpected_reply(scripts::kAppendAudit.name);
  }
  return static_cast<std::uint64_t>(reply->integer);
}

Result<AuditPage> list_audit(RedisDb& db, const AuditFilter& filter,
                             std::optional<std::uint64_t> before) {
  const std::string index =
      filter.subject.empty() ? kAuditIndex : kAuditSubjectPrefix + filter.subject;
  // "(": exclusive. Appended, not "(" + to_string(): GCC 12 warns about that.
  std::string from = "+inf";
  if (before) from = std::string("(").append(std::to_string(*before));
  JWTGUARD_ASSIGN_OR_RETURN(const Pool::Lease c, db.acquire());
  // One event more than the page tells whether another page follows.
  JWTGUARD_ASSIGN_OR_RETURN(const Reply range,
                            call(*c, Command("ZRANGE")
                                         .arg(index)
                                         .arg(from)
                                         .arg("-inf")
                                         .arg("BYSCORE")
                                         .arg("REV")
                                         .arg("LIMIT")
                                         .arg("0")
                                         .arg(std::to_string(filter.limit + 1))));
  std::vector<std::string> ids = texts_of(*range);
  const bool more = ids.size() > filter.limit;
  if (more) ids.resize(filter.limit);
  JWTGUARD_ASSIGN_OR_RETURN(auto events, db.read_records(*c, kAuditPrefix, ids, &read_audit));
  AuditPage page;
  for (std::optional<AuditEvent>& event : events) {
    // Events are never deleted; one missing was removed by hand.
    if (event) page.entries.push_back(std::move(*event));
  }
  if (more) {
    const auto last = parse_int(ids.back());
    if (!last) return unexpected_reply("ZRANGE " + index);
    page.next_cursor = stores::cursor_for(*last);
  }
  return page;
}

}  // namespace jwtguard::redis
