#include "app.h"

#include <thread>

#include "issuers.h"
#include "jwtguard/http.h"
#include "jwtguard/store.h"
#include "listener.h"
#include "logging.h"
#include "metrics.h"
#include "service.h"
#include "service_keys.h"
#include "util/try.h"

namespace jwtguard::server {
namespace {

const SystemClock kSystemClock;

auto problem(std::string sentence) { return fail(Errc::kInvalidArgument, std::move(sentence)); }

// The store's error as a sentence that names the setting, its source and the
// URL (without its password); kInvalidArgument for a URL that is wrong in
// itself, kStore for a store that cannot be opened.
tl::unexpected<Error> store_problem(const ServeConfig& config, const Error& error) {
  std::string sentence = setting_origin(config, "store") + " \"" + redact_store_url(config.store) +
                         "\": " + error.detail();
  if (error.code() == Errc::kInvalidArgument) {
    return fail(Errc::kInvalidArgument, sentence + ". Correct the URL where it is set");
  }
  return fail(error.code(), sentence +
                                ". Check that the store is reachable and that the service's user "
                                "may create and write it");
}

unsigned or_cores(unsigned configured) {
  if (configured != 0) return configured;
  return std::max(1u, std::thread::hardware_concurrency());
}

std::vector<std::string> strings(const std::vector<std::string_view>& views) {
  return {views.begin(), views.end()};
}

// The settings' checks have passed: every name parses.
HttpOptions http_options(const ServeConfig& config) {
  HttpOptions options;
  options.locations.clear();
  for (std::string_view name : split_list(config.token_locations)) {
    options.locations.push_back(*parse_token_location(name));
  }
  CookieOptions& cookies = options.cookies;
  cookies.secure = config.cookie_secure;
  cookies.same_site = *parse_same_site(config.cookie_samesite);
  cookies.domain = config.cookie_domain;
  cookies.path = config.cookie_path;
  cookies.refresh_path = config.refresh_cookie_path;
  cookies.session_cookies = config.session_cookies;
  cookies.access_cookie = config.access_cookie_name;
  cookies.refresh_cookie = config.refresh_cookie_name;
  cookies.access_csrf_cookie = config.access_csrf_cookie_name;
  cookies.refresh_csrf_cookie = config.refresh_csrf_cookie_name;
  cookies.csrf_protect = config.cookie_csrf_protect;
  cookies.csrf_header = config.csrf_header_name;
  cookies.refresh_access_within = config.refresh_access_within;
  options.token_limit = config.token_limit;
  return options;
}

bool cookies_allowed(const ServeConfig& config) {
  const HttpOptions options = http_options(config);
  return std::find(options.locations.begin(), options.locations.end(), TokenLocation::kCookies) !=
         options.locations.end();
}

GuardOptions guard_options(const ServeConfig& config, Algorithm alg) {
  GuardOptions options;
  options.issuer.algorithm = alg;
  options.issuer.access_ttl = config.access_ttl;
  options.issuer.refresh_ttl = config.refresh_ttl;
  options.issuer.issuer = config.issuer;
  // Every token a browser may hold in a cookie carries its double-submit
  // value; header clients ignore the claim.
  options.issuer.csrf_claim = cookies_allowed(config) && config.cookie_csrf_protect;
  if (!config.audience.empty()) options.issuer.audience = {config.audience};
  options.verify.algorithms = {alg};
  // The one size limit: the service's early check and the verifier's agree.
  options.verify.max_token_size = config.token_limit;
  options.verify.claims.leeway = config.leeway;
  options.verify.claims.issuer = config.issuer;
  if (!config.audience.empty()) options.verify.claims.audience = {config.audience};
  options.rotate_refresh_tokens = config.rotate_refresh_tokens;
  options.refresh_reuse_interval = config.refresh_reuse_interval;
  options.session_max_lifetime = config.session_max_lifetime;
  options.session_idle_timeout = config.session_idle_timeout;
  if (config.check == "store") options.check_mode = GuardOptions::CheckMode::kStore;
  StatusListOptions& lists = options.status_list;
  lists.enabled = config.status_list_enabled;
  lists.base_url = config.status_list_base_url;
  lists.bits = static_cast<int>(config.status_list_bits);
  lists.list_size = config.status_list_size;
  lists.ttl = config.status_list_ttl;
  lists.token_lifetime = config.status_list_token_lifetime;
  lists.publish_interval = config.status_list_publish_interval;
  return options;
}

// Said before the Guard's own refusal, with what to change: a verifier
// elsewhere checks the lists with the public key, which a secret has not.
Result<void> check_status_list_key(const ServeConfig& config, Algorithm alg) {
  if (!config.status_list_enabled || !algorithm_name(alg).starts_with("HS")) return {};
  return problem(setting_origin(config, "status_list.enabled") +
                 ": status lists need an asymmetric signing key (RS*, PS*, ES* or EdDSA), and " +
                 std::string(algorithm_name(alg)) +
                 " is a shared secret that verifiers elsewhere cannot check the lists with. "
                 "Configure keys.key_file or keys.jwks_file with an RSA, EC or Ed25519 private "
                 "key (`jwtguard keys generate --alg ES256` makes one) and set keys.algorithm, "
                 "or turn status_list.enabled off");
}

}  // namespace

class App::Impl {
 public:
  Result<void> start(const ServeConfig& config, const Clock& clock) {
    config_ = config;
    auto log = Log::open(config.log_level, config.log_file);
    if (!log) {
      return problem(setting_origin(config, "log.file") + ": the log cannot be opened (" +
                     log.error().detail() +
                     "). Fix the path, or let the service's user write there");
    }
    log_ = std::move(*log);
    log_->info("starting", {}, "\"config\":" + describe(config));
    auto started = start_parts(config, clock);
    // The caller prints the error on standard error; a log file gets it too,
    // where the reader of that file looks.
    if (!started && !config.log_file.empty()) {
      log_->error("start failed", {{"reason", started.error().detail()}});
    }
    return started;
  }

  void stop() {
    if (!listener_) return;
    std::size_t cut = listener_->shutdown(config_.shutdown_timeout);
    listener_.reset();
    service_.reset();
    guard_.reset();  // closes the store: the SQLite writer commits what it holds
    log_->info("stopped", {{"connections_cut", std::to_string(cut)}});
  }

  ~Impl() { stop(); }

  std::uint16_t port() const { return listener_->port(); }
  Guard& guard() { return *guard_; }

 private:
  Result<void> start_parts(const ServeConfig& config, const Clock& clock) {
    // Every configuration error is found before the store or a dev key is
    // written: the checks below only read.
    auto where = parse_listen(config.listen);
    if (!where) return problem(setting_origin(config, "listen") + ": " + where.error().detail());
    JWTGUARD_TRY(check_service_keys(config));
    auto store = open_store(config.store, store_options(config));
    if (!store) return store_problem(config, store.error());
    auto keys = load_service_keys(config);
    if (!keys) return tl::unexpected(keys.error());
    if (!keys->generated.empty()) {
      log_->warn("generated signing key",
                 {{"path", keys->generated},
                  {"note",
                   "dev mode: a new key was generated and will be reused after a restart; "
                   "configure one (secret_file, key_file or jwks_file) in production"}});
    }
    JWTGUARD_TRY(check_status_list_key(config, keys->algorithm));
    auto issuers = open_issuers(config.issuers, fetch_observer(), clock);
    if (!issuers) return tl::unexpected(issuers.error());
    GuardOptions checks = guard_options(config, keys->algorithm);
    checks.trusted_issuers = issuers->trusted;
    // The Guard owns the store; the service, destroyed first, uses it too.
    Store& users_and_sessions = **store;
    auto guard =
        Guard::open(keys->signing, keys->verify, std::move(*store), std::move(checks), clock);
    if (!guard) return problem("the service cannot start: " + guard.error().message());
    guard_ = std::move(*guard);
    ServiceOptions service_settings = service_options(config, *keys);
    service_settings.issuers = std::move(*issuers);
    service_settings.status_list_ttl = config.status_list_ttl;
    if (config.status_list_enabled) {
      service_settings.status_list_base_url = config.status_list_base_url;
    }
    service_settings.log = [this](bool warn, std::string_view event,
                                  const std::vector<std::pair<std::string, std::string>>& fields) {
      warn ? log_->warn(event, fields) : log_->info(event, fields);
    };
    auto service = Service::create({*guard_, users_and_sessions, metrics_, clock},
                                   std::move(service_settings));
    if (!service) return problem("the service cannot start: " + service.error().message());
    service_ = std::move(*service);
    ListenerOptions options{.host = where->host,
                            .port = where->port,
                            .threads = or_cores(config.threads),
                            .workers = or_cores(config.workers),
                            .body_limit = config.body_limit,
                            .header_limit = config.header_limit,
                            .read_timeout = config.read_timeout,
                            .idle_timeout = config.idle_timeout,
                            .max_connections = config.max_connections};
    auto listener = Listener::start(options, *service_,
                                    config.access_log ? log_->access_log() : RequestObserver{});
    if (!listener) {
      return problem(setting_origin(config, "listen") + ": cannot listen on " + config.listen +
                     " (" + listener.error().detail() +
                     "). Choose a free port and an address of this machine");
    }
    listener_ = std::move(*listener);
    std::string host =
        where->host.find(':') != std::string::npos ? "[" + where->host + "]" : where->host;
    log_->info("listening", {{"address", host + ":" + std::to_string(listener_->port())},
                             {"store", redact_store_url(config.store)},
                             {"key", keys->loaded_from},
                             {"max_connections", std::to_string(listener_->max_connections())}});
    return {};
  }

  // Each JWK Set fetch, as one log line (a failure as a warning: the
  // identity server or the way to it is in trouble).
  FetchObserver fetch_observer() {
    return [this](std::string_view name, const JwksFetchEvent& event) {
      auto fields = fetch_fields(name, event);
      event.ok ? log_->info("jwks_fetch", fields) : log_->warn("jwks_fetch", fields);
    };
  }

  StoreOptions store_options(const ServeConfig& config) {
    // A store's warnings (e.g. Redis persisting nothing) go to the log.
    StoreWarning warn = [this](std::string_view message) {
      log_->warn("store warning",
                 {{"store", redact_store_url(config_.store)}, {"warning", std::string(message)}});
    };
    StoreOptions options;
    options.redis.require_persistence = config.require_persistence;
    options.sqlite.warn = warn;
    options.redis.warn = warn;
    options.postgres.warn = warn;
    return options;
  }

  static ServiceOptions service_options(const ServeConfig& config, const ServiceKeys& keys) {
    return ServiceOptions{
        .token_limit = config.token_limit,
        .min_password_length = config.min_password_length,
        .registration = config.registration,
        .login_limits = {.max_failures = config.login_max_failures,
                         .max_failures_per_user = config.login_max_failures_per_user,
                         .max_failures_per_address = config.login_max_failures_per_address,
                         .window = config.login_window},
        .registration_limits = {.max_per_address = config.registration_max_per_address,
                                .max_total = config.registration_max_total,
                                .window = config.registration_window},
        .access_ttl = config.access_ttl,
        .jwks_json = keys.jwks_json,
        .errors = config.errors,
        .trust_forwarded_for = config.trust_forwarded_for,
        .http = http_options(config),
        .cors_origins = strings(split_list(config.cors_allowed_origins)),
        .cors_max_age = config.cors_max_age,
        .issuers = {},
        .log = {},
    };
  }

  ServeConfig config_;
  // Destroyed in reverse: the listener first, the log last.
  std::unique_ptr<Log> log_;
  Metrics metrics_;
  std::unique_ptr<Guard> guard_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<Listener> listener_;
};

Result<std::unique_ptr<App>> App::start(const ServeConfig& config, const Clock* clock) {
  auto impl = std::make_unique<Impl>();
  if (auto started = impl->start(config, clock ? *clock : kSystemClock); !started) {
    return tl::unexpected(started.error());
  }
  return std::unique_ptr<App>(new App(std::move(impl)));
}

App::App(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
App::~App() = default;
std::uint16_t App::port() const { return impl_->port(); }
Guard& App::guard() { return impl_->guard(); }
void App::stop() { impl_->stop(); }

}  // namespace jwtguard::server
