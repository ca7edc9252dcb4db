// The Service's insides, shared by the files that implement its routes
// (service.cc: the helpers; auth_routes.cc; admin_routes.cc) and by the
// route table (routes.cc), which calls them.
#ifndef JWTGUARD_SERVER_SERVICE_IMPL_H_
#define JWTGUARD_SERVER_SERVICE_IMPL_H_

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <tl/expected.hpp>

#include "auth/accounts.h"
#include "cors.h"
#include "service.h"

namespace jwtguard::server {

// A handler step either yields a value or has already produced the response
// to send instead (an error).
template <typename T>
using Step = tl::expected<T, Response>;

// What a route's handler (RouteHandler) is given.
struct RouteCall {
  const Request& request;
  const std::string& param;  // the path parameter ({sid}, {jti}); empty when none
  const Peer& peer;          // the client, after X-Forwarded-For when trusted
  Outcome& outcome;
};

// The body of a login, a refresh or a mint: Flask-JWT-Extended's names plus
// OAuth's token_type and expires_in.
nlohmann::json tokens_json(const IssuedToken& access, const IssuedToken* refresh,
                           std::chrono::seconds access_ttl);

// RFC 6749 §5.2's error body (400), which RFC 7009, RFC 7662 and the
// back-channel logout reuse.
Response oauth_error(const Request& request, std::string_view error, std::string_view description);

// A query's "limit" (1..1000; `fallback` when absent or empty), or a message
// saying what is wrong with it.
tl::expected<std::size_t, std::string> query_limit(std::string_view query, std::size_t fallback);

class ServiceImpl {
 public:
  // The limiters are shared with the ServiceImpl a reload replaces, so
  // that their counts survive it; null ones are made from `options`.
  struct Limiters {
    std::shared_ptr<LoginLimiter> login;
    std::shared_ptr<RegistrationLimiter> registration;
  };
  ServiceImpl(const Service::Parts& parts, ServiceOptions options, ErrorResponses errors,
              HttpGuard http, std::string dummy_hash, Limiters limiters = {});

  // The route's handler (routes.cc's table), or 404/405 for kUnmatched.
  Handled handle(const Request& request, const RouteMatch& match, const Peer& peer) const;

  // --- helpers ---
  // The request's token where the settings allow one (http.h: the Bearer
  // header, a cookie with its CSRF rule applied to `method` when given, else
  // to the request's), verified against `requirements`; counts the check's
  // outcome. A token from a cookie near its expiry gets a new access cookie
  // in outcome.set_cookies (implicit refresh). `refused` learns why a
  // request was refused.
  Step<Authenticated> locate(const Request& request, const Requirements& requirements,
                             Outcome& outcome, std::string_view method = {},
                             std::optional<HttpError::Kind>* refused = nullptr) const;
  // locate(), for the routes that need only the token.
  Step<VerifiedToken> authenticate(const Request& request, const Requirements& requirements,
                                   Outcome& outcome) const;
  // The response to a refused request: the service's error of that name
  // (so [errors.<name>] replaces it), with the same status and message.
  Response refusal(const Request& request, const HttpError& error) const;
  void implicit_refresh(const Authenticated& found, Outcome& outcome) const;
  // Whether a logout may expire the browser's cookies although it revoked
  // nothing: not after a CSRF refusal, nor for another site's request.
  bool may_clear_cookies(const Request& request, std::optional<HttpError::Kind> refused) const;
  // The body of a login or a refresh: the tokens, unless cookies are the
  // only place a client may present them (then page script never sees one).
  std::string_view original_method(const Request& request) const;
  nlohmann::json tokens_body(const IssuedToken& access, const IssuedToken* refresh) const;
  // authenticate (an access token), then the user must be an admin (403),
  // and not disabled.
  Step<VerifiedToken> authenticate_admin(const Request& request, Outcome& outcome,
                                         bool fresh = false) const;
  // authenticate, then the token must be a jwtguard user's (not a minted
  // identity's: 403 account_required): the account routes act on it.
  Step<VerifiedToken> authenticate_user(const Request& request, const Requirements& requirements,
                                        Outcome& outcome) const;
  // The user `username` when `password` is its password: rate-limited as a
  // login (429), the same Argon2id work whether or not the user exists, 401
  // bad_credentials otherwise; 403 account_disabled for a disabled user
  // (only once the password matched: nobody learns it without).
  Step<User> check_password(const Request& request, const std::string& username,
                            const std::string& password, const Peer& peer) const;
  // What an account request proved: a jwtguard user's token (fresh when
  // asked), and the user's password.
  struct Confirmed {
    Claims claims;
    User user;  // as the password check read it
    nlohmann::json body;
  };
  // Checks more of the body before the password (a refusal costs no attempt).
  using BodyCheck = std::function<Step<void>(const nlohmann::json& body)>;
  // authenticate_user (fresh when `fresh`), the JSON body, `before`, then the
  // password in the body's `member` (check_password), then still_valid.
  Step<Confirmed> confirm(const Request& request, const Peer& peer, Outcome& outcome, bool fresh,
                          std::string_view member, const BodyCheck& before = {}) const;
  // The token of `claims` is not revoked, the store's latest changes
  // applied first (401 otherwise).
  Step<void> still_valid(const Request& request, const Claims& claims) const;
  // A new password's rules (400) and its hash.
  Step<std::string> new_password_hash(const Request& request, const std::string& password) const;
  // How the account changes (accounts.h) end a user's tokens here: through
  // the Guard, so that this instance's index holds the cutoff at once.
  accounts::EndTokens end_tokens() const;
  // An admin's optional {"reason": "..."} body (400 when it is not a string
  // of at most 512 bytes); empty without a body.
  Step<std::string> optional_reason(const Request& request) const;
  // The response to a failed account change: 404 "No such user" for
  // kNotFound, else failure().
  Response account_failure(const Request& request, const Error& error) const;
  // 403 account_disabled (its session ended) for a verified refresh token
  // of a disabled user; nullopt otherwise (Guard::refresh decides).
  std::optional<Response> refused_as_disabled(const Request& request, const Claims& claims) const;
  // The refusal to remove the user cutoff of `name` while it ends the
  // tokens of a disabled or deleted user; nullopt when it may go.
  std::optional<Response> cutoff_must_stay(const Request& request, const std::string& name) const;
  // After tokens were issued to `name` on the strength of `verified` (the
  // account as its password check read it): the account as it is now, or
  // the refusal to send when it changed meanwhile (disabled, deleted, a new
  // password); `end` then ends what was issued.
  Step<void> account_unchanged(const Request& request, const User& verified,
                               const std::function<Result<void>()>& end) const;
  // The body as a JSON object (415 for another content type, 400 otherwise).
  Step<nlohmann::json> json_body(const Request& request) const;
  // A string member of `body`; 400 naming it when missing or not a string.
  Step<std::string> string_member(const Request& request, const nlohmann::json& body,
                                  std::string_view name) const;
  // {"username": ..., "password": ...} of register and login.
  struct Credentials {
    std::string username;
    std::string password;
  };
  Step<Credentials> credentials(const Request& request) const;
  // The response to a failed Guard or Store call (counts store errors).
  Response failure(const Request& request, const Error& error) const;
  Response ok(const Request& request, const nlohmann::json& body,
              http::status status = http::status::ok) const;
  void count_check(const Error* error) const;
  void count_revocation(RevocationKind kind) const { metrics_.record_revocation(kind); }
  // Revokes the token, then (when `with_session` and it has one) its
  // session; each durable before the next, each counted.
  Step<void> revoke(const Request& request, const Claims& claims, bool with_session,
                    const RevokeContext& context) const;

  // --- routes (auth_routes.cc) ---
  Response register_user(const Request& request, const Peer& peer, Outcome& outcome) const;
  Response login(const Request& request, const Peer& peer, Outcome& outcome) const;
  Response refresh(const Request& request, Outcome& outcome) const;
  Response logout(const Request& request, Outcome& outcome) const;
  Response logout_all(const Request& request, Outcome& outcome) const;
  Response sessions(const Request& request, Outcome& outcome) const;
  Response delete_session(const Request& request, const std::string& sid, Outcome& outcome) const;
  Response me(const Request& request, Outcome& outcome) const;

  // --- a user's own account (account_routes.cc) ---
  Response change_password(const Request& request, const Peer& peer, Outcome& outcome) const;
  Response fresh_login(const Request& request, const Peer& peer, Outcome& outcome) const;
  Response delete_account(const Request& request, const Peer& peer, Outcome& outcome) const;

  // --- accounts, for admins (user_admin_routes.cc) ---
  Response list_users(const Request& request, Outcome& outcome) const;
  Response set_user_disabled(const Request& request, const std::string& name, bool disabled,
                             Outcome& outcome) const;
  Response delete_user(const Request& request, const std::string& name, Outcome& outcome) const;
  Response reset_password(const Request& request, const std::string& name, Outcome& outcome) const;
  Response list_audit(const Request& request, Outcome& outcome) const;
  Response verify(const Request& request, Outcome& outcome) const;

  // --- routes (admin_routes.cc) ---
  Response oauth_revoke(const Request& request, Outcome& outcome) const;
  Response oauth_introspect(const Request& request, Outcome& outcome) const;
  // --- tokens issued elsewhere (issuer_routes.cc) ---
  Response backchannel_logout(const Request& request, Outcome& outcome) const;
  // A validated logout token through the Guard: 200, 400 for a replay, 503
  // (Retry-After) when the store failed; logged and counted.
  Response answer_logout(const Request& request, const LogoutToken& logout) const;
  // RFC 7009 for a trusted issuer's token: its jti, else its session; 400
  // unsupported_token_type with neither.
  Response revoke_foreign(const Request& request, const Claims& claims) const;
  // RFC 7662's answer for an active trusted issuer's token.
  nlohmann::json foreign_introspection(const Claims& claims) const;
  // A request's subject namespace ("user" or empty, "app", or a trusted
  // issuer's name), or a message saying what is wrong with it.
  tl::expected<std::string, std::string> resolve_namespace(std::string_view name) const;
  // The stored key of a revocation of `kind` named `key` in namespace `ns`
  // (resolve_namespace's): revocation_key for a jti or sid, subject_key for
  // a user.
  static std::string namespaced_key(RevocationKind kind, std::string_view ns, std::string_view key);
  // Revokes `key` of `kind` in namespace `ns` (POST /admin/revocations).
  Response revoke_key(const Request& request, RevocationKind kind, std::string_view ns,
                      std::string_view key, const RevokeContext& context) const;
  // POST /admin/revocations with {"token": "<jwt>", "kind": "token" |
  // "session" | "user"}: the token (jwtguard's or a trusted issuer's,
  // verified, revoked or not) names the jti, sid or subject to revoke.
  Response revoke_by_token(const Request& request, const nlohmann::json& body,
                           const std::string& admin) const;
  Response list_revocations(const Request& request, Outcome& outcome) const;
  Response create_revocation(const Request& request, Outcome& outcome) const;
  Response delete_revocation(const Request& request, const std::string& key,
                             Outcome& outcome) const;
  Response mint_tokens(const Request& request, const Peer& peer, Outcome& outcome) const;
  Response readyz(const Request& request) const;
  Response metrics_text(const Request& request) const;
  Response jwks(const Request& request) const;
  // GET /statuslists/{id} (status_list_routes.cc).
  Response status_list(const Request& request, const std::string& id) const;
  Response healthz(const Request& request) const;

  Guard& guard_;
  // Users and sessions, and readiness: never reached through the Guard.
  Store& store_;
  Metrics& metrics_;
  const Clock& clock_;
  ServiceOptions options_;
  ErrorResponses errors_;
  HttpGuard http_;
  Cors cors_;
  const std::shared_ptr<LoginLimiter> limiter_;
  const std::shared_ptr<RegistrationLimiter> registration_limiter_;
  // A hash of a random password with the cost of real ones: a login for a
  // user that does not exist verifies against it, so both failures take the
  // same time (no user enumeration by timing).
  std::string dummy_hash_;
};

}  // namespace jwtguard::server

#endif  // JWTGUARD_SERVER_SERVICE_IMPL_H_
