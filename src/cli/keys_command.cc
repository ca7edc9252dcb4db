// jwtguard keys generate | public (the rotation steps: keys_rotation_command.cc)
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "jose/key_file.h"

namespace jwtguard::cli {
namespace {

using Json = nlohmann::ordered_json;

struct GenerateArgs {
  std::string alg;
  std::string kid;
  std::string format = "jwk";
};

struct PublicArgs {
  std::string file;
  std::string format = "jwks";
};

void print_json(const std::string& text) { std::cout << Json::parse(text).dump(2) << '\n'; }

// The JWK of a new key, bound to the algorithm it was generated for, so that
// `serve` signs with that algorithm without being told.
CliResult<Json> bound_jwk(const Key& key, Algorithm alg) {
  auto jwk = or_failure(key.to_jwk(true));
  if (!jwk) return tl::unexpected(jwk.error());
  Json json = Json::parse(*jwk);
  json["alg"] = algorithm_name(alg);
  return json;
}

Outcome run_generate(const GenerateArgs& args) {
  auto alg = parse_algorithm(args.alg);
  if (!alg) return usage_error("--alg " + args.alg + ": " + alg.error().message());
  auto key = or_failure(Key::generate(*alg, args.kid));
  if (!key) return tl::unexpected(key.error());
  if (args.format == "pem") {
    if (key->type() == KeyType::kOct) {
      return usage_error("an HMAC secret has no PEM form: use --format jwk or jwks");
    }
    // PEM cannot carry the algorithm: serve takes it from keys.algorithm.
    auto pem = or_failure(key->to_pem(true));
    if (!pem) return tl::unexpected(pem.error());
    std::cout << *pem;
    return {};
  }
  auto jwk = bound_jwk(*key, *alg);
  if (!jwk) return tl::unexpected(jwk.error());
  if (args.format == "jwks") {
    std::cout << Json{{"keys", Json::array({*jwk})}}.dump(2) << '\n';
  } else {
    std::cout << jwk->dump(2) << '\n';
  }
  return {};
}

// The keys of a JWK, JWK Set or PEM file (key_file_format).
CliResult<KeySet> keys_of_file(const std::string& path) {
  auto text = read_file(path);
  if (!text) return tl::unexpected(text.error());
  const auto one = [](Key key) { return KeySet(std::move(key)); };
  switch (key_file_format(*text)) {
    case KeyFileFormat::kJwks:
      return or_failure(KeySet::from_jwks(*text), path);
    case KeyFileFormat::kJwk:
      return or_failure(Key::from_jwk(*text).map(one), path);
    case KeyFileFormat::kPem:
      break;
  }
  return or_failure(Key::from_pem(*text).map(one), path);
}

// One public key in the format asked for (jwk or pem).
Outcome print_public_key(const Key& key, const std::string& format) {
  auto text = or_failure(format == "pem" ? key.to_pem(false) : key.to_jwk(false));
  if (!text) return tl::unexpected(text.error());
  if (format == "pem") {
    std::cout << *text;
  } else {
    print_json(*text);
  }
  return {};
}

Outcome run_public(const PublicArgs& args) {
  auto keys = keys_of_file(args.file);
  if (!keys) return tl::unexpected(keys.error());
  std::vector<const Key*> published;
  for (const Key& key : keys->keys()) {
    if (key.type() != KeyType::kOct) published.push_back(&key);
  }
  if (published.empty()) {
    return failure(args.file +
                   ": holds only HMAC secrets, which have no public half (verifiers need the "
                   "secret itself)");
  }
  if (args.format == "jwks") {
    print_json(keys->to_public_jwks());
    return {};
  }
  if (published.size() != 1)
    return usage_error(args.file + " holds several keys: use --format jwks");
  return print_public_key(*published.front(), args.format);
}

void add_generate(CLI::App& keys, Outcome& outcome) {
  auto args = std::make_shared<GenerateArgs>();
  CLI::App* generate = keys.add_subcommand("generate", "Print a new private key");
  generate->add_option("--alg", args->alg, "HS256 ... HS512, RS*, PS*, ES256/384/512, EdDSA")
      ->required();
  generate->add_option("--kid", args->kid, "Key id to put in the JWK");
  generate
      ->add_option("--format", args->format,
                   "jwk (a JWK bound to --alg, for serve's key_file), jwks (the same in a JWK "
                   "Set, for jwks_file) or pem (PKCS#8; not for HS*)")
      ->check(CLI::IsMember({"jwk", "jwks", "pem"}))
      ->capture_default_str();
  generate->footer(
      "The output holds private key material: store it with restricted permissions, e.g.\n"
      "  (umask 077; jwtguard keys generate --alg ES256 --kid k1 > signing.jwk)\n"
      "  jwtguard serve --key-file signing.jwk      # signs ES256: the JWK names its alg\n"
      "  jwtguard keys public signing.jwk > public.jwks.json");
  generate->callback([args, &outcome] { outcome = run_generate(*args); });
}

void add_public(CLI::App& keys, Outcome& outcome) {
  auto args = std::make_shared<PublicArgs>();
  CLI::App* cmd = keys.add_subcommand("public", "Print the public half of a private key file");
  cmd->add_option("FILE", args->file, "A private key: JWK, JWK Set or PEM")->required();
  cmd->add_option("--format", args->format,
                  "jwks (a JWK Set of the public keys, as /.well-known/jwks.json serves), "
                  "jwk or pem (one key)")
      ->check(CLI::IsMember({"jwks", "jwk", "pem"}))
      ->capture_default_str();
  cmd->footer("HMAC secrets have no public half and are left out.");
  cmd->callback([args, &outcome] { outcome = run_public(*args); });
}

}  // namespace

void add_keys_command(CLI::App& app, Outcome& outcome) {
  CLI::App* keys = app.add_subcommand(
      "keys", "Generate keys, rotate a JWK Set file's signing key, print public halves");
  keys->require_subcommand(1);
  add_generate(*keys, outcome);
  add_public(*keys, outcome);
  add_rotation_commands(*keys, outcome);
}

}  // namespace jwtguard::cli
