// jwtguard user disable | enable | delete | set-password | audit
//
// Each change goes through accounts:: (auth/accounts.h), the code the
// service's admin routes use, so that both end the same tokens and leave the
// same audit record; the command line is the actor "cli".
#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

#include "auth/accounts.h"
#include "cli.h"
#include "util/try.h"

namespace jwtguard::cli {
namespace {

// The actor the audit log records for a change made here.
constexpr std::string_view kActor = "cli";

struct AccountArgs {
  StoreArgs store;
  std::string name;
  std::string reason;
  std::string max_lifetime = "30d";
  bool password_stdin = false;
};

struct AuditArgs {
  StoreArgs store;
  std::string user;
  std::size_t limit = 100;
};

// What every account command checks before it opens the store.
struct Prepared {
  server::ServeConfig config;
  std::chrono::seconds max_lifetime{};
};

CliResult<Prepared> prepare(const AccountArgs& args) {
  JWTGUARD_TRY(check_user_name(args.name));
  auto max_lifetime = parse_duration("--max-lifetime", args.max_lifetime, kLifetimeBounds);
  if (!max_lifetime) return tl::unexpected(max_lifetime.error());
  auto config = store_config(args.store);
  if (!config) return tl::unexpected(config.error());
  return Prepared{std::move(*config), *max_lifetime};
}

// How the command line ends a user's tokens: the cutoff a service's
// Guard::revoke_user would write (revocation/build.h), written to the store,
// where every instance sharing it picks it up from the change feed. The
// cutoff's instant is read when accounts:: calls this, after the change is
// durable: a login racing the change either saw it or was issued before the
// cutoff.
accounts::EndTokens cutoff_writer(Store& store, const Prepared& prepared) {
  return [&store, &prepared](std::string_view user, const RevokeContext& context) -> Result<void> {
    const Timestamp now = SystemClock().now();
    auto lives = token_lives(store, prepared.config, prepared.max_lifetime, now);
    if (!lives) return fail(Errc::kStore, lives.error().message);
    JWTGUARD_ASSIGN_OR_RETURN(Revocation cutoff,
                              revocation::user_revocation(store, user, now, *lives));
    cutoff.revoked_by = context.revoked_by;
    cutoff.reason = context.reason;
    auto seq = store.revoke(cutoff);
    if (!seq) return tl::unexpected(seq.error());
    return {};
  };
}

accounts::Change change_of(const AccountArgs& args) {
  return {.actor = std::string(kActor), .now = SystemClock().now(), .reason = args.reason};
}

// An account change's result, with the message grant-admin gives for an
// unknown user.
template <typename T>
CliResult<T> account_result(Result<T> result, const std::string& name) {
  if (!result && result.error().code() == Errc::kNotFound) return failure("no user " + name);
  return or_failure(std::move(result));
}

std::string sessions_ended(std::size_t n) {
  return std::to_string(n) + (n == 1 ? " session" : " sessions") + " ended";
}

Outcome run_disable(const AccountArgs& args) {
  auto prepared = prepare(args);
  if (!prepared) return tl::unexpected(prepared.error());
  auto store = open_store_or_fail(args.store, prepared->config);
  if (!store) return tl::unexpected(store.error());
  auto ended = account_result(
      accounts::disable(**store, cutoff_writer(**store, *prepared), args.name, change_of(args)),
      args.name);
  if (!ended) return tl::unexpected(ended.error());
  std::cout << "disabled " << args.name << "; " << sessions_ended(*ended) << '\n';
  return {};
}

Outcome run_enable(const AccountArgs& args) {
  JWTGUARD_TRY(check_user_name(args.name));
  auto store = configured_store(args.store);
  if (!store) return tl::unexpected(store.error());
  JWTGUARD_TRY(account_result(accounts::enable(**store, args.name, change_of(args)), args.name));
  std::cout << "enabled " << args.name << "; tokens ended when it was disabled stay ended\n";
  return {};
}

Outcome run_delete(const AccountArgs& args) {
  auto prepared = prepare(args);
  if (!prepared) return tl::unexpected(prepared.error());
  auto store = open_store_or_fail(args.store, prepared->config);
  if (!store) return tl::unexpected(store.error());
  auto ended = account_result(accounts::remove(**store, cutoff_writer(**store, *prepared),
                                               args.name, change_of(args), accounts::kDelete),
                              args.name);
  if (!ended) return tl::unexpected(ended.error());
  std::cout << "deleted " << args.name << "; " << sessions_ended(*ended)
            << "; the name stays reserved while its tokens could be presented\n";
  return {};
}

// The new password comes from standard input only: a command line is
// visible to every user of the machine in the process list.
Outcome run_set_password(const AccountArgs& args) {
  auto prepared = prepare(args);
  if (!prepared) return tl::unexpected(prepared.error());
  if (!args.password_stdin) {
    return usage_error(
        "set-password reads the new password from standard input: pass --password-stdin (a "
        "password on the command line would show in the process list)");
  }
  auto hash = new_password_hash(stdin_line(), prepared->config);
  if (!hash) return tl::unexpected(hash.error());
  auto store = open_store_or_fail(args.store, prepared->config);
  if (!store) return tl::unexpected(store.error());
  auto ended =
      account_result(accounts::set_password(**store, cutoff_writer(**store, *prepared), args.name,
                                            *hash, change_of(args), accounts::kReset),
                     args.name);
  if (!ended) return tl::unexpected(ended.error());
  std::cout << "set a new password for " << args.name << "; " << sessions_ended(*ended) << '\n';
  return {};
}

// An audit record as JSON, its detail parsed (kept as text in the unlikely
// case that it is not JSON, rather than lost).
nlohmann::ordered_json audit_json(const AuditEvent& event) {
  nlohmann::ordered_json detail = nlohmann::ordered_json::object();
  if (!event.detail.empty()) {
    detail = nlohmann::ordered_json::parse(event.detail, nullptr, false);
    if (detail.is_discarded()) detail = event.detail;
  }
  return {{"id", event.id},           {"at", to_unix_seconds(event.at)},
          {"actor", event.actor},     {"action", event.action},
          {"subject", event.subject}, {"detail", std::move(detail)}};
}

Outcome run_audit(const AuditArgs& args) {
  if (!args.user.empty()) JWTGUARD_TRY(check_user_name(args.user));
  auto store = configured_store(args.store);
  if (!store) return tl::unexpected(store.error());
  AuditFilter filter{.limit = 1, .cursor = {}, .subject = args.user};
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  while (out.size() < args.limit) {
    filter.limit = std::min<std::size_t>(args.limit - out.size(), 1000);
    auto page = or_failure((*store)->list_audit(filter));
    if (!page) return tl::unexpected(page.error());
    for (const AuditEvent& event : page->entries) out.push_back(audit_json(event));
    filter.cursor = std::move(page->next_cursor);
    if (filter.cursor.empty()) break;
  }
  std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  return {};
}

void add_name(CLI::App& command, AccountArgs& args) {
  command.add_option("USERNAME", args.name, "The user")->required();
}

void add_max_lifetime(CLI::App& command, AccountArgs& args) {
  command.add_option("--max-lifetime", args.max_lifetime,
                     "How long tokens live at most (the longer TTL, plus leeway): how long the "
                     "cutoff that ends the user's tokens is kept (default: 30d), as for revoke");
}

constexpr const char* kFeedFooter =
    "The user's tokens end with a cutoff (as revoke --user writes it); running services that "
    "share the store pick it up from its change feed. The change is recorded in the audit log "
    "(jwtguard user audit) with the actor \"cli\".";

void add_ending_commands(CLI::App& user, const std::shared_ptr<AccountArgs>& args,
                         Outcome& outcome) {
  CLI::App* disable = user.add_subcommand(
      "disable", "Disable a user: it cannot log in or refresh, and every token it holds ends");
  add_name(*disable, *args);
  disable->add_option("--reason", args->reason, "Why, for the audit log");
  add_max_lifetime(*disable, *args);
  add_store_options(*disable, args->store);
  disable->footer(kFeedFooter);
  disable->callback([args, &outcome] { outcome = run_disable(*args); });

  CLI::App* remove = user.add_subcommand(
      "delete", "Delete a user with its sessions and password hash; every token it holds ends");
  add_name(*remove, *args);
  remove->add_option("--reason", args->reason, "Why, for the audit log");
  add_max_lifetime(*remove, *args);
  add_store_options(*remove, args->store);
  remove->footer(std::string(kFeedFooter) +
                 "\nThe name stays reserved (user create and registration refuse it) as long as "
                 "the cutoff is kept: as long as any token of the deleted user could be "
                 "presented.");
  remove->callback([args, &outcome] { outcome = run_delete(*args); });

  CLI::App* reset = user.add_subcommand(
      "set-password", "Set a user's password (a reset): every session of the user ends");
  add_name(*reset, *args);
  reset->add_flag("--password-stdin", args->password_stdin,
                  "Read the new password from the first line of standard input (required: "
                  "there is no --password, a command line shows in the process list)");
  add_max_lifetime(*reset, *args);
  add_store_options(*reset, args->store);
  reset->footer(std::string(kFeedFooter) +
                "\nThe password follows the service's rule (users.min_password_length) and is "
                "never printed.");
  reset->callback([args, &outcome] { outcome = run_set_password(*args); });
}

}  // namespace

void add_account_commands(CLI::App& user, Outcome& outcome) {
  auto args = std::make_shared<AccountArgs>();
  add_ending_commands(user, args, outcome);

  CLI::App* enable = user.add_subcommand(
      "enable", "Enable a disabled user: it may log in again; its old tokens stay ended");
  add_name(*enable, *args);
  add_store_options(*enable, args->store);
  enable->callback([args, &outcome] { outcome = run_enable(*args); });

  auto audit_args = std::make_shared<AuditArgs>();
  CLI::App* audit = user.add_subcommand(
      "audit",
      "The audit log of account changes as JSON, newest first: id, at, actor, action, subject, "
      "detail (never a password or a hash)");
  audit->add_option("--user", audit_args->user, "Only the changes to this user");
  audit->add_option("--limit", audit_args->limit, "At most this many records (default: 100)")
      ->check(CLI::PositiveNumber);
  add_store_options(*audit, audit_args->store);
  audit->callback([audit_args, &outcome] { outcome = run_audit(*audit_args); });
}

}  // namespace jwtguard::cli
