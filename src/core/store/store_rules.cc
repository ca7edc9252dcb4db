#include "store/store_rules.h"

#include <algorithm>
#include <charconv>

#include "util/try.h"

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

Result<void> check_limit(std::size_t limit) {
  if (limit < 1 || limit > kMaxPageSize) {
    return fail(Errc::kInvalidArgument, "limit must be between 1 and 1000");
  }
  return {};
}

Result<std::optional<std::int64_t>> decode_cursor(std::string_view cursor) {
  if (cursor.empty()) return std::optional<std::int64_t>();
  std::int64_t id = 0;
  const char* end = cursor.data() + cursor.size();
  auto [ptr, ec] = std::from_chars(cursor.data(), end, id);
  if (ec != std::errc() || ptr != end || id <= 0) {
    return fail(Errc::kInvalidArgument, "bad cursor");
  }
  return std::optional<std::int64_t>(id);
}

Result<std::optional<std::int64_t>> page_start(const RevocationFilter& filter) {
  JWTGUARD_TRY(check_limit(filter.limit));
  return decode_cursor(filter.cursor);
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
