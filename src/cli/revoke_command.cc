// jwtguard revoke (--jti J | --sid S | --user U | --token T)
#include <iostream>
#include <optional>

#include "cli.h"
#include "jwtguard/guard.h"
#include "jwtguard/jose.h"
#include "revocation/build.h"
#include "util/try.h"

namespace jwtguard::cli {
namespace {

struct RevokeArgs {
  StoreArgs store;
  std::string jti, sid, user, token;
  std::string subject_namespace;  // with --user: "app" for a minted identity
  std::string reason;
  std::string revoked_by = "cli";
  std::string max_lifetime = "30d";
};

// A token given on the command line is decoded, not verified: revoking a
// forged token does no harm, and the operator may not hold the verification
// key.
CliResult<Claims> token_claims(const std::string& token_text, const server::ServeConfig& config) {
  const std::string token = token_argument(token_text);
  auto decoded = decode_jws(token, config.token_limit);
  if (!decoded) return failure("--token: " + decoded.error().message());
  auto claims = parse_claims(decoded->payload);
  if (!claims) return failure("--token: " + claims.error().message());
  if (claims->jti.empty()) return failure("--token: the token has no jti to revoke");
  return std::move(*claims);
}

CliResult<void> check_target(const RevokeArgs& args) {
  const int given =
      !args.jti.empty() + !args.sid.empty() + !args.user.empty() + !args.token.empty();
  if (given != 1) return usage_error("give exactly one of --jti, --sid, --user and --token");
  if (!args.subject_namespace.empty() && args.user.empty()) {
    return usage_error("--namespace goes with --user only");
  }
  if (!parse_subject_namespace(args.subject_namespace)) {
    return usage_error("--namespace must be \"" + std::string(kAppNamespace) +
                       "\" (identities minted through POST /admin/tokens)");
  }
  // As the service refuses it in any key: only subject_key() may join a
  // namespace to a name.
  if (args.user.find(kNamespaceSeparator) != std::string::npos) {
    return usage_error(
        "--user must not hold control characters; name a minted identity with "
        "--namespace app");
  }
  for (const auto& [option, key] : {std::pair{"--jti", &args.jti}, std::pair{"--sid", &args.sid}}) {
    if (key->find(kNamespaceSeparator) != std::string::npos) {
      return usage_error(std::string(option) + " must not hold control characters");
    }
  }
  return {};
}

// The revocation the Guard of a service on this store would build
// (revocation/build.h).
CliResult<Revocation> build(const RevokeArgs& args, const std::optional<Claims>& claims,
                            Store& store, const revocation::TokenLives& lives, Timestamp now) {
  if (claims) return or_failure(revocation::token_revocation_at(*claims, now, lives), "--token");
  if (!args.jti.empty()) return revocation::jti_revocation(args.jti, now, lives);
  if (!args.sid.empty()) return revocation::session_revocation(store, args.sid, {}, now, lives);
  return or_failure(revocation::user_revocation(
      store, subject_key(args.subject_namespace, args.user), now, lives));
}

void print_revoked(const Revocation& r) {
  std::cout << "revoked " << revocation_kind_name(r.kind) << ' ';
  if (r.kind == RevocationKind::kUser) {
    auto [subject_namespace, name] = split_subject_key(r.key);
    std::cout << name;
    if (!subject_namespace.empty()) std::cout << " (namespace " << subject_namespace << ')';
  } else {
    std::cout << r.key;
  }
  std::cout << '\n';
}

Outcome run_revoke(const RevokeArgs& args) {
  JWTGUARD_TRY(check_target(args));
  auto max_lifetime = parse_duration("--max-lifetime", args.max_lifetime, kLifetimeBounds);
  if (!max_lifetime) return tl::unexpected(max_lifetime.error());
  auto config = store_config(args.store);
  if (!config) return tl::unexpected(config.error());
  std::optional<Claims> claims;
  if (!args.token.empty()) {
    auto given = token_claims(args.token, *config);
    if (!given) return tl::unexpected(given.error());
    claims = std::move(*given);
  }
  auto store = open_store_or_fail(args.store, *config);
  if (!store) return tl::unexpected(store.error());
  const Timestamp now = SystemClock().now();
  auto lives = token_lives(**store, *config, *max_lifetime, now);
  if (!lives) return tl::unexpected(lives.error());
  auto r = build(args, claims, **store, *lives, now);
  if (!r) return tl::unexpected(r.error());
  r->revoked_by = args.revoked_by;
  r->reason = args.reason;
  auto seq =
      r->kind == RevocationKind::kSession ? (*store)->revoke_session(*r) : (*store)->revoke(*r);
  if (!seq) return failure(seq.error().message());
  print_revoked(*r);
  return {};
}

}  // namespace

void add_revoke_command(CLI::App& app, Outcome& outcome) {
  auto args = std::make_shared<RevokeArgs>();
  CLI::App* revoke = app.add_subcommand(
      "revoke", "Revoke a token, a session, or every token of a user, in the store");
  revoke->add_option("--jti", args->jti, "One token, by its jti");
  revoke->add_option("--sid", args->sid, "A whole session: its tokens and all refreshed from it");
  revoke->add_option("--user", args->user, "Every token of the user issued until now");
  revoke->add_option("--namespace", args->subject_namespace,
                     "With --user: \"app\" for an identity minted through POST /admin/tokens "
                     "(default: jwtguard's user of that name)");
  revoke->add_option("--token", args->token,
                     "One token, given whole (\"-\" reads it from standard input)");
  revoke->add_option("--reason", args->reason, "Why, for the record");
  revoke->add_option("--by", args->revoked_by, "Who, for the record (default: cli)");
  revoke->add_option("--max-lifetime", args->max_lifetime,
                     "How long tokens live at most (the longer TTL, plus leeway): how long a "
                     "--jti, --sid or --user revocation is kept (default: 30d)");
  add_store_options(*revoke, args->store);
  revoke->footer(
      "Running services that share the store pick the revocation up from its change feed.");
  revoke->callback([args, &outcome] { outcome = run_revoke(*args); });
}

}  // namespace jwtguard::cli
