// The trusted identity servers at run time (issuers.h).
#include "issuers.h"

#include "jwtguard/algorithm.h"
#include "util/try.h"

namespace jwtguard::server {
namespace {

auto problem(std::string sentence) { return fail(Errc::kInvalidArgument, std::move(sentence)); }

RemoteJwksOptions jwks_options(const IssuerConfig& config) {
  RemoteJwksOptions options;
  options.url = config.jwks_url;
  options.min_ttl = config.jwks_min_ttl;
  options.max_ttl = config.jwks_max_ttl;
  options.default_ttl = config.jwks_default_ttl;
  options.cooldown = config.jwks_cooldown;
  options.timeout = config.jwks_timeout;
  options.connect_timeout = config.jwks_connect_timeout;
  options.max_bytes = config.jwks_max_bytes;
  options.ca_file = config.jwks_ca_file;
  return options;
}

// The settings' checks have passed: every algorithm parses.
TrustedIssuer trusted_issuer(const IssuerConfig& config, std::shared_ptr<KeySource> keys) {
  TrustedIssuer out;
  out.issuer = config.issuer;
  out.name = config.name;
  out.keys = std::move(keys);
  out.audience = config.audience;
  for (const std::string& name : config.algorithms)
    out.algorithms.push_back(*parse_algorithm(name));
  out.client_id = config.client_id;
  out.subject_claim = config.subject_claim;
  out.session_claim = config.session_claim;
  out.leeway = config.leeway;
  out.max_token_lifetime = config.max_token_lifetime;
  out.logout_token_max_age = config.logout_token_max_age;
  return out;
}

void append_family(std::string& out, std::string_view name, std::string_view type,
                   std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

// Names are the issuers' namespaces: no control characters (the settings
// refuse them), so only the quote and the backslash need escaping.
std::string label(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == '\\' || c == '"') out += '\\';
    out += c;
  }
  return out;
}

void append_sample(std::string& out, std::string_view metric, std::string_view issuer,
                   std::string_view extra, std::string_view value) {
  out.append(metric).append("{issuer=\"").append(label(issuer)).append("\"");
  out.append(extra).append("} ").append(value).append("\n");
}

}  // namespace

Result<Issuers> open_issuers(const std::vector<IssuerConfig>& configs, const FetchObserver& observe,
                             const Clock& clock) {
  Issuers out;
  if (configs.empty()) return out;
  std::vector<TrustedIssuer> trusted;
  for (std::size_t i = 0; i < configs.size(); ++i) {
    const IssuerConfig& config = configs[i];
    RemoteJwksOptions options = jwks_options(config);
    if (observe) {
      options.on_fetch = [observe, name = config.name_or_issuer()](const JwksFetchEvent& event) {
        observe(name, event);
      };
    }
    auto jwks = RemoteJwks::create(std::move(options), &clock);
    if (!jwks) {
      return problem("issuers[" + std::to_string(i) + "].jwks_url: " + jwks.error().detail());
    }
    out.keys.push_back({config.name_or_issuer(), *jwks});
    trusted.push_back(trusted_issuer(config, *jwks));
  }
  auto issuers = TrustedIssuers::create(std::move(trusted));
  if (!issuers) return problem("issuers: " + issuers.error().detail());
  out.trusted = std::move(*issuers);
  return out;
}

std::vector<std::string> issuers_not_ready(const std::vector<IssuerKeys>& keys) {
  std::vector<std::string> out;
  for (const IssuerKeys& k : keys) {
    if (!k.jwks->loaded()) out.push_back(k.name);
  }
  return out;
}

std::string render_issuer_metrics(const std::vector<IssuerKeys>& keys, Timestamp now) {
  if (keys.empty()) return {};
  std::vector<RemoteJwksStats> stats;
  for (const IssuerKeys& k : keys) stats.push_back(k.jwks->stats());
  std::string out;
  append_family(out, "jwtguard_jwks_fetches_total", "counter",
                "JWK Set fetches of each trusted issuer, by outcome.");
  for (std::size_t i = 0; i < keys.size(); ++i) {
    append_sample(out, "jwtguard_jwks_fetches_total", keys[i].name, ",outcome=\"ok\"",
                  std::to_string(stats[i].fetches - stats[i].failures));
    append_sample(out, "jwtguard_jwks_fetches_total", keys[i].name, ",outcome=\"failed\"",
                  std::to_string(stats[i].failures));
  }
  const struct {
    std::string_view name, type, help;
    std::uint64_t RemoteJwksStats::*counter;
  } counters[] = {
      {"jwtguard_jwks_unknown_kid_fetches_total", "counter",
       "JWK Set fetches a token with an unknown kid triggered.",
       &RemoteJwksStats::unknown_kid_fetches},
      {"jwtguard_jwks_cooldown_refusals_total", "counter",
       "Unknown kids answered without a fetch, within the cooldown.",
       &RemoteJwksStats::cooldown_refusals},
  };
  for (const auto& metric : counters) {
    append_family(out, metric.name, metric.type, metric.help);
    for (std::size_t i = 0; i < keys.size(); ++i) {
      append_sample(out, metric.name, keys[i].name, "", std::to_string(stats[i].*metric.counter));
    }
  }
  append_family(out, "jwtguard_jwks_keys", "gauge", "Keys in each trusted issuer's current set.");
  for (std::size_t i = 0; i < keys.size(); ++i) {
    append_sample(out, "jwtguard_jwks_keys", keys[i].name, "", std::to_string(stats[i].keys));
  }
  append_family(out, "jwtguard_jwks_age_seconds", "gauge",
                "Seconds since each trusted issuer's current key set was fetched.");
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (!stats[i].loaded_at) continue;
    const auto age = std::chrono::duration_cast<std::chrono::seconds>(now - *stats[i].loaded_at);
    append_sample(out, "jwtguard_jwks_age_seconds", keys[i].name, "",
                  std::to_string(std::max<std::int64_t>(0, age.count())));
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> fetch_fields(std::string_view name,
                                                              const JwksFetchEvent& event) {
  std::vector<std::pair<std::string, std::string>> fields = {
      {"issuer", std::string(name)},
      {"reason", std::string(event.reason)},
      {"ok", event.ok ? "true" : "false"},
      {"keys", std::to_string(event.keys)},
      {"took_ms", std::to_string(event.took.count())},
      {"ttl", std::to_string(event.ttl.count()) + "s"}};
  if (!event.ok) fields.emplace_back("error", std::string(event.error));
  return fields;
}

}  // namespace jwtguard::server
