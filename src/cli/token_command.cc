// jwtguard token issue | verify | decode
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "jwtguard/issuer.h"
#include "jwtguard/status_list_verifier.h"
#include "jwtguard/verifier.h"
#include "util/try.h"

namespace jwtguard::cli {
namespace {

using Json = nlohmann::ordered_json;

struct IssueArgs {
  KeyOptions keys;
  std::string identity;
  std::string type = "access";
  std::string ttl;
  std::vector<std::string> claims;
  bool fresh = false;
  std::string sid;
  std::string iss;
  std::vector<std::string> aud;
};

struct VerifyArgs {
  KeyOptions keys;
  std::string token;
  std::optional<double> at;
  std::string leeway = "0";
  std::string iss;
  std::vector<std::string> aud;
  bool no_exp = false;
  bool check_status = false;
  std::string status_timeout = "5s";
  std::size_t status_max_bytes = std::size_t{1} << 20;
};

// --at for the status list token too: its exp is judged at the same time
// as the token's.
class FixedClock final : public Clock {
 public:
  explicit FixedClock(Timestamp at) : at_(at) {}
  Timestamp now() const override { return at_; }

 private:
  Timestamp at_;
};

// K=V: V is taken as JSON when it parses as JSON (42, true, {"a":1}, "s"),
// and as a plain string otherwise.
CliResult<Json> claims_object(const std::vector<std::string>& pairs) {
  Json object = Json::object();
  for (const std::string& pair : pairs) {
    const auto eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) {
      return usage_error("--claim " + pair + ": expected K=V");
    }
    const std::string value = pair.substr(eq + 1);
    Json parsed = Json::parse(value, nullptr, /*allow_exceptions=*/false);
    object[pair.substr(0, eq)] = parsed.is_discarded() ? Json(value) : std::move(parsed);
  }
  return object;
}

CliResult<Issuer> issuer_of(const IssueArgs& args) {
  IssuerOptions options;
  auto algs = selected_algorithms(args.keys);
  if (!algs) return tl::unexpected(algs.error());
  if (algs->size() > 1) return usage_error("issue signs with one --alg");
  if (!algs->empty()) options.algorithm = algs->front();
  options.issuer = args.iss;
  options.audience = args.aud;
  auto key = load_signing_key(args.keys);
  if (!key) return tl::unexpected(key.error());
  return or_failure(Issuer::create(*key, options));
}

CliResult<TokenRequest> token_request(const IssueArgs& args, TokenType type) {
  TokenRequest request;
  request.subject = args.identity;
  request.type = type;
  request.fresh = args.fresh;
  request.session_id = args.sid;
  if (!args.claims.empty()) {
    auto claims = claims_object(args.claims);
    if (!claims) return tl::unexpected(claims.error());
    request.extra_claims_json = claims->dump();
  }
  if (!args.ttl.empty()) {
    auto ttl = parse_duration("--ttl", args.ttl, kLifetimeBounds);
    if (!ttl) return tl::unexpected(ttl.error());
    request.ttl = *ttl;
  }
  return request;
}

Outcome run_issue(const IssueArgs& args) {
  // The type first: a wrong --type is a usage error even without a key.
  const auto type = parse_token_type(args.type);
  if (!type) return usage_error("--type must be access or refresh");
  auto issuer = issuer_of(args);
  if (!issuer) return tl::unexpected(issuer.error());
  auto request = token_request(args, *type);
  if (!request) return tl::unexpected(request.error());
  auto token = or_failure(issuer->issue(*request, SystemClock().now()));
  if (!token) return tl::unexpected(token.error());
  std::cout << token->token << '\n';
  return {};
}

CliResult<Timestamp> verification_time(const std::optional<double>& at) {
  if (!at) return SystemClock().now();
  if (!(*at >= 0 && *at < 253402300800.0)) return usage_error("--at is out of range");
  return Timestamp(std::chrono::microseconds(static_cast<std::int64_t>(*at * 1e6)));
}

CliResult<Verifier> verifier_of(const VerifyArgs& args) {
  VerifyOptions options;
  auto algs = selected_algorithms(args.keys);
  if (!algs) return tl::unexpected(algs.error());
  options.algorithms = std::move(*algs);
  auto leeway = parse_duration("--leeway", args.leeway, kLeewayBounds);
  if (!leeway) return tl::unexpected(leeway.error());
  options.claims.leeway = *leeway;
  options.claims.require_exp = !args.no_exp;
  options.claims.issuer = args.iss;
  options.claims.audience = args.aud;
  // Before the keys, so that a wrong --at is a usage error whatever the keys.
  JWTGUARD_TRY(verification_time(args.at));
  auto keys = load_verification_keys(args.keys);
  if (!keys) return tl::unexpected(keys.error());
  auto verifier = Verifier::create(std::move(*keys), options);
  if (!verifier && verifier.error().code() == Errc::kInvalidArgument) {
    return usage_error(verifier.error().message());  // e.g. a JWK Set without keys
  }
  return or_failure(std::move(verifier));
}

// The status list's options: the token's keys, allowlist and leeway.
CliResult<StatusVerifierOptions> status_options(const VerifyArgs& args, const Verifier& verifier) {
  StatusVerifierOptions options;
  options.keys = verifier.keys();
  options.algorithms = verifier.options().algorithms;
  options.leeway = verifier.options().claims.leeway;
  auto timeout = parse_duration("--status-timeout", args.status_timeout,
                                {.min = std::chrono::seconds(1), .max = std::chrono::hours(1)});
  if (!timeout) return tl::unexpected(timeout.error());
  options.timeout = *timeout;
  options.connect_timeout = std::min<std::chrono::milliseconds>(options.connect_timeout, *timeout);
  if (args.status_max_bytes == 0) return usage_error("--status-max-bytes must be positive");
  options.max_response_bytes = args.status_max_bytes;
  return options;
}

// After the token itself is verified (draft-ietf-oauth-status-list §8.3):
// its status in the list its "status" claim names.
Outcome check_status(const VerifyArgs& args, const Verifier& verifier,
                     const VerifiedToken& verified, Timestamp now) {
  auto options = status_options(args, verifier);
  if (!options) return tl::unexpected(options.error());
  const FixedClock clock(now);
  auto status_verifier = or_failure(StatusListVerifier::create(std::move(*options), clock));
  if (!status_verifier) return tl::unexpected(status_verifier.error());
  return or_failure((*status_verifier)->check(verified.claims.payload_json));
}

Outcome run_verify(const VerifyArgs& args) {
  auto verifier = verifier_of(args);
  if (!verifier) return tl::unexpected(verifier.error());
  auto now = verification_time(args.at);
  if (!now) return tl::unexpected(now.error());
  auto verified = or_failure(verifier->verify(token_argument(args.token), *now));
  if (!verified) return tl::unexpected(verified.error());
  if (args.check_status) JWTGUARD_TRY(check_status(args, *verifier, *verified, *now));
  std::cout << Json::parse(verified->claims.payload_json).dump(2) << '\n';
  return {};
}

Outcome run_decode(const std::string& argument) {
  auto decoded = or_failure(decode_jws(token_argument(argument)));
  if (!decoded) return tl::unexpected(decoded.error());
  Json payload = Json::parse(decoded->payload, nullptr, /*allow_exceptions=*/false);
  Json out = {{"header", Json::parse(decoded->header_json)},
              {"payload", payload.is_discarded() ? Json(decoded->payload) : payload}};
  std::cout << out.dump(2) << '\n';
  return {};
}

void add_issue(CLI::App& token, Outcome& outcome) {
  auto args = std::make_shared<IssueArgs>();
  CLI::App* cmd = token.add_subcommand("issue", "Issue a signed access or refresh token");
  cmd->add_option("--identity", args->identity, "The token's subject (sub)")->required();
  cmd->add_option("--type", args->type, "access or refresh")->capture_default_str();
  cmd->add_option("--ttl", args->ttl,
                  "Lifetime: 900, 45s, 15m, 12h, 30d, 1h30m (default 15m access, 30d refresh)");
  cmd->add_option("--claim", args->claims, "Extra claim K=V (V as JSON if it parses)");
  cmd->add_flag("--fresh", args->fresh, "Mark an access token fresh");
  cmd->add_option("--sid", args->sid, "Session id (default: a new random one)");
  cmd->add_option("--iss", args->iss, "Issuer (iss)");
  cmd->add_option("--aud", args->aud, "Audience (aud), repeatable");
  add_key_options(*cmd, args->keys);
  cmd->footer("Prints the token on standard output.");
  cmd->callback([args, &outcome] { outcome = run_issue(*args); });
}

void add_verify(CLI::App& token, Outcome& outcome) {
  auto args = std::make_shared<VerifyArgs>();
  CLI::App* cmd = token.add_subcommand("verify", "Verify a token's signature and claims");
  cmd->add_option("token", args->token, "The token, or - to read it from standard input")
      ->required();
  cmd->add_option("--at", args->at, "Verify as of this Unix time (seconds) instead of now");
  cmd->add_option("--leeway", args->leeway,
                  "Clock leeway for exp, nbf, iat: 30, 30s, 2m (as serve's leeway)")
      ->capture_default_str();
  cmd->add_option("--iss", args->iss, "Require this issuer");
  cmd->add_option("--aud", args->aud, "Require one of these audiences, repeatable");
  cmd->add_flag("--no-exp", args->no_exp, "Accept tokens without an exp claim");
  cmd->add_flag("--check-status", args->check_status,
                "Then check the token's status in the Token Status List its \"status\" claim "
                "names, fetched and verified with the same keys");
  cmd->add_option("--status-timeout", args->status_timeout,
                  "The status list fetch's time limit: 5s, 30s (1s..1h)")
      ->capture_default_str();
  cmd->add_option("--status-max-bytes", args->status_max_bytes,
                  "The largest status list token accepted, in bytes")
      ->capture_default_str();
  add_key_options(*cmd, args->keys);
  cmd->footer(
      "Prints the verified claims as JSON and exits 0. On failure prints the reason on\n"
      "standard error and exits 1 (with --check-status, also \"Token has been revoked\" or\n"
      "\"Token has been suspended\" from the status list, or why the list could not be\n"
      "used); usage errors exit 2.");
  cmd->callback([args, &outcome] { outcome = run_verify(*args); });
}

void add_decode(CLI::App& token, Outcome& outcome) {
  auto argument = std::make_shared<std::string>();
  CLI::App* cmd = token.add_subcommand(
      "decode", "Print a token's header and payload WITHOUT verifying anything");
  cmd->add_option("token", *argument, "The token, or - to read it from standard input")->required();
  cmd->callback([argument, &outcome] { outcome = run_decode(*argument); });
}

}  // namespace

void add_token_command(CLI::App& app, Outcome& outcome) {
  CLI::App* token = app.add_subcommand("token", "Issue, verify and inspect tokens");
  token->require_subcommand(1);
  add_issue(*token, outcome);
  add_verify(*token, outcome);
  add_decode(*token, outcome);
}

}  // namespace jwtguard::cli
