// OAuth (RFC 7009 revocation, RFC 7662 introspection) and the admin routes.

#include <cstdint>
#include <limits>
#include <optional>

#include "auth/user_name.h"
#include "service_impl.h"

namespace jwtguard::server {

Response oauth_error(const Request& request, std::string_view error, std::string_view description) {
  return json_response(request, http::status::bad_request,
                       nlohmann::json{{"error", error}, {"error_description", description}}.dump());
}

namespace {

// The form's `token`, or RFC 6749's invalid_request.
Step<std::string> form_token(const Request& request) {
  if (!has_media_type(request, "application/x-www-form-urlencoded")) {
    return tl::unexpected(oauth_error(request, "invalid_request",
                                      "Content-Type must be application/x-www-form-urlencoded"));
  }
  auto token = form_value(request.body(), "token");
  if (!token || token->empty()) {
    return tl::unexpected(oauth_error(request, "invalid_request", "Missing 'token' parameter"));
  }
  return std::move(*token);
}

constexpr std::string_view kSeparatorInKey =
    "A key must not hold control characters; name a minted identity with 'namespace'";

// The Guard's issuer and verifier of one configuration: taken one after the
// other, a reload in between would pair a key with a set that lacks it, and
// a correct request would be refused. Each reload swaps both at once (one
// snapshot owns them), so a pair of one owner is of one configuration.
std::pair<std::shared_ptr<const Issuer>, std::shared_ptr<const Verifier>> same_reload(
    const Guard& guard) {
  for (;;) {
    auto issuer = guard.issuer();
    auto verifier = guard.verifier();
    if (!issuer.owner_before(verifier) && !verifier.owner_before(issuer)) {
      return {std::move(issuer), std::move(verifier)};
    }
  }
}

// Why the service would refuse a token minted for the application identity
// `subject` with `claims` ("" when it would not), asked of the Guard's own
// issuer and verifier: the two tokens login() would make (a fresh access
// token and a refresh token, in the minted identities' namespace) are issued
// as throwaways (nothing is recorded) and verified, so a token too large for
// http.token_limit, or with JSON nested deeper than the verifier reads, is
// caught. With status lists on, the Guard stamps the real tokens with a
// "status" claim whose index and list id grow over time, so the throwaways
// carry `status`, the longest one it can stamp. An error of the issuer
// itself (e.g. a reserved claim) is returned as such.
Result<std::string> mint_refusal(const Guard& guard, const std::string& subject,
                                 const std::string& claims,
                                 const std::optional<StatusClaim>& status, Timestamp now) {
  TokenRequest request;
  request.subject = subject;
  request.subject_namespace = std::string(kAppNamespace);
  request.extra_claims_json = claims;
  request.status = status;
  const auto [issuer, verifier] = same_reload(guard);
  for (TokenType type : {TokenType::kAccess, TokenType::kRefresh}) {
    request.type = type;
    request.fresh = type == TokenType::kAccess;
    auto issued = issuer->issue(request, now);
    if (!issued) return tl::unexpected(issued.error());
    auto verified = verifier->verify(issued->token, now);
    if (verified) continue;
    if (verified.error().code() == Errc::kTokenTooLarge) {
      return "'claims' make a token of " + std::to_string(issued->token.size()) +
             " bytes, over this service's limit of " +
             std::to_string(verifier->options().max_token_size) + " (http.token_limit)";
    }
    return "'claims' make a token this service would refuse: " + verified.error().message();
  }
  return std::string();
}

// The longest "status" claim the Guard can stamp on a token: the last index
// of a list of the largest size (2^31) in the list with the longest id (any
// 64-bit one). None when status lists are off (`base_url` empty).
std::optional<StatusClaim> longest_status_claim(const std::string& base_url) {
  if (base_url.empty()) return std::nullopt;
  return StatusClaim{.idx = (std::uint64_t{1} << 31) - 1,
                     .uri = base_url + "/statuslists/" +
                            std::to_string(std::numeric_limits<std::uint64_t>::max())};
}

nlohmann::json revocation_json(const Revocation& revocation) {
  // User keys are subject keys (revocation.h): shown as a name and its
  // namespace, never with the separator.
  auto [user_namespace, user] = split_subject_key(revocation.user);
  std::string_view key = revocation.key;
  if (revocation.kind == RevocationKind::kUser) key = split_subject_key(revocation.key).second;
  nlohmann::json entry = {{"kind", revocation_kind_name(revocation.kind)},
                          {"key", key},
                          {"user", user},
                          {"namespace", user_namespace},
                          {"revoked_at", to_unix_seconds(revocation.revoked_at)},
                          {"expires_at", to_unix_seconds(revocation.expires_at)},
                          {"revoked_by", revocation.revoked_by},
                          {"reason", revocation.reason}};
  if (revocation.kind == RevocationKind::kToken) {
    entry["session"] = revocation.session;
    if (revocation.token_type) entry["token_type"] = token_type_name(*revocation.token_type);
  }
  if (revocation.kind == RevocationKind::kUser) {
    // Milliseconds: a cutoff falls between tokens issued in the same second.
    entry["cutoff_ms"] =
        std::chrono::duration_cast<std::chrono::milliseconds>(revocation.cutoff.time_since_epoch())
            .count();
  }
  return entry;
}

// GET /admin/revocations's query, or a message saying what is wrong with it.
tl::expected<RevocationFilter, std::string> revocation_filter(const ServiceImpl& service,
                                                              std::string_view query) {
  RevocationFilter filter;
  std::string user_namespace;
  if (auto name = form_value(query, "namespace")) {
    auto parsed = service.resolve_namespace(*name);
    if (!parsed) return tl::unexpected(parsed.error());
    user_namespace = *parsed;
  }
  if (auto user = form_value(query, "user"); user && !user->empty()) {
    filter.user = subject_key(user_namespace, *user);
  }
  if (auto type = form_value(query, "type"); type && !type->empty()) {
    filter.token_type = parse_token_type(*type);
    if (!filter.token_type) return tl::unexpected(std::string("'type' must be access or refresh"));
  }
  if (auto kind = form_value(query, "kind"); kind && !kind->empty()) {
    filter.kind = parse_revocation_kind(*kind);
    if (!filter.kind) return tl::unexpected(std::string("'kind' must be token, session or user"));
  }
  auto limit = query_limit(query, filter.limit);
  if (!limit) return tl::unexpected(limit.error());
  filter.limit = *limit;
  if (auto cursor = form_value(query, "cursor")) filter.cursor = *cursor;
  return filter;
}

}  // namespace

Response ServiceImpl::oauth_revoke(const Request& request, Outcome& outcome) const {
  auto token = form_token(request);
  if (!token) return std::move(token.error());
  // RFC 7009 §2.2: a token that is invalid, expired or already revoked gets
  // the same 200 as one revoked now.
  if (token->size() > options_.token_limit) return ok(request, nlohmann::json::object());
  auto verified = guard_.require(
      *token, {.type = TokenRequirement::kAny, .skip_revocation_check = true, .foreign = true});
  if (!verified) return ok(request, nlohmann::json::object());
  const Claims& claims = verified->claims;
  outcome.subject = claims.sub;
  if (is_issuer_namespace(claims.sub_ns)) return revoke_foreign(request, claims);
  RevokeContext context{.revoked_by = claims.sub, .reason = "oauth revoke"};
  // A refresh token stands for its session (RFC 7009 §2.1 lets revoking it
  // revoke the grant).
  if (auto revoked = revoke(request, claims, claims.type == "refresh", context); !revoked) {
    return std::move(revoked.error());
  }
  return ok(request, nlohmann::json::object());
}

Response ServiceImpl::oauth_introspect(const Request& request, Outcome& outcome) const {
  auto admin = authenticate_admin(request, outcome);
  if (!admin) return std::move(admin.error());
  auto token = form_token(request);
  if (!token) return std::move(token.error());
  if (token->size() > options_.token_limit) return ok(request, {{"active", false}});
  auto verified = guard_.require(*token, {.type = TokenRequirement::kAny, .foreign = true});
  if (!verified) return ok(request, {{"active", false}});
  if (is_issuer_namespace(verified->claims.sub_ns)) {
    return ok(request, foreign_introspection(verified->claims));
  }
  // A refresh token retired by rotation verifies, but presenting it would
  // revoke its session: it is not active (RFC 7662 §2.2).
  if (verified->claims.type == "refresh") {
    auto current = guard_.refresh_token_current(verified->claims);
    if (!current) return failure(request, current.error());
    if (!*current) return ok(request, {{"active", false}});
  }
  auto body = nlohmann::json::parse(verified->claims.payload_json, nullptr, false);
  if (!body.is_object()) return errors_.make(request, ServiceError::kInternal);
  body["active"] = true;
  body["token_type"] = verified->claims.type;  // RFC 7662 §2.2's name for our "type"
  return ok(request, body);
}

Response ServiceImpl::list_revocations(const Request& request, Outcome& outcome) const {
  auto admin = authenticate_admin(request, outcome);
  if (!admin) return std::move(admin.error());
  auto filter = revocation_filter(*this, target_query(request.target()));
  if (!filter) return errors_.make(request, ServiceError::kBadRequest, filter.error());
  auto page = store_.list_revocations(*filter);
  if (!page) return failure(request, page.error());
  nlohmann::json entries = nlohmann::json::array();
  for (const Revocation& revocation : page->entries) entries.push_back(revocation_json(revocation));
  return ok(request, {{"revocations", std::move(entries)}, {"next_cursor", page->next_cursor}});
}

Response ServiceImpl::create_revocation(const Request& request, Outcome& outcome) const {
  auto admin = authenticate_admin(request, outcome);
  if (!admin) return std::move(admin.error());
  auto body = json_body(request);
  if (!body) return std::move(body.error());
  if (body->contains("token")) return revoke_by_token(request, *body, admin->claims.sub);
  std::optional<RevocationKind> kind;
  std::string key;
  for (auto [name, candidate] :
       {std::pair{"jti", RevocationKind::kToken}, std::pair{"sid", RevocationKind::kSession},
        std::pair{"user", RevocationKind::kUser}}) {
    auto it = body->find(name);
    if (it == body->end()) continue;
    if (kind || !it->is_string() || it->get_ref<const std::string&>().empty()) {
      kind.reset();
      break;
    }
    kind = candidate;
    key = it->get<std::string>();
  }
  if (!kind) {
    return errors_.make(request, ServiceError::kBadRequest,
                        "Give exactly one of 'jti', 'sid' or 'user', as a non-empty string");
  }
  RevokeContext context{.revoked_by = admin->claims.sub, .reason = {}};
  if (auto reason = body->find("reason"); reason != body->end()) {
    if (!reason->is_string()) {
      return errors_.make(request, ServiceError::kBadRequest, "'reason' must be a string");
    }
    context.reason = reason->get<std::string>();
  }
  if (key.find(kNamespaceSeparator) != std::string::npos) {
    return errors_.make(request, ServiceError::kBadRequest, kSeparatorInKey);
  }
  std::string ns;
  if (auto name = body->find("namespace"); name != body->end()) {
    auto parsed = name->is_string() ? resolve_namespace(name->get_ref<const std::string&>())
                                    : tl::unexpected(std::string("'namespace' must be a string"));
    if (!parsed) return errors_.make(request, ServiceError::kBadRequest, parsed.error());
    // jwtguard's own and minted tokens share one space of jti and sid
    // values; only an issuer's are namespaced (revocation_key).
    if (*kind != RevocationKind::kUser && *parsed == kAppNamespace) {
      return errors_.make(request, ServiceError::kBadRequest,
                          "'namespace' \"app\" goes with 'user' only");
    }
    ns = std::move(*parsed);
  }
  return revoke_key(request, *kind, ns, key, context);
}

Response ServiceImpl::revoke_key(const Request& request, RevocationKind kind, std::string_view ns,
                                 std::string_view key, const RevokeContext& context) const {
  const std::string stored = namespaced_key(kind, ns, key);
  Result<void> revoked = kind == RevocationKind::kToken     ? guard_.revoke_jti(stored, context)
                         : kind == RevocationKind::kSession ? guard_.revoke_session(stored, context)
                                                            : guard_.revoke_user(stored, context);
  if (!revoked) return failure(request, revoked.error());
  count_revocation(kind);
  nlohmann::json body_out = {
      {"msg", "Revoked"}, {"kind", revocation_kind_name(kind)}, {"key", key}};
  if (!ns.empty()) body_out["namespace"] = ns;
  return ok(request, body_out);
}

std::optional<Response> ServiceImpl::cutoff_must_stay(const Request& request,
                                                      const std::string& name) const {
  auto cutoff = store_.find_revocation(RevocationKind::kUser, name);
  if (!cutoff) return failure(request, cutoff.error());
  if (!*cutoff) return std::nullopt;  // 404 below
  auto user = store_.find_user(name);
  if (!user) return failure(request, user.error());
  if (*user && !(*user)->disabled) return std::nullopt;
  return errors_.make(request, ServiceError::kBadRequest,
                      *user ? "The user is disabled: its cutoff stays (enable it, then remove it)"
                            : "No such user: a deleted user's cutoff stays until it expires");
}

Response ServiceImpl::delete_revocation(const Request& request, const std::string& key,
                                        Outcome& outcome) const {
  auto admin = authenticate_admin(request, outcome);
  if (!admin) return std::move(admin.error());
  RevocationKind kind = RevocationKind::kToken;
  if (auto name = form_value(target_query(request.target()), "kind"); name && !name->empty()) {
    auto parsed = parse_revocation_kind(*name);
    if (!parsed) {
      return errors_.make(request, ServiceError::kBadRequest,
                          "'kind' must be token, session or user");
    }
    kind = *parsed;
  }
  if (key.find(kNamespaceSeparator) != std::string::npos) {
    return errors_.make(request, ServiceError::kBadRequest, kSeparatorInKey);
  }
  std::string stored_key = key;
  if (auto name = form_value(target_query(request.target()), "namespace")) {
    auto parsed = resolve_namespace(*name);
    if (!parsed) return errors_.make(request, ServiceError::kBadRequest, parsed.error());
    // As when revoking: "app" names a user, never a jti or a sid.
    if (kind != RevocationKind::kUser && *parsed == kAppNamespace) {
      return errors_.make(request, ServiceError::kBadRequest,
                          "'namespace' \"app\" goes with kind=user only");
    }
    stored_key = namespaced_key(kind, *parsed, key);
  }
  // A disabled or deleted user's cutoff is what keeps its tokens ended:
  // removing it would bring them back ("enabling does not resurrect").
  if (kind == RevocationKind::kUser && stored_key == key) {
    auto kept = cutoff_must_stay(request, key);
    if (kept) return std::move(*kept);
  }
  auto removed = guard_.unrevoke(kind, stored_key);
  if (!removed) return failure(request, removed.error());
  if (!*removed) return errors_.make(request, ServiceError::kNotFound, "No such revocation");
  // A disable or a deletion that landed between the check above and the
  // removal had its cutoff merged into the row just removed: end the user's
  // tokens again.
  if (kind == RevocationKind::kUser && stored_key == key) {
    auto user = store_.find_user(key);
    if (!user || !*user || (*user)->disabled) {
      auto again = guard_.revoke_user(key, {.revoked_by = admin->claims.sub,
                                            .reason = "the account changed during an unrevoke"});
      if (!again) return failure(request, again.error());
      return errors_.make(request, ServiceError::kBadRequest,
                          "The user was disabled or deleted meanwhile: its cutoff stays");
    }
  }
  return ok(request,
            {{"msg", "Revocation removed"}, {"kind", revocation_kind_name(kind)}, {"key", key}});
}

Response ServiceImpl::mint_tokens(const Request& request, const Peer& peer,
                                  Outcome& outcome) const {
  auto admin = authenticate_admin(request, outcome);
  if (!admin) return std::move(admin.error());
  auto body = json_body(request);
  if (!body) return std::move(body.error());
  auto identity = string_member(request, *body, "identity");
  if (!identity) return std::move(identity.error());
  if (!valid_user_name(*identity)) {
    return errors_.make(request, ServiceError::kBadRequest, user_name_rule("'identity'"));
  }
  std::string claims;
  if (auto it = body->find("claims"); it != body->end() && !it->is_null()) {
    if (!it->is_object())
      return errors_.make(request, ServiceError::kBadRequest, "'claims' must be an object");
    claims = it->dump();
  }
  bool fresh = false;
  if (auto it = body->find("fresh"); it != body->end()) {
    if (!it->is_boolean())
      return errors_.make(request, ServiceError::kBadRequest, "'fresh' must be a boolean");
    fresh = it->get<bool>();
  }
  // Checked before login(): a refused token must leave no session behind.
  auto refusal = mint_refusal(guard_, *identity, claims,
                              longest_status_claim(options_.status_list_base_url), clock_.now());
  if (!refusal) return failure(request, refusal.error());
  if (!refusal->empty()) return errors_.make(request, ServiceError::kBadRequest, *refusal);
  ClientInfo client{peer.address, "minted by " + admin->claims.sub};
  // Minted identities live in their own namespace: the application's user
  // "root" is not jwtguard's user "root" (no admin rights, no shared
  // sessions or cutoffs).
  auto pair = guard_.login(*identity, claims, client, kAppNamespace);
  if (!pair) return failure(request, pair.error());
  if (!fresh) {
    // login() always issues a fresh access token; create_access_token's
    // default is not fresh.
    TokenRequest request_access;
    request_access.subject = *identity;
    request_access.subject_namespace = std::string(kAppNamespace);
    request_access.session_id = pair->refresh.sid;
    request_access.extra_claims_json = claims;
    auto access = guard_.issue(request_access);
    if (!access) return failure(request, access.error());
    pair->access = std::move(*access);
  }
  return ok(request, tokens_json(pair->access, &pair->refresh, options_.access_ttl));
}

}  // namespace jwtguard::server
