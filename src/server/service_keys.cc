#include "server/service_keys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "jwtguard/algorithm.h"
#include "jwtguard/issuer.h"
#include "util/private_dirs.h"

namespace jwtguard::server {
namespace {

constexpr std::string_view kDevKeyFile = "signing-key.jwk";

Result<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(Errc::kInvalidArgument, path + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A secret file usually ends with the newline an editor or `echo` added.
std::string trim_newlines(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

Result<void> write_private_file(const std::string& path, const std::string& text) {
  // O_EXCL: two instances starting at once must not both write a key.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return fail(Errc::kInvalidArgument, path + ": " + std::strerror(errno));
  bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                 ::fsync(fd) == 0;
  ::close(fd);
  if (!written) return fail(Errc::kInvalidArgument, path + ": could not write the key");
  return {};
}

Result<Key> generated_dev_key(const ServeConfig& config, Algorithm alg, std::string& generated) {
  // 0700: the directory holds the private key (and, by default, the store).
  if (auto made = util::create_private_directories(config.data_dir); !made) {
    return fail(Errc::kInvalidArgument, made.error().detail());
  }
  std::string path = (std::filesystem::path(config.data_dir) / kDevKeyFile).string();
  if (std::filesystem::exists(path)) {
    auto text = read_text(path);
    if (!text) return tl::unexpected(text.error());
    auto key = Key::from_jwk(*text);
    if (!key) return fail(key.error().code(), path + ": " + key.error().message());
    return key;
  }
  std::string kid = config.kid;
  if (kid.empty()) {
    auto id = random_id();
    if (!id) return tl::unexpected(id.error());
    kid = id->substr(0, 8);
  }
  auto key = Key::generate(alg, kid);
  if (!key) return tl::unexpected(key.error());
  auto jwk = key->to_jwk(true);
  if (!jwk) return tl::unexpected(jwk.error());
  if (auto written = write_private_file(path, *jwk); !written) {
    // Another instance won the race: use its key.
    if (std::filesystem::exists(path)) return generated_dev_key(config, alg, generated);
    return tl::unexpected(written.error());
  }
  generated = path;
  return key;
}

Result<ServiceKeys> from_jwks(const ServeConfig& config) {
  auto text = read_text(config.jwks_file);
  if (!text) return tl::unexpected(text.error());
  auto set = KeySet::from_jwks(*text);
  if (!set) return fail(set.error().code(), config.jwks_file + ": " + set.error().message());
  const Key* signing = nullptr;
  if (!config.kid.empty()) {
    signing = set->find(config.kid);
  } else if (set->keys().size() == 1) {
    signing = &set->keys().front();
  }
  if (signing == nullptr) {
    return fail(Errc::kInvalidArgument, config.jwks_file +
                                            ": set kid to the key to sign with (the set has " +
                                            std::to_string(set->keys().size()) + " keys)");
  }
  return ServiceKeys{.signing = *signing,
                     .verify = *set,
                     .jwks_json = {},
                     .generated = {},
                     .loaded_from = config.jwks_file};
}

Result<Key> single_key(const ServeConfig& config, Algorithm alg, std::string& loaded_from,
                       std::string& generated) {
  if (!config.secret.empty()) {
    loaded_from = "the secret setting";
    return Key::from_secret(config.secret, config.kid);
  }
  if (!config.secret_file.empty()) {
    auto text = read_text(config.secret_file);
    if (!text) return tl::unexpected(text.error());
    loaded_from = config.secret_file;
    return Key::from_secret(trim_newlines(std::move(*text)), config.kid);
  }
  if (!config.key_file.empty()) {
    auto text = read_text(config.key_file);
    if (!text) return tl::unexpected(text.error());
    loaded_from = config.key_file;
    auto key = Key::from_pem(*text, config.kid);
    if (!key) return fail(key.error().code(), config.key_file + ": " + key.error().message());
    return key;
  }
  if (!config.dev) {
    return fail(Errc::kInvalidArgument,
                "no signing key: set secret_file, key_file or jwks_file (or JWTGUARD_SECRET), "
                "or turn on dev mode to generate one");
  }
  auto key = generated_dev_key(config, alg, generated);
  loaded_from = (std::filesystem::path(config.data_dir) / kDevKeyFile).string();
  return key;
}

}  // namespace

Result<ServiceKeys> load_service_keys(const ServeConfig& config) {
  auto alg = parse_algorithm(config.algorithm);
  if (!alg) return tl::unexpected(alg.error());
  auto loaded = [&]() -> Result<ServiceKeys> {
    if (!config.jwks_file.empty()) return from_jwks(config);
    std::string loaded_from, generated;
    auto key = single_key(config, *alg, loaded_from, generated);
    if (!key) return tl::unexpected(key.error());
    return ServiceKeys{.signing = *key,
                       .verify = KeySet(*key),
                       .jwks_json = {},
                       .generated = std::move(generated),
                       .loaded_from = std::move(loaded_from)};
  }();
  if (!loaded) return loaded;
  ServiceKeys& keys = *loaded;
  if (!keys.signing.allows(*alg)) {
    return fail(Errc::kKeyAlgMismatch,
                keys.loaded_from + ": the key cannot sign " + std::string(algorithm_name(*alg)));
  }
  keys.jwks_json = keys.verify.to_public_jwks();
  return loaded;
}

}  // namespace jwtguard::server
