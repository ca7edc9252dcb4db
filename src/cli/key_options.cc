#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli.h"
#include "config.h"
#include "jose/key_file.h"
#include "util/duration.h"

namespace jwtguard::cli {
namespace {

[[noreturn]] void fail_with(const std::string& what, const Error& error) {
  throw Failure(what + ": " + error.message());
}

Key checked(Result<Key> key, const std::string& what) {
  if (!key) fail_with(what, key.error());
  return std::move(*key);
}

// JWTGUARD_SECRET stands in for --secret only when no key option is given,
// so a secret exported in the shell never clashes with --key or --jwk.
const char* secret_from_environment() {
  const char* secret = std::getenv("JWTGUARD_SECRET");
  return secret != nullptr && *secret != '\0' ? secret : nullptr;
}

std::string secret_text(const KeyOptions& options) {
  if (!options.secret.empty()) return options.secret;
  if (options.secret_file.empty()) return secret_from_environment();
  return secret_from_file_text(read_file(options.secret_file));
}

int sources_given(const KeyOptions& o) {
  return !o.secret.empty() + !o.secret_file.empty() + !o.pem_file.empty() + !o.jwk_file.empty() +
         !o.jwks_file.empty();
}

bool has_secret(const KeyOptions& o) {
  return !o.secret.empty() || !o.secret_file.empty() ||
         (sources_given(o) == 0 && secret_from_environment() != nullptr);
}

void require_key(const KeyOptions& o) {
  if (sources_given(o) == 0 && secret_from_environment() == nullptr) {
    throw UsageError(
        "a key is required: --secret, --secret-file, --key, --jwk or --jwks (or JWTGUARD_SECRET)");
  }
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
                  "Key id: names a --secret/--key key, or picks the signing key from --jwks")
      ->group("Key options");
  command
      .add_option("--alg", options.algs,
                  "Algorithm(s) (HS256 ... EdDSA). Default: those of the key's type")
      ->group("Key options");
}

KeySet load_verification_keys(const KeyOptions& options) {
  require_key(options);
  if (!options.jwks_file.empty()) {
    auto set = KeySet::from_jwks(read_file(options.jwks_file));
    if (!set) fail_with(options.jwks_file, set.error());
    return std::move(*set);
  }
  return KeySet(load_signing_key(options));
}

Key load_signing_key(const KeyOptions& options) {
  require_key(options);
  if (has_secret(options)) {
    return checked(Key::from_secret(secret_text(options), options.kid), "secret");
  }
  if (!options.pem_file.empty()) {
    return checked(Key::from_pem(read_file(options.pem_file), options.kid), options.pem_file);
  }
  if (!options.jwk_file.empty()) {
    return checked(Key::from_jwk(read_file(options.jwk_file)), options.jwk_file);
  }
  auto set = KeySet::from_jwks(read_file(options.jwks_file));
  if (!set) fail_with(options.jwks_file, set.error());
  if (!options.kid.empty()) {
    const Key* key = set->find(options.kid);
    if (key == nullptr)
      throw Failure(options.jwks_file + ": no key with kid \"" + options.kid + "\"");
    return *key;
  }
  if (set->keys().size() != 1) {
    throw UsageError(options.jwks_file + " holds several keys: choose one with --kid");
  }
  return set->keys().front();
}

std::vector<Algorithm> selected_algorithms(const KeyOptions& options) {
  std::vector<Algorithm> algs;
  for (const std::string& name : options.algs) {
    auto alg = parse_algorithm(name);
    if (!alg) throw UsageError("--alg " + name + ": " + alg.error().message());
    algs.push_back(*alg);
  }
  return algs;
}

std::chrono::seconds parse_duration(const std::string& option, const std::string& text,
                                    bool allow_zero) {
  auto duration = util::parse_duration(text, {.min = std::chrono::seconds(allow_zero ? 0 : 1)});
  if (!duration) throw UsageError(option + ": " + duration.error().detail());
  return *duration;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Failure(path + ": cannot open");
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
