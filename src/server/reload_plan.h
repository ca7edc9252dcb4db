// What a reload (SIGHUP) of `jwtguard serve` may change: the new
// configuration compared with the running one, setting by setting, by the
// settings table's restart flag (settings.h), so that the reload, the docs
// and their drift test read the same list.
#ifndef JWTGUARD_SERVER_RELOAD_PLAN_H_
#define JWTGUARD_SERVER_RELOAD_PLAN_H_

#include <string>
#include <vector>

#include "config.h"

namespace jwtguard::server {

struct ReloadPlan {
  // The new configuration, except that each restart-only setting (and the
  // [[issuers]] tables) keeps its running value and source.
  ServeConfig effective;
  // Keys of the reloadable settings whose value changed ("errors" for the
  // [errors.<name>] tables), in the table's order. Names only: never a
  // value, so a secret's change can be logged.
  std::vector<std::string> changed;
  // Keys of the restart-only settings whose value changed ("issuers" for
  // the [[issuers]] tables): they keep their running values.
  std::vector<std::string> restart_needed;
};

// Compares `next` with `running`. Neither is checked further: both passed
// load_serve_config's checks. Writes nothing.
ReloadPlan plan_reload(const ServeConfig& running, const ServeConfig& next);

// The names, comma-separated ("" for none), for a log field.
std::string join_names(const std::vector<std::string>& names);

}  // namespace jwtguard::server

#endif  // JWTGUARD_SERVER_RELOAD_PLAN_H_
