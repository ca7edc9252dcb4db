// Where serve's settings come from: the TOML file, the JWTGUARD_*
// environment and the flags, applied in that order over the defaults, each
// value checked by its row of the settings table (settings.h) and its source
// recorded in ServeConfig::sources.
#ifndef JWTGUARD_SERVER_CONFIG_SOURCES_H_
#define JWTGUARD_SERVER_CONFIG_SOURCES_H_

#include <toml++/toml.h>

#include <string>
#include <string_view>

#include "config.h"
#include "settings.h"

namespace jwtguard::server {

// Reads the sources of one configuration. Call file, environment and flags in
// rising precedence (each at most once), then finish. Every error is
// kInvalidArgument naming the setting and its source (load_serve_config's
// contract in config.h lists them); after one, the loader is done with.
class SourceLoader {
 public:
  // The TOML file's content, `path` naming it in errors and sources.
  Result<void> file(std::string_view text, const std::string& path);
  // JWTGUARD_* variables; others, and kConfigVariable, are skipped.
  Result<void> environment(const Environment& env);
  // Flag values by setting key; a secret is refused as a flag.
  Result<void> flags(const FlagValues& flags);
  // The checks across settings (one key source, token_limit within
  // header_limit), then the configuration.
  Result<ServeConfig> finish() &&;

 private:
  Result<void> set(const settings::Setting& s, std::string_view text, const std::string& where);
  Result<void> file_entry(const std::string& path, const std::string& key, const toml::node& node);
  Result<void> errors(const std::string& path, const toml::node& node);
  Result<ErrorOverride> error_override(const std::string& path, const std::string& key,
                                       const toml::node& node);
  std::string origin(const std::string& key) const;

  ServeConfig config_;
};

}  // namespace jwtguard::server

#endif  // JWTGUARD_SERVER_CONFIG_SOURCES_H_
