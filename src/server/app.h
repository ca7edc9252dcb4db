// The whole of `jwtguard serve` as an object: keys, store, Guard, Service,
// listener and logs, started from a ServeConfig. The CLI runs one until
// SIGTERM; tests run one in-process on port 0.
#ifndef JWTGUARD_SERVER_APP_H_
#define JWTGUARD_SERVER_APP_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config.h"
#include "jwtguard/clock.h"
#include "jwtguard/error.h"
#include "jwtguard/guard.h"

namespace jwtguard::server {

// What an applied reload changed (App::reload).
struct ReloadReport {
  // Keys of the reloaded settings that changed, in the settings table's
  // order; "errors" for [errors.<name>] tables, "keys" when the signing
  // key or the published key set changed (an edited key file too).
  std::vector<std::string> changed;
  // Restart-only settings that changed ("issuers" for [[issuers]]): they
  // keep their running values until a restart.
  std::vector<std::string> restart_needed;
  std::string kid;  // the signing key's id from now on ("" when it has none)
};

class App {
 public:
  // Opens the log, the keys and the store, loads the revocation index, and
  // starts listening. Logs a "listening" event with the bound address.
  // Errors name what failed (a setting, a file, the store); nothing secret.
  // `clock` (the system clock when null) must outlive the App.
  static Result<std::unique_ptr<App>> start(const ServeConfig& config,
                                            const Clock* clock = nullptr);
  // Stops (gracefully, as stop()) if not stopped yet.
  ~App();

  std::uint16_t port() const;
  Guard& guard();

  // A reload (SIGHUP): `config` is load_serve_config's result, made from
  // the same file, environment and flags as at start. The settings that can
  // change safely take effect for the requests that start after it returns
  // (keys, lifetimes, error overrides, log level, limits...); requests
  // under way finish with the old ones, and no connection is closed. The
  // restart-only settings (SettingInfo::restart, and [[issuers]]) keep their
  // running values and are reported. A configuration that fails any check
  // start would make (a load error passed in, the keys, the status-list
  // key, the Guard's and the Service's options) is refused whole, with
  // start's sentence (kInvalidArgument), and nothing changes. No key is
  // ever generated (dev mode keeps the one in use). Either way, one
  // "reloaded" log line (outcome, changed settings' names, restart_needed,
  // kid; never a value) and jwtguard_config_reloads_total count it.
  // Thread-safe; a second reload waits for the first.
  Result<ReloadReport> reload(const Result<ServeConfig>& config);

  // Stops accepting, lets requests under way finish (up to the configured
  // shutdown_timeout), then closes the store. Idempotent.
  void stop();

 private:
  class Impl;
  explicit App(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace jwtguard::server

#endif  // JWTGUARD_SERVER_APP_H_
