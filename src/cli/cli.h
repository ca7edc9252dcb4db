// Shared pieces of the `jwtguard` command line.
#ifndef JWTGUARD_CLI_CLI_H_
#define JWTGUARD_CLI_CLI_H_

#include <CLI/CLI.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "jwtguard/keys.h"
#include "jwtguard/store.h"
#include "config.h"

namespace jwtguard::cli {

// Exit codes (docs/cli.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // verification failed, unreadable key, ...
inline constexpr int kExitUsage = 2;    // the command line itself is wrong

// A usage error raised from a subcommand callback; main() prints it and
// exits with kExitUsage.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// A setting of the TOML file, the environment or a flag is wrong; main()
// prints it (the message names the setting and its source) and exits with
// kExitUsage.
struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// Any other failure; main() prints it and exits with kExitFailure.
struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct KeyOptions {
  std::string secret;
  std::string secret_file;
  std::string pem_file;
  std::string jwk_file;
  std::string jwks_file;
  std::string kid;
  std::vector<std::string> algs;
};

// Adds KEY-OPTIONS (--secret, --secret-file, --key, --jwk, --jwks, --kid, --alg).
void add_key_options(CLI::App& command, KeyOptions& options);

// The keys to verify with. Throws UsageError when no key option is given.
KeySet load_verification_keys(const KeyOptions& options);
// The one key to sign with (for --jwks, the one named by --kid, or the only one).
Key load_signing_key(const KeyOptions& options);
// --alg values, parsed; empty when none was given.
std::vector<Algorithm> selected_algorithms(const KeyOptions& options);

// The value of `option` as a duration, by the rule the service's settings
// follow (server::parse_duration: "900", "45s", "15m", "1h30m", ...); throws
// UsageError naming the option. Zero is refused unless `allow_zero`.
std::chrono::seconds parse_duration(const std::string& option, const std::string& text,
                                    bool allow_zero = false);

// Reads a whole file; throws Failure naming the path.
std::string read_file(const std::string& path);

// The TOKEN argument, or standard input when it is "-" (keeps tokens out of
// the process list and shell history).
std::string token_argument(const std::string& argument);

// The options of the commands that use the service's store.
struct StoreArgs {
  std::string url;          // --store; empty: from the configuration's sources
  std::string config_file;  // --config or $JWTGUARD_CONFIG
  bool create = false;      // --create: a missing SQLite file may be created
};

// Adds --store, --config ($JWTGUARD_CONFIG) and --create to a command.
void add_store_options(CLI::App& command, StoreArgs& args);
// The service's settings from the sources `serve` reads (the TOML file, the
// JWTGUARD_* environment, --store as the store flag). Throws ConfigError,
// naming the setting and its source, when they are wrong.
server::ServeConfig store_config(const StoreArgs& args);
// Opens config.store, after printing on standard error which store that is
// and where the setting came from (a password in the URL redacted). Throws
// Failure when a SQLite file does not exist and --create was not given (a
// new empty store is almost always the wrong one), or the store cannot be
// opened; ConfigError for a URL that is wrong in itself.
std::unique_ptr<Store> open_store_or_fail(const StoreArgs& args, const server::ServeConfig& config);

// The message for a command line `app` refused with `error`, read again from
// `args` (argv without the program): each unknown option by name with the
// nearest known one, never an option's value; for serve's --secret, where the
// secret goes instead. Other errors keep CLI11's message.
std::string explain_parse_error(const CLI::App& app, const CLI::ParseError& error,
                                const std::vector<std::string>& args);

void add_token_command(CLI::App& app);
void add_keys_command(CLI::App& app);
void add_user_command(CLI::App& app);
void add_revoke_command(CLI::App& app);
void add_serve_command(CLI::App& app);

}  // namespace jwtguard::cli

#endif  // JWTGUARD_CLI_CLI_H_
