// The umbrella library (jwtguard::jwtguard): what needs every backend at
// once, a store chosen by its URL. An embedder that links only
// jwtguard::core and one backend calls that backend's open_*_store instead.
#include <cctype>

#include "jwtguard/store.h"
#include "backend_urls.h"

namespace jwtguard {

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
