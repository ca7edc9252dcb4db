// jwtguard keys generate | public
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

std::string checked(Result<std::string> text) {
  if (!text) throw Failure(text.error().message());
  return std::move(*text);
}

void print_json(const std::string& text) { std::cout << Json::parse(text).dump(2) << '\n'; }

void run_generate(const GenerateArgs& args) {
  auto alg = parse_algorithm(args.alg);
  if (!alg) throw UsageError("--alg " + args.alg + ": " + alg.error().message());
  auto key = Key::generate(*alg, args.kid);
  if (!key) throw Failure(key.error().message());
  if (args.format == "pem") {
    if (key->type() == KeyType::kOct) {
      throw UsageError("an HMAC secret has no PEM form: use --format jwk or jwks");
    }
    // PEM cannot carry the algorithm: serve takes it from keys.algorithm.
    std::cout << checked(key->to_pem(true));
    return;
  }
  // Bind the key to the algorithm it was generated for, so that `serve`
  // signs with that algorithm without being told.
  auto jwk = Json::parse(checked(key->to_jwk(true)));
  jwk["alg"] = algorithm_name(*alg);
  if (args.format == "jwks") {
    std::cout << Json{{"keys", Json::array({jwk})}}.dump(2) << '\n';
  } else {
    std::cout << jwk.dump(2) << '\n';
  }
}

// The keys of a JWK, JWK Set or PEM file (key_file_format).
KeySet keys_of_file(const std::string& path) {
  const std::string text = read_file(path);
  Result<KeySet> keys = [&]() -> Result<KeySet> {
    switch (key_file_format(text)) {
      case KeyFileFormat::kJwks:
        return KeySet::from_jwks(text);
      case KeyFileFormat::kJwk:
        return Key::from_jwk(text).map([](Key key) { return KeySet(std::move(key)); });
      case KeyFileFormat::kPem:
        break;
    }
    return Key::from_pem(text).map([](Key key) { return KeySet(std::move(key)); });
  }();
  if (!keys) throw Failure(path + ": " + keys.error().message());
  return std::move(*keys);
}

void run_public(const PublicArgs& args) {
  const KeySet keys = keys_of_file(args.file);
  std::vector<const Key*> published;
  for (const Key& key : keys.keys()) {
    if (key.type() != KeyType::kOct) published.push_back(&key);
  }
  if (published.empty()) {
    throw Failure(args.file +
                  ": holds only HMAC secrets, which have no public half (verifiers need the "
                  "secret itself)");
  }
  if (args.format == "jwks") return print_json(keys.to_public_jwks());
  if (published.size() != 1) {
    throw UsageError(args.file + " holds several keys: use --format jwks");
  }
  if (args.format == "pem") {
    std::cout << checked(published.front()->to_pem(false));
  } else {
    print_json(checked(published.front()->to_jwk(false)));
  }
}

void add_generate(CLI::App& keys) {
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
  generate->callback([args] { run_generate(*args); });
}

void add_public(CLI::App& keys) {
  auto args = std::make_shared<PublicArgs>();
  CLI::App* cmd = keys.add_subcommand("public", "Print the public half of a private key file");
  cmd->add_option("FILE", args->file, "A private key: JWK, JWK Set or PEM")->required();
  cmd->add_option("--format", args->format,
                  "jwks (a JWK Set of the public keys, as /.well-known/jwks.json serves), "
                  "jwk or pem (one key)")
      ->check(CLI::IsMember({"jwks", "jwk", "pem"}))
      ->capture_default_str();
  cmd->footer("HMAC secrets have no public half and are left out.");
  cmd->callback([args] { run_public(*args); });
}

}  // namespace

void add_keys_command(CLI::App& app) {
  CLI::App* keys = app.add_subcommand("keys", "Generate keys and print their public halves");
  keys->require_subcommand(1);
  add_generate(*keys);
  add_public(*keys);
}

}  // namespace jwtguard::cli
