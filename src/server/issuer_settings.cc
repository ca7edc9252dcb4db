// The [[issuers]] tables (issuer_settings.h): one row per key drives the
// reading, the defaults the docs show and the effective configuration's log.
#include "issuer_settings.h"

#include <arpa/inet.h>

#include <algorithm>
#include <set>
#include <sstream>
#include <type_traits>
#include <variant>

#include "jwtguard/algorithm.h"
#include "jwtguard/revocation.h"
#include "jwtguard/verifier.h"
#include "settings.h"
#include "util/duration.h"
#include "util/spelling.h"
#include "util/try.h"

namespace jwtguard::server {
namespace {

using settings::invalid;
using settings::quoted;
using std::chrono::seconds;
using Strings = std::vector<std::string>;
using Json = nlohmann::json;

using Field = std::variant<std::string IssuerConfig::*, Strings IssuerConfig::*,
                           seconds IssuerConfig::*, std::size_t IssuerConfig::*>;

struct IssuerKey {
  const char* key;
  Field field;
  bool required = false;
  seconds min{0};  // durations only
};

// docs/configuration.md, "Trusted issuers", has one row per entry.
constexpr seconds kOneSecond{1};
const IssuerKey kKeys[] = {
    {"issuer", &IssuerConfig::issuer, true},
    {"name", &IssuerConfig::name},
    {"jwks_url", &IssuerConfig::jwks_url, true},
    {"audience", &IssuerConfig::audience},
    {"algorithms", &IssuerConfig::algorithms},
    {"client_id", &IssuerConfig::client_id},
    {"subject_claim", &IssuerConfig::subject_claim},
    {"session_claim", &IssuerConfig::session_claim},
    {"leeway", &IssuerConfig::leeway},
    {"max_token_lifetime", &IssuerConfig::max_token_lifetime, false, kOneSecond},
    {"logout_token_max_age", &IssuerConfig::logout_token_max_age, false, kOneSecond},
    {"jwks_min_ttl", &IssuerConfig::jwks_min_ttl},
    {"jwks_max_ttl", &IssuerConfig::jwks_max_ttl, false, kOneSecond},
    {"jwks_default_ttl", &IssuerConfig::jwks_default_ttl},
    {"jwks_cooldown", &IssuerConfig::jwks_cooldown, false, kOneSecond},
    {"jwks_timeout", &IssuerConfig::jwks_timeout, false, kOneSecond},
    {"jwks_connect_timeout", &IssuerConfig::jwks_connect_timeout, false, kOneSecond},
    {"jwks_max_bytes", &IssuerConfig::jwks_max_bytes},
    {"jwks_ca_file", &IssuerConfig::jwks_ca_file},
};

std::string type_name(const toml::node& node) {
  std::ostringstream out;
  out << node.type();
  return out.str();
}

std::string at(const std::string& path, const toml::node& node) {
  const auto line = node.source().begin.line;
  return line == 0 ? path : path + ":" + std::to_string(line);
}

Result<std::string> read_string(const toml::node& node) {
  if (const auto* text = node.as_string()) return text->get();
  return invalid("expected a string, got " + type_name(node));
}

// A string, or an array of strings (audience, algorithms).
Result<Strings> read_strings(const toml::node& node) {
  if (const auto* text = node.as_string()) return Strings{text->get()};
  const auto* array = node.as_array();
  if (array == nullptr) return invalid("expected a string or an array of strings");
  Strings out;
  for (const toml::node& item : *array) {
    const auto* text = item.as_string();
    if (text == nullptr || text->get().empty()) {
      return invalid("expected an array of non-empty strings");
    }
    out.push_back(text->get());
  }
  return out;
}

Result<std::size_t> read_size(const toml::node& node) {
  if (const auto* n = node.as_integer(); n && n->get() > 0 && n->get() <= 16 * 1024 * 1024) {
    return static_cast<std::size_t>(n->get());
  }
  return invalid("expected an integer number of bytes from 1 to 16777216");
}

Result<void> assign(const IssuerKey& key, const toml::node& node, IssuerConfig& out) {
  return std::visit(
      [&](auto member) -> Result<void> {
        using T = std::remove_reference_t<decltype(out.*member)>;
        if constexpr (std::is_same_v<T, std::string>) {
          JWTGUARD_ASSIGN_OR_RETURN(out.*member, read_string(node));
        } else if constexpr (std::is_same_v<T, Strings>) {
          JWTGUARD_ASSIGN_OR_RETURN(out.*member, read_strings(node));
        } else if constexpr (std::is_same_v<T, seconds>) {
          // As every other duration setting: "30s", or a bare integer of seconds.
          std::string text;
          if (const auto* n = node.as_integer()) {
            text = std::to_string(n->get());
          } else {
            JWTGUARD_ASSIGN_OR_RETURN(text, read_string(node));
          }
          JWTGUARD_ASSIGN_OR_RETURN(out.*member, util::parse_duration(text, {.min = key.min}));
        } else {
          JWTGUARD_ASSIGN_OR_RETURN(out.*member, read_size(node));
        }
        return {};
      },
      key.field);
}

bool loopback_host(std::string_view host) {
  if (host == "localhost") return true;
  std::string text(host);
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    in6_addr v6{};
    text = std::string(host.substr(1, host.size() - 2));
    return inet_pton(AF_INET6, text.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
  }
  return false;
}

// The host of an authority "host[:port]" or "[v6]:port".
std::string_view authority_host(std::string_view authority) {
  if (authority.starts_with('[')) return authority.substr(0, authority.find(']') + 1);
  return authority.substr(0, authority.find(':'));
}

bool has_control(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

Result<void> check_algorithms(const Strings& names) {
  for (const std::string& name : names) {
    auto alg = parse_algorithm(name);
    if (!alg) return invalid("unknown algorithm " + (quoted)(name));
    // A JWK Set publishes public keys; a shared secret in one is no secret.
    if (algorithm_family(*alg) == AlgorithmFamily::kHmac) {
      return invalid((quoted)(name) + " is refused: HS* needs a shared secret, never in a JWK Set");
    }
  }
  return {};
}

// The checks of one table that no single value shows, as {key, problem}.
std::optional<std::pair<std::string, std::string>> problem_of(const IssuerConfig& issuer) {
  using P = std::pair<std::string, std::string>;
  if (issuer.issuer.empty()) return P{"issuer", "is required"};
  if (issuer.jwks_url.empty()) return P{"jwks_url", "is required"};
  if (auto url = check_jwks_url(issuer.jwks_url); !url) return P{"jwks_url", url.error().detail()};
  if (auto algs = check_algorithms(issuer.algorithms); !algs) {
    return P{"algorithms", algs.error().detail()};
  }
  const std::string& name = issuer.name_or_issuer();
  if (name == kUserNamespaceName || name == kAppNamespace || has_control(name)) {
    return P{"name", (quoted)(name) + " is reserved or holds control characters: choose another"};
  }
  if (has_control(issuer.issuer)) return P{"issuer", "must not hold control characters"};
  if (issuer.subject_claim.empty()) return P{"subject_claim", "must not be empty"};
  if (issuer.session_claim.empty()) return P{"session_claim", "must not be empty"};
  if (issuer.leeway > kMaxLeeway) return P{"leeway", "must be at most 1d"};
  if (issuer.jwks_min_ttl > issuer.jwks_max_ttl) {
    return P{"jwks_min_ttl", "must not exceed jwks_max_ttl"};
  }
  return std::nullopt;
}

Result<IssuerConfig> read_issuer(const toml::table& table, const std::string& prefix,
                                 const std::string& path) {
  IssuerConfig out;
  for (auto&& [name, node] : table) {
    const std::string key(name.str());
    const std::string where = prefix + key + " (" + at(path, node) + ")";
    const auto* row = std::find_if(std::begin(kKeys), std::end(kKeys),
                                   [&](const IssuerKey& k) { return key == k.key; });
    if (row == std::end(kKeys)) {
      Strings known;
      for (const IssuerKey& k : kKeys) known.emplace_back(k.key);
      const std::string near = closest_name(key, known);
      return invalid("unknown key " + where +
                     (near.empty() ? ": docs/configuration.md lists the issuer keys"
                                   : ": did you mean " + near + "?"));
    }
    if (auto done = assign(*row, node, out); !done) {
      return invalid(where + ": " + done.error().detail());
    }
  }
  if (auto problem = problem_of(out)) {
    return invalid(prefix + problem->first + " (" + at(path, table) + "): " + problem->second);
  }
  return out;
}

}  // namespace

const std::vector<IssuerSettingInfo>& issuer_settings() {
  static const std::vector<IssuerSettingInfo> infos = [] {
    const IssuerConfig defaults;
    std::vector<IssuerSettingInfo> out;
    for (const IssuerKey& k : kKeys) {
      std::string text = std::visit(
          [&](auto member) -> std::string {
            const auto& value = defaults.*member;
            using T = std::remove_cvref_t<decltype(value)>;
            if constexpr (std::is_same_v<T, std::string>) return value;
            if constexpr (std::is_same_v<T, Strings>) return "";
            if constexpr (std::is_same_v<T, seconds>) return util::format_duration(value);
            if constexpr (std::is_same_v<T, std::size_t>) return std::to_string(value);
          },
          k.field);
      out.push_back({k.key, std::move(text), k.required});
    }
    return out;
  }();
  return infos;
}

Result<void> check_jwks_url(std::string_view url) {
  const bool https = url.starts_with("https://");
  if (!https && !url.starts_with("http://")) return invalid("must be an https:// URL");
  std::string_view rest = url.substr(https ? 8 : 7);
  if (url.find('#') != std::string_view::npos) return invalid("must not hold a fragment");
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
  if (authority.find('@') != std::string_view::npos) return invalid("must not hold user info");
  const std::string_view host = authority_host(authority);
  if (host.empty()) return invalid("has no host");
  // Keys fetched in clear text could be replaced on the way.
  if (!https && !loopback_host(host)) {
    return invalid(
        "http:// is allowed to loopback hosts only (127.0.0.1, [::1], localhost); use "
        "https:// for " +
        (quoted)(host));
  }
  return {};
}

Result<std::vector<IssuerConfig>> read_issuers(const toml::node& node, const std::string& path) {
  const auto* array = node.as_array();
  if (array == nullptr || !array->is_array_of_tables()) {
    return invalid("issuers (" + at(path, node) + "): expected [[issuers]] tables, got " +
                   type_name(node));
  }
  std::vector<IssuerConfig> out;
  std::set<std::string> issuers, names;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& entry = *array->get(i);
    const std::string prefix = "issuers[" + std::to_string(i) + "].";
    JWTGUARD_ASSIGN_OR_RETURN(IssuerConfig issuer, read_issuer(*entry.as_table(), prefix, path));
    if (!issuers.insert(issuer.issuer).second) {
      return invalid(prefix + "issuer (" + at(path, entry) + "): " + (quoted)(issuer.issuer) +
                     " is already trusted by an earlier table");
    }
    if (!names.insert(issuer.name_or_issuer()).second) {
      return invalid(prefix + "name (" + at(path, entry) + "): " +
                     (quoted)(issuer.name_or_issuer()) + " is already an earlier table's name");
    }
    out.push_back(std::move(issuer));
  }
  return out;
}

Result<void> check_issuers_against_own(const ServeConfig& config) {
  for (std::size_t i = 0; i < config.issuers.size(); ++i) {
    if (config.issuer.empty() || config.issuers[i].issuer != config.issuer) continue;
    return invalid("issuers[" + std::to_string(i) + "].issuer is " + (quoted)(config.issuer) +
                   ", the issuer of jwtguard's own tokens (" +
                   setting_origin(config, "tokens.issuer") +
                   "): a trusted issuer must be another server");
  }
  return {};
}

Json issuers_json(const std::vector<IssuerConfig>& issuers) {
  Json out = Json::array();
  for (const IssuerConfig& issuer : issuers) {
    Json entry = Json::object();
    for (const IssuerKey& k : kKeys) {
      std::visit(
          [&](auto member) {
            const auto& value = issuer.*member;
            using T = std::remove_cvref_t<decltype(value)>;
            if constexpr (std::is_same_v<T, seconds>) {
              entry[k.key] = util::format_duration(value);
            } else {
              entry[k.key] = value;
            }
          },
          k.field);
    }
    out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace jwtguard::server
