// Shared pieces of the `jwtguard` command line.
#ifndef JWTGUARD_CLI_CLI_H_
#define JWTGUARD_CLI_CLI_H_

#include <CLI/CLI.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "config.h"
#include "jwtguard/keys.h"
#include "jwtguard/store.h"
#include "jwtguard/verifier.h"
#include "revocation/build.h"
#include "util/duration.h"

namespace jwtguard::cli {

// Exit codes (docs/cli.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // verification failed, unreadable key, ...
inline constexpr int kExitUsage = 2;    // the command line itself is wrong

// Why a command failed. Commands return it; main() alone turns it into a
// message on standard error and an exit code.
struct CliError {
  enum class Kind {
    kUsage,    // the command line is wrong: kExitUsage, with a pointer to --help
    kConfig,   // a setting of the TOML file, the environment or a flag is wrong (the
               // message names it and its source): kExitUsage, with a pointer to the docs
    kFailure,  // anything else: kExitFailure
  };
  Kind kind = Kind::kFailure;
  std::string message;
};
template <typename T>
using CliResult = tl::expected<T, CliError>;

inline tl::unexpected<CliError> usage_error(std::string message) {
  return tl::unexpected(CliError{CliError::Kind::kUsage, std::move(message)});
}
inline tl::unexpected<CliError> config_error(std::string message) {
  return tl::unexpected(CliError{CliError::Kind::kConfig, std::move(message)});
}
inline tl::unexpected<CliError> failure(std::string message) {
  return tl::unexpected(CliError{CliError::Kind::kFailure, std::move(message)});
}

// `result`'s value, or a kFailure whose message is "WHAT: " (when `what` is
// given) and the error's message.
template <typename T>
CliResult<T> or_failure(Result<T> result, const std::string& what = {}) {
  if (!result) return failure((what.empty() ? "" : what + ": ") + result.error().message());
  if constexpr (std::is_void_v<T>) {
    return {};
  } else {
    return std::move(*result);
  }
}

// Where the command that ran leaves its outcome, for main() to report: each
// add_*_command registers callbacks that store their command's result here.
using Outcome = CliResult<void>;

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

// The keys to verify with. kUsage when no key option is given; kFailure,
// naming the file, for a key that cannot be read or used.
CliResult<KeySet> load_verification_keys(const KeyOptions& options);
// The one key to sign with (for --jwks, the one named by --kid, else by the
// file's "active_kid", else the only one: kUsage when the set holds several
// and neither names one).
CliResult<Key> load_signing_key(const KeyOptions& options);
// --alg values, parsed; empty when none was given. kUsage for an unknown one.
CliResult<std::vector<Algorithm>> selected_algorithms(const KeyOptions& options);

// The bounds of a lifetime (--ttl, --max-lifetime), as of serve's
// tokens.access_ttl: not 0.
inline constexpr util::DurationBounds kLifetimeBounds{.min = std::chrono::seconds(1)};
// The bounds of a leeway (--leeway), as of serve's tokens.leeway: at most a day.
inline constexpr util::DurationBounds kLeewayBounds{.max = kMaxLeeway};

// The value of `option` as a duration within `bounds`, by the rule the
// service's settings follow (util::parse_duration: "900", "45s", "15m",
// "1h30m", ...); kUsage naming the option, in the words serve uses for its
// settings.
CliResult<std::chrono::seconds> parse_duration(const std::string& option, const std::string& text,
                                               util::DurationBounds bounds);

// Reads a whole file; kFailure naming the path.
CliResult<std::string> read_file(const std::string& path);

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
// JWTGUARD_* environment, --store as the store flag). kConfig, naming the
// setting and its source, when they are wrong.
CliResult<server::ServeConfig> store_config(const StoreArgs& args);
// Opens config.store, after printing on standard error which store that is
// and where the setting came from (a password in the URL redacted).
// kFailure when a SQLite file does not exist and --create was not given (a
// new empty store is almost always the wrong one), or the store cannot be
// opened; kConfig for a URL that is wrong in itself.
CliResult<std::unique_ptr<Store>> open_store_or_fail(const StoreArgs& args,
                                                     const server::ServeConfig& config);

// What the command knows of the tokens a revocation may block: they live at
// most `max_lifetime` (--max-lifetime), or as long as the services on this
// store recorded (the token horizon; raising it to the epoch only reads it),
// and a verifier grants the configuration's leeway past exp. kFailure when
// the store cannot be read.
CliResult<revocation::TokenLives> token_lives(Store& store, const server::ServeConfig& config,
                                              std::chrono::seconds max_lifetime, Timestamp now);

// The rules of the `user` commands (user_command.cc), shared by the commands
// that change accounts (account_command.cc).

// kUsage, in the service's words, for a name it would refuse to register.
CliResult<void> check_user_name(const std::string& name);
// The first line of standard input, without its line ending; read without
// echo, after a prompt on standard error, when standard input is a terminal.
std::string stdin_line();
// The Argon2id hash of a new password, after the service's own rule with its
// users.min_password_length (kUsage naming where that was set).
CliResult<std::string> new_password_hash(const std::string& password,
                                         const server::ServeConfig& config);
// The store the command names, from the sources serve reads.
CliResult<std::unique_ptr<Store>> configured_store(const StoreArgs& args);
// Adds disable, enable, delete, set-password and audit to `jwtguard user`.
void add_account_commands(CLI::App& user, Outcome& outcome);

// The message for a command line `app` refused with `error`, read again from
// `args` (argv without the program): each unknown option by name with the
// nearest known one, never an option's value; for serve's --secret, where the
// secret goes instead. Other errors keep CLI11's message.
std::string explain_parse_error(const CLI::App& app, const CLI::ParseError& error,
                                const std::vector<std::string>& args);

// Each adds its command to `app`; the command's result goes to `outcome`.
void add_token_command(CLI::App& app, Outcome& outcome);
void add_keys_command(CLI::App& app, Outcome& outcome);
// Adds add, activate, retire and list to `jwtguard keys` (keys_rotation_command.cc).
void add_rotation_commands(CLI::App& keys, Outcome& outcome);
void add_user_command(CLI::App& app, Outcome& outcome);
void add_revoke_command(CLI::App& app, Outcome& outcome);
void add_serve_command(CLI::App& app, Outcome& outcome);

}  // namespace jwtguard::cli

#endif  // JWTGUARD_CLI_CLI_H_
