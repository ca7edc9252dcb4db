// The Cache-Control header of a JWK Set response (RFC 9111 §5.2): only the
// lifetime matters to a key source, so only max-age, no-store and no-cache
// are read; every other directive is ignored.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>
#include <string_view>

#include "jwtguard/remote_jwks.h"

namespace jwtguard {
namespace {

// RFC 9111 §1.2.2: a delta-seconds too large to represent is taken as
// 2^31, so a document cannot ask for an overflowing lifetime.
constexpr std::int64_t kMaxDeltaSeconds = 2147483648;

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool equals_lower(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != lower[i]) return false;
  }
  return true;
}

// A delta-seconds value, bare or quoted (the quoted form is invalid in a
// response but common enough that caches accept it).
std::optional<std::int64_t> delta_seconds(std::string_view value) {
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    value = value.substr(1, value.size() - 2);
  }
  if (value.empty()) return std::nullopt;
  std::int64_t seconds = 0;
  for (const char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
    seconds = std::min<std::int64_t>(seconds * 10 + (c - '0'), kMaxDeltaSeconds);
  }
  return seconds;
}

}  // namespace

std::optional<std::chrono::seconds> cache_control_max_age(std::string_view header) {
  std::optional<std::chrono::seconds> max_age;
  while (!header.empty()) {
    const auto comma = header.find(',');
    const std::string_view directive = trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    const auto equals = directive.find('=');
    const std::string_view name = trim(directive.substr(0, equals));
    // Either forbids reusing the response without asking again, whatever
    // max-age says beside it.
    if (equals_lower(name, "no-store") || equals_lower(name, "no-cache")) {
      return std::chrono::seconds(0);
    }
    if (equals == std::string_view::npos || max_age || !equals_lower(name, "max-age")) continue;
    if (auto seconds = delta_seconds(trim(directive.substr(equals + 1)))) {
      max_age = std::chrono::seconds(*seconds);
    }
  }
  return max_age;
}

}  // namespace jwtguard
