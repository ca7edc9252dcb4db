#include "status_list/list_token.h"

#include <cctype>
#include <string>

#include "jose/json.h"
#include "jwtguard/claims.h"
#include "util/try.h"

namespace jwtguard::status_list {
namespace {

tl::unexpected<Error> refused(Errc code, std::string_view what) {
  return fail(code, "status list token: " + std::string(what));
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// RFC 7515 §4.1.9: a typ without '/' stands for "application/<typ>", and
// media types compare case-insensitively.
Result<void> check_typ(std::string_view typ) {
  if (equals_ignoring_case(typ, "statuslist+jwt") ||
      equals_ignoring_case(typ, "application/statuslist+jwt")) {
    return {};
  }
  return refused(Errc::kBadHeader, "typ must be statuslist+jwt");
}

Result<void> check_times(const Claims& claims, std::chrono::seconds leeway, Timestamp now) {
  if (!claims.iat) return refused(Errc::kMissingClaim, "iat");
  if (now < *claims.iat - leeway) return refused(Errc::kIssuedInFuture, "iat");
  if (claims.exp && now >= *claims.exp + leeway) return refused(Errc::kExpired, "exp");
  return {};
}

Result<std::optional<std::chrono::seconds>> read_ttl(simdjson::dom::object payload) {
  simdjson::dom::element element;
  if (payload["ttl"].get(element)) return std::optional<std::chrono::seconds>{};
  std::int64_t ttl = 0;
  if (element.get_int64().get(ttl) || ttl <= 0) {
    return refused(Errc::kBadClaim, "ttl must be a positive integer");
  }
  return std::optional<std::chrono::seconds>{std::chrono::seconds(ttl)};
}

// The "status_list" member's JSON text: parse_status_list_claim reads text,
// and the payload's parse does not outlive the next one on this thread.
Result<std::string> status_list_text(simdjson::dom::object payload) {
  simdjson::dom::element element;
  if (payload["status_list"].get(element)) return refused(Errc::kMissingClaim, "status_list");
  return simdjson::to_string(element);
}

Result<void> read_payload(const std::string& payload_json, const ListTokenRules& rules,
                          CheckedList& out) {
  JWTGUARD_ASSIGN_OR_RETURN(const simdjson::dom::object payload,
                            json::parse_object(payload_json, "status list token payload"));
  JWTGUARD_ASSIGN_OR_RETURN(out.ttl, read_ttl(payload));
  JWTGUARD_ASSIGN_OR_RETURN(const std::string text, status_list_text(payload));
  auto list = parse_status_list_claim(text, rules.limits);
  if (!list) return refused(list.error().code(), list.error().detail());
  out.list = *std::move(list);
  return {};
}

}  // namespace

Result<CheckedList> read_verified_list(std::string_view typ, std::string payload_json,
                                       std::string_view uri, const ListTokenRules& rules,
                                       Timestamp now) {
  JWTGUARD_TRY(check_typ(typ));
  auto claims = parse_claims(std::move(payload_json));
  if (!claims) return refused(claims.error().code(), claims.error().detail());
  if (!claims->has("sub")) return refused(Errc::kMissingClaim, "sub");
  if (claims->sub != uri) return refused(Errc::kBadClaim, "sub is not the list's URI");
  JWTGUARD_TRY(check_times(*claims, rules.leeway, now));
  CheckedList out{*StatusList::create(1, 1), claims->exp, std::nullopt};
  JWTGUARD_TRY(read_payload(claims->payload_json, rules, out));
  return out;
}

Result<CheckedList> read_list_token(std::string_view token, std::string_view uri,
                                    const ListTokenRules& rules, Timestamp now) {
  if (rules.keys == nullptr) return fail(Errc::kInvalidArgument, "no keys for the status list");
  JWTGUARD_ASSIGN_OR_RETURN(VerifiedJws jws, verify_jws(token, *rules.keys, rules.jws));
  return read_verified_list(jws.header->typ, std::move(jws.payload), uri, rules, now);
}

}  // namespace jwtguard::status_list
