#include "issuers/foreign_claims.h"

#include "jose/base64url.h"
#include "jose/json.h"
#include "tokens/claim_values.h"

namespace jwtguard::issuers {
namespace {

Events read_events(simdjson::dom::element value) {
  simdjson::dom::object events;
  if (value.get_object().get(events)) return Events::kNotObject;
  simdjson::dom::element logout;
  if (events.at_key(kBackchannelLogoutEvent).get(logout)) return Events::kNoLogoutEvent;
  return logout.is_object() ? Events::kLogoutEvent : Events::kBadLogoutEvent;
}

// A string claim that names a token, session or subject: control
// characters would let it reach into another namespace's keys.
Result<void> id_claim(simdjson::dom::element value, std::string_view name, std::string& out) {
  if (auto ok = detail::string_claim(value, name, out); !ok) return ok;
  if (has_control_character(out)) {
    return fail(Errc::kBadClaim, std::string(name) + " holds a control character");
  }
  return {};
}

Result<void> date_claim(simdjson::dom::element value, std::string_view name,
                        std::optional<Timestamp>& out) {
  auto date = detail::numeric_date(value, name);
  if (!date) return tl::unexpected(date.error());
  out = *date;
  return {};
}

// One member of the payload. The mapped claims come first: a mapping
// never names a registered claim (TrustedIssuers::create refuses it).
Result<void> read_member(std::string_view key, simdjson::dom::element value,
                         const ClaimMapping& mapping, ForeignPayload& out) {
  Claims& claims = out.claims;
  if (key == mapping.subject_claim) {
    detail::mark_present(claims, "sub");
    return id_claim(value, key, claims.sub);
  }
  if (key == mapping.session_claim) {
    detail::mark_present(claims, "sid");
    return id_claim(value, key, claims.sid);
  }
  if (key == "jti" || key == "iss" || key == "aud" || key == "exp" || key == "nbf" ||
      key == "iat") {
    detail::mark_present(claims, key);
  }
  if (key == "jti") return id_claim(value, key, claims.jti);
  if (key == "iss") return detail::string_claim(value, key, claims.iss);
  if (key == "aud") return detail::audience_claim(value, claims.aud);
  if (key == "exp") return date_claim(value, key, claims.exp);
  if (key == "nbf") return date_claim(value, key, claims.nbf);
  if (key == "iat") return date_claim(value, key, claims.iat);
  if (key == "events") out.events = read_events(value);
  if (key == "nonce") out.nonce = true;
  return {};
}

}  // namespace

bool has_control_character(std::string_view text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

Result<ForeignPayload> parse_foreign_payload(std::string payload, const ClaimMapping& mapping) {
  auto object = json::parse_object(payload, "payload");
  if (!object) return tl::unexpected(object.error());
  ForeignPayload out;
  for (auto field : *object) {
    if (auto ok = read_member(field.key, field.value, mapping, out); !ok) {
      return tl::unexpected(ok.error());
    }
  }
  out.claims.sub_ns = std::string(mapping.ns);
  out.claims.type = "access";
  detail::mark_present(out.claims, "type");
  out.claims.payload_json = std::move(payload);
  return out;
}

std::optional<std::string> unverified_issuer(std::string_view token, std::size_t max_token_size) {
  if (token.size() > max_token_size) return std::nullopt;
  const auto first = token.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  const auto second = token.find('.', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  auto payload = base64url::decode(token.substr(first + 1, second - first - 1));
  if (!payload) return std::nullopt;
  auto object = json::parse_object(*payload, "payload");
  if (!object) return std::nullopt;
  std::string_view iss;
  if (object->at_key("iss").get_string().get(iss)) return std::nullopt;
  return std::string(iss);
}

}  // namespace jwtguard::issuers
