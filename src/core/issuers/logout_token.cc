#include "issuers/logout_token.h"

#include <algorithm>
#include <cctype>

namespace jwtguard::issuers {
namespace {

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

Result<void> check_events(Events events) {
  switch (events) {
    case Events::kLogoutEvent:
      return {};
    case Events::kAbsent:
      return fail(Errc::kMissingClaim, "events");
    case Events::kNotObject:
      return fail(Errc::kBadClaim, "events is not an object");
    case Events::kNoLogoutEvent:
      return fail(Errc::kBadClaim, "events has no back-channel logout event");
    case Events::kBadLogoutEvent:
      return fail(Errc::kBadClaim, "events: the back-channel logout event is not an object");
  }
  return fail(Errc::kBadClaim, "events");
}

}  // namespace

Result<Claims> parse_logout_claims(std::string payload, const ClaimMapping& mapping) {
  auto parsed = parse_foreign_payload(std::move(payload), mapping);
  if (!parsed) return tl::unexpected(parsed.error());
  const Claims& claims = parsed->claims;
  if (!claims.iat) return fail(Errc::kMissingClaim, "iat");
  if (claims.jti.empty()) return fail(Errc::kMissingClaim, "jti");
  if (auto ok = check_events(parsed->events); !ok) return tl::unexpected(ok.error());
  if (claims.sid.empty() && claims.sub.empty()) {
    return fail(Errc::kMissingClaim, std::string(mapping.session_claim));
  }
  if (parsed->nonce) return fail(Errc::kBadClaim, "nonce");
  return std::move(parsed->claims);
}

bool is_explicit_logout_typ(std::string_view typ) {
  return equals_ignoring_case(typ, "logout+jwt") ||
         equals_ignoring_case(typ, "application/logout+jwt");
}

bool is_logout_typ(std::string_view typ) {
  return typ.empty() || equals_ignoring_case(typ, "JWT") || is_explicit_logout_typ(typ);
}

}  // namespace jwtguard::issuers
