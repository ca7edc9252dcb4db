// Rules every store applies the same way, kept in one place so that the
// backends cannot drift apart.
#ifndef JWTGUARD_STORE_STORE_RULES_H_
#define JWTGUARD_STORE_STORE_RULES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "jwtguard/error.h"
#include "jwtguard/revocation.h"
#include "jwtguard/store.h"

namespace jwtguard::stores {

inline constexpr std::size_t kMaxPageSize = 1000;

// kInvalidArgument for an empty key, or a kUser revocation without cutoff.
Result<void> validate(const Revocation& revocation);

// Revoking what is already revoked: the later cutoff and expiry win; the
// first revocation's time and metadata stay (it is the one that mattered).
void merge_into(Revocation& existing, const Revocation& incoming);

// The feed entry that a (merged) revocation becomes.
Change revoke_change(const Revocation& revocation, std::uint64_t seq);
Change unrevoke_change(RevocationKind kind, std::string_view key, std::uint64_t seq);

// Checks the limit and decodes the cursor: the row id to list from
// (exclusive), or none for the first page.
Result<std::optional<std::int64_t>> page_start(const RevocationFilter& filter);
// kInvalidArgument for a page size outside 1..kMaxPageSize.
Result<void> check_limit(std::size_t limit);
// A cursor this store hands out (cursor_for): the positive row number, or
// none for an empty cursor; kInvalidArgument for anything else.
Result<std::optional<std::int64_t>> decode_cursor(std::string_view cursor);
std::string cursor_for(std::int64_t row_id);

bool matches(const Revocation& revocation, const RevocationFilter& filter);

// Everything but RFC 3986's unreserved characters as %XX: a value that
// reads back as itself from any part of a URL.
std::string percent_encode(std::string_view text);

}  // namespace jwtguard::stores

#endif  // JWTGUARD_STORE_STORE_RULES_H_
