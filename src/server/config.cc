// The settings of `jwtguard serve` (config.h): the public face of the
// settings table (settings.h) and of the sources it is read from
// (config_sources.h), and the listen address's form.
#include "config.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "config_sources.h"
#include "issuer_settings.h"
#include "settings.h"
#include "util/try.h"

extern char** environ;  // POSIX: not declared by every <unistd.h>

namespace jwtguard::server {

using settings::invalid;
using settings::parse_unsigned;
using settings::quoted;
using settings::Setting;

Result<ListenAddress> parse_listen(std::string_view text) {
  const auto bad = [&] {
    return invalid("expected HOST:PORT such as 127.0.0.1:8080 or [::1]:8080, got " + quoted(text));
  };
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return bad();
  const std::string_view host = text.substr(0, colon), port = text.substr(colon + 1);
  const bool bracketed = host.size() > 2 && host.front() == '[' && host.back() == ']' &&
                         host.find_first_of("[]", 1) == host.size() - 1;
  // An unbracketed IPv6 address cannot be told apart from its port.
  if (!bracketed && (host.empty() || host.find_first_of(":[]") != std::string_view::npos)) {
    return bad();
  }
  if (auto number = parse_unsigned(port); !number || *number > 65535) {
    return invalid("port must be 0..65535, got " + quoted(port));
  }
  // The listener binds an address, it does not resolve names.
  std::string address(bracketed ? host.substr(1, host.size() - 2) : host);
  unsigned char scratch[sizeof(in6_addr)];
  if (inet_pton(bracketed ? AF_INET6 : AF_INET, address.c_str(), scratch) != 1) {
    return invalid("the host must be an IP address (127.0.0.1, 0.0.0.0, [::1]), got " +
                   quoted(host));
  }
  return ListenAddress{std::move(address), static_cast<std::uint16_t>(*parse_unsigned(port))};
}

const std::vector<SettingInfo>& serve_settings() {
  static const std::vector<SettingInfo> infos = [] {
    const ServeConfig defaults;
    std::vector<SettingInfo> out;
    for (const Setting& s : settings::table()) {
      out.push_back({s.key, settings::env_name(s), settings::flag_name(s), s.help,
                     settings::text_of(s, defaults), s.rules.secret, s.rules.restart});
    }
    return out;
  }();
  return infos;
}

Environment process_environment() {
  Environment env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const std::size_t equals = text.find('=');
    if (!text.starts_with(settings::kEnvPrefix) || equals == std::string_view::npos) continue;
    env.emplace(text.substr(0, equals), text.substr(equals + 1));
  }
  return env;
}

Result<ServeConfig> load_serve_config_text(std::string_view toml_text, const std::string& toml_name,
                                           const Environment& env, const FlagValues& flags) {
  SourceLoader loader;
  JWTGUARD_TRY(loader.file(toml_text, toml_name));
  JWTGUARD_TRY(loader.environment(env));
  JWTGUARD_TRY(loader.flags(flags));
  return std::move(loader).finish();
}

Result<ServeConfig> load_serve_config(const std::string& toml_path, const Environment& env,
                                      const FlagValues& flags) {
  std::string text;
  if (!toml_path.empty()) {
    std::error_code ec;
    // A directory opens as a stream that reads nothing: an empty file.
    const bool directory = std::filesystem::is_directory(toml_path, ec);
    std::ifstream in(toml_path, std::ios::binary);
    if (directory || !in) {
      return invalid("the configuration file " + (quoted)(toml_path) + " cannot be read (" +
                     (directory ? "it is a directory" : std::strerror(errno)) +
                     "): fix --config or JWTGUARD_CONFIG");
    }
    std::ostringstream content;
    content << in.rdbuf();
    text = content.str();
  }
  return load_serve_config_text(text, toml_path, env, flags);
}

std::string setting_origin(const ServeConfig& config, std::string_view key) {
  const auto it = config.sources.find(std::string(key));
  return std::string(key) + " (" + (it == config.sources.end() ? "default" : it->second) + ")";
}

std::string describe(const ServeConfig& config) {
  nlohmann::json out = nlohmann::json::object();
  for (const Setting& s : settings::table()) {
    std::string pointer = std::string(1, '/').append(s.key);
    std::replace(pointer.begin(), pointer.end(), '.', '/');
    out[nlohmann::json::json_pointer(pointer)] = settings::json_of(s, config);
  }
  if (!config.issuers.empty()) out["issuers"] = issuers_json(config.issuers);
  for (const auto& [name, override] : config.errors) {
    nlohmann::json& entry = out["errors"][name] = nlohmann::json::object();
    if (override.status != 0) entry["status"] = override.status;
    if (override.body.empty()) continue;
    nlohmann::json body = nlohmann::json::parse(override.body, nullptr, /*allow_exceptions=*/false);
    entry["body"] = body.is_discarded() ? nlohmann::json(override.body) : body;
  }
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace jwtguard::server