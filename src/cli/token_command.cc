// jwtguard token issue | verify | decode
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "jwtguard/issuer.h"
#include "jwtguard/verifier.h"

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
};

// K=V: V is taken as JSON when it parses as JSON (42, true, {"a":1}, "s"),
// and as a plain string otherwise.
Json claims_object(const std::vector<std::string>& pairs) {
  Json object = Json::object();
  for (const std::string& pair : pairs) {
    const auto eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) throw UsageError("--claim " + pair + ": expected K=V");
    const std::string value = pair.substr(eq + 1);
    Json parsed = Json::parse(value, nullptr, /*allow_exceptions=*/false);
    object[pair.substr(0, eq)] = parsed.is_discarded() ? Json(value) : std::move(parsed);
  }
  return object;
}

void run_issue(const IssueArgs& args) {
  const auto type = parse_token_type(args.type);
  if (!type) throw UsageError("--type must be access or refresh");
  IssuerOptions options;
  const auto algs = selected_algorithms(args.keys);
  if (algs.size() > 1) throw UsageError("issue signs with one --alg");
  if (!algs.empty()) options.algorithm = algs.front();
  options.issuer = args.iss;
  options.audience = args.aud;
  auto issuer = Issuer::create(load_signing_key(args.keys), options);
  if (!issuer) throw Failure(issuer.error().message());
  TokenRequest request;
  request.subject = args.identity;
  request.type = *type;
  request.fresh = args.fresh;
  request.session_id = args.sid;
  if (!args.claims.empty()) request.extra_claims_json = claims_object(args.claims).dump();
  if (!args.ttl.empty()) request.ttl = parse_duration("--ttl", args.ttl);
  auto token = issuer->issue(request, SystemClock().now());
  if (!token) throw Failure(token.error().message());
  std::cout << token->token << '\n';
}

Timestamp verification_time(const std::optional<double>& at) {
  if (!at) return SystemClock().now();
  if (!(*at >= 0 && *at < 253402300800.0)) throw UsageError("--at is out of range");
  return Timestamp(std::chrono::microseconds(static_cast<std::int64_t>(*at * 1e6)));
}

void run_verify(const VerifyArgs& args) {
  VerifyOptions options;
  options.algorithms = selected_algorithms(args.keys);
  options.claims.leeway = parse_duration("--leeway", args.leeway, /*allow_zero=*/true);
  options.claims.require_exp = !args.no_exp;
  options.claims.issuer = args.iss;
  options.claims.audience = args.aud;
  const Timestamp now = verification_time(args.at);
  auto verifier = Verifier::create(load_verification_keys(args.keys), options);
  if (!verifier && verifier.error().code() == Errc::kInvalidArgument) {
    throw UsageError(verifier.error().message());  // e.g. a leeway over a day
  }
  if (!verifier) throw Failure(verifier.error().message());
  auto verified = verifier->verify(token_argument(args.token), now);
  if (!verified) throw Failure(verified.error().message());
  std::cout << Json::parse(verified->claims.payload_json).dump(2) << '\n';
}

void run_decode(const std::string& argument) {
  auto decoded = decode_jws(token_argument(argument));
  if (!decoded) throw Failure(decoded.error().message());
  Json payload = Json::parse(decoded->payload, nullptr, /*allow_exceptions=*/false);
  Json out = {{"header", Json::parse(decoded->header_json)},
              {"payload", payload.is_discarded() ? Json(decoded->payload) : payload}};
  std::cout << out.dump(2) << '\n';
}

void add_issue(CLI::App& token) {
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
  cmd->callback([args] { run_issue(*args); });
}

void add_verify(CLI::App& token) {
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
  add_key_options(*cmd, args->keys);
  cmd->footer(
      "Prints the verified claims as JSON and exits 0. On failure prints the reason on\n"
      "standard error and exits 1; usage errors exit 2.");
  cmd->callback([args] { run_verify(*args); });
}

void add_decode(CLI::App& token) {
  auto argument = std::make_shared<std::string>();
  CLI::App* cmd = token.add_subcommand(
      "decode", "Print a token's header and payload WITHOUT verifying anything");
  cmd->add_option("token", *argument, "The token, or - to read it from standard input")->required();
  cmd->callback([argument] { run_decode(*argument); });
}

}  // namespace

void add_token_command(CLI::App& app) {
  CLI::App* token = app.add_subcommand("token", "Issue, verify and inspect tokens");
  token->require_subcommand(1);
  add_issue(*token);
  add_verify(*token);
  add_decode(*token);
}

}  // namespace jwtguard::cli
