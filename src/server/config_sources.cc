// The sources of serve's settings (config_sources.h): TOML, environment and
// flags, and the [errors.<name>] tables only the TOML file may hold.
#include "config_sources.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "error_responses.h"
#include "issuer_settings.h"
#include "settings.h"
#include "util/spelling.h"
#include "util/try.h"

namespace jwtguard::server {
namespace {

using Json = nlohmann::json;
using settings::find_setting;
using settings::invalid;
using settings::Kind;
using settings::Setting;

std::string at(const std::string& path, const toml::source_region& where) {
  return where.begin.line == 0 ? path : path + ":" + std::to_string(where.begin.line);
}

std::string type_name(const toml::node& node) {
  std::ostringstream out;
  out << node.type();
  return out.str();
}

// A TOML value as the text the environment or a flag would give.
Result<std::string> toml_text(const Setting& s, const toml::node& node) {
  const Kind k = settings::kind(s);
  if (const auto* text = node.as_string()) return text->get();
  // A list setting (tokens.locations, cors.allowed_origins): the strings,
  // comma-separated, as the environment and flags give them.
  if (const auto* array = node.as_array(); array && k == Kind::kString) {
    std::string joined;
    for (const toml::node& item : *array) {
      const auto* element = item.as_string();
      if (element == nullptr || element->get().find(',') != std::string::npos) {
        return invalid("expected an array of strings without commas");
      }
      joined.append(joined.empty() ? "" : ",").append(element->get());
    }
    return joined;
  }
  if (const auto* flag = node.as_boolean(); flag && k == Kind::kBool) {
    return std::string(flag->get() ? "true" : "false");
  }
  if (const auto* n = node.as_integer(); n && k != Kind::kString && k != Kind::kBool) {
    return std::to_string(n->get());
  }
  const char* expected = k == Kind::kString  ? "a string"
                         : k == Kind::kBool  ? "a boolean"
                         : k == Kind::kCount ? "an integer"
                                             : "an integer or a string";
  return invalid(std::string("expected ") + expected + ", got " + type_name(node));
}

Result<int> error_status(const toml::node& node) {
  const auto* n = node.as_integer();
  if (n == nullptr) return invalid("expected an integer, got " + type_name(node));
  // An error stays an error: a 2xx would tell a gateway (nginx
  // auth_request, Traefik forwardAuth) to let a revoked token through.
  if (n->get() < 400 || n->get() > 599) {
    return invalid("must be an HTTP error status 400..599, got " + std::to_string(n->get()));
  }
  return static_cast<int>(n->get());
}

// The body as compact JSON text, from a TOML table or a string holding a JSON
// object (an object, as the server demands, so the error can name the line).
Result<std::string> error_body(const toml::node& node) {
  std::string text;
  if (const auto* table = node.as_table()) {
    std::ostringstream out;
    out << toml::json_formatter{*table};
    text = out.str();
  } else if (const auto* string = node.as_string()) {
    text = string->get();
  } else {
    return invalid("expected a table or a string holding a JSON object, got " + type_name(node));
  }
  const Json json = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return invalid("not valid JSON");
  if (!json.is_object()) return invalid("must be a JSON object");
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// ": did you mean tokens.access_ttl?" for a misspelt key of the file, or a
// pointer to the list of settings when no key is near.
std::string did_you_mean_key(const std::string& key) {
  std::vector<std::string> keys;
  for (const Setting& s : settings::table()) keys.emplace_back(s.key);
  const std::string near = closest_name(key, keys);
  return near.empty() ? std::string(": docs/configuration.md lists every setting")
                      : ": did you mean " + near + "?";
}

std::string unknown_error_name(const std::string& name, const std::string& where,
                               const std::vector<std::string>& known) {
  std::string list;
  for (const std::string& k : known) list.append(list.empty() ? "" : ", ").append(k);
  const std::string near = closest_name(name, known);
  return "unknown error response errors." + name + " (" + where + ")" +
         (near.empty() ? "" : ": did you mean " + near + "?") + " The names are: " + list;
}

}  // namespace

Result<void> SourceLoader::set(const Setting& s, std::string_view text, const std::string& where) {
  // Problems quote the text; a secret's string check never fails, so none is quoted.
  if (auto done = settings::assign(s, text, config_); !done) {
    return invalid(std::string(s.key) + " (" + where + "): " + done.error().detail());
  }
  config_.sources[s.key] = where;
  return {};
}

Result<void> SourceLoader::file(std::string_view text, const std::string& path) {
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    return invalid(at(path, e.source()) + ": " + std::string(e.description()));
  }
  for (auto&& [key, node] : root) JWTGUARD_TRY(file_entry(path, std::string(key.str()), node));
  return {};
}

Result<void> SourceLoader::file_entry(const std::string& path, const std::string& key,
                                      const toml::node& node) {
  const std::string where = at(path, node.source());
  if (const Setting* s = settings::by_key(key)) {
    auto text = toml_text(*s, node);
    if (!text) return invalid(key + " (" + where + "): " + text.error().detail());
    return set(*s, *text, where);
  }
  if (key == "errors") return errors(path, node);
  if (key == "issuers") {
    auto issuers = read_issuers(node, path);
    JWTGUARD_TRY(issuers);
    config_.issuers = std::move(*issuers);
    return {};
  }
  const bool section = find_setting([&](const Setting& s) {
                         return std::string_view(s.key).starts_with(key + ".");
                       }) != nullptr;
  if (!section) return invalid("unknown key " + key + " (" + where + ")" + did_you_mean_key(key));
  const auto* table = node.as_table();
  if (table == nullptr)
    return invalid(key + " (" + where + "): expected a table, got " + type_name(node));
  for (auto&& [name, value] : *table) {
    JWTGUARD_TRY(file_entry(path, key + "." + std::string(name.str()), value));
  }
  return {};
}

Result<void> SourceLoader::errors(const std::string& path, const toml::node& node) {
  const auto* table = node.as_table();
  if (table == nullptr) {
    return invalid("errors (" + at(path, node.source()) + "): expected [errors.<name>] tables");
  }
  const std::vector<std::string> known = ErrorResponses::names();
  for (auto&& [name, entry] : *table) {
    if (std::find(known.begin(), known.end(), name.str()) == known.end()) {
      return invalid(unknown_error_name(std::string(name.str()), at(path, entry.source()), known));
    }
    auto override = error_override(path, "errors." + std::string(name.str()), entry);
    JWTGUARD_TRY(override);
    config_.errors[std::string(name.str())] = std::move(*override);
  }
  return {};
}

Result<ErrorOverride> SourceLoader::error_override(const std::string& path, const std::string& key,
                                                   const toml::node& node) {
  const auto* table = node.as_table();
  if (table == nullptr) {
    return invalid(key + " (" + at(path, node.source()) +
                   "): expected a table with status and body");
  }
  ErrorOverride out;
  for (auto&& [field, value] : *table) {
    const std::string name = key + "." + std::string(field.str());
    const std::string where = " (" + at(path, value.source()) + ")";
    const auto problem = [&](const Error& e) { return invalid(name + where + ": " + e.detail()); };
    if (field.str() == "status") {
      auto status = error_status(value);
      if (!status) return problem(status.error());
      out.status = *status;
    } else if (field.str() == "body") {
      auto body = error_body(value);
      if (!body) return problem(body.error());
      out.body = std::move(*body);
    } else {
      return invalid("unknown key " + name + where + ": expected status or body");
    }
  }
  return out;
}

Result<void> SourceLoader::environment(const Environment& env) {
  for (const auto& [variable, value] : env) {
    const std::string& name = variable;  // clang 14 cannot capture a structured binding
    if (!name.starts_with(settings::kEnvPrefix) || name == kConfigVariable) continue;
    const Setting* s =
        find_setting([&](const Setting& s) { return settings::env_name(s) == name; });
    if (s == nullptr) {
      std::vector<std::string> names;
      for (const Setting& known : settings::table()) names.push_back(settings::env_name(known));
      names.emplace_back(kConfigVariable);
      const std::string near = closest_name(name, names);
      return invalid("unknown variable " + name + " (environment)" +
                     (near.empty() ? ": unset it" : ": did you mean " + near + "?"));
    }
    JWTGUARD_TRY(set(*s, value, "environment " + name));
  }
  return {};
}

Result<void> SourceLoader::flags(const FlagValues& flags) {
  for (const auto& [key, value] : flags) {
    const Setting* s = settings::by_key(key);
    if (s == nullptr) return invalid("unknown setting " + key + " (flag)");
    if (s->rules.secret) {
      return invalid(key +
                     " (flag): not accepted on the command line, which other users can "
                     "see; use the file or " +
                     settings::env_name(*s));
    }
    JWTGUARD_TRY(set(*s, value, "flag " + settings::flag_name(*s)));
  }
  return {};
}

std::string SourceLoader::origin(const std::string& key) const {
  return setting_origin(config_, key);
}

Result<ServeConfig> SourceLoader::finish() && {
  const std::pair<const char*, const std::string*> key_sources[] = {
      {"keys.secret", &config_.secret},
      {"keys.secret_file", &config_.secret_file},
      {"keys.key_file", &config_.key_file},
      {"keys.jwks_file", &config_.jwks_file}};
  // Two keys are refused wherever each was set: letting the one of higher
  // precedence win would sign with a key the operator did not mean (a
  // JWTGUARD_SECRET exported for the token commands replacing the file's
  // secret_file), and every token signed before would fail to verify.
  std::vector<std::string> given;
  for (const auto& [key, value] : key_sources) {
    if (!value->empty()) given.push_back(origin(key));
  }
  if (given.size() > 1) {
    std::string list = given[0];
    for (std::size_t i = 1; i < given.size(); ++i) list += " and " + given[i];
    return invalid("only one key source may be set, got " + list +
                   ": keep one and remove the others (an empty value, such as JWTGUARD_KEY_FILE=, "
                   "clears what the file set; unset JWTGUARD_SECRET if it was exported for the "
                   "token commands)");
  }
  if (config_.session_idle_timeout.count() > 0 && !config_.rotate_refresh_tokens) {
    // Without rotation a refresh does not record itself, so the idle limit
    // would end every session that long after its login.
    return invalid(origin("tokens.session_idle_timeout") + " needs " +
                   origin("tokens.rotate_refresh_tokens") + " on");
  }
  if (config_.token_limit > config_.header_limit) {
    // A token travels in the Authorization header, so it can never be larger.
    return invalid(origin("http.token_limit") + " must not exceed " + origin("http.header_limit"));
  }
  JWTGUARD_TRY(check_issuers_against_own(config_));
  return std::move(config_);
}

}  // namespace jwtguard::server
