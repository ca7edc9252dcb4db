#include "stores/common.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "stores/postgres/pg_connector.h"
#include "stores/redis/redis_url.h"

namespace jwtguard::stores {

Result<void> validate(const Revocation& revocation) {
  if (revocation.key.empty()) return fail(Errc::kInvalidArgument, "empty revocation key");
  if (revocation.kind == RevocationKind::kUser && revocation.cutoff == Timestamp{}) {
    return fail(Errc::kInvalidArgument, "a user revocation needs a cutoff");
  }
  return {};
}

void merge_into(Revocation& existing, const Revocation& incoming) {
  existing.cutoff = std::max(existing.cutoff, incoming.cutoff);
  existing.expires_at = std::max(existing.expires_at, incoming.expires_at);
}

Change revoke_change(const Revocation& revocation, std::uint64_t seq) {
  return Change{.seq = seq,
                .op = Change::Op::kRevoke,
                .kind = revocation.kind,
                .key = revocation.key,
                .cutoff = revocation.cutoff,
                .expires_at = revocation.expires_at};
}

Change unrevoke_change(RevocationKind kind, std::string_view key, std::uint64_t seq) {
  return Change{.seq = seq, .op = Change::Op::kUnrevoke, .kind = kind, .key = std::string(key)};
}

Result<std::optional<std::int64_t>> page_start(const RevocationFilter& filter) {
  if (filter.limit < 1 || filter.limit > kMaxPageSize) {
    return fail(Errc::kInvalidArgument, "limit must be between 1 and 1000");
  }
  if (filter.cursor.empty()) return std::optional<std::int64_t>();
  std::int64_t id = 0;
  const char* end = filter.cursor.data() + filter.cursor.size();
  auto [ptr, ec] = std::from_chars(filter.cursor.data(), end, id);
  if (ec != std::errc() || ptr != end || id <= 0) {
    return fail(Errc::kInvalidArgument, "bad cursor");
  }
  return std::optional<std::int64_t>(id);
}

std::string cursor_for(std::int64_t row_id) { return std::to_string(row_id); }

bool matches(const Revocation& revocation, const RevocationFilter& filter) {
  if (filter.kind && revocation.kind != *filter.kind) return false;
  if (!filter.user.empty() && revocation.user != filter.user) return false;
  if (filter.token_type && revocation.token_type != filter.token_type) return false;
  return true;
}

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace jwtguard::stores

namespace jwtguard {

Result<Store::Hits> Store::lookup(std::string_view jti, std::string_view sid,
                                  std::string_view user) {
  Hits hits;
  if (!jti.empty()) {
    auto found = find_revocation(RevocationKind::kToken, jti);
    if (!found) return tl::unexpected(found.error());
    hits.token = found->has_value();
  }
  if (!sid.empty()) {
    auto found = find_revocation(RevocationKind::kSession, sid);
    if (!found) return tl::unexpected(found.error());
    hits.session = found->has_value();
  }
  if (!user.empty()) {
    auto found = find_revocation(RevocationKind::kUser, user);
    if (!found) return tl::unexpected(found.error());
    if (found->has_value()) hits.cutoff = (*found)->cutoff;
  }
  return hits;
}

Result<std::unique_ptr<Store>> open_store(std::string_view url, const StoreOptions& options) {
  if (url == "memory:") return open_memory_store();
  constexpr std::string_view kSqlite = "sqlite:";
  if (url.starts_with(kSqlite)) {
    const std::string_view path = url.substr(kSqlite.size());
    if (path.empty()) return fail(Errc::kInvalidArgument, "sqlite: needs a path");
    return open_sqlite_store(std::string(path), options.sqlite);
  }
  if (url.starts_with("redis://")) return open_redis_store(url, options.redis);
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    return open_postgres_store(url, options.postgres);
  }
  return fail(Errc::kInvalidArgument,
              "unknown store URL (expected memory:, sqlite:PATH, redis://HOST:PORT/DB or "
              "postgresql://...)");
}

std::string redact_store_url(std::string_view url) {
  if (url.empty() || url == "memory:" || url.starts_with("sqlite:")) return std::string(url);
  if (url.starts_with("redis://")) return redis::redact_url(url);
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    return pg::redact_url(url);
  }
  // Not a store URL: it may be anything, a libpq "host=... password=..."
  // string included. Only a scheme is shown, which says what was given
  // (e.g. "mysql://...") without anything that could be a credential.
  const auto colon = url.find(':');
  const bool scheme = colon != std::string_view::npos && colon > 0 && colon <= 32 &&
                      std::isalpha(static_cast<unsigned char>(url[0])) &&
                      url.substr(0, colon).find_first_not_of(
                          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-") ==
                          std::string_view::npos;
  if (scheme) return std::string(url.substr(0, colon)) + ":... (not a store URL, rest not shown)";
  return "(not a store URL, not shown)";
}

}  // namespace jwtguard
