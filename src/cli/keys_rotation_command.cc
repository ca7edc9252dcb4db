// jwtguard keys add | activate | retire | list: the steps of a signing key
// rotation on a JWK Set file (key_rotation.h has the rules; this file reads
// the options and the file, and writes the file back).
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <iostream>

#include "jwtguard/clock.h"
#include "jwtguard/issuer.h"
#include "key_rotation.h"

namespace jwtguard::cli {
namespace {

using Json = nlohmann::ordered_json;
using std::chrono::seconds;

// The options every step shares.
struct StepArgs {
  std::string file;
  std::string kid;
  std::int64_t at = -1;  // --at; -1: now
  bool force = false;
  std::string min_published = "10m";
  std::string config_file;   // --config or $JWTGUARD_CONFIG
  std::string max_lifetime;  // --max-token-lifetime
};

struct AddArgs {
  std::string file;
  std::string alg;
  std::string kid;
};

std::int64_t now_or(std::int64_t at) { return at >= 0 ? at : to_unix_seconds(SystemClock().now()); }

// Letters, digits and "._-~" (base64url and dates): a kid travels in token
// headers, URLs, logs and shell commands.
bool usable_kid(const std::string& kid) {
  return !kid.empty() && kid.size() <= 64 && std::all_of(kid.begin(), kid.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ||
           c == '~';
  });
}

CliResult<std::string> kid_for_new_key(const std::string& given, std::int64_t now) {
  if (!given.empty()) {
    if (usable_kid(given)) return given;
    return usage_error("--kid: use at most 64 letters, digits, '.', '_', '-' or '~'");
  }
  auto id = or_failure(random_id());
  if (!id) return tl::unexpected(id.error());
  // The date first, so that `keys list` reads in the order the keys came.
  return utc_time(now).substr(0, 10) + "-" + id->substr(0, 6);
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 || errno != ENOENT;
}

// The longest a token signed with a key lives past its signed_until, from
// --max-token-lifetime or the service's settings (--config, $JWTGUARD_CONFIG
// and the JWTGUARD_* environment, as serve reads them); none without either.
CliResult<std::optional<seconds>> longest_lifetime(const StepArgs& args) {
  if (!args.max_lifetime.empty()) {
    auto value = parse_duration("--max-token-lifetime", args.max_lifetime, kLifetimeBounds);
    if (!value) return tl::unexpected(value.error());
    return std::optional<seconds>(*value);
  }
  if (args.config_file.empty()) return std::optional<seconds>();
  auto config = server::load_serve_config(args.config_file, server::process_environment(), {});
  if (!config) return config_error(config.error().detail());
  return std::optional<seconds>(longest_signed_lifetime(*config));
}

// Reads the set, applies `step`, writes it back if it changed; the caller
// holds the KeySetLock.
template <typename Step>
Outcome change_locked_set(const std::string& file, Step step) {
  auto doc = read_key_set_file(file);
  if (!doc) return tl::unexpected(doc.error());
  auto report = step(*doc);
  if (!report) return tl::unexpected(report.error());
  if (report->changed) {
    if (auto written = write_key_set_file(file, doc->json); !written) return written;
  }
  std::cout << report->text << '\n';
  return {};
}

template <typename Step>
Outcome change_set(const std::string& file, Step step) {
  auto lock = KeySetLock::acquire(file);
  if (!lock) return tl::unexpected(lock.error());
  return change_locked_set(file, step);
}

Outcome run_add(const AddArgs& args) {
  auto alg = parse_algorithm(args.alg);
  if (!alg) return usage_error("--alg " + args.alg + ": " + alg.error().message());
  const std::int64_t now = now_or(-1);
  auto kid = kid_for_new_key(args.kid, now);
  if (!kid) return tl::unexpected(kid.error());
  auto key = or_failure(Key::generate(*alg, *kid));
  if (!key) return tl::unexpected(key.error());
  auto member = new_key_member(*key, *alg, now);
  if (!member) return tl::unexpected(member.error());
  auto lock = KeySetLock::acquire(args.file);
  if (!lock) return tl::unexpected(lock.error());
  if (exists(args.file)) {
    return change_locked_set(args.file, [&](KeySetDocument& doc) {
      return add_key(doc, std::move(*member), args.file);
    });
  }
  if (auto written = write_key_set_file(args.file, new_key_set(std::move(*member)).json);
      !written) {
    return written;
  }
  std::cout << "Created " << args.file << " (mode 0600) with " << Json(*kid).dump() << " ("
            << args.alg
            << ") as its active key.\nNext: name it as keys.jwks_file of every instance "
               "(docs/configuration.md) and start or reload them\n";
  return {};
}

Outcome run_activate(const StepArgs& args) {
  auto min_published = parse_duration("--min-published", args.min_published, {});
  if (!min_published) return tl::unexpected(min_published.error());
  const std::int64_t now = now_or(args.at);
  return change_set(args.file, [&](KeySetDocument& doc) {
    return activate_key(doc, args.kid, now, *min_published, args.force, args.file);
  });
}

Outcome run_retire(const StepArgs& args) {
  auto longest = longest_lifetime(args);
  if (!longest) return tl::unexpected(longest.error());
  const std::int64_t now = now_or(args.at);
  return change_set(args.file, [&](KeySetDocument& doc) {
    return retire_key(doc, args.kid, now, *longest, args.force, args.file);
  });
}

Json row_json(const KeyRow& row) {
  Json out = {{"kid", row.kid}, {"alg", row.alg}, {"state", row.state}};
  const auto put = [&](const char* name, const std::optional<std::int64_t>& value) {
    out[name] = value ? Json(*value) : Json(nullptr);
  };
  put("added_at", row.added_at);
  put("signed_until", row.signed_until);
  put("activatable_at", row.activatable_at);
  put("safe_to_retire_at", row.safe_at);
  out["detail"] = row.detail;
  return out;
}

Outcome run_list(const StepArgs& args, const std::string& format) {
  auto min_published = parse_duration("--min-published", args.min_published, {});
  if (!min_published) return tl::unexpected(min_published.error());
  auto longest = longest_lifetime(args);
  if (!longest) return tl::unexpected(longest.error());
  auto doc = read_key_set_file(args.file);
  if (!doc) return tl::unexpected(doc.error());
  const auto rows = key_rows(*doc, now_or(args.at), *min_published, *longest);
  if (format == "json") {
    Json keys = Json::array();
    for (const KeyRow& row : rows) keys.push_back(row_json(row));
    std::cout << Json{{"active_kid", doc->active.empty() ? Json(nullptr) : Json(doc->active)},
                      {"keys", std::move(keys)}}
                     .dump(2)
              << '\n';
    return {};
  }
  if (doc->active.empty()) {
    std::cout << "(no active_kid: serve signs with the key keys.kid names)\n";
  }
  for (const KeyRow& row : rows) {
    std::cout << row.kid << "  " << row.alg << "  " << row.state << "  " << row.detail << '\n';
  }
  return {};
}

void add_lifetime_options(CLI::App& cmd, StepArgs& args) {
  auto* config = cmd.add_option("--config", args.config_file,
                                "The service's TOML file: its token lifetimes and leeway apply, "
                                "with the JWTGUARD_* environment, as serve reads them "
                                "[$JWTGUARD_CONFIG]")
                     ->envname(server::kConfigVariable);
  cmd.add_option("--max-token-lifetime", args.max_lifetime,
                 "Instead of --config: the longest a token lives, leeway included (e.g. 30d)")
      ->excludes(config);
}

void add_common(CLI::App& cmd, StepArgs& args, bool kid) {
  cmd.add_option("FILE", args.file, "The JWK Set file (keys.jwks_file)")->required();
  if (kid) cmd.add_option("--kid", args.kid, "The key")->required();
  cmd.add_option("--at", args.at, "Act as of this Unix time (seconds) instead of now")
      ->check(CLI::Range(std::int64_t{0}, kStampLimit - 1));
}

void add_add(CLI::App& keys, Outcome& outcome) {
  auto args = std::make_shared<AddArgs>();
  CLI::App* cmd =
      keys.add_subcommand("add", "Generate a key into a JWK Set file; it only verifies");
  cmd->add_option("FILE", args->file, "The JWK Set file (created, mode 0600, when missing)")
      ->required();
  cmd->add_option("--alg", args->alg, "HS256 ... HS512, RS*, PS*, ES256/384/512, EdDSA")
      ->required();
  cmd->add_option("--kid", args->kid,
                  "Key id (letters, digits, ._-~); default: the date and 6 random characters");
  cmd->footer(
      "The new key is published in /.well-known/jwks.json once the instances reload, but does\n"
      "not sign until `keys activate` (a new file's first key is active at once). Example:\n"
      "  jwtguard keys add /etc/jwtguard/keys.jwks.json --alg ES256 --kid 2026-12");
  cmd->callback([args, &outcome] { outcome = run_add(*args); });
}

void add_activate(CLI::App& keys, Outcome& outcome) {
  auto args = std::make_shared<StepArgs>();
  CLI::App* cmd = keys.add_subcommand("activate", "Make a key of a JWK Set file the signing key");
  add_common(*cmd, *args, true);
  cmd->add_option("--min-published", args->min_published,
                  "Refuse unless the key was added this long ago: time for every instance to "
                  "reload and every verifier's cached JWK Set (max-age 5m) to hold it")
      ->capture_default_str();
  cmd->add_flag("--force", args->force, "Activate even if verifiers may not know the key yet");
  cmd->footer(
      "The key that signed until now gets signed_until and keeps verifying. Example:\n"
      "  jwtguard keys activate /etc/jwtguard/keys.jwks.json --kid 2026-12");
  cmd->callback([args, &outcome] { outcome = run_activate(*args); });
}

void add_retire(CLI::App& keys, Outcome& outcome) {
  auto args = std::make_shared<StepArgs>();
  CLI::App* cmd =
      keys.add_subcommand("retire", "Remove a key that no longer signs from a JWK Set file");
  add_common(*cmd, *args, true);
  add_lifetime_options(*cmd, *args);
  cmd->add_flag("--force", args->force,
                "Emergency: remove it now, revoking everything it signed (its users must log "
                "in again)");
  cmd->footer(
      "Refused for the active key, and (without --force) while tokens it signed can be live:\n"
      "until signed_until + the longest token lifetime + leeway. Example:\n"
      "  jwtguard keys retire /etc/jwtguard/keys.jwks.json --kid 2026-06 \\\n"
      "      --config /etc/jwtguard/jwtguard.toml");
  cmd->callback([args, &outcome] { outcome = run_retire(*args); });
}

void add_list(CLI::App& keys, Outcome& outcome) {
  auto args = std::make_shared<StepArgs>();
  auto format = std::make_shared<std::string>("text");
  CLI::App* cmd = keys.add_subcommand("list", "Show each key's state, never key material");
  add_common(*cmd, *args, false);
  add_lifetime_options(*cmd, *args);
  cmd->add_option("--min-published", args->min_published, "As keys activate's")
      ->capture_default_str();
  cmd->add_option("--format", *format, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd->footer(
      "States: active (signs), next (verifies; may be activated from ...), retiring (signed\n"
      "until ...; safe to retire at ...). Example:\n"
      "  jwtguard keys list /etc/jwtguard/keys.jwks.json --config /etc/jwtguard/jwtguard.toml");
  cmd->callback([args, format, &outcome] { outcome = run_list(*args, *format); });
}

}  // namespace

void add_rotation_commands(CLI::App& keys, Outcome& outcome) {
  add_add(keys, outcome);
  add_activate(keys, outcome);
  add_retire(keys, outcome);
  add_list(keys, outcome);
}

}  // namespace jwtguard::cli
