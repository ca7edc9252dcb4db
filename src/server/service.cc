// The helpers every route uses, and the answer to a request: its row of the
// route table (routes.cc), or 404/405. The routes themselves are in
// auth_routes.cc and admin_routes.cc.

#include <charconv>

#include "jwtguard/issuer.h"
#include "jwtguard/password.h"
#include "request_view.h"
#include "service_impl.h"
#include "util/try.h"

namespace jwtguard::server {
namespace {}  // namespace

ServiceImpl::ServiceImpl(const Service::Parts& parts, ServiceOptions options, ErrorResponses errors,
                         HttpGuard http, std::string dummy_hash, Limiters limiters)
    : guard_(parts.guard),
      store_(parts.store),
      metrics_(parts.metrics),
      clock_(parts.clock),
      options_(std::move(options)),
      errors_(std::move(errors)),
      http_(std::move(http)),
      cors_(options_.cors_origins, options_.cors_max_age, options_.http.cookies.csrf_header),
      limiter_(limiters.login ? std::move(limiters.login)
                              : std::make_shared<LoginLimiter>(options_.login_limits)),
      registration_limiter_(limiters.registration ? std::move(limiters.registration)
                                                  : std::make_shared<RegistrationLimiter>(
                                                        options_.registration_limits)),
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
  std::optional<Response> preflight;
  if (request.method() == http::verb::options) preflight = cors_.preflight(request, match.allow);
  if (preflight) {
    handled.response = std::move(*preflight);
  } else if (const RouteSpec* spec = route_spec(match.route)) {
    RouteCall call{request, match.param, peer, handled.outcome};
    handled.response = spec->handler(*this, call);
  } else if (!match.method_mismatch) {
    handled.response = errors_.make(request, ServiceError::kNotFound);
  } else {
    handled.response = errors_.make(request, ServiceError::kMethodNotAllowed);
    handled.response.set(http::field::allow, match.allow);
  }
  for (std::string& cookie : handled.outcome.set_cookies) {
    handled.response.insert(http::field::set_cookie, std::move(cookie));
  }
  if (!handled.outcome.set_cookies.empty()) {
    // Tokens in a cookie are as secret as tokens in a body.
    handled.response.set(http::field::cache_control, "no-store");
  }
  handled.outcome.set_cookies.clear();
  cors_.decorate(request, handled.response);
  return handled;
}

Response ServiceImpl::refusal(const Request& request, const HttpError& error) const {
  using Kind = HttpError::Kind;
  switch (error.kind) {
    case Kind::kMissingToken:
      return errors_.make(request, ServiceError::kMissingAuthorization, error.message);
    case Kind::kWrongScheme:
      return errors_.make(request, ServiceError::kWrongScheme);
    case Kind::kBadAuthorizationHeader:
      return errors_.make(request, ServiceError::kBadAuthorizationHeader, error.message);
    case Kind::kBadCookie:
      return errors_.make(request, ServiceError::kBadCookie, error.message);
    case Kind::kMissingCsrf:
      return errors_.make(request, ServiceError::kMissingCsrfToken);
    case Kind::kCsrfMismatch:
      return errors_.make(request, ServiceError::kCsrfMismatch);
    case Kind::kToken:
    case Kind::kServer:
      break;
  }
  return failure(request, error.error);
}

Step<Authenticated> ServiceImpl::locate(const Request& request, const Requirements& requirements,
                                        Outcome& outcome, std::string_view method,
                                        std::optional<HttpError::Kind>* refused) const {
  auto found = http_.require(BeastRequestView(request), requirements, method);
  if (!found) {
    const HttpError& error = found.error();
    if (refused != nullptr) *refused = error.kind;
    const bool missing =
        error.kind != HttpError::Kind::kToken && error.kind != HttpError::Kind::kServer;
    if (missing) {
      metrics_.record_check(CheckOutcome::kMissing);
    } else {
      count_check(&error.error);
    }
    return tl::unexpected(refusal(request, error));
  }
  count_check(nullptr);
  outcome.subject = found->token.claims.sub;
  outcome.by_cookie = found->location == TokenLocation::kCookies;
  if (outcome.by_cookie) implicit_refresh(*found, outcome);
  return std::move(*found);
}

// A failed implicit refresh costs the request nothing: its token is valid,
// and the next request tries again.
void ServiceImpl::implicit_refresh(const Authenticated& found, Outcome& outcome) const {
  auto cookie = http_.implicit_refresh(found);
  if (cookie && *cookie) outcome.set_cookies.push_back(std::move(**cookie));
}

bool ServiceImpl::may_clear_cookies(const Request& request,
                                    std::optional<HttpError::Kind> refused) const {
  if (!http_.allows(TokenLocation::kCookies)) return false;
  if (refused == HttpError::Kind::kMissingCsrf || refused == HttpError::Kind::kCsrfMismatch) {
    return false;
  }
  return !cors_.cross_site(request);
}

nlohmann::json ServiceImpl::tokens_body(const IssuedToken& access,
                                        const IssuedToken* refresh) const {
  const auto& where = options_.http.locations;
  if (where.size() == 1 && where.front() == TokenLocation::kCookies) {
    return {{"msg", "Tokens set in cookies"}, {"expires_in", options_.access_ttl.count()}};
  }
  return tokens_json(access, refresh, options_.access_ttl);
}

Step<VerifiedToken> ServiceImpl::authenticate(const Request& request,
                                              const Requirements& requirements,
                                              Outcome& outcome) const {
  auto found = locate(request, requirements, outcome);
  if (!found) return tl::unexpected(std::move(found.error()));
  return std::move(found->token);
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
    case Errc::kSuspended:
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
  // Until an issuer's first key set is in, none of its tokens can pass.
  // Afterwards the last good set stays in use through its server's outages.
  if (auto waiting = issuers_not_ready(options_.issuers.keys); !waiting.empty()) {
    return json_response(request, http::status::service_unavailable,
                         nlohmann::json{{"status", "not ready"},
                                        {"reason", "no key set loaded yet from a trusted issuer"},
                                        {"issuers_not_ready", waiting}}
                             .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
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
  response.body() =
      metrics_.render(guard_.stats()) + render_issuer_metrics(options_.issuers.keys, clock_.now());
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
  auto http = HttpGuard::create(parts.guard, options.http, &parts.clock);
  if (!http) return tl::unexpected(http.error());
  ServiceImpl::Limiters limiters{
      .login = std::make_shared<LoginLimiter>(options.login_limits),
      .registration = std::make_shared<RegistrationLimiter>(options.registration_limits)};
  auto impl =
      std::make_shared<const ServiceImpl>(parts, std::move(options), std::move(*errors),
                                          std::move(*http), std::move(*dummy_hash), limiters);
  return std::unique_ptr<Service>(new Service(std::move(impl)));
}

Result<void> Service::check(Guard& guard, const ServiceOptions& options) {
  if (auto errors = ErrorResponses::create(options.errors); !errors) {
    return tl::unexpected(errors.error());
  }
  if (auto http = HttpGuard::create(guard, options.http); !http) {
    return tl::unexpected(http.error());
  }
  return {};
}

Result<void> Service::reconfigure(ServiceOptions options) {
  std::lock_guard lock(reload_mu_);
  const auto current = impl_.load();
  const Parts parts{current->guard_, current->store_, current->metrics_, current->clock_};
  auto errors = ErrorResponses::create(options.errors);
  if (!errors) return tl::unexpected(errors.error());
  auto http = HttpGuard::create(parts.guard, options.http, &parts.clock);
  if (!http) return tl::unexpected(http.error());
  // What a reload does not change (service.h) stays as it was.
  const ServiceOptions& kept = current->options_;
  options.password_cost = kept.password_cost;
  options.issuers = kept.issuers;
  options.log = kept.log;
  options.status_list_ttl = kept.status_list_ttl;
  options.status_list_base_url = kept.status_list_base_url;
  current->limiter_->set_limits(options.login_limits);
  current->registration_limiter_->set_limits(options.registration_limits);
  ServiceImpl::Limiters limiters{current->limiter_, current->registration_limiter_};
  impl_.store(std::make_shared<const ServiceImpl>(parts, std::move(options), std::move(*errors),
                                                  std::move(*http), current->dummy_hash_,
                                                  std::move(limiters)));
  return {};
}

Service::Service(std::shared_ptr<const ServiceImpl> impl) : impl_(std::move(impl)) {}
Service::~Service() = default;

RouteMatch Service::route(const Request& request) const {
  return match_route(request.method(), target_path(request.target()));
}

Handled Service::handle(const Request& request, const RouteMatch& match, const Peer& peer) const {
  Handled handled = impl_.load()->handle(request, match, peer);
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
    case RouteThread::kIoUnlessStrict: {
      // An implicit refresh reads the session from the store: not on an I/O
      // thread, where a slow store would stall every connection.
      const auto impl = impl_.load();
      const auto& options = impl->options_.http;
      const bool implicit_refresh = impl->http_.allows(TokenLocation::kCookies) &&
                                    options.cookies.refresh_access_within.count() > 0;
      const bool strict = impl->guard_.check_mode() == GuardOptions::CheckMode::kStore;
      // A trusted issuer's token with a kid its cached key set lacks waits
      // for one JWKS fetch (at most jwks_timeout, once per cooldown): on a
      // worker, never on an I/O thread, where a slow identity server would
      // stall every connection.
      const bool foreign = route == Route::kVerify && impl->options_.issuers.trusted != nullptr;
      return strict || implicit_refresh || foreign ? Work::kStore : Work::kInline;
    }
    case RouteThread::kStoreWorker:
      return Work::kStore;
    case RouteThread::kHashWorker:
      return Work::kPasswordHash;
  }
  return Work::kStore;
}

std::shared_ptr<const ErrorResponses> Service::errors() const {
  auto impl = impl_.load();
  return {impl, &impl->errors_};
}
Metrics& Service::metrics() const { return impl_.load()->metrics_; }

}  // namespace jwtguard::server
