// The ends of a session (GuardOptions::session_max_lifetime and
// session_idle_timeout), and the lifetimes of the tokens issued in it:
// none outlives the session it belongs to.
#ifndef JWTGUARD_REVOCATION_SESSION_LIMITS_H_
#define JWTGUARD_REVOCATION_SESSION_LIMITS_H_

#include <chrono>
#include <optional>

#include "jwtguard/clock.h"
#include "jwtguard/guard.h"
#include "jwtguard/revocation.h"

namespace jwtguard::revocation {

class SessionLimits {
 public:
  // A zero duration is no limit.
  SessionLimits(std::chrono::seconds max_lifetime, std::chrono::seconds idle_timeout)
      : max_lifetime_(max_lifetime), idle_timeout_(idle_timeout) {}

  bool any() const { return max_lifetime_.count() > 0 || idle_timeout_.count() > 0; }

  // The session's absolute end (created_at + max lifetime) and idle end
  // (refreshed_at + idle timeout), each unset when that limit is off.
  SessionEnds ends(const Session& session) const;

  // The earlier of the two ends, if any.
  std::optional<Timestamp> end(const Session& session) const;

  // The end of a session that begins at `now`.
  std::optional<Timestamp> end_of_new_session(Timestamp now) const;

  // The end of the session once it is refreshed at `now`: the idle end
  // moves to now + idle timeout, the absolute end stays.
  std::optional<Timestamp> end_if_refreshed(const Session& session, Timestamp now) const;

  // Which limit has ended the session by `now` ("session max lifetime" or
  // "session idle timeout"), or nullopt while it lives. A session ends at
  // its end, not after it.
  std::optional<const char*> ended_by(const Session& session, Timestamp now) const;

 private:
  std::chrono::seconds max_lifetime_;
  std::chrono::seconds idle_timeout_;
};

// `ttl`, shortened so that a token issued at `now` (exp = now in whole
// seconds + ttl) expires no later than `end`; nullopt when not even one
// second is left.
std::optional<std::chrono::seconds> ttl_within(std::chrono::seconds ttl, Timestamp now,
                                               std::optional<Timestamp> end);

}  // namespace jwtguard::revocation

#endif  // JWTGUARD_REVOCATION_SESSION_LIMITS_H_
