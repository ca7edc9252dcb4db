// jwtguard user create | grant-admin | list (the account changes: account_command.cc)
#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "auth/user_name.h"
#include "cli.h"
#include "jwtguard/password.h"
#include "util/try.h"

namespace jwtguard::cli {
namespace {

struct UserArgs {
  StoreArgs store;
  std::string name;
  std::string password;
  bool password_stdin = false;
  bool admin = false;
};

CliResult<std::string> password_of(const UserArgs& args) {
  if (args.password_stdin == !args.password.empty()) {
    return usage_error("give exactly one of --password and --password-stdin");
  }
  if (!args.password_stdin) return args.password;
  return stdin_line();
}

// Why create_user refused a name: a user holds it, or a deleted user's
// tokens may still be presented (delete_user reserved it), and must never be
// taken for the new user's.
Outcome taken(Store& store, const std::string& name) {
  auto user = store.find_user(name);
  if (user && !*user) {
    return failure("the name " + name +
                   " belonged to a deleted user and stays reserved while its tokens could "
                   "still be presented");
  }
  return failure("user " + name + " already exists");
}

Outcome run_create(const UserArgs& args) {
  JWTGUARD_TRY(check_user_name(args.name));
  auto config = store_config(args.store);
  if (!config) return tl::unexpected(config.error());
  auto password = password_of(args);
  if (!password) return tl::unexpected(password.error());
  auto hash = new_password_hash(*password, *config);
  if (!hash) return tl::unexpected(hash.error());
  auto store = open_store_or_fail(args.store, *config);
  if (!store) return tl::unexpected(store.error());
  User user;
  user.name = args.name;
  user.password_hash = *hash;
  user.admin = args.admin;
  user.created_at = SystemClock().now();
  auto created = (*store)->create_user(user);
  if (!created && created.error().code() == Errc::kAlreadyExists) return taken(**store, args.name);
  JWTGUARD_TRY(or_failure(created));
  std::cout << "created user " << args.name << (args.admin ? " (admin)" : "") << '\n';
  return {};
}

Outcome run_grant_admin(const UserArgs& args) {
  JWTGUARD_TRY(check_user_name(args.name));
  auto store = configured_store(args.store);
  if (!store) return tl::unexpected(store.error());
  auto ok = (*store)->set_admin(args.name, true);
  if (!ok && ok.error().code() == Errc::kNotFound) return failure("no user " + args.name);
  JWTGUARD_TRY(or_failure(ok));
  std::cout << args.name << " is now an admin\n";
  return {};
}

nlohmann::ordered_json user_json(const UserSummary& summary) {
  const User& user = summary.user;
  return {{"name", user.name},
          {"admin", user.admin},
          {"disabled", user.disabled},
          {"created_at", to_unix_seconds(user.created_at)},
          {"last_login_at", user.last_login_at
                                ? nlohmann::ordered_json(to_unix_seconds(*user.last_login_at))
                                : nlohmann::ordered_json(nullptr)},
          {"sessions", summary.sessions}};
}

// One JSON object per user, the fields of GET /admin/users; never the
// password hash. Every page: an operator listing users wants all of them.
Outcome run_list(const UserArgs& args) {
  auto store = configured_store(args.store);
  if (!store) return tl::unexpected(store.error());
  UserFilter filter{.limit = 1000, .cursor = {}, .now = SystemClock().now()};
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  do {
    auto page = or_failure((*store)->list_users(filter));
    if (!page) return tl::unexpected(page.error());
    for (const UserSummary& summary : page->entries) out.push_back(user_json(summary));
    filter.cursor = std::move(page->next_cursor);
  } while (!filter.cursor.empty());
  // A name is checked by the rule, not for UTF-8: a byte that is not is
  // shown replaced rather than stopping the listing.
  std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  return {};
}

}  // namespace

std::string stdin_line() {
  // A password typed at a terminal is neither echoed nor left on the screen.
  termios saved{};
  const bool terminal = isatty(STDIN_FILENO) == 1 && tcgetattr(STDIN_FILENO, &saved) == 0;
  if (terminal) {
    std::cerr << "Password: " << std::flush;
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (terminal) {
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::cerr << '\n';
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// The service's rule for names: a user it would refuse to register must not
// be created here (a control character could also pass for another
// subject's key).
CliResult<void> check_user_name(const std::string& name) {
  if (!valid_user_name(name)) {
    return usage_error(user_name_rule("USERNAME"));
  }
  return {};
}

// The service's own rule, with its users.min_password_length: a password the
// service would refuse at registration must not be set here either.
CliResult<std::string> new_password_hash(const std::string& password,
                                         const server::ServeConfig& config) {
  if (auto rule = check_new_password(password, config.min_password_length); !rule) {
    return usage_error(rule.error().detail() + " (" +
                       server::setting_origin(config, "users.min_password_length") + ")");
  }
  return or_failure(hash_password(password));
}

CliResult<std::unique_ptr<Store>> configured_store(const StoreArgs& args) {
  auto config = store_config(args);
  if (!config) return tl::unexpected(config.error());
  return open_store_or_fail(args, *config);
}

void add_user_command(CLI::App& app, Outcome& outcome) {
  CLI::App* user = app.add_subcommand("user", "Manage the HTTP service's users");
  user->require_subcommand(1);
  auto args = std::make_shared<UserArgs>();

  CLI::App* create = user->add_subcommand("create", "Create a user (Argon2id password hash)");
  create->add_option("USERNAME", args->name, "The new user's name")->required();
  create->add_option("--password", args->password,
                     "The password (visible in the process list: prefer --password-stdin)");
  create->add_flag("--password-stdin", args->password_stdin,
                   "Read the password from the first line of standard input");
  create->add_flag("--admin", args->admin, "Give the user the admin role");
  add_store_options(*create, args->store);
  create->callback([args, &outcome] { outcome = run_create(*args); });

  CLI::App* grant = user->add_subcommand("grant-admin", "Give a user the admin role");
  grant->add_option("USERNAME", args->name, "The user")->required();
  add_store_options(*grant, args->store);
  grant->callback([args, &outcome] { outcome = run_grant_admin(*args); });

  CLI::App* list = user->add_subcommand(
      "list",
      "List every user as JSON: name, admin, disabled, created_at, last_login_at, live sessions "
      "(never a hash)");
  add_store_options(*list, args->store);
  list->callback([args, &outcome] { outcome = run_list(*args); });

  add_account_commands(*user, outcome);
}

}  // namespace jwtguard::cli
