// The whole of `jwtguard serve` as an object: keys, store, Guard, Service,
// listener and logs, started from a ServeConfig. The CLI runs one until
// SIGTERM; tests run one in-process on port 0.
#ifndef JWTGUARD_SERVER_APP_H_
#define JWTGUARD_SERVER_APP_H_

#include <chrono>
#include <cstdint>
#include <memory>

#include "config.h"
#include "jwtguard/clock.h"
#include "jwtguard/error.h"
#include "jwtguard/guard.h"

namespace jwtguard::server {

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
