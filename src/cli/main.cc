// The `jwtguard` command. Subcommands live in their own files and return
// their outcome; this one assembles them and is the one place that maps an
// outcome to a message and an exit code of docs/cli.md.
#include <iostream>

#include "cli.h"

namespace {

using jwtguard::cli::CliError;

// The message on standard error, and the exit code, for a command's failure.
int report(const CliError& error) {
  using namespace jwtguard::cli;
  std::cerr << "jwtguard: " << error.message << '\n';
  switch (error.kind) {
    case CliError::Kind::kUsage:
      std::cerr << "Run with --help for usage.\n";
      return kExitUsage;
    case CliError::Kind::kConfig:
      std::cerr << "(docs/configuration.md describes every setting)\n";
      return kExitUsage;
    case CliError::Kind::kFailure:
      break;
  }
  return kExitFailure;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace jwtguard::cli;
  CLI::App app("jwtguard: JWT authentication with first-class revocation", "jwtguard");
  app.set_version_flag("--version", "jwtguard 0.1.0");
  app.require_subcommand(1);
  Outcome outcome;
  add_serve_command(app, outcome);
  add_token_command(app, outcome);
  add_keys_command(app, outcome);
  add_revoke_command(app, outcome);
  add_user_command(app, outcome);
  // CLI11 reports its own outcomes as exceptions; they stop here.
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version
  } catch (const CLI::ParseError& e) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    std::cerr << explain_parse_error(app, e, args) << "\nRun with --help for usage.\n";
    return kExitUsage;
  }
  return outcome ? kExitOk : report(outcome.error());
}
