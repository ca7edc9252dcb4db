#include "jwtguard/issuer.h"

#include <openssl/rand.h>

#include <algorithm>
#include <iterator>
#include <nlohmann/json.hpp>

#include "jose/base64url.h"
#include "jose/signature.h"
#include "jwtguard/jose.h"
#include "jwtguard/revocation.h"

namespace jwtguard {
namespace {

using Json = nlohmann::ordered_json;

// "status" too: a token's status list entry is recorded for that token
// alone, so an application may not set one, and a refreshed token gets its
// own instead of its predecessor's.
constexpr std::string_view kOwnedClaims[] = {"jti", "type",   "sub",  "sub_ns", "sid",
                                             "iat", "iat_ms", "nbf",  "exp",    "fresh",
                                             "iss", "aud",    "csrf", "status"};

bool owned(std::string_view name) {
  return std::find(std::begin(kOwnedClaims), std::end(kOwnedClaims), name) !=
         std::end(kOwnedClaims);
}

Result<Json> extra_claims(std::string_view text) {
  if (text.empty()) return Json::object();
  Json extra = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (extra.is_discarded() || !extra.is_object()) {
    return fail(Errc::kInvalidArgument, "extra claims must be a JSON object");
  }
  for (std::string_view name : kOwnedClaims) {
    if (extra.contains(name)) {
      return fail(Errc::kInvalidArgument, "claim \"" + std::string(name) + "\" is set by jwtguard");
    }
  }
  return extra;
}

}  // namespace

Result<std::string> extra_claims_of(std::string_view payload_json) {
  Json payload = Json::parse(payload_json, nullptr, /*allow_exceptions=*/false);
  if (payload.is_discarded() || !payload.is_object()) {
    return fail(Errc::kInvalidArgument, "payload is not a JSON object");
  }
  Json extra = Json::object();
  for (auto& [name, value] : payload.items()) {
    if (!owned(name)) extra[name] = std::move(value);
  }
  return extra.empty() ? std::string() : extra.dump();
}

Result<std::string> random_id() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return fail(Errc::kCrypto, "RAND_bytes failed");
  return base64url::encode({reinterpret_cast<const char*>(bytes), sizeof bytes});
}

Issuer::Issuer(Key key, Algorithm alg, IssuerOptions options, std::string encoded_header)
    : key_(std::move(key)),
      algorithm_(alg),
      options_(std::move(options)),
      encoded_header_(std::move(encoded_header)) {}

Result<Issuer> Issuer::create(Key key, IssuerOptions options) {
  const Algorithm alg = options.algorithm.value_or(key.algorithms().front());
  // Refused here already, not only at the first token.
  if (auto usable = detail::check_signing_key(key.data(), alg); !usable) {
    return tl::unexpected(usable.error());
  }
  if (options.access_ttl.count() <= 0 || options.refresh_ttl.count() <= 0) {
    return fail(Errc::kInvalidArgument, "token lifetimes must be positive");
  }
  std::string encoded = base64url::encode(jose_header_json(alg, key.kid()));
  return Issuer(std::move(key), alg, std::move(options), std::move(encoded));
}

Result<std::chrono::seconds> Issuer::checked_ttl(const TokenRequest& request) const {
  if (request.subject.empty()) return fail(Errc::kInvalidArgument, "empty subject");
  // The separator of subject keys: a subject holding it could pass for
  // another namespace's (revocation.h).
  if (request.subject.find(kNamespaceSeparator) != std::string::npos ||
      request.subject_namespace.find(kNamespaceSeparator) != std::string::npos) {
    return fail(Errc::kInvalidArgument, "subject or namespace contains U+001F");
  }
  const auto ttl = request.ttl.value_or(request.type == TokenType::kAccess ? options_.access_ttl
                                                                           : options_.refresh_ttl);
  if (ttl.count() <= 0) return fail(Errc::kInvalidArgument, "token lifetime must be positive");
  return ttl;
}

Result<TokenTimes> Issuer::times(const TokenRequest& request, Timestamp now) const {
  auto ttl = checked_ttl(request);
  if (!ttl) return tl::unexpected(ttl.error());
  auto extra = extra_claims(request.extra_claims_json);
  if (!extra) return tl::unexpected(extra.error());
  return TokenTimes{.issued_at = issued_at(request, now),
                    .expires_at = from_unix_seconds(to_unix_seconds(now) + ttl->count())};
}

Timestamp Issuer::issued_at(const TokenRequest& request, Timestamp now) {
  return std::chrono::floor<std::chrono::milliseconds>(std::max(now, request.order_at));
}

Result<IssuedToken> Issuer::issue(const TokenRequest& request, Timestamp now) const {
  auto checked = checked_ttl(request);
  if (!checked) return tl::unexpected(checked.error());
  const auto ttl = *checked;
  auto extra = extra_claims(request.extra_claims_json);
  if (!extra) return tl::unexpected(extra.error());
  auto jti = request.jti.empty() ? random_id() : Result<std::string>(request.jti);
  if (!jti) return tl::unexpected(jti.error());
  std::string sid = request.session_id;
  if (sid.empty()) {
    auto fresh_sid = random_id();
    if (!fresh_sid) return tl::unexpected(fresh_sid.error());
    sid = std::move(*fresh_sid);
  }

  const Timestamp issued = issued_at(request, now);
  const std::int64_t nbf = to_unix_seconds(now);
  const std::int64_t exp = nbf + ttl.count();
  Json payload = {{"jti", *jti}, {"type", token_type_name(request.type)}, {"sub", request.subject}};
  if (!request.subject_namespace.empty()) payload["sub_ns"] = request.subject_namespace;
  payload["sid"] = sid;
  if (request.type == TokenType::kAccess) payload["fresh"] = request.fresh;
  payload["iat"] = nbf;
  payload["iat_ms"] =
      std::chrono::floor<std::chrono::milliseconds>(issued).time_since_epoch().count();
  payload["nbf"] = nbf;
  payload["exp"] = exp;
  std::string csrf = request.csrf;
  if (csrf.empty() && options_.csrf_claim) {
    auto random = random_id();
    if (!random) return tl::unexpected(random.error());
    csrf = std::move(*random);
  }
  if (!csrf.empty()) payload["csrf"] = csrf;
  if (!options_.issuer.empty()) payload["iss"] = options_.issuer;
  if (options_.audience.size() == 1) payload["aud"] = options_.audience.front();
  if (options_.audience.size() > 1) payload["aud"] = options_.audience;
  if (request.status) {
    payload["status"] = {
        {"status_list", {{"idx", request.status->idx}, {"uri", request.status->uri}}}};
  }
  for (auto& [name, value] : extra->items()) payload[name] = std::move(value);

  IssuedToken out;
  out.token = encoded_header_;
  out.token += '.';
  base64url::encode_append(payload.dump(), out.token);
  auto signature = jws_signature(key_, algorithm_, out.token);
  if (!signature) return tl::unexpected(signature.error());
  out.token += '.';
  out.token += *signature;
  out.jti = std::move(*jti);
  out.sid = std::move(sid);
  out.type = request.type;
  out.csrf = std::move(csrf);
  out.issued_at = issued;
  out.expires_at = from_unix_seconds(exp);
  return out;
}

Result<TokenPair> Issuer::issue_pair(std::string_view subject, std::string_view extra_claims_json,
                                     Timestamp now) const {
  TokenRequest request;
  request.subject = std::string(subject);
  request.fresh = true;
  request.extra_claims_json = std::string(extra_claims_json);
  return issue_pair(std::move(request), now);
}

Result<TokenPair> Issuer::issue_pair(TokenRequest request, Timestamp now) const {
  request.type = TokenType::kAccess;
  auto access = issue(request, now);
  if (!access) return tl::unexpected(access.error());
  request.type = TokenType::kRefresh;
  request.fresh = false;
  request.session_id = access->sid;
  // One CSRF value for both: whichever token cookie a request carries (a
  // logout after the access cookie expired carries only the refresh one),
  // the page's CSRF header matches it.
  request.csrf = access->csrf;
  auto refresh = issue(request, now);
  if (!refresh) return tl::unexpected(refresh.error());
  return TokenPair{std::move(*access), std::move(*refresh)};
}

}  // namespace jwtguard
