// Tokens issued elsewhere: OpenID Connect back-channel logout, and what the
// OAuth and admin routes do with a trusted issuer's token.

#include "service_impl.h"

namespace jwtguard::server {
namespace {

constexpr std::string_view kForm = "application/x-www-form-urlencoded";

// The one `logout_token` field of a form body, or why there is not one.
tl::expected<std::string, std::string> logout_token_field(std::string_view form) {
  std::optional<std::string> found;
  while (!form.empty()) {
    const std::size_t amp = form.find('&');
    const std::string_view field = form.substr(0, amp);
    form = amp == std::string_view::npos ? std::string_view() : form.substr(amp + 1);
    const std::string_view name = field.substr(0, field.find('='));
    auto decoded = percent_decode(name, /*plus_is_space=*/true);
    if (!decoded || *decoded != "logout_token") continue;
    // Two tokens would leave jwtguard to pick which logout to believe.
    if (found) return tl::unexpected(std::string("'logout_token' is given more than once"));
    auto value = percent_decode(
        name.size() < field.size() ? field.substr(name.size() + 1) : std::string_view(), true);
    if (!value) return tl::unexpected(std::string("'logout_token' is badly encoded"));
    found = std::move(*value);
  }
  if (!found || found->empty()) return tl::unexpected(std::string("Missing 'logout_token'"));
  return std::move(*found);
}

// The logout token's error as a description: its code and detail name the
// rule and the claim, never the token's content.
std::string logout_refusal(const Error& error) {
  return "The logout token is not valid: " + error.message();
}

}  // namespace

Response ServiceImpl::backchannel_logout(const Request& request, Outcome& outcome) const {
  Response response = [&] {
    auto invalid = [&](std::string_view description, std::string_view issuer = {}) {
      metrics_.record_backchannel_logout(LogoutOutcome::kInvalid);
      if (options_.log) {
        options_.log(false, "backchannel_logout",
                     {{"outcome", "invalid"},
                      {"issuer", std::string(issuer)},
                      {"reason", std::string(description)}});
      }
      return oauth_error(request, "invalid_request", description);
    };
    if (!has_media_type(request, kForm)) {
      return invalid("Content-Type must be application/x-www-form-urlencoded");
    }
    auto token = logout_token_field(request.body());
    if (!token) return invalid(token.error());
    if (!options_.issuers.trusted) return invalid("No trusted issuers are configured");
    auto logout = options_.issuers.trusted->verify_logout_token(*token, clock_.now());
    if (!logout) return invalid(logout_refusal(logout.error()));
    outcome.subject = logout->sub;
    return answer_logout(request, *logout);
  }();
  response.set(http::field::cache_control, "no-store");
  response.set(http::field::pragma, "no-cache");
  return response;
}

Response ServiceImpl::answer_logout(const Request& request, const LogoutToken& logout) const {
  std::vector<std::pair<std::string, std::string>> fields = {{"issuer", logout.name}};
  if (!logout.sid.empty()) fields.emplace_back("sid", logout.sid);
  if (!logout.sub.empty()) fields.emplace_back("sub", logout.sub);
  const auto log = [&](bool warn, std::string_view outcome) {
    fields.insert(fields.begin(), {"outcome", std::string(outcome)});
    if (options_.log) options_.log(warn, "backchannel_logout", fields);
  };
  auto done = guard_.backchannel_logout(logout);
  if (!done && done.error().code() == Errc::kAlreadyExists) {
    metrics_.record_backchannel_logout(LogoutOutcome::kReplayed);
    log(false, "replayed");
    return oauth_error(request, "invalid_request", "The logout token was already used (its jti)");
  }
  if (!done) {
    // The identity server retries a logout that was not acknowledged.
    metrics_.record_backchannel_logout(LogoutOutcome::kStoreError);
    log(true, "store_error");
    Response response = failure(request, done.error());
    if (done.error().code() == Errc::kStore) response.set(http::field::retry_after, "1");
    return response;
  }
  metrics_.record_backchannel_logout(LogoutOutcome::kRevoked);
  count_revocation(logout.sid.empty() ? RevocationKind::kUser : RevocationKind::kSession);
  log(false, "revoked");
  Response response{http::status::ok, request.version()};
  response.keep_alive(request.keep_alive());
  response.content_length(0);
  return response;
}

Response ServiceImpl::revoke_foreign(const Request& request, const Claims& claims) const {
  const RevokeContext context{.revoked_by = subject_key(claims), .reason = "oauth revoke"};
  if (!claims.jti.empty()) {
    if (auto revoked = guard_.revoke_token(claims, context); !revoked) {
      return failure(request, revoked.error());
    }
    count_revocation(RevocationKind::kToken);
    return ok(request, nlohmann::json::object());
  }
  if (!claims.sid.empty()) {
    if (auto revoked = guard_.revoke_session(session_key(claims), context); !revoked) {
      return failure(request, revoked.error());
    }
    count_revocation(RevocationKind::kSession);
    return ok(request, nlohmann::json::object());
  }
  // RFC 7009 §2.2.1: nothing in the token names what to revoke.
  return oauth_error(request, "unsupported_token_type",
                     "The token has neither a jti nor a session claim: revoke its subject "
                     "through POST /admin/revocations");
}

nlohmann::json ServiceImpl::foreign_introspection(const Claims& claims) const {
  nlohmann::json body = {{"active", true},
                         {"sub", claims.sub},
                         {"iss", claims.iss},
                         {"token_type", "access_token"},
                         {"namespace", claims.sub_ns}};
  if (!claims.jti.empty()) body["jti"] = claims.jti;
  if (!claims.sid.empty()) body["sid"] = claims.sid;
  if (claims.exp) body["exp"] = to_unix_seconds(*claims.exp);
  if (claims.iat) body["iat"] = to_unix_seconds(*claims.iat);
  if (!claims.aud.empty()) body["aud"] = claims.aud;
  return body;
}

tl::expected<std::string, std::string> ServiceImpl::resolve_namespace(std::string_view name) const {
  if (name == kUserNamespaceName) return std::string();
  if (auto parsed = parse_subject_namespace(name)) return std::string(*parsed);
  if (options_.issuers.trusted && options_.issuers.trusted->find_by_name(name) != nullptr) {
    return std::string(name);
  }
  return tl::unexpected("'namespace' must be \"" + std::string(kAppNamespace) +
                        "\" (minted identities), a trusted issuer's name, or absent (jwtguard's "
                        "users)");
}

std::string ServiceImpl::namespaced_key(RevocationKind kind, std::string_view ns,
                                        std::string_view key) {
  if (kind == RevocationKind::kUser) return subject_key(ns, key);
  return revocation_key(ns, key);
}

Response ServiceImpl::revoke_by_token(const Request& request, const nlohmann::json& body,
                                      const std::string& admin) const {
  auto token = string_member(request, body, "token");
  if (!token) return std::move(token.error());
  auto kind_name = string_member(request, body, "kind");
  if (!kind_name) return std::move(kind_name.error());
  const auto kind = parse_revocation_kind(*kind_name);
  if (!kind) {
    return errors_.make(request, ServiceError::kBadRequest,
                        "'kind' must be token, session or user");
  }
  for (const char* other : {"jti", "sid", "user", "namespace"}) {
    if (body.contains(other)) {
      return errors_.make(request, ServiceError::kBadRequest,
                          "'token' names the key and its namespace: give no '" +
                              std::string(other) + "' beside it");
    }
  }
  RevokeContext context{.revoked_by = admin, .reason = {}};
  if (auto reason = body.find("reason"); reason != body.end()) {
    if (!reason->is_string()) {
      return errors_.make(request, ServiceError::kBadRequest, "'reason' must be a string");
    }
    context.reason = reason->get<std::string>();
  }
  // Revoked tokens are fine: a session or subject may still need ending.
  auto verified = guard_.require(
      *token, {.type = TokenRequirement::kAny, .skip_revocation_check = true, .foreign = true});
  if (!verified) {
    return errors_.make(
        request, ServiceError::kBadRequest,
        "'token' is not a token this service accepts: " + verified.error().message());
  }
  const Claims& claims = verified->claims;
  const std::string& key = *kind == RevocationKind::kToken     ? claims.jti
                           : *kind == RevocationKind::kSession ? claims.sid
                                                               : claims.sub;
  if (key.empty()) {
    return errors_.make(request, ServiceError::kBadRequest,
                        "The token has no " +
                            std::string(*kind == RevocationKind::kToken ? "jti" : "session claim"));
  }
  return revoke_key(request, *kind, claims.sub_ns, key, context);
}

}  // namespace jwtguard::server
