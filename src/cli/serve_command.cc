// jwtguard serve: the HTTP service of docs/service.md, until SIGTERM or
// SIGINT; SIGHUP reloads its configuration (docs/operations.md).
#include <pthread.h>

#include <csignal>
#include <iostream>
#include <map>

#include "app.h"
#include "cli.h"
#include "config.h"

namespace jwtguard::cli {
namespace {

struct ServeArgs {
  std::string config_file;
  // Flag values by setting key; std::map keeps their addresses stable for CLI11.
  std::map<std::string, std::string> values;
  std::map<std::string, CLI::Option*> options;
};

// Blocks SIGTERM, SIGINT and SIGHUP in this thread and in every thread
// started after it, so that only run_serve()'s sigwait receives them. Done
// first: a SIGHUP sent while the service starts waits (pending, and any
// number of them as one) instead of killing it.
sigset_t block_serve_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

// Until SIGTERM or SIGINT. Each SIGHUP reads the configuration again from
// the same sources as at start (the file, the environment as it was then,
// the flags) and hands it to App::reload, which logs and counts the
// outcome; SIGHUPs that arrive during a reload make one more after it.
void serve_until_stopped(server::App& app, const sigset_t& signals, const ServeArgs& args,
                         const server::Environment& env, const server::FlagValues& flags) {
  for (;;) {
    int received = 0;
    if (sigwait(&signals, &received) != 0) continue;
    if (received != SIGHUP) return;
    (void)app.reload(server::load_serve_config(args.config_file, env, flags));
  }
}

Outcome run_serve(ServeArgs& args) {
  const sigset_t signals = block_serve_signals();
  server::FlagValues flags;
  for (const auto& [key, option] : args.options) {
    if (option->count() > 0) flags[key] = args.values[key];
  }
  const server::Environment env = server::process_environment();
  auto config = server::load_serve_config(args.config_file, env, flags);
  if (!config) return config_error("serve: " + config.error().detail());
  // A log reader that goes away (a closed pipe) must not kill the service.
  std::signal(SIGPIPE, SIG_IGN);
  auto app = server::App::start(*config);
  // Start-up errors are sentences naming the setting, its source and the fix.
  if (!app) return failure("serve: " + app.error().detail());
  serve_until_stopped(**app, signals, args, env, flags);
  (*app)->stop();
  return {};
}

std::string setting_help(const server::SettingInfo& setting) {
  std::string help = setting.help + " [" + setting.key + ", $" + setting.env;
  if (!setting.default_text.empty()) help += ", default " + setting.default_text;
  return help + "]";
}

}  // namespace

void add_serve_command(CLI::App& app, Outcome& outcome) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* serve = app.add_subcommand("serve", "Run the HTTP service (docs/service.md)");
  serve->add_option("--config", args->config_file, "TOML file with settings [$JWTGUARD_CONFIG]")
      ->envname("JWTGUARD_CONFIG");
  for (const auto& setting : server::serve_settings()) {
    if (setting.flag.empty()) continue;
    args->options[setting.key] =
        serve->add_option(setting.flag, args->values[setting.key], setting_help(setting));
  }
  serve->footer(
      "Every setting comes from, in rising precedence: its default, the TOML file, the\n"
      "environment variable, the flag. Secrets (the HMAC secret) are never taken as a flag:\n"
      "use secret_file, key_file or jwks_file, or $JWTGUARD_SECRET. Error responses are\n"
      "replaced in the TOML file only, as [errors.<name>] tables; trusted identity servers\n"
      "(Keycloak, Auth0, Hydra) likewise, as [[issuers]] tables (no variable or flag).\n"
      "docs/configuration.md lists every setting; docs/gateways.md shows nginx in front.\n\n"
      "With no key configured, dev mode (the default) generates one under data_dir on first\n"
      "start and reuses it. SIGTERM or SIGINT stops gracefully. SIGHUP (systemctl reload)\n"
      "reloads the configuration from the same file, environment and flags: new requests get\n"
      "the new keys, lifetimes, limits and responses; settings marked \"restart\" in\n"
      "docs/configuration.md keep their values until a restart; a configuration that fails\n"
      "its checks is refused whole (docs/operations.md).");
  serve->callback([args, &outcome] { outcome = run_serve(*args); });
}

}  // namespace jwtguard::cli
