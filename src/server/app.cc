#include "app.h"

#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

#include "app_options.h"
#include "issuers.h"
#include "jwtguard/http.h"
#include "jwtguard/store.h"
#include "listener.h"
#include "logging.h"
#include "metrics.h"
#include "reload_plan.h"
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

bool no_key_configured(const ServeConfig& config) {
  return config.secret.empty() && config.secret_file.empty() && config.key_file.empty() &&
         config.jwks_file.empty();
}

// Compared whole, private parts included, so that a secret file or a key
// file edited in place counts as a change too (only the word is logged).
bool same_keys(const ServiceKeys& a, const ServiceKeys& b) {
  return a.jwks_json == b.jwks_json && a.signing.kid() == b.signing.kid() &&
         a.signing.to_jwk(true).value_or("") == b.signing.to_jwk(true).value_or("");
}

std::int64_t unix_seconds(Timestamp t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

class App::Impl {
 public:
  Result<void> start(const ServeConfig& config, const Clock& clock) {
    config_ = config;
    clock_ = &clock;
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
    std::lock_guard lock(reload_mu_);  // a reload under way finishes first
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

  // App::reload. One at a time: a second waits for the first.
  Result<ReloadReport> reload(const Result<ServeConfig>& loaded) {
    std::lock_guard lock(reload_mu_);
    if (!listener_) return fail(Errc::kInvalidArgument, "the service is stopped");
    ReloadReport report;
    auto applied = loaded ? apply(*loaded, report) : tl::unexpected(loaded.error());
    metrics_.record_reload(applied.has_value(), unix_seconds(clock_->now()));
    if (!applied) {
      log_->error("reloaded", {{"outcome", "refused"}, {"reason", applied.error().detail()}});
      return tl::unexpected(applied.error());
    }
    const std::vector<std::pair<std::string, std::string>> fields{
        {"outcome", "applied"},
        {"changed", join_names(report.changed)},
        {"restart_needed", join_names(report.restart_needed)},
        {"kid", report.kid}};
    report.restart_needed.empty() ? log_->info("reloaded", fields) : log_->warn("reloaded", fields);
    return report;
  }

 private:
  // The keys of `config`, as start loaded them, except that a reload never
  // generates one: with no key configured it keeps the dev key in use, and
  // is refused when the running key was a configured one (only a start may
  // create a key under data_dir).
  Result<ServiceKeys> reload_keys(const ServeConfig& config) {
    if (!no_key_configured(config)) {
      JWTGUARD_TRY(check_service_keys(config));
      return load_service_keys(config);
    }
    if (no_key_configured(config_) && config.dev) return *keys_;
    return problem(
        "no signing key is set: configure keys.secret_file, keys.key_file or keys.jwks_file "
        "(or $JWTGUARD_SECRET). A reload never generates a dev key; restart to have one");
  }

  // Checks `next` as start would, then hands the reloadable part to the
  // Guard and the Service; on any error nothing has changed.
  Result<void> apply(const ServeConfig& next, ReloadReport& report) {
    ReloadPlan plan = plan_reload(config_, next);
    const ServeConfig& config = plan.effective;
    auto keys = reload_keys(config);
    if (!keys) return tl::unexpected(keys.error());
    JWTGUARD_TRY(check_status_list_key(config, keys->algorithm));
    ServiceOptions service_settings = service_options(config, *keys);
    // The Service's own checks, before anything changes: the Guard takes
    // the new keys first, and a Service refusal after that would let
    // requests in between sign with keys the reload then takes back.
    if (auto checked = Service::check(*guard_, service_settings); !checked) {
      return problem("the service cannot start: " + checked.error().message());
    }
    if (auto reconfigured = guard_->reconfigure(keys->signing, keys->verify,
                                                guard_options(config, keys->algorithm));
        !reconfigured) {
      return problem("the service cannot start: " + reconfigured.error().message());
    }
    if (auto reconfigured = service_->reconfigure(std::move(service_settings)); !reconfigured) {
      // Back to the running keys and options, which the Guard took before.
      (void)guard_->reconfigure(keys_->signing, keys_->verify,
                                guard_options(config_, keys_->algorithm));
      return problem("the service cannot start: " + reconfigured.error().message());
    }
    (void)log_->set_level(config.log_level);  // checked by load_serve_config
    if (!same_keys(*keys, *keys_)) {
      plan.changed.emplace_back("keys");
    }
    report = {.changed = std::move(plan.changed),
              .restart_needed = std::move(plan.restart_needed),
              .kid = keys->signing.kid()};
    keys_ = std::move(*keys);
    config_ = std::move(plan.effective);
    return {};
  }

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
    keys_ = *keys;
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
    metrics_.record_config_loaded(unix_seconds(clock.now()));
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

  // The running configuration and keys: start's, then each applied reload's.
  ServeConfig config_;
  std::optional<ServiceKeys> keys_;  // set once started
  const Clock* clock_ = nullptr;
  std::mutex reload_mu_;
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
Result<ReloadReport> App::reload(const Result<ServeConfig>& config) {
  return impl_->reload(config);
}
void App::stop() { impl_->stop(); }

}  // namespace jwtguard::server
