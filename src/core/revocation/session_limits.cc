#include "revocation/session_limits.h"

#include <algorithm>

namespace jwtguard::revocation {
namespace {

std::optional<Timestamp> earlier(std::optional<Timestamp> a, std::optional<Timestamp> b) {
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}

}  // namespace

SessionEnds SessionLimits::ends(const Session& session) const {
  SessionEnds out;
  if (max_lifetime_.count() > 0) out.absolute = session.created_at + max_lifetime_;
  if (idle_timeout_.count() > 0) out.idle = session.refreshed_at + idle_timeout_;
  return out;
}

std::optional<Timestamp> SessionLimits::end(const Session& session) const {
  const SessionEnds e = ends(session);
  return earlier(e.absolute, e.idle);
}

std::optional<Timestamp> SessionLimits::end_of_new_session(Timestamp now) const {
  std::optional<Timestamp> out;
  if (max_lifetime_.count() > 0) out = now + max_lifetime_;
  if (idle_timeout_.count() > 0) out = earlier(out, now + idle_timeout_);
  return out;
}

std::optional<Timestamp> SessionLimits::end_if_refreshed(const Session& session,
                                                         Timestamp now) const {
  std::optional<Timestamp> out;
  if (max_lifetime_.count() > 0) out = session.created_at + max_lifetime_;
  if (idle_timeout_.count() > 0) out = earlier(out, now + idle_timeout_);
  return out;
}

std::optional<const char*> SessionLimits::ended_by(const Session& session, Timestamp now) const {
  const SessionEnds e = ends(session);
  if (e.absolute && now >= *e.absolute) return "session max lifetime";
  if (e.idle && now >= *e.idle) return "session idle timeout";
  return std::nullopt;
}

std::optional<std::chrono::seconds> ttl_within(std::chrono::seconds ttl, Timestamp now,
                                               std::optional<Timestamp> end) {
  if (!end) return ttl;
  // The issuer's exp is now in whole seconds (rounded down) + ttl; the end
  // rounded down keeps exp at or before it.
  const std::chrono::seconds left(to_unix_seconds(*end) - to_unix_seconds(now));
  if (left.count() <= 0) return std::nullopt;
  return std::min(ttl, left);
}

}  // namespace jwtguard::revocation
