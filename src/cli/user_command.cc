// jwtguard user create | grant-admin | list
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
  std::string line;
  std::getline(std::cin, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// The service's rule for names: a user it would refuse to register must not
// be created here (a control character could also pass for another
// subject's key).
CliResult<void> check_name(const std::string& name) {
  if (!valid_user_name(name)) {
    return usage_error(user_name_rule("USERNAME"));
  }
  return {};
}

// The service's own rule, with its users.min_password_length: a user the
// service would refuse to register must not be created here either.
CliResult<std::string> new_password_hash(const UserArgs& args, const server::ServeConfig& config) {
  auto password = password_of(args);
  if (!password) return tl::unexpected(password.error());
  if (auto rule = check_new_password(*password, config.min_password_length); !rule) {
    return usage_error(rule.error().detail() + " (" +
                       server::setting_origin(config, "users.min_password_length") + ")");
  }
  return or_failure(hash_password(*password));
}

Outcome run_create(const UserArgs& args) {
  JWTGUARD_TRY(check_name(args.name));
  auto config = store_config(args.store);
  if (!config) return tl::unexpected(config.error());
  auto hash = new_password_hash(args, *config);
  if (!hash) return tl::unexpected(hash.error());
  auto store = open_store_or_fail(args.store, *config);
  if (!store) return tl::unexpected(store.error());
  auto created = (*store)->create_user(User{args.name, *hash, args.admin, SystemClock().now()});
  if (!created && created.error().code() == Errc::kAlreadyExists) {
    return failure("user " + args.name + " already exists");
  }
  JWTGUARD_TRY(or_failure(created));
  std::cout << "created user " << args.name << (args.admin ? " (admin)" : "") << '\n';
  return {};
}

// The store the command names, from the sources serve reads.
CliResult<std::unique_ptr<Store>> store_of(const StoreArgs& args) {
  auto config = store_config(args);
  if (!config) return tl::unexpected(config.error());
  return open_store_or_fail(args, *config);
}

Outcome run_grant_admin(const UserArgs& args) {
  JWTGUARD_TRY(check_name(args.name));
  auto store = store_of(args.store);
  if (!store) return tl::unexpected(store.error());
  auto ok = (*store)->set_admin(args.name, true);
  if (!ok && ok.error().code() == Errc::kNotFound) return failure("no user " + args.name);
  JWTGUARD_TRY(or_failure(ok));
  std::cout << args.name << " is now an admin\n";
  return {};
}

// One JSON object per user; never the password hash.
Outcome run_list(const UserArgs& args) {
  auto store = store_of(args.store);
  if (!store) return tl::unexpected(store.error());
  auto users = or_failure((*store)->list_users());
  if (!users) return tl::unexpected(users.error());
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const User& user : *users) {
    out.push_back({{"name", user.name},
                   {"admin", user.admin},
                   {"created_at", to_unix_seconds(user.created_at)}});
  }
  std::cout << out.dump(2) << '\n';
  return {};
}

}  // namespace

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

  CLI::App* list = user->add_subcommand("list", "List users as JSON (names, roles; no hashes)");
  add_store_options(*list, args->store);
  list->callback([args, &outcome] { outcome = run_list(*args); });
}

}  // namespace jwtguard::cli
