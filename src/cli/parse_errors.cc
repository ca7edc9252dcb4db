// Messages for command lines the parser refused. CLI11's own messages quote
// the arguments it did not expect, values included (`--secret abc` came out
// as "The following arguments were not expected: abc --secret"), so the
// command line is read again here and only option names are ever printed.
#include <string_view>

#include "cli.h"
#include "config.h"
#include "util/spelling.h"

namespace jwtguard::cli {
namespace {

// The subcommand the command line selected, deepest first, up to the program.
std::vector<const CLI::App*> command_chain(const CLI::App& app) {
  std::vector<const CLI::App*> chain = {&app};
  while (!chain.back()->get_subcommands().empty()) {
    chain.push_back(chain.back()->get_subcommands().back());
  }
  return {chain.rbegin(), chain.rend()};
}

std::string command_name(const std::vector<const CLI::App*>& chain) {
  std::string name;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    name.append(name.empty() ? "" : " ").append((*it)->get_name());
  }
  return name;
}

bool known(const std::vector<const CLI::App*>& chain, const std::string& name) {
  for (const CLI::App* command : chain) {
    if (command->get_option_no_throw(name) != nullptr) return true;
  }
  return false;
}

std::vector<std::string> long_names(const CLI::App& command) {
  std::vector<std::string> names;
  for (const CLI::Option* option : command.get_options()) {
    for (const std::string& name : option->get_lnames()) names.push_back("--" + name);
  }
  return names;
}

// A secret setting (keys.secret) is never a flag of serve: say where it goes.
std::string secret_hint(const std::string& flag) {
  for (const server::SettingInfo& s : server::serve_settings()) {
    std::string dashed = s.key.substr(s.key.rfind('.') + 1);
    for (char& c : dashed) c = c == '_' ? '-' : c;
    if (s.secret && flag == "--" + dashed) {
      return flag + " is not accepted: a command line is visible to other users of the " +
             "machine. Set the secret in $" + s.env + ", or put it in a file and name the file " +
             "with --" + dashed + "-file (" + s.key + "_file in the TOML file)";
    }
  }
  return {};
}

std::string unknown_option_message(const std::vector<const CLI::App*>& chain,
                                   const std::string& flag) {
  const std::string command = command_name(chain);
  if (command == "jwtguard serve") {
    if (std::string hint = secret_hint(flag); !hint.empty()) return command + ": " + hint;
  }
  const std::string near = closest_name(flag, long_names(*chain.front()));
  return command + ": unknown option " + flag +
         (near.empty() ? "" : " (did you mean " + near + "?)");
}

// The word where a subcommand of the deepest command was expected, when it
// names none, with the nearest name; "" otherwise. Only a word that looks like
// a command name is repeated.
std::string unknown_command(const std::vector<const CLI::App*>& chain,
                            const std::vector<std::string>& args) {
  const CLI::App& command = *chain.front();
  const auto subcommands = command.get_subcommands({});
  if (subcommands.empty()) return {};
  // The words naming the chain come first among the positional arguments.
  std::size_t words = chain.size() - 1;
  for (const std::string& arg : args) {
    if (arg.starts_with("-")) continue;
    if (words-- > 0) continue;
    const bool word_like =
        arg.size() <= 32 &&
        arg.find_first_not_of("abcdefghijklmnopqrstuvwxyz-") == std::string::npos;
    if (!word_like) return "(not repeated: it does not look like one)";
    std::vector<std::string> names;
    for (const CLI::App* sub : subcommands) names.push_back(sub->get_name());
    const std::string near = closest_name(arg, names);
    return arg + (near.empty() ? "" : " (did you mean " + near + "?)");
  }
  return {};
}

}  // namespace

std::string explain_parse_error(const CLI::App& app, const CLI::ParseError& error,
                                const std::vector<std::string>& args) {
  const auto chain = command_chain(app);
  // An unknown option is reported first: it often causes the other errors
  // (a misspelt required option is also a missing one).
  std::vector<std::string> messages;
  for (const std::string& arg : args) {
    if (arg == "--") break;
    if (arg.size() < 2 || arg[0] != '-') continue;
    // Only the name: "--secret=abc" must not print abc.
    const std::string name = arg.substr(0, arg.find('='));
    const bool short_group = name[1] != '-' && name.size() > 2;  // -abc: flags -a -b -c
    if (known(chain, short_group ? name.substr(0, 2) : name)) continue;
    messages.push_back(unknown_option_message(chain, name));
  }
  if (!messages.empty()) {
    std::string out;
    for (const std::string& m : messages) out.append(out.empty() ? "" : "\n").append(m);
    return out;
  }
  if (std::string command = unknown_command(chain, args); !command.empty()) {
    return command_name(chain) + ": unknown command " + command;
  }
  if (dynamic_cast<const CLI::ExtrasError*>(&error) != nullptr) {
    // Arguments are not shown: one of them may be a password or a secret.
    return command_name(chain) +
           ": more arguments than the command takes (not repeated here: " + "one may be a secret)";
  }
  return command_name(chain) + ": " + error.what();
}

}  // namespace jwtguard::cli
