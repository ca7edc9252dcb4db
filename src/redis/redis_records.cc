#include "redis_records.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>

namespace jwtguard::redis {

std::string micros(Timestamp t) { return std::to_string(t.time_since_epoch().count()); }

std::string millis_up(Timestamp t) {
  return std::to_string(std::chrono::ceil<std::chrono::milliseconds>(t.time_since_epoch()).count());
}

std::optional<std::int64_t> parse_int(std::string_view text) {
  std::int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<std::int64_t> parse_score(std::string_view text) {
  if (auto exact = parse_int(text)) return exact;
  const std::string copy(text);
  char* end = nullptr;
  const double value = std::strtod(copy.c_str(), &end);
  if (copy.empty() || end != copy.c_str() + copy.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return std::llround(value);
}

std::string_view text_of(const redisReply& reply) {
  if (reply.type != REDIS_REPLY_STRING && reply.type != REDIS_REPLY_STATUS) return {};
  return std::string_view(reply.str, reply.len);
}

std::vector<std::string> texts_of(const redisReply& reply) {
  std::vector<std::string> out;
  if (reply.type != REDIS_REPLY_ARRAY) return out;
  for (std::size_t i = 0; i < reply.elements; ++i) out.emplace_back(text_of(*reply.element[i]));
  return out;
}

tl::unexpected<Error> unexpected_reply(std::string_view what) {
  return fail(Errc::kStore, "redis: unexpected reply to " + std::string(what));
}

Result<std::span<redisReply* const>> elements_of(const redisReply& reply, std::size_t size,
                                                 std::string_view what) {
  if (reply.type != REDIS_REPLY_ARRAY || reply.elements != size) return unexpected_reply(what);
  return std::span<redisReply* const>(reply.element, reply.elements);
}

// --- Fields ----------------------------------------------------------------------

Fields::Fields(const redisReply& reply) {
  if (reply.type != REDIS_REPLY_ARRAY) return;
  for (std::size_t i = 0; i + 1 < reply.elements; i += 2) {
    items_.emplace_back(text_of(*reply.element[i]), text_of(*reply.element[i + 1]));
  }
}

std::string_view Fields::get(std::string_view name) const {
  const auto* item = find(name);
  return item != nullptr ? item->second : std::string_view();
}

std::optional<Timestamp> Fields::time(std::string_view name) const {
  auto value = parse_int(get(name));
  if (!value) return std::nullopt;
  return Timestamp(std::chrono::microseconds(*value));
}

const std::pair<std::string_view, std::string_view>* Fields::find(std::string_view name) const {
  for (const auto& item : items_) {
    if (item.first == name) return &item;
  }
  return nullptr;
}

// --- Records -----------------------------------------------------------------------

Result<Revocation> read_revocation(std::string_view m, const Fields& f) {
  auto kind = member_kind(m);
  auto cutoff = f.time("cutoff");
  auto expires = f.time("expires");
  auto revoked_at = f.time("revoked_at");
  if (!kind || !cutoff || !expires || !revoked_at) {
    return fail(Errc::kStore, "redis: malformed revocation " + kRevPrefix + std::string(m));
  }
  Revocation r;
  r.kind = *kind;
  r.key = std::string(m.substr(2));
  r.cutoff = *cutoff;
  r.expires_at = *expires;
  r.revoked_at = *revoked_at;
  r.token_type = parse_token_type(f.get("type"));
  r.user = std::string(f.get("user"));
  r.session = std::string(f.get("session"));
  r.revoked_by = std::string(f.get("revoked_by"));
  r.reason = std::string(f.get("reason"));
  return r;
}

Result<Session> read_session(std::string_view sid, const Fields& f) {
  auto created = f.time("created_at");
  auto refreshed = f.time("refreshed_at");
  auto expires = f.time("expires_at");
  std::optional<Timestamp> revoked_at;
  if (f.has("revoked_at")) revoked_at = f.time("revoked_at");
  if (!created || !refreshed || !expires || (f.has("revoked_at") && !revoked_at)) {
    return fail(Errc::kStore, "redis: malformed session " + kSessPrefix + std::string(sid));
  }
  return Session{.sid = std::string(sid),
                 .user = std::string(f.get("user")),
                 .created_at = *created,
                 .refreshed_at = *refreshed,
                 .expires_at = *expires,
                 .client_address = std::string(f.get("client_address")),
                 .user_agent = std::string(f.get("user_agent")),
                 .refresh_jti = std::string(f.get("refresh_jti")),
                 .previous_refresh_jti = std::string(f.get("previous_refresh_jti")),
                 .revoked_at = revoked_at};
}

Result<User> read_user(std::string_view name, const Fields& f) {
  auto created = f.time("created_at");
  std::optional<Timestamp> last_login;
  if (f.has("last_login_at")) last_login = f.time("last_login_at");
  if (!created || (f.has("last_login_at") && !last_login)) {
    return fail(Errc::kStore, "redis: malformed user " + kUserPrefix + std::string(name));
  }
  return User{.name = std::string(name),
              .password_hash = std::string(f.get("password_hash")),
              .admin = f.get("admin") == "1",
              .created_at = *created,
              .disabled = f.get("disabled") == "1",
              .last_login_at = last_login};
}

Result<AuditEvent> read_audit(std::string_view id, const Fields& f) {
  auto number = parse_int(id);
  auto at = f.time("at");
  if (!number || *number <= 0 || !at) {
    return fail(Errc::kStore, "redis: malformed audit event " + kAuditPrefix + std::string(id));
  }
  return AuditEvent{.id = static_cast<std::uint64_t>(*number),
                    .at = *at,
                    .actor = std::string(f.get("actor")),
                    .action = std::string(f.get("action")),
                    .subject = std::string(f.get("subject")),
                    .detail = std::string(f.get("detail"))};
}

}  // namespace jwtguard::redis
