// jwtguard keys generate
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/cli.h"

namespace jwtguard::cli {
namespace {

struct GenerateArgs {
  std::string alg;
  std::string kid;
};

void run_generate(const GenerateArgs& args) {
  auto alg = parse_algorithm(args.alg);
  if (!alg) throw UsageError("--alg " + args.alg + ": " + alg.error().message());
  auto key = Key::generate(*alg, args.kid);
  if (!key) throw Failure(key.error().message());
  auto jwk = key->to_jwk(true);
  if (!jwk) throw Failure(jwk.error().message());
  // Bind the key to the algorithm it was generated for.
  auto json = nlohmann::ordered_json::parse(*jwk);
  json["alg"] = algorithm_name(*alg);
  std::cout << json.dump(2) << '\n';
}

}  // namespace

void add_keys_command(CLI::App& app) {
  CLI::App* keys = app.add_subcommand("keys", "Generate keys");
  keys->require_subcommand(1);
  auto args = std::make_shared<GenerateArgs>();
  CLI::App* generate = keys->add_subcommand("generate", "Print a new private key as a JWK");
  generate->add_option("--alg", args->alg, "HS256 ... HS512, RS*, PS*, ES256/384/512, EdDSA")
      ->required();
  generate->add_option("--kid", args->kid, "Key id to put in the JWK");
  generate->footer(
      "The JWK holds private key material: store it with restricted permissions, e.g.\n"
      "  (umask 077; jwtguard keys generate --alg ES256 --kid k1 > signing.jwk)");
  generate->callback([args] { run_generate(*args); });
}

}  // namespace jwtguard::cli
