#include "service_keys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <span>
#include <sstream>

#include "jose/key_file.h"
#include "jwtguard/algorithm.h"
#include "jwtguard/issuer.h"
#include "util/private_dirs.h"

namespace jwtguard::server {
namespace {

constexpr std::string_view kDevKeyFile = "signing-key.jwk";
constexpr const char* kConfigureAKey =
    "configure a key (keys.secret_file, keys.key_file or keys.jwks_file, or JWTGUARD_SECRET)";

auto problem(std::string sentence) { return fail(Errc::kInvalidArgument, std::move(sentence)); }

// `setting`'s file, read whole; the error names the setting and its source.
Result<std::string> read_setting_file(const ServeConfig& config, const char* setting,
                                      const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return problem(setting_origin(config, setting) + ": cannot read \"" + path +
                   "\": " + std::strerror(errno) +
                   ". Fix the path, or let the service's user read the file");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string dev_key_path(const ServeConfig& config) {
  return (std::filesystem::path(config.data_dir) / kDevKeyFile).string();
}

Result<void> write_private_file(const std::string& path, const std::string& text) {
  // O_EXCL: two instances starting at once must not both write a key.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return fail(Errc::kInvalidArgument, std::strerror(errno));
  bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                 ::fsync(fd) == 0;
  ::close(fd);
  if (!written) return fail(Errc::kInvalidArgument, "the key could not be written");
  return {};
}

Result<void> data_dir_problem(const ServeConfig& config, const std::string& what) {
  return problem(setting_origin(config, "data_dir") + ": dev mode keeps its generated key in \"" +
                 config.data_dir + "\", but " + what +
                 ". Set data_dir to a directory the service's user may write, or " +
                 kConfigureAKey);
}

// Whether data_dir exists as a writable directory or can be created as one:
// the nearest existing ancestor must be a writable directory.
Result<void> check_data_dir(const ServeConfig& config) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path dir = fs::absolute(config.data_dir, ec);
  while (!dir.empty() && !fs::exists(dir, ec)) {
    if (dir == dir.parent_path()) break;
    dir = dir.parent_path();
  }
  // Not "\"" + ...: GCC 12 misreports that as an overlapping copy (bug 105329).
  const std::string quoted = std::string(1, '"').append(dir.string()).append(1, '"');
  if (!fs::is_directory(dir, ec)) return data_dir_problem(config, quoted + " is not a directory");
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    return data_dir_problem(config, quoted + " is not writable (" + std::strerror(errno) + ")");
  }
  return {};
}

Result<Key> read_dev_key(const ServeConfig& config) {
  const std::string path = dev_key_path(config);
  auto text = read_setting_file(config, "data_dir", path);
  if (!text) return tl::unexpected(text.error());
  auto key = Key::from_jwk(*text);
  if (!key) {
    return problem(setting_origin(config, "data_dir") + ": the dev key \"" + path +
                   "\" is not usable (" + key.error().message() +
                   "). Delete it to generate a new one, or " + kConfigureAKey);
  }
  return key;
}

Result<Key> generated_dev_key(const ServeConfig& config, Algorithm alg, std::string& generated) {
  const std::string path = dev_key_path(config);
  if (std::filesystem::exists(path)) return read_dev_key(config);
  if (auto ok = check_data_dir(config); !ok) return tl::unexpected(ok.error());
  // 0700: the directory holds the private key (and, by default, the store).
  if (auto made = util::create_private_directories(config.data_dir); !made) {
    return tl::unexpected(
        data_dir_problem(config, "it cannot be created: " + made.error().detail()).error());
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
    if (std::filesystem::exists(path)) return read_dev_key(config);
    return tl::unexpected(
        data_dir_problem(config, "\"" + path + "\" cannot be written: " + written.error().detail())
            .error());
  }
  generated = path;
  return key;
}

std::string jwks_origin(const ServeConfig& config) {
  return setting_origin(config, "keys.jwks_file") + ": \"" + config.jwks_file + "\"";
}

// The key the set signs with: keys.kid, else the file's active_kid, else the
// only key (see load_service_keys).
Result<const Key*> signing_key_of_set(const ServeConfig& config, const KeySet& set,
                                      const std::string& active) {
  if (!active.empty() && set.find(active) == nullptr) {
    return problem(jwks_origin(config) + " names \"" + active +
                   "\" as its active_kid, but holds no key with that kid. Set active_kid to "
                   "one of its keys (jwtguard keys activate), or restore the missing key");
  }
  if (!config.kid.empty() && !active.empty() && config.kid != active) {
    return problem(setting_origin(config, "keys.kid") + " is \"" + config.kid +
                   "\", but the active_kid of " + jwks_origin(config) + " is \"" + active +
                   "\". Remove keys.kid so that the file's active key signs (jwtguard keys "
                   "activate changes it), or make them name the same key");
  }
  const std::string& wanted = config.kid.empty() ? active : config.kid;
  if (!wanted.empty()) {
    if (const Key* key = set.find(wanted)) return key;
  } else if (set.keys().size() == 1) {
    return &set.keys().front();
  }
  return problem(
      jwks_origin(config) + " holds " + std::to_string(set.keys().size()) + " keys and " +
      setting_origin(config, "keys.kid") +
      (config.kid.empty() ? " is not set, nor is the file's active_kid" : " names none of them") +
      ". Set the file's active_kid (jwtguard keys activate) or keys.kid to the key "
      "to sign with");
}

Result<ServiceKeys> from_jwks(const ServeConfig& config) {
  auto text = read_setting_file(config, "keys.jwks_file", config.jwks_file);
  if (!text) return tl::unexpected(text.error());
  auto set = KeySet::from_jwks(*text);
  auto active = jwks_active_kid(*text);
  if (!set || !active) {
    return problem(jwks_origin(config) + " is not a usable JWK Set (" +
                   (set ? active.error() : set.error()).message() + ")");
  }
  auto signing = signing_key_of_set(config, *set, *active);
  if (!signing) return tl::unexpected(signing.error());
  return ServiceKeys{.signing = **signing,
                     .verify = *set,
                     .jwks_json = {},
                     .generated = {},
                     .loaded_from = config.jwks_file};
}

// A JWK or a PEM text (key_file_format); keys.kid names a JWK without one.
Result<Key> key_from_file_text(const ServeConfig& config, const std::string& text) {
  switch (key_file_format(text)) {
    case KeyFileFormat::kPem:
      return Key::from_pem(text, config.kid);
    case KeyFileFormat::kJwks:
      return fail(Errc::kBadKey, "this is a JWK Set: name it with keys.jwks_file instead");
    case KeyFileFormat::kJwk:
      break;
  }
  return key_from_jwk(text, config.kid, "keys.kid");
}

Result<Key> single_key(const ServeConfig& config, Algorithm alg, std::string& loaded_from,
                       std::string& generated) {
  if (!config.secret.empty()) {
    loaded_from = "the secret setting";
    return Key::from_secret(config.secret, config.kid);
  }
  if (!config.secret_file.empty()) {
    auto text = read_setting_file(config, "keys.secret_file", config.secret_file);
    if (!text) return tl::unexpected(text.error());
    loaded_from = config.secret_file;
    return Key::from_secret(secret_from_file_text(std::move(*text)), config.kid);
  }
  if (!config.key_file.empty()) {
    auto text = read_setting_file(config, "keys.key_file", config.key_file);
    if (!text) return tl::unexpected(text.error());
    loaded_from = config.key_file;
    auto key = key_from_file_text(config, *text);
    if (!key) {
      return problem(setting_origin(config, "keys.key_file") + ": \"" + config.key_file +
                     "\" is not a usable key (" + key.error().message() +
                     "). It must hold a PEM private key or a JWK");
    }
    return key;
  }
  if (!config.dev) {
    return problem("no signing key is set and " + setting_origin(config, "dev") +
                   " is off: " + kConfigureAKey + ", or turn dev mode on to generate one");
  }
  loaded_from = dev_key_path(config);
  return generated_dev_key(config, alg, generated);
}

// The setting that gave the signing key, with its source, for errors.
std::string key_origin(const ServeConfig& config) {
  if (!config.secret.empty()) return setting_origin(config, "keys.secret");
  if (!config.secret_file.empty()) return setting_origin(config, "keys.secret_file");
  if (!config.key_file.empty()) return setting_origin(config, "keys.key_file");
  if (!config.jwks_file.empty()) return setting_origin(config, "keys.jwks_file");
  return "the dev key \"" + dev_key_path(config) + "\"";
}

std::string algorithm_names(std::span<const Algorithm> algs) {
  std::string names;
  for (Algorithm alg : algs) names.append(names.empty() ? "" : ", ").append(algorithm_name(alg));
  return names;
}

// The key's only algorithm when it has one, else keys.algorithm (see the header).
Result<Algorithm> signing_algorithm(const ServeConfig& config, const Key& key,
                                    Algorithm configured) {
  const auto allowed = key.algorithms();
  const bool explicit_alg = config.sources.count("keys.algorithm") != 0;
  if (allowed.size() == 1 && (!explicit_alg || allowed.front() == configured)) {
    return allowed.front();
  }
  if (allowed.size() != 1 && key.allows(configured)) return configured;
  return problem(setting_origin(config, "keys.algorithm") + " is " +
                 std::string(algorithm_name(configured)) + ", but the key of " +
                 key_origin(config) + " is for " + algorithm_names(allowed) + ". " +
                 (allowed.size() == 1 && explicit_alg
                      ? "Remove keys.algorithm (the key names its algorithm) or configure "
                        "another key"
                      : "Set keys.algorithm to one of these, or configure another key"));
}

Result<ServiceKeys> load_keys(const ServeConfig& config, Algorithm configured) {
  if (!config.jwks_file.empty()) return from_jwks(config);
  std::string loaded_from, generated;
  auto key = single_key(config, configured, loaded_from, generated);
  if (!key) return tl::unexpected(key.error());
  return ServiceKeys{.signing = *key,
                     .verify = KeySet(*key),
                     .jwks_json = {},
                     .generated = std::move(generated),
                     .loaded_from = std::move(loaded_from)};
}

}  // namespace

Result<ServiceKeys> load_service_keys(const ServeConfig& config) {
  auto configured = parse_algorithm(config.algorithm);
  if (!configured) return tl::unexpected(configured.error());
  auto loaded = load_keys(config, *configured);
  if (!loaded) return loaded;
  ServiceKeys& keys = *loaded;
  auto alg = signing_algorithm(config, keys.signing, *configured);
  if (!alg) return tl::unexpected(alg.error());
  keys.algorithm = *alg;
  IssuerOptions can_sign;
  can_sign.algorithm = *alg;
  if (auto issuer = Issuer::create(keys.signing, can_sign); !issuer) {
    return problem("the key of " + key_origin(config) + " cannot sign " +
                   std::string(algorithm_name(*alg)) + " (" + issuer.error().message() +
                   "): configure a private key, or a secret at least as long as the hash (32 "
                   "bytes for HS256, 48 for HS384, 64 for HS512)");
  }
  keys.jwks_json = keys.verify.to_public_jwks();
  return loaded;
}

Result<void> check_service_keys(const ServeConfig& config) {
  const bool dev_key = config.secret.empty() && config.secret_file.empty() &&
                       config.key_file.empty() && config.jwks_file.empty() && config.dev;
  if (dev_key && !std::filesystem::exists(dev_key_path(config))) return check_data_dir(config);
  auto keys = load_service_keys(config);
  if (!keys) return tl::unexpected(keys.error());
  return {};
}

}  // namespace jwtguard::server
