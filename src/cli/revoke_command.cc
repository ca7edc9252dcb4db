// jwtguard revoke (--jti J | --sid S | --user U | --token T)
#include <algorithm>
#include <iostream>

#include "cli.h"
#include "jwtguard/guard.h"
#include "jwtguard/jose.h"

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

// A token given on the command line is revoked by its jti until its exp
// plus the services' leeway (left unset without an exp: then it is kept as
// a bare jti is). It is decoded, not verified: revoking a forged token does
// no harm, and the operator may not hold the verification key.
Revocation token_revocation(const std::string& token_text, const server::ServeConfig& config) {
  const std::string token = token_argument(token_text);
  auto decoded = decode_jws(token, config.token_limit);
  if (!decoded) throw Failure("--token: " + decoded.error().message());
  auto claims = parse_claims(decoded->payload);
  if (!claims) throw Failure("--token: " + claims.error().message());
  if (claims->jti.empty()) throw Failure("--token: the token has no jti to revoke");
  Revocation r = jwtguard::token_revocation(*claims);
  if (claims->exp) r.expires_at += config.leeway;
  return r;
}

void run_revoke(const RevokeArgs& args) {
  const int given =
      !args.jti.empty() + !args.sid.empty() + !args.user.empty() + !args.token.empty();
  if (given != 1) throw UsageError("give exactly one of --jti, --sid, --user and --token");
  if (!args.subject_namespace.empty() && args.user.empty()) {
    throw UsageError("--namespace goes with --user only");
  }
  if (!parse_subject_namespace(args.subject_namespace)) {
    throw UsageError("--namespace must be \"" + std::string(kAppNamespace) +
                     "\" (identities minted through POST /admin/tokens)");
  }
  if (args.user.find(kNamespaceSeparator) != std::string::npos) {
    throw UsageError(
        "--user must not hold control characters; name a minted identity with "
        "--namespace app");
  }
  const Timestamp now = SystemClock().now();
  // Kept as long as a token issued before now can be valid.
  const Timestamp keep_until = now + parse_duration("--max-lifetime", args.max_lifetime);
  const server::ServeConfig config = store_config(args.store);
  Revocation r;
  if (!args.token.empty()) {
    // A verifier accepts the token until exp + its leeway: the services'
    // tokens.leeway, from the configuration this command reads too.
    r = token_revocation(args.token, config);
  } else if (!args.jti.empty()) {
    r.kind = RevocationKind::kToken;
    r.key = args.jti;
  } else if (!args.sid.empty()) {
    r.kind = RevocationKind::kSession;
    r.key = args.sid;
  } else {
    r.kind = RevocationKind::kUser;
    r.key = subject_key(args.subject_namespace, args.user);
    r.user = r.key;
    r.cutoff = user_cutoff_after(now);
  }
  r.revoked_at = now;
  r.revoked_by = args.revoked_by;
  r.reason = args.reason;
  auto store = open_store_or_fail(args.store, config);
  if (r.kind == RevocationKind::kUser) {
    auto earlier = store->find_revocation(RevocationKind::kUser, r.key);
    if (!earlier) throw Failure(earlier.error().message());
    if (*earlier) r.cutoff = cutoff_after_earlier(r.cutoff, (*earlier)->cutoff);
  }
  if (r.expires_at == Timestamp{}) {
    // Tokens issued under longer lifetimes than --max-lifetime, as the
    // services on this store recorded (raising to the epoch only reads it).
    auto horizon = store->raise_token_horizon(Timestamp{});
    if (!horizon) throw Failure(horizon.error().message());
    r.expires_at = std::max(keep_until, *horizon);
  }
  auto seq = r.kind == RevocationKind::kSession ? store->revoke_session(r) : store->revoke(r);
  if (!seq) throw Failure(seq.error().message());
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

}  // namespace

void add_revoke_command(CLI::App& app) {
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
  revoke->callback([args] { run_revoke(*args); });
}

}  // namespace jwtguard::cli
