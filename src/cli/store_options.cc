// The store of the commands that write users and revocations: found from the
// same sources as `serve` finds it, announced, and never created by accident.
#include <filesystem>
#include <iostream>

#include "cli.h"
#include "config.h"

namespace jwtguard::cli {
namespace {

constexpr std::string_view kSqlite = "sqlite:";

// The file of a sqlite: URL, or "" for any other store.
std::string sqlite_path(const std::string& url) {
  if (!url.starts_with(kSqlite)) return {};
  return url.substr(kSqlite.size());
}

// "sqlite:./var/jwtguard.db" gains the absolute path it names here: a
// relative path is relative to the current directory, which is the usual
// reason for not finding the service's store.
std::string described(const std::string& url) {
  const std::string path = sqlite_path(url);
  std::string text = redact_store_url(url);
  if (!path.empty() && std::filesystem::path(path).is_relative()) {
    std::error_code ec;
    text += " (" + std::filesystem::absolute(path, ec).lexically_normal().string() + ")";
  }
  return text;
}

}  // namespace

void add_store_options(CLI::App& command, StoreArgs& args) {
  command.add_option("--store", args.url,
                     "Store URL: sqlite:PATH, redis://[:PASSWORD@]HOST:PORT/DB, "
                     "postgresql://USER@HOST:PORT/DB or memory: [store, $JWTGUARD_STORE, default " +
                         server::ServeConfig().store + "]");
  command
      .add_option("--config", args.config_file,
                  "The service's TOML file: its store (and users.min_password_length) apply "
                  "[$JWTGUARD_CONFIG]")
      ->envname(server::kConfigVariable);
  command.add_flag("--create", args.create,
                   "Create the SQLite store file when it does not exist (without it, a missing "
                   "file is an error: it usually means the wrong store)");
}

CliResult<server::ServeConfig> store_config(const StoreArgs& args) {
  server::FlagValues flags;
  if (!args.url.empty()) flags["store"] = args.url;
  auto config = server::load_serve_config(args.config_file, server::process_environment(), flags);
  if (!config) return config_error(config.error().detail());
  return std::move(*config);
}

CliResult<std::unique_ptr<Store>> open_store_or_fail(const StoreArgs& args,
                                                     const server::ServeConfig& config) {
  const std::string where = server::setting_origin(config, "store");
  // On standard error, so that standard output stays the command's result.
  std::cerr << "jwtguard: store " << described(config.store) << ", from " << where << '\n';
  const std::string path = sqlite_path(config.store);
  std::error_code ec;
  if (!path.empty() && !args.create && !std::filesystem::exists(path, ec)) {
    return failure("the store " + described(config.store) +
                   " does not exist. Name the service's store with --store, --config or "
                   "JWTGUARD_STORE (a relative path is relative to the current directory), or "
                   "pass --create to create a new one");
  }
  auto store = open_store(config.store);
  if (!store) {
    const std::string problem =
        where + " \"" + redact_store_url(config.store) + "\": " + store.error().detail();
    if (store.error().code() == Errc::kInvalidArgument) return config_error(problem);
    return failure(problem);
  }
  return std::move(*store);
}

}  // namespace jwtguard::cli
