// libFuzzer target: anything may arrive as the payload of a back-channel
// logout token or of another issuer's access token (both are untrusted
// until their signature is checked, and their claims are read by the same
// parser). Parsing must never crash, leak, hang or hit undefined behaviour,
// and what it accepts must keep the rules its callers rely on: the claims
// are in the issuer's namespace, typed as an access token, never fresh nor
// ordered by iat_ms, without control characters in jti, sub or sid; a
// logout token's have iat, jti, and sid or sub.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "issuers/foreign_claims.h"
#include "issuers/logout_token.h"

namespace {

using namespace jwtguard;

void check(bool ok) {
  if (!ok) std::abort();
}

// The default mapping, a Keycloak-like one, and one that maps the claim
// names jwtguard uses for itself elsewhere.
constexpr issuers::ClaimMapping kMappings[] = {
    {.ns = "idp", .subject_claim = "sub", .session_claim = "sid"},
    {.ns = "https://kc.example/realms/a",
     .subject_claim = "preferred_username",
     .session_claim = "session_state"},
    {.ns = "x", .subject_claim = "sid", .session_claim = "sub"},
};

void check_foreign(const Claims& claims, const issuers::ClaimMapping& mapping) {
  check(claims.sub_ns == mapping.ns);
  check(claims.type == "access" && claims.has("type"));
  check(!claims.fresh && !claims.iat_ms && claims.csrf.empty());
  check(!issuers::has_control_character(claims.jti));
  check(!issuers::has_control_character(claims.sub));
  check(!issuers::has_control_character(claims.sid));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  for (const issuers::ClaimMapping& mapping : kMappings) {
    if (auto parsed = issuers::parse_foreign_payload(input, mapping)) {
      check_foreign(parsed->claims, mapping);
      check(parsed->claims.payload_json == input);
    }
    if (auto logout = issuers::parse_logout_claims(input, mapping)) {
      check_foreign(*logout, mapping);
      check(logout->iat.has_value() && !logout->jti.empty());
      check(!logout->sid.empty() || !logout->sub.empty());
    }
  }
  // The unverified "iss" of a token built around the input never throws or
  // reads past it.
  (void)issuers::unverified_issuer("e30." + input + ".sig", 16384);
  (void)issuers::unverified_issuer(input, 16384);
  return 0;
}
