#include "server/app.h"

#include <thread>

#include "jwtguard/store.h"
#include "server/listener.h"
#include "server/logging.h"
#include "server/metrics.h"
#include "server/service.h"
#include "server/service_keys.h"

namespace jwtguard::server {
namespace {

const SystemClock kSystemClock;

unsigned or_cores(unsigned configured) {
  if (configured != 0) return configured;
  return std::max(1u, std::thread::hardware_concurrency());
}

GuardOptions guard_options(const ServeConfig& config, Algorithm alg) {
  GuardOptions options;
  options.issuer.algorithm = alg;
  options.issuer.access_ttl = config.access_ttl;
  options.issuer.refresh_ttl = config.refresh_ttl;
  options.issuer.issuer = config.issuer;
  if (!config.audience.empty()) options.issuer.audience = {config.audience};
  options.verify.algorithms = {alg};
  // The one size limit: the service's early check and the verifier's agree.
  options.verify.max_token_size = config.token_limit;
  options.verify.claims.leeway = config.leeway;
  options.verify.claims.issuer = config.issuer;
  if (!config.audience.empty()) options.verify.claims.audience = {config.audience};
  options.rotate_refresh_tokens = config.rotate_refresh_tokens;
  if (config.check == "store") options.check_mode = GuardOptions::CheckMode::kStore;
  return options;
}

}  // namespace

class App::Impl {
 public:
  Result<void> start(const ServeConfig& config, const Clock& clock) {
    config_ = config;
    auto log = Log::open(config.log_level, config.log_file);
    if (!log) return tl::unexpected(log.error());
    log_ = std::move(*log);
    log_->info("starting", {}, "\"config\":" + describe(config));
    auto started = start_parts(config, clock);
    if (!started) log_->error("start failed", {{"reason", started.error().message()}});
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
    auto alg = parse_algorithm(config.algorithm);
    if (!alg) return tl::unexpected(alg.error());
    auto keys = load_service_keys(config);
    if (!keys) return tl::unexpected(keys.error());
    if (!keys->generated.empty()) {
      log_->warn("generated signing key",
                 {{"path", keys->generated},
                  {"note",
                   "dev mode: a new key was generated and will be reused after a restart; "
                   "configure one (secret_file, key_file or jwks_file) in production"}});
    }
    auto store = open_store(config.store, store_options(config));
    if (!store) return fail(store.error().code(), "store: " + store.error().message());
    auto guard = Guard::open(keys->signing, keys->verify, std::move(*store),
                             guard_options(config, *alg), clock);
    if (!guard) return tl::unexpected(guard.error());
    guard_ = std::move(*guard);
    auto service = Service::create(*guard_, metrics_, clock, service_options(config, *keys));
    if (!service) return tl::unexpected(service.error());
    service_ = std::move(*service);
    auto where = parse_listen(config.listen);
    if (!where) return fail(Errc::kInvalidArgument, "listen: " + where.error().detail());
    ListenerOptions options{.host = where->host,
                            .port = where->port,
                            .threads = or_cores(config.threads),
                            .workers = or_cores(config.workers),
                            .body_limit = config.body_limit,
                            .header_limit = config.header_limit,
                            .read_timeout = config.read_timeout,
                            .idle_timeout = config.idle_timeout};
    auto listener = Listener::start(options, *service_,
                                    config.access_log ? log_->access_log() : RequestObserver{});
    if (!listener) return tl::unexpected(listener.error());
    listener_ = std::move(*listener);
    std::string host =
        where->host.find(':') != std::string::npos ? "[" + where->host + "]" : where->host;
    log_->info("listening", {{"address", host + ":" + std::to_string(listener_->port())},
                             {"store", redact_store_url(config.store)},
                             {"key", keys->loaded_from}});
    return {};
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
        .login_limits = {.max_failures_per_user = config.login_max_failures,
                         .max_failures_per_address = config.login_max_failures_per_address,
                         .window = config.login_window},
        .access_ttl = config.access_ttl,
        .jwks_json = keys.jwks_json,
        .errors = config.errors,
        .trust_forwarded_for = config.trust_forwarded_for,
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
