#include "jwtguard/claims.h"

#include <algorithm>
#include <cmath>

#include "jose/json.h"
#include "tokens/claim_values.h"
#include "tokens/flat_claims.h"

namespace jwtguard {
namespace detail {

// Called for every member of every payload: one switch on the length, then
// one comparison, instead of a scan over all known names.
int claim_index(std::string_view name) {
  auto is = [name](ClaimBit bit) { return name == kKnownClaims[bit] ? static_cast<int>(bit) : -1; };
  switch (name.size()) {
    case 3:
      switch (name[0]) {
        case 'j':
          return is(kClaimJti);
        case 's':
          return name[1] == 'u' ? is(kClaimSub) : is(kClaimSid);
        case 'i':
          return name[1] == 's' ? is(kClaimIss) : is(kClaimIat);
        case 'a':
          return is(kClaimAud);
        case 'e':
          return is(kClaimExp);
        case 'n':
          return is(kClaimNbf);
        default:
          return -1;
      }
    case 4:
      return name[0] == 't' ? is(kClaimType) : is(kClaimCsrf);
    case 5:
      return is(kClaimFresh);
    case 6:
      return name[0] == 's' ? is(kClaimSubNs) : is(kClaimIatMs);
    default:
      return -1;
  }
}

Result<Timestamp> numeric_date(simdjson::dom::element value, std::string_view name) {
  std::int64_t seconds = 0;
  if (!value.get_int64().get(seconds)) {
    if (seconds < 0 || seconds > kMaxNumericDate) {
      return fail(Errc::kBadClaim, std::string(name) + " is out of range");
    }
    return from_unix_seconds(seconds);
  }
  double real = 0;
  if (value.get_double().get(real)) {
    return fail(Errc::kBadClaim, std::string(name) + " is not a number");
  }
  if (!(real >= 0 && real <= static_cast<double>(kMaxNumericDate))) {
    return fail(Errc::kBadClaim, std::string(name) + " is out of range");
  }
  return Timestamp(std::chrono::microseconds(std::llround(real * 1e6)));
}

Result<void> string_claim(simdjson::dom::element value, std::string_view name, std::string& out) {
  std::string_view text;
  if (value.get_string().get(text)) {
    return fail(Errc::kBadClaim, std::string(name) + " is not a string");
  }
  out.assign(text);
  return {};
}

Result<void> audience_claim(simdjson::dom::element value, std::vector<std::string>& out) {
  std::string_view one;
  if (!value.get_string().get(one)) {
    out.emplace_back(one);
    return {};
  }
  simdjson::dom::array array;
  if (value.get_array().get(array)) return fail(Errc::kBadClaim, "aud is not a string or array");
  for (auto item : array) {
    if (item.get_string().get(one)) return fail(Errc::kBadClaim, "aud holds a non-string");
    out.emplace_back(one);
  }
  return {};
}

void mark_present(Claims& claims, std::string_view name) {
  const int index = claim_index(name);
  if (index >= 0) claims.present |= 1u << index;
}

}  // namespace detail

namespace {

using namespace detail;  // the claim bits and kMaxNumericDate

// Integer milliseconds since the epoch, within the same years as numeric_date.
Result<Timestamp> millisecond_date(simdjson::dom::element value, std::string_view name) {
  std::int64_t ms = 0;
  if (value.get_int64().get(ms)) {
    return fail(Errc::kBadClaim, std::string(name) + " is not an integer");
  }
  if (ms < 0 || ms > kMaxNumericDate * 1000) {
    return fail(Errc::kBadClaim, std::string(name) + " is out of range");
  }
  return Timestamp(std::chrono::milliseconds(ms));
}

Result<void> read_claim(int index, simdjson::dom::element value, Claims& claims) {
  const std::string_view name = kKnownClaims[index];
  switch (index) {
    case kClaimJti:
      return detail::string_claim(value, name, claims.jti);
    case kClaimSub:
      return detail::string_claim(value, name, claims.sub);
    case kClaimIss:
      return detail::string_claim(value, name, claims.iss);
    case kClaimSid:
      return detail::string_claim(value, name, claims.sid);
    case kClaimType:
      return detail::string_claim(value, name, claims.type);
    case kClaimSubNs:
      return detail::string_claim(value, name, claims.sub_ns);
    case kClaimCsrf:
      return detail::string_claim(value, name, claims.csrf);
    case kClaimIatMs: {
      auto date = millisecond_date(value, name);
      if (!date) return tl::unexpected(date.error());
      claims.iat_ms = *date;
      return {};
    }
    case kClaimAud:
      return detail::audience_claim(value, claims.aud);
    case kClaimFresh: {
      bool fresh = false;
      if (value.get_bool().get(fresh)) return fail(Errc::kBadClaim, "fresh is not a boolean");
      claims.fresh = fresh;
      return {};
    }
    default: {
      auto date = detail::numeric_date(value, name);
      if (!date) return tl::unexpected(date.error());
      (index == kClaimExp ? claims.exp : index == kClaimNbf ? claims.nbf : claims.iat) = *date;
      return {};
    }
  }
}

bool audience_matches(const std::vector<std::string>& token_aud,
                      const std::vector<std::string>& expected) {
  return std::any_of(token_aud.begin(), token_aud.end(), [&](const std::string& aud) {
    return std::find(expected.begin(), expected.end(), aud) != expected.end();
  });
}

}  // namespace

std::string_view token_type_name(TokenType type) {
  return type == TokenType::kAccess ? "access" : "refresh";
}

std::optional<TokenType> parse_token_type(std::string_view name) {
  if (name == "access") return TokenType::kAccess;
  if (name == "refresh") return TokenType::kRefresh;
  return std::nullopt;
}

std::optional<Timestamp> issue_order(const Claims& claims) {
  return claims.iat_ms ? claims.iat_ms : claims.iat;
}

bool Claims::has(std::string_view name) const {
  const int index = detail::claim_index(name);
  return index >= 0 && (present & (1u << index)) != 0;
}

Result<void> detail::parse_claims_reference(std::string payload_json, Claims& claims) {
  auto object = json::parse_object(payload_json, "payload", payload_json.capacity());
  if (!object) return tl::unexpected(object.error());
  for (auto field : *object) {
    const int index = detail::claim_index(field.key);
    if (index < 0) continue;
    if (auto ok = read_claim(index, field.value, claims); !ok) return tl::unexpected(ok.error());
    claims.present |= 1u << index;
  }
  claims.payload_json = std::move(payload_json);
  return {};
}

// The fast reader settles the payloads tokens usually are in a fraction of
// simdjson's fixed cost per document; whatever it declines (including every
// invalid payload) the reference reads, and words the error, as before.
Result<void> parse_claims_into(std::string payload_json, Claims& claims) {
  if (detail::parse_flat_claims(payload_json, claims)) {
    claims.payload_json = std::move(payload_json);
    return {};
  }
  claims = Claims{};
  return detail::parse_claims_reference(std::move(payload_json), claims);
}

Result<Claims> parse_claims(std::string payload_json) {
  Claims claims;
  if (auto ok = parse_claims_into(std::move(payload_json), claims); !ok) {
    return tl::unexpected(ok.error());
  }
  return claims;
}

Result<void> check_claims(const Claims& claims, const ClaimsRules& rules, Timestamp now) {
  if (rules.require_exp && !claims.exp) return fail(Errc::kMissingClaim, "exp");
  for (const std::string& name : rules.required) {
    if (!claims.has(name)) return fail(Errc::kMissingClaim, name);
  }
  const auto leeway = std::chrono::duration_cast<std::chrono::microseconds>(rules.leeway);
  if (claims.exp && now >= *claims.exp + leeway) return fail(Errc::kExpired);
  if (claims.nbf && now < *claims.nbf - leeway) return fail(Errc::kNotYetValid);
  // Whole seconds, the usual NumericDate precision (tokens of other issuers
  // may carry a fractional iat).
  if (claims.iat && now < std::chrono::floor<std::chrono::seconds>(*claims.iat) - leeway) {
    return fail(Errc::kIssuedInFuture);
  }
  if (!rules.issuer.empty()) {
    if (!claims.has("iss")) return fail(Errc::kMissingClaim, "iss");
    if (claims.iss != rules.issuer) return fail(Errc::kWrongIssuer);
  }
  if (rules.audience.empty()) {
    if (claims.has("aud")) return fail(Errc::kWrongAudience, "no audience is expected");
  } else {
    if (!claims.has("aud")) return fail(Errc::kMissingClaim, "aud");
    if (!audience_matches(claims.aud, rules.audience)) return fail(Errc::kWrongAudience);
  }
  return {};
}

}  // namespace jwtguard
