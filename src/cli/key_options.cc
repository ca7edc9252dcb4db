#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli.h"
#include "config.h"
#include "jose/key_file.h"
#include "util/duration.h"
#include "util/try.h"

namespace jwtguard::cli {
namespace {

// JWTGUARD_SECRET stands in for --secret only when no key option is given,
// so a secret exported in the shell never clashes with --key or --jwk.
const char* secret_from_environment() {
  const char* secret = std::getenv("JWTGUARD_SECRET");
  return secret != nullptr && *secret != '\0' ? secret : nullptr;
}

CliResult<std::string> secret_text(const KeyOptions& options) {
  if (!options.secret.empty()) return options.secret;
  if (options.secret_file.empty()) return secret_from_environment();
  auto text = read_file(options.secret_file);
  if (!text) return tl::unexpected(text.error());
  return secret_from_file_text(std::move(*text));
}

int sources_given(const KeyOptions& o) {
  return !o.secret.empty() + !o.secret_file.empty() + !o.pem_file.empty() + !o.jwk_file.empty() +
         !o.jwks_file.empty();
}

bool has_secret(const KeyOptions& o) {
  return !o.secret.empty() || !o.secret_file.empty() ||
         (sources_given(o) == 0 && secret_from_environment() != nullptr);
}

CliResult<void> require_key(const KeyOptions& o) {
  if (sources_given(o) == 0 && secret_from_environment() == nullptr) {
    return usage_error(
        "a key is required: --secret, --secret-file, --key, --jwk or --jwks (or JWTGUARD_SECRET)");
  }
  return {};
}

// The key of a file read whole, by `parse` (Key::from_pem, Key::from_jwk);
// failures name the file.
template <typename Parse>
CliResult<Key> key_of_file(const std::string& path, Parse parse) {
  auto text = read_file(path);
  if (!text) return tl::unexpected(text.error());
  return or_failure(parse(*text), path);
}

CliResult<KeySet> jwks_of_file(const std::string& path) {
  auto text = read_file(path);
  if (!text) return tl::unexpected(text.error());
  return or_failure(KeySet::from_jwks(*text), path);
}

// The kid of a JWK Set's signing key: --kid, else the file's "active_kid"
// (as serve picks it), else "" (the only key).
CliResult<std::string> kid_to_sign_with(const KeyOptions& options) {
  if (!options.kid.empty()) return options.kid;
  auto text = read_file(options.jwks_file);
  if (!text) return tl::unexpected(text.error());
  return or_failure(jwks_active_kid(*text), options.jwks_file);
}

// The signing key of a JWK Set: the one --kid or the file's active_kid
// names, or the only one.
CliResult<Key> key_of_set(const KeyOptions& options) {
  auto set = jwks_of_file(options.jwks_file);
  if (!set) return tl::unexpected(set.error());
  auto kid = kid_to_sign_with(options);
  if (!kid) return tl::unexpected(kid.error());
  if (!kid->empty()) {
    const Key* key = set->find(*kid);
    if (key == nullptr) {
      return failure(options.jwks_file + ": no key with kid \"" + *kid + "\"");
    }
    return *key;
  }
  if (set->keys().size() != 1) {
    return usage_error(options.jwks_file +
                       " holds several keys and no active_kid: choose one with --kid");
  }
  return set->keys().front();
}

}  // namespace

void add_key_options(CLI::App& command, KeyOptions& options) {
  auto* secret = command
                     .add_option("--secret", options.secret,
                                 "HMAC secret (prefer --secret-file or JWTGUARD_SECRET: command "
                                 "lines are visible to other users)")
                     ->group("Key options");
  auto* secret_file = command
                          .add_option("--secret-file", options.secret_file,
                                      "File holding the HMAC secret (one trailing newline ignored)")
                          ->group("Key options");
  auto* key = command
                  .add_option("--key", options.pem_file,
                              "PEM file: public key (SPKI), private key (PKCS#8) or certificate")
                  ->group("Key options");
  auto* jwk = command.add_option("--jwk", options.jwk_file, "JWK file")->group("Key options");
  auto* jwks =
      command.add_option("--jwks", options.jwks_file, "JWK Set file")->group("Key options");
  for (CLI::Option* a : {secret, secret_file, key, jwk, jwks}) {
    for (CLI::Option* b : {secret, secret_file, key, jwk, jwks}) {
      if (a != b) a->excludes(b);
    }
  }
  command
      .add_option("--kid", options.kid,
                  "Key id: names a --secret, --key or --jwk key (a --jwk with another kid is "
                  "refused), or picks the signing key from --jwks (default: its active_kid)")
      ->group("Key options");
  command
      .add_option("--alg", options.algs,
                  "Algorithm(s) (HS256 ... EdDSA). Default: those of the key's type")
      ->group("Key options");
}

CliResult<KeySet> load_verification_keys(const KeyOptions& options) {
  JWTGUARD_TRY(require_key(options));
  if (!options.jwks_file.empty()) return jwks_of_file(options.jwks_file);
  return load_signing_key(options).map([](Key key) { return KeySet(std::move(key)); });
}

CliResult<Key> load_signing_key(const KeyOptions& options) {
  JWTGUARD_TRY(require_key(options));
  if (has_secret(options)) {
    auto secret = secret_text(options);
    if (!secret) return tl::unexpected(secret.error());
    return or_failure(Key::from_secret(*secret, options.kid), "secret");
  }
  if (!options.pem_file.empty()) {
    return key_of_file(options.pem_file,
                       [&](const std::string& text) { return Key::from_pem(text, options.kid); });
  }
  if (!options.jwk_file.empty()) {
    return key_of_file(options.jwk_file, [&](const std::string& text) {
      return key_from_jwk(text, options.kid, "--kid");
    });
  }
  return key_of_set(options);
}

CliResult<std::vector<Algorithm>> selected_algorithms(const KeyOptions& options) {
  std::vector<Algorithm> algs;
  for (const std::string& name : options.algs) {
    auto alg = parse_algorithm(name);
    if (!alg) return usage_error("--alg " + name + ": " + alg.error().message());
    algs.push_back(*alg);
  }
  return algs;
}

CliResult<std::chrono::seconds> parse_duration(const std::string& option, const std::string& text,
                                               util::DurationBounds bounds) {
  auto duration = util::parse_duration(text, bounds);
  if (!duration) return usage_error(option + ": " + duration.error().detail());
  return *duration;
}

CliResult<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return failure(path + ": cannot open");
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string token_argument(const std::string& argument) {
  if (argument != "-") return argument;
  // Bounded: anything past this is far beyond the 8 KiB token limit anyway.
  std::string token(64 * 1024, '\0');
  std::cin.read(token.data(), static_cast<std::streamsize>(token.size()));
  token.resize(static_cast<std::size_t>(std::cin.gcount()));
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  return token;
}

}  // namespace jwtguard::cli
