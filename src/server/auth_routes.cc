// The /auth/* routes: users, logins, refresh, logouts, sessions, and the
// checks gateways and applications call on every request.
#include <algorithm>
#include <boost/asio/ip/address_v6.hpp>

#include "auth/user_name.h"
#include "jwtguard/password.h"
#include "service_impl.h"

namespace jwtguard::server {
namespace {

// A header value carries the subject as is, except bytes that could end or
// corrupt the header (controls, '%', non-ASCII), which are percent-encoded.
std::string header_safe(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (unsigned char c : value) {
    if (c < 0x20 || c >= 0x7f || c == '%') {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// Adds `name: header_safe(value)` to a response known not to hold `name`
// yet: insert() instead of set(), which would first search the fields for
// `name`, and the value copied once, into the field, unless it needs
// escaping (the usual case needs none).
void insert_header_safe(Response& response, std::string_view name, std::string_view value) {
  const bool safe = std::all_of(value.begin(), value.end(),
                                [](unsigned char c) { return c >= 0x20 && c < 0x7f && c != '%'; });
  const boost::beast::string_view beast_name(name.data(), name.size());
  if (safe) {
    response.insert(beast_name, boost::beast::string_view(value.data(), value.size()));
  } else {
    response.insert(beast_name, header_safe(value));
  }
}

// The key an address is rate-limited by: an IPv4 address, or an IPv6
// address's /64 (one host usually has a whole /64 to pick addresses from).
std::string limiter_address(const std::string& address) {
  boost::system::error_code ec;
  auto parsed = boost::asio::ip::make_address_v6(address, ec);
  if (ec || parsed.is_v4_mapped()) return address;
  auto bytes = parsed.to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  return boost::asio::ip::address_v6(bytes).to_string() + "/64";
}

// 429 rate_limited, with the seconds until a retry may succeed.
Response rate_limited(const ErrorResponses& errors, const Request& request,
                      std::chrono::seconds wait, std::string_view message = {}) {
  Response response = errors.make(request, ServiceError::kRateLimited, message);
  response.set(http::field::retry_after, std::to_string(wait.count()));
  return response;
}

}  // namespace

nlohmann::json tokens_json(const IssuedToken& access, const IssuedToken* refresh,
                           std::chrono::seconds access_ttl) {
  nlohmann::json body = {
      {"access_token", access.token}, {"token_type", "Bearer"}, {"expires_in", access_ttl.count()}};
  if (refresh != nullptr) body["refresh_token"] = refresh->token;
  return body;
}

Step<ServiceImpl::Credentials> ServiceImpl::credentials(const Request& request) const {
  auto body = json_body(request);
  if (!body) return tl::unexpected(std::move(body.error()));
  auto username = string_member(request, *body, "username");
  if (!username) return tl::unexpected(std::move(username.error()));
  auto password = string_member(request, *body, "password");
  if (!password) return tl::unexpected(std::move(password.error()));
  return Credentials{std::move(*username), std::move(*password)};
}

Response ServiceImpl::register_user(const Request& request, const Peer& peer,
                                    Outcome& outcome) const {
  if (!options_.registration) return errors_.make(request, ServiceError::kRegistrationClosed);
  auto given = credentials(request);
  if (!given) return std::move(given.error());
  const std::string& username = given->username;
  const std::string& password = given->password;
  if (!valid_user_name(username)) {
    return errors_.make(request, ServiceError::kBadRequest, user_name_rule("'username'"));
  }
  if (auto rule = check_new_password(password, options_.min_password_length); !rule) {
    return errors_.make(request, ServiceError::kBadRequest, rule.error().detail());
  }
  outcome.subject = username;
  // Before the hash: a refused registration costs no Argon2id work.
  if (auto wait = registration_limiter_->try_acquire(limiter_address(peer.address), clock_.now());
      wait.count() > 0) {
    return rate_limited(errors_, request, wait, "Too many registrations. Try again later");
  }
  auto hash = new_password_hash(request, password);
  if (!hash) return std::move(hash.error());
  User user{.name = username,
            .password_hash = std::move(*hash),
            .created_at = clock_.now(),
            .disabled = false,
            .last_login_at = std::nullopt};
  if (auto created = store_.create_user(user); !created) {
    return failure(request, created.error());
  }
  return ok(request, {{"msg", "User created"}, {"username", username}}, http::status::created);
}

Response ServiceImpl::login(const Request& request, const Peer& peer, Outcome& outcome) const {
  auto given = credentials(request);
  if (!given) return std::move(given.error());
  const std::string& username = given->username;
  const std::string& password = given->password;
  // No user can have a name registration refuses; such a name would also
  // cost memory as a rate-limit key and bytes in the log.
  if (!valid_user_name(username)) {
    metrics_.record_login(false);
    return errors_.make(request, ServiceError::kBadCredentials);
  }
  outcome.subject = username;
  auto user = check_password(request, username, password, peer);
  if (!user) return std::move(user.error());
  std::string user_agent(header_value(request, http::field::user_agent).substr(0, 512));
  auto pair = guard_.login(username, {}, ClientInfo{peer.address, std::move(user_agent)});
  if (!pair) return failure(request, pair.error());
  // A disable, a deletion or a new password that committed while this
  // login checked the old one may have set its cutoff before these tokens
  // were issued: look again, and end the new session if the account changed.
  auto unchanged = account_unchanged(request, *user, [&] {
    return guard_.revoke_session(pair->refresh.sid,
                                 {.revoked_by = "login", .reason = "account changed during login"});
  });
  if (!unchanged) {
    metrics_.record_login(false);
    return std::move(unchanged.error());
  }
  metrics_.record_login(true);
  // Cookies whenever a browser may use them; an API client ignores them.
  if (http_.allows(TokenLocation::kCookies)) {
    outcome.set_cookies = http_.pair_cookies(pair->access, pair->refresh);
  }
  return ok(request, tokens_body(pair->access, &pair->refresh));
}

Step<User> ServiceImpl::check_password(const Request& request, const std::string& username,
                                       const std::string& password, const Peer& peer) const {
  const std::string address = limiter_address(peer.address);
  // The attempt is taken (counted as a failure) before the hash, so that
  // parallel guesses cannot all pass the check before any is counted.
  if (auto wait = limiter_->try_acquire(username, address, clock_.now()); wait.count() > 0) {
    metrics_.record_login_rate_limited();
    return tl::unexpected(rate_limited(errors_, request, wait));
  }
  auto user = store_.find_user(username);
  if (!user) {
    limiter_->released(username, address);
    return tl::unexpected(failure(request, user.error()));
  }
  // The same Argon2id work whether or not the user exists.
  std::string_view hash = *user ? std::string_view((*user)->password_hash) : dummy_hash_;
  bool matches = password.size() <= kMaxPasswordSize && verify_password(password, hash);
  if (!*user || !matches) {
    metrics_.record_login(false);
    return tl::unexpected(errors_.make(request, ServiceError::kBadCredentials));
  }
  limiter_->succeeded(username, address, clock_.now());
  if ((*user)->disabled) {
    metrics_.record_login(false);
    return tl::unexpected(errors_.make(request, ServiceError::kAccountDisabled));
  }
  return std::move(**user);
}

Step<std::string> ServiceImpl::new_password_hash(const Request& request,
                                                 const std::string& password) const {
  if (auto rule = check_new_password(password, options_.min_password_length); !rule) {
    return tl::unexpected(errors_.make(request, ServiceError::kBadRequest, rule.error().detail()));
  }
  auto hash = hash_password(password, options_.password_cost);
  if (!hash) return tl::unexpected(failure(request, hash.error()));
  return std::move(*hash);
}

// A refresh by the refresh cookie answers with cookies alone: page script
// (an injected one too) may call it, and must never read a token.
Response ServiceImpl::refresh(const Request& request, Outcome& outcome) const {
  auto found = locate(request, {.type = TokenRequirement::kRefresh}, outcome);
  if (!found) return std::move(found.error());
  const std::string_view token = found->encoded();
  if (auto disabled = refused_as_disabled(request, found->token.claims); disabled) {
    return std::move(*disabled);
  }
  auto refreshed = guard_.refresh(token);
  if (!refreshed) return failure(request, refreshed.error());
  const IssuedToken* next = refreshed->refresh ? &*refreshed->refresh : nullptr;
  if (found->location != TokenLocation::kCookies) {
    return ok(request, tokens_json(refreshed->access, next, options_.access_ttl));
  }
  // Without rotation the refresh cookie stays as it is; the access CSRF
  // cookie lives as long as it.
  outcome.set_cookies = next != nullptr
                            ? http_.pair_cookies(refreshed->access, *next)
                            : http_.access_cookies(refreshed->access, found->token.claims.exp);
  return ok(request, {{"msg", "Tokens refreshed"}, {"expires_in", options_.access_ttl.count()}});
}

// The cutoff made when a user was disabled already refuses every refresh
// token it held; this also refuses one that a race let through, and ends
// its session. One store read per refresh (which writes anyway).
std::optional<Response> ServiceImpl::refused_as_disabled(const Request& request,
                                                         const Claims& claims) const {
  if (!claims.sub_ns.empty()) return std::nullopt;  // a minted identity has no account
  auto user = store_.find_user(claims.sub);
  if (!user || !*user || !(*user)->disabled) return std::nullopt;
  if (!claims.sid.empty()) {
    auto revoked =
        guard_.revoke_session(claims.sid, {.revoked_by = "refresh", .reason = "user disabled"});
    if (!revoked) return failure(request, revoked.error());
  }
  return errors_.make(request, ServiceError::kAccountDisabled);
}

// Flask-JWT-Extended's users ask for a logout that clears the cookies even
// when the token is expired, revoked or gone: the browser forgets them
// whatever this answers, unless the request is one a logged-in user's
// browser was tricked into (a CSRF refusal, another site's page).
Response ServiceImpl::logout(const Request& request, Outcome& outcome) const {
  std::optional<HttpError::Kind> refused;
  auto found = locate(request, {.type = TokenRequirement::kAny}, outcome, {}, &refused);
  if (!found) {
    if (may_clear_cookies(request, refused)) outcome.set_cookies = http_.unset_cookies();
    return std::move(found.error());
  }
  const Claims& claims = found->token.claims;
  RevokeContext context{.revoked_by = claims.sub, .reason = "logout"};
  if (auto revoked = revoke(request, claims, /*with_session=*/true, context); !revoked) {
    return std::move(revoked.error());
  }
  if (http_.allows(TokenLocation::kCookies)) outcome.set_cookies = http_.unset_cookies();
  bool refresh = claims.type == "refresh";
  return ok(request, {{"msg", refresh ? "Refresh token revoked" : "Access token revoked"}});
}

Response ServiceImpl::logout_all(const Request& request, Outcome& outcome) const {
  std::optional<HttpError::Kind> refused;
  auto found = locate(request, {}, outcome, {}, &refused);
  if (!found) {
    if (may_clear_cookies(request, refused)) outcome.set_cookies = http_.unset_cookies();
    return std::move(found.error());
  }
  const Claims& claims = found->token.claims;
  RevokeContext context{.revoked_by = claims.sub, .reason = "logout-all"};
  if (auto revoked = guard_.revoke_user(subject_key(claims), context); !revoked) {
    return failure(request, revoked.error());
  }
  count_revocation(RevocationKind::kUser);
  if (http_.allows(TokenLocation::kCookies)) outcome.set_cookies = http_.unset_cookies();
  return ok(request, {{"msg", "All sessions revoked"}});
}

Response ServiceImpl::sessions(const Request& request, Outcome& outcome) const {
  auto token = authenticate(request, {}, outcome);
  if (!token) return std::move(token.error());
  auto sessions = guard_.list_sessions(subject_key(token->claims));
  if (!sessions) return failure(request, sessions.error());
  nlohmann::json list = nlohmann::json::array();
  // When the session limits end it: null for a limit that is off.
  auto seconds_or_null = [](std::optional<Timestamp> t) {
    return t ? nlohmann::json(to_unix_seconds(*t)) : nlohmann::json(nullptr);
  };
  for (const Session& session : *sessions) {
    const SessionEnds ends = guard_.session_ends(session);
    list.push_back({{"sid", session.sid},
                    {"created_at", to_unix_seconds(session.created_at)},
                    {"refreshed_at", to_unix_seconds(session.refreshed_at)},
                    {"expires_at", to_unix_seconds(session.expires_at)},
                    {"ends_at", seconds_or_null(ends.absolute)},
                    {"idle_ends_at", seconds_or_null(ends.idle)},
                    {"client_address", session.client_address},
                    {"user_agent", session.user_agent},
                    {"current", session.sid == token->claims.sid}});
  }
  return ok(request, {{"sessions", std::move(list)}});
}

Response ServiceImpl::delete_session(const Request& request, const std::string& sid,
                                     Outcome& outcome) const {
  auto token = authenticate(request, {}, outcome);
  if (!token) return std::move(token.error());
  auto session = store_.find_session(sid);
  if (!session) return failure(request, session.error());
  // Another user's session is "not found" too: no probing for session ids.
  // Sessions are recorded under the subject's key: a minted identity never
  // reaches a user's sessions, nor the reverse.
  if (!*session || (*session)->user != subject_key(token->claims)) {
    return errors_.make(request, ServiceError::kNotFound, "No such session");
  }
  RevokeContext context{.revoked_by = token->claims.sub, .reason = "session revoked by its user"};
  if (auto revoked = guard_.revoke_session(sid, context); !revoked) {
    return failure(request, revoked.error());
  }
  count_revocation(RevocationKind::kSession);
  return ok(request, {{"msg", "Session revoked"}, {"sid", sid}});
}

Response ServiceImpl::me(const Request& request, Outcome& outcome) const {
  auto token = authenticate(request, {}, outcome);
  if (!token) return std::move(token.error());
  // The payload was verified as a JSON object; it goes out as it came.
  std::string body = R"({"sub":)" +
                     nlohmann::json(token->claims.sub)
                         .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
                     R"(,"claims":)" + token->claims.payload_json + "}";
  return json_response(request, http::status::ok, std::move(body));
}

// The method of the request a gateway is asking about: the CSRF rule is
// that request's. Where both headers are sent, a CSRF method in either
// counts; where neither is (a gateway not set up as docs/gateways.md
// shows), the request is taken for a state change: a cookie then needs its
// CSRF header, rather than a forged POST passing as the GET of the check.
// Envoy's ext_authz (HTTP mode) sends no such header but asks with the
// client's own method: a CSRF method there counts as well.
std::string_view ServiceImpl::original_method(const Request& request) const {
  const std::string_view own(request.method_string().data(), request.method_string().size());
  if (http_.requires_csrf(own)) return own;
  std::string_view method;
  for (std::string_view name : {"X-Original-Method", "X-Forwarded-Method"}) {
    auto [first, end] = request.equal_range({name.data(), name.size()});
    for (auto it = first; it != end; ++it) {
      std::string_view value(it->value().data(), it->value().size());
      if (http_.requires_csrf(value)) return value;
      if (method.empty()) method = value;
    }
  }
  if (!method.empty()) return method;
  const auto& unsafe = options_.http.cookies.csrf_methods;
  return unsafe.empty() ? std::string_view("GET") : std::string_view(unsafe.front());
}

Response ServiceImpl::verify(const Request& request, Outcome& outcome) const {
  // A trusted issuer's token too: an unknown kid may make its key source
  // fetch once (bounded by jwks_timeout, at most once per jwks_cooldown),
  // which is why the route runs on a worker when issuers are configured
  // (Service::work).
  auto found = locate(request, {.foreign = true}, outcome, original_method(request));
  if (!found) return std::move(found.error());
  const VerifiedToken* token = &found->token;
  Response response{http::status::ok, request.version()};
  // A fresh response: each field is inserted, not set (see
  // insert_header_safe).
  insert_header_safe(response, "X-Auth-Subject", token->claims.sub);
  // Always sent (empty for jwtguard's own tokens without a configured
  // issuer), so that a client cannot supply its own through the gateway.
  insert_header_safe(response, "X-Auth-Issuer", token->claims.iss);
  insert_header_safe(response, "X-Auth-Jti", token->claims.jti);
  insert_header_safe(response, "X-Auth-Session", token->claims.sid);
  // A minted identity is not the jwtguard user of the same name: the
  // application must know which one it is looking at. Always sent, "user"
  // for jwtguard's own users, so that an absent header (a gateway that does
  // not forward it, or one that passes a client's own) is never read as one.
  insert_header_safe(response, "X-Auth-Namespace",
                     token->claims.sub_ns.empty() ? std::string_view(kUserNamespaceName)
                                                  : std::string_view(token->claims.sub_ns));
  response.insert(http::field::cache_control, "no-store");
  response.keep_alive(request.keep_alive());
  response.content_length(0);
  return response;
}

}  // namespace jwtguard::server
