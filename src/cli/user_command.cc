// jwtguard user create | grant-admin | list
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "jwtguard/password.h"

namespace jwtguard::cli {
namespace {

struct UserArgs {
  StoreArgs store;
  std::string name;
  std::string password;
  bool password_stdin = false;
  bool admin = false;
};

std::string password_of(const UserArgs& args) {
  if (args.password_stdin == !args.password.empty()) {
    throw UsageError("give exactly one of --password and --password-stdin");
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
void check_name(const std::string& name) {
  if (!valid_user_name(name)) {
    throw UsageError(
        "USERNAME must be 1 to 128 bytes, without control characters or "
        "surrounding spaces");
  }
}

void run_create(const UserArgs& args) {
  check_name(args.name);
  const server::ServeConfig config = store_config(args.store);
  const std::string password = password_of(args);
  // The service's own rule, with its users.min_password_length: a user the
  // service would refuse to register must not be created here either.
  if (auto rule = check_new_password(password, config.min_password_length); !rule) {
    throw UsageError(rule.error().detail() + " (" +
                     server::setting_origin(config, "users.min_password_length") + ")");
  }
  auto hash = hash_password(password);
  if (!hash) throw Failure(hash.error().message());
  auto store = open_store_or_fail(args.store, config);
  auto created = store->create_user(User{args.name, *hash, args.admin, SystemClock().now()});
  if (!created) {
    if (created.error().code() == Errc::kAlreadyExists) {
      throw Failure("user " + args.name + " already exists");
    }
    throw Failure(created.error().message());
  }
  std::cout << "created user " << args.name << (args.admin ? " (admin)" : "") << '\n';
}

void run_grant_admin(const UserArgs& args) {
  check_name(args.name);
  auto ok = open_store_or_fail(args.store, store_config(args.store))->set_admin(args.name, true);
  if (!ok) {
    if (ok.error().code() == Errc::kNotFound) throw Failure("no user " + args.name);
    throw Failure(ok.error().message());
  }
  std::cout << args.name << " is now an admin\n";
}

// One JSON object per user; never the password hash.
void run_list(const UserArgs& args) {
  auto users = open_store_or_fail(args.store, store_config(args.store))->list_users();
  if (!users) throw Failure(users.error().message());
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const User& user : *users) {
    out.push_back({{"name", user.name},
                   {"admin", user.admin},
                   {"created_at", to_unix_seconds(user.created_at)}});
  }
  std::cout << out.dump(2) << '\n';
}

}  // namespace

void add_user_command(CLI::App& app) {
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
  create->callback([args] { run_create(*args); });

  CLI::App* grant = user->add_subcommand("grant-admin", "Give a user the admin role");
  grant->add_option("USERNAME", args->name, "The user")->required();
  add_store_options(*grant, args->store);
  grant->callback([args] { run_grant_admin(*args); });

  CLI::App* list = user->add_subcommand("list", "List users as JSON (names, roles; no hashes)");
  add_store_options(*list, args->store);
  list->callback([args] { run_list(*args); });
}

}  // namespace jwtguard::cli
