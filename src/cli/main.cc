// The `jwtguard` command. Subcommands live in their own files; this one only
// assembles them and maps outcomes to the exit codes of docs/cli.md.
#include <iostream>

#include "cli.h"

int main(int argc, char** argv) {
  using namespace jwtguard::cli;
  CLI::App app("jwtguard: JWT authentication with first-class revocation", "jwtguard");
  app.set_version_flag("--version", "jwtguard 0.1.0");
  app.require_subcommand(1);
  add_serve_command(app);
  add_token_command(app);
  add_keys_command(app);
  add_revoke_command(app);
  add_user_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version
  } catch (const CLI::ParseError& e) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    std::cerr << explain_parse_error(app, e, args) << "\nRun with --help for usage.\n";
    return kExitUsage;
  } catch (const UsageError& e) {
    std::cerr << "jwtguard: " << e.what() << "\nRun with --help for usage.\n";
    return kExitUsage;
  } catch (const ConfigError& e) {
    std::cerr << "jwtguard: " << e.what() << "\n(docs/configuration.md describes every setting)\n";
    return kExitUsage;
  } catch (const Failure& e) {
    std::cerr << "jwtguard: " << e.what() << '\n';
    return kExitFailure;
  }
  return kExitOk;
}
