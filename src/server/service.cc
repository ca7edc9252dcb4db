// The helpers every route uses, and the answer to a request: its row of the
// route table (routes.cc), or 404/405. The routes themselves are in
// auth_routes.cc and admin_routes.cc.

#include <charconv>

#include "jwtguard/issuer.h"
#include "jwtguard/password.h"
#include "service_impl.h"
#include "util/try.h"

namespace jwtguard::server {
namespace {

constexpr std::string_view kTwoAuthorizationHeaders =
    "Bad Authorization header: more than one. Expected 'Authorization: Bearer <JWT>'";

}  // namespace

ServiceImpl::ServiceImpl(const Service::Parts& parts, ServiceOptions options, ErrorResponses errors,
                         std::string dummy_hash)
    : guard_(parts.guard),
      store_(parts.store),
      metrics_(parts.metrics),
      clock_(parts.clock),
      options_(std::move(options)),
      errors_(std::move(errors)),
      limiter_(options_.login_limits),
      registration_limiter_(options_.registration_limits),
      dummy_hash_(std::move(dummy_hash)) {}

// The last address of X-Forwarded-For, or empty when there is none.
std::string forwarded_client(const Request& request) {
  // The last field line: a proxy may append its own line after the client's.
  std::string_view value;
  auto [first, end] = request.equal_range("X-Forwarded-For");
  if (first == end) return {};
  for (auto it = first; it != end; ++it) value = {it->value().data(), it->value().size()};
  if (auto comma = value.rfind(','); comma != std::string_view::npos)
    value.remove_prefix(comma + 1);
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  return value.size() <= 64 ? std::string(value) : std::string();
}

Handled ServiceImpl::handle(const Request& request, const RouteMatch& match,
                            const Peer& direct_peer) const {
  Handled handled;
  Peer forwarded;
  if (options_.trust_forwarded_for) {
    forwarded.address = forwarded_client(request);
    handled.outcome.client = forwarded.address;
  }
  const Peer& peer = forwarded.address.empty() ? direct_peer : forwarded;
  handled.outcome.route = match.route;
  if (const RouteSpec* spec = route_spec(match.route)) {
    RouteCall call{request, match.param, peer, handled.outcome};
    handled.response = spec->handler(*this, call);
  } else if (!match.method_mismatch) {
    handled.response = errors_.make(request, ServiceError::kNotFound);
  } else {
    handled.response = errors_.make(request, ServiceError::kMethodNotAllowed);
    handled.response.set(http::field::allow, match.allow);
  }
  return handled;
}

Step<std::string_view> ServiceImpl::bearer_token(const Request& request) const {
  auto field = request.find(http::field::authorization);
  if (field == request.end()) {
    return tl::unexpected(errors_.make(request, ServiceError::kMissingAuthorization));
  }
  // Authorization is a singleton field: with two, which one a proxy in front
  // checked is unknowable. The 422 family of a malformed header, as
  // Flask-JWT-Extended answers the comma-joined pair its WSGI server makes.
  if (request.count(http::field::authorization) > 1) {
    return tl::unexpected(
        errors_.make(request, ServiceError::kBadAuthorizationHeader, kTwoAuthorizationHeaders));
  }
  std::string_view value(field->value().data(), field->value().size());
  // Flask-JWT-Extended strips the header first: a blank one is a missing one.
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  if (value.empty())
    return tl::unexpected(errors_.make(request, ServiceError::kMissingAuthorization));
  // Then it splits on spaces: the first part must be "Bearer", and there
  // must be exactly one more.
  auto space = value.find(' ');
  if (value.substr(0, space) != "Bearer") {
    return tl::unexpected(errors_.make(request, ServiceError::kWrongScheme));
  }
  std::string_view token =
      space == std::string_view::npos ? std::string_view{} : value.substr(space + 1);
  if (token.empty() || token.find(' ') != std::string_view::npos) {
    return tl::unexpected(errors_.make(request, ServiceError::kBadAuthorizationHeader));
  }
  if (token.size() > options_.token_limit) {
    return tl::unexpected(errors_.for_error(request, Error(Errc::kTokenTooLarge)));
  }
  return token;
}

Step<VerifiedToken> ServiceImpl::authenticate(const Request& request,
                                              const Requirements& requirements,
                                              Outcome& outcome) const {
  auto token = bearer_token(request);
  if (!token) {
    metrics_.record_check(CheckOutcome::kMissing);
    return tl::unexpected(std::move(token.error()));
  }
  auto verified = guard_.require(*token, requirements);
  if (!verified) {
    count_check(&verified.error());
    return tl::unexpected(errors_.for_error(request, verified.error()));
  }
  count_check(nullptr);
  outcome.subject = verified->claims.sub;
  return std::move(*verified);
}

Step<VerifiedToken> ServiceImpl::authenticate_admin(const Request& request, Outcome& outcome,
                                                    bool fresh) const {
  auto token = authenticate(request, {.fresh = fresh}, outcome);
  if (!token) return token;
  // Rights belong to jwtguard's own users: an identity an application
  // minted tokens for is never one of them, whatever its name.
  if (!token->claims.sub_ns.empty()) {
    return tl::unexpected(errors_.make(request, ServiceError::kAdminRequired));
  }
  auto user = store_.find_user(token->claims.sub);
  if (!user) return tl::unexpected(failure(request, user.error()));
  if (!*user || !(*user)->admin || (*user)->disabled) {
    return tl::unexpected(errors_.make(request, ServiceError::kAdminRequired));
  }
  return token;
}

Step<VerifiedToken> ServiceImpl::authenticate_user(const Request& request,
                                                   const Requirements& requirements,
                                                   Outcome& outcome) const {
  auto token = authenticate(request, requirements, outcome);
  if (!token) return token;
  // A minted identity "alice" is not the user alice: it has no password and
  // no account to change.
  if (!token->claims.sub_ns.empty()) {
    return tl::unexpected(errors_.make(request, ServiceError::kAccountRequired));
  }
  return token;
}

Step<void> ServiceImpl::account_unchanged(const Request& request, const User& verified,
                                          const std::function<Result<void>()>& end) const {
  auto now = store_.find_user(verified.name);
  if (now && *now && !(*now)->disabled && (*now)->password_hash == verified.password_hash) {
    return {};
  }
  if (auto ended = end(); !ended) return tl::unexpected(failure(request, ended.error()));
  if (!now) return tl::unexpected(failure(request, now.error()));
  if (*now && (*now)->disabled) {
    return tl::unexpected(errors_.make(request, ServiceError::kAccountDisabled));
  }
  return tl::unexpected(errors_.make(request, ServiceError::kBadCredentials));
}

accounts::EndTokens ServiceImpl::end_tokens() const {
  return [this](std::string_view user, const RevokeContext& context) -> Result<void> {
    JWTGUARD_TRY(guard_.revoke_user(user, context));
    count_revocation(RevocationKind::kUser);
    return {};
  };
}

tl::expected<std::size_t, std::string> query_limit(std::string_view query, std::size_t fallback) {
  auto limit = form_value(query, "limit");
  if (!limit || limit->empty()) return fallback;
  std::size_t value = 0;
  auto [end, error] = std::from_chars(limit->data(), limit->data() + limit->size(), value);
  if (error != std::errc{} || end != limit->data() + limit->size() || value < 1 || value > 1000) {
    return tl::unexpected(std::string("'limit' must be an integer from 1 to 1000"));
  }
  return value;
}

void ServiceImpl::count_check(const Error* error) const {
  if (error == nullptr) return metrics_.record_check(CheckOutcome::kValid);
  switch (error->code()) {
    case Errc::kExpired:
    case Errc::kNotYetValid:
    case Errc::kIssuedInFuture:
      return metrics_.record_check(CheckOutcome::kExpired);
    case Errc::kRevoked:
      return metrics_.record_check(CheckOutcome::kRevoked);
    case Errc::kRefreshTokenNotAllowed:
    case Errc::kAccessTokenNotAllowed:
      return metrics_.record_check(CheckOutcome::kWrongType);
    case Errc::kFreshTokenRequired:
      return metrics_.record_check(CheckOutcome::kNotFresh);
    case Errc::kMissingToken:
      return metrics_.record_check(CheckOutcome::kMissing);
    default:
      return metrics_.record_check(CheckOutcome::kInvalid);
  }
}

Step<nlohmann::json> ServiceImpl::json_body(const Request& request) const {
  if (!has_media_type(request, "application/json")) {
    return tl::unexpected(errors_.make(request, ServiceError::kUnsupportedMediaType));
  }
  auto body = nlohmann::json::parse(request.body(), nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    return tl::unexpected(
        errors_.make(request, ServiceError::kBadRequest, "Body is not valid JSON"));
  }
  if (!body.is_object()) {
    return tl::unexpected(
        errors_.make(request, ServiceError::kBadRequest, "Body must be a JSON object"));
  }
  return body;
}

Step<std::string> ServiceImpl::string_member(const Request& request, const nlohmann::json& body,
                                             std::string_view name) const {
  auto it = body.find(name);
  if (it == body.end() || !it->is_string()) {
    return tl::unexpected(errors_.make(request, ServiceError::kBadRequest,
                                       "'" + std::string(name) + "' must be a string"));
  }
  return it->get<std::string>();
}

Response ServiceImpl::failure(const Request& request, const Error& error) const {
  if (error.code() == Errc::kStore) metrics_.record_store_error();
  return errors_.for_error(request, error);
}

Response ServiceImpl::ok(const Request& request, const nlohmann::json& body,
                         http::status status) const {
  // Strings that came from the client (a user agent) may not be UTF-8: they
  // go out with U+FFFD in place of the bad bytes rather than failing.
  return json_response(request, status,
                       body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

Step<void> ServiceImpl::revoke(const Request& request, const Claims& claims, bool with_session,
                               const RevokeContext& context) const {
  if (auto revoked = guard_.revoke_token(claims, context); !revoked) {
    return tl::unexpected(failure(request, revoked.error()));
  }
  count_revocation(RevocationKind::kToken);
  if (!with_session || claims.sid.empty()) return {};
  if (auto revoked = guard_.revoke_session(claims.sid, context); !revoked) {
    return tl::unexpected(failure(request, revoked.error()));
  }
  count_revocation(RevocationKind::kSession);
  return {};
}

Response ServiceImpl::readyz(const Request& request) const {
  auto ping = store_.ping();
  if (!ping) {
    metrics_.record_store_error();
    return json_response(
        request, http::status::service_unavailable,
        nlohmann::json{{"status", "not ready"}, {"reason", ping.error().message()}}.dump(
            -1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  return ok(request, {{"status", "ready"}});
}

Response ServiceImpl::jwks(const Request& request) const {
  Response response = json_response(request, http::status::ok, options_.jwks_json);
  response.set(http::field::cache_control, "public, max-age=300");
  return response;
}

Response ServiceImpl::healthz(const Request& request) const {
  return ok(request, {{"status", "ok"}});
}

Response ServiceImpl::metrics_text(const Request& request) const {
  Response response{http::status::ok, request.version()};
  response.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
  response.keep_alive(request.keep_alive());
  response.body() = metrics_.render(guard_.stats());
  response.prepare_payload();
  return response;
}

// --- Service -----------------------------------------------------------------

Result<std::unique_ptr<Service>> Service::create(const Parts& parts, ServiceOptions options) {
  auto errors = ErrorResponses::create(options.errors);
  if (!errors) return tl::unexpected(errors.error());
  auto secret = random_id();
  if (!secret) return tl::unexpected(secret.error());
  auto dummy_hash = hash_password(*secret, options.password_cost);
  if (!dummy_hash) return tl::unexpected(dummy_hash.error());
  auto impl = std::make_unique<ServiceImpl>(parts, std::move(options), std::move(*errors),
                                            std::move(*dummy_hash));
  return std::unique_ptr<Service>(new Service(std::move(impl)));
}

Service::Service(std::unique_ptr<ServiceImpl> impl) : impl_(std::move(impl)) {}
Service::~Service() = default;

RouteMatch Service::route(const Request& request) const {
  return match_route(request.method(), target_path(request.target()));
}

Handled Service::handle(const Request& request, const RouteMatch& match, const Peer& peer) const {
  Handled handled = impl_->handle(request, match, peer);
  if (request.method() == http::verb::head) {
    handled.response.body().clear();  // Content-Length stays that of the GET
  }
  return handled;
}

Handled Service::handle(const Request& request, const Peer& peer) const {
  return handle(request, route(request), peer);
}

Service::Work Service::work(Route route) const {
  const RouteSpec* spec = route_spec(route);
  if (spec == nullptr) return Work::kInline;  // 404 and 405
  switch (spec->thread) {
    case RouteThread::kIo:
      return Work::kInline;
    case RouteThread::kIoUnlessStrict:
      return impl_->guard_.check_mode() == GuardOptions::CheckMode::kStore ? Work::kStore
                                                                           : Work::kInline;
    case RouteThread::kStoreWorker:
      return Work::kStore;
    case RouteThread::kHashWorker:
      return Work::kPasswordHash;
  }
  return Work::kStore;
}

const ErrorResponses& Service::errors() const { return impl_->errors_; }
Metrics& Service::metrics() const { return impl_->metrics_; }

}  // namespace jwtguard::server
