#include "key_rotation.h"

#include <algorithm>
#include <ctime>

#include "jose/key_file.h"
#include "util/duration.h"

namespace jwtguard::cli {
namespace {

using Json = nlohmann::ordered_json;
using std::chrono::seconds;

std::string json_quoted(const std::string& text) { return Json(text).dump(); }

std::string span(std::int64_t from, std::int64_t to) {
  return util::format_duration(seconds(std::max<std::int64_t>(to - from, 0)));
}

bool is_secret(const Key& key) { return key.type() == KeyType::kOct; }

CliResult<const Key*> key_of(const KeySetDocument& doc, const std::string& kid,
                             const std::string& file) {
  const Key* key = doc.keys.find(kid);
  if (key == nullptr) {
    return failure(file + " holds no key with kid " + json_quoted(kid) + ". `jwtguard keys list " +
                   file + "` shows its kids");
  }
  return key;
}

std::string reload_step() {
  return "copy the file to every instance (or keep it on a path they share) and reload each "
         "(systemctl reload jwtguard, or kill -HUP its PID)";
}

// Why `kid` may not be activated yet, or "" when it may.
std::string too_early(const Json& member, const std::string& kid, std::int64_t now,
                      seconds min_published) {
  const auto added = stamp(member, kAddedAtMember);
  if (!added) {
    return json_quoted(kid) +
           " has no \"added_at\": nothing says since when verifiers may have "
           "seen it in /.well-known/jwks.json";
  }
  const std::int64_t from = *added + min_published.count();
  if (now >= from) return {};
  return json_quoted(kid) + " was added at " + utc_time(*added) + ", " + span(*added, now) +
         " ago: instances that have not reloaded and verifiers whose cached JWK Set (up to "
         "5m old) lacks it would refuse the tokens it signs. Run this again from " +
         utc_time(from) + " (--min-published " + util::format_duration(min_published) + ")";
}

// Why `kid` may not be retired yet, or "" when it may.
std::string still_live(const KeySetDocument& doc, const std::string& kid, std::int64_t now,
                       seconds longest) {
  if (doc.active.empty()) {
    return "the set records no \"active_kid\", so serve may be signing with " + json_quoted(kid) +
           " by keys.kid. Run `jwtguard keys activate` first, so that the file says which key "
           "signs";
  }
  const auto until = stamp(key_member(doc, kid), kSignedUntilMember);
  if (!until) {
    return json_quoted(kid) +
           " has no \"signed_until\": the file never recorded it leaving the "
           "active role, so tokens it signed may still be live";
  }
  const std::int64_t safe = *until + longest.count();
  if (now >= safe) return {};
  return "tokens " + json_quoted(kid) + " signed until " + utc_time(*until) +
         " are accepted until " + utc_time(safe) + " (the longest token lifetime " +
         util::format_duration(longest) +
         " later, leeway included); retiring it now would log those users out " + span(now, safe) +
         " early. Run this again from " + utc_time(safe);
}

// Why signing with `key` would give tokens verifiers of the published set
// cannot check, or "": a set edited by hand may hold an HMAC secret beside
// key pairs (a migration to key pairs activates a pair, never the secret).
std::string unseen_secret(const KeySetDocument& doc, const Key& key, const std::string& file) {
  const auto& keys = doc.keys.keys();
  if (!is_secret(key) || std::all_of(keys.begin(), keys.end(), is_secret)) return {};
  return json_quoted(key.kid()) + " is an HMAC secret and " + file +
         " holds key pairs: verifiers of its public set (/.well-known/jwks.json) could not "
         "check the tokens it signs";
}

std::string alg_of(const Key& key) {
  return key.algorithms().size() == 1 ? std::string(algorithm_name(key.algorithms().front()))
                                      : std::string(key_type_name(key.type()));
}

void describe_next(KeyRow& row, std::int64_t now, seconds min_published) {
  if (!row.added_at) {
    row.detail = "added at an unknown time (no added_at): activating it needs --force";
    return;
  }
  row.activatable_at = *row.added_at + min_published.count();
  row.detail =
      "added " + utc_time(*row.added_at) + "; " +
      (now >= *row.activatable_at ? "may be activated now"
                                  : "may be activated from " + utc_time(*row.activatable_at));
}

void describe_retiring(KeyRow& row, std::int64_t now, std::optional<seconds> longest) {
  row.detail = "signed until " + utc_time(*row.signed_until) + "; ";
  if (!longest) {
    row.detail += "give --config or --max-token-lifetime to see when it is safe to retire";
    return;
  }
  row.safe_at = *row.signed_until + longest->count();
  row.detail += now >= *row.safe_at ? "safe to retire now (since " + utc_time(*row.safe_at) + ")"
                                    : "safe to retire at " + utc_time(*row.safe_at) + " (in " +
                                          span(now, *row.safe_at) + ")";
}

}  // namespace

seconds longest_signed_lifetime(const server::ServeConfig& config) {
  seconds longest = std::max(config.access_ttl, config.refresh_ttl);
  if (config.status_list_enabled) longest = std::max(longest, config.status_list_token_lifetime);
  return longest + config.leeway;
}

CliResult<Json> new_key_member(const Key& key, Algorithm alg, std::int64_t now) {
  auto jwk = or_failure(key.to_jwk(true));
  if (!jwk) return tl::unexpected(jwk.error());
  Json member = Json::parse(*jwk);
  member["alg"] = algorithm_name(alg);
  member[kAddedAtMember] = now;
  return member;
}

KeySetDocument new_key_set(Json member) {
  const std::string kid = member["kid"].get<std::string>();
  Json json = {{kActiveKidMember, kid}, {"keys", Json::array({std::move(member)})}};
  return KeySetDocument{.json = std::move(json), .keys = {}, .active = kid};
}

CliResult<StepReport> add_key(KeySetDocument& doc, Json member, const std::string& file) {
  const std::string kid = member["kid"].get<std::string>();
  if (doc.keys.find(kid) != nullptr) {
    return failure(file + " already holds a key with kid " + json_quoted(kid) +
                   ": choose another --kid, or leave it out for a generated one");
  }
  const bool secret = member["kty"] == "oct";
  const auto& keys = doc.keys.keys();
  if (std::any_of(keys.begin(), keys.end(), [&](const Key& k) { return is_secret(k) != secret; })) {
    return failure(file +
                   (secret ? " holds public-key pairs: an HMAC secret beside them would "
                             "sign tokens that no verifier of the published set can check"
                           : " holds HMAC secrets: a key pair beside them would be "
                             "published alone, and verifiers holding the secret would "
                             "not know it") +
                   ". Keep one kind of key per set");
  }
  if (!doc.active.empty()) doc.json[kActiveKidMember] = doc.active;
  doc.json["keys"].push_back(std::move(member));
  std::string text =
      "Added " + json_quoted(kid) + " to " + file + ": it verifies, it does not sign" +
      (doc.active.empty() ? "" : " (" + json_quoted(doc.active) + " still does)") +
      ".\nNext: " + reload_step() + ". Check that /.well-known/jwks.json of every instance lists " +
      json_quoted(kid) + ", then, " + util::format_duration(kDefaultMinPublished) +
      " or more from now:\n  jwtguard keys activate " + file + " --kid " + kid;
  return StepReport{.text = std::move(text)};
}

CliResult<StepReport> activate_key(KeySetDocument& doc, const std::string& kid, std::int64_t now,
                                   seconds min_published, bool force, const std::string& file) {
  auto key = key_of(doc, kid, file);
  if (!key) return tl::unexpected(key.error());
  if (!(*key)->is_private()) {
    return failure(json_quoted(kid) + " in " + file + " is a public key: it cannot sign");
  }
  if (doc.active == kid && doc.json.contains(kActiveKidMember)) {
    return StepReport{
        .text = json_quoted(kid) + " is already the active key of " + file + "; nothing changed",
        .changed = false};
  }
  std::string text;
  for (const std::string& risk : {unseen_secret(doc, **key, file),
                                  too_early(key_member(doc, kid), kid, now, min_published)}) {
    if (risk.empty()) continue;
    if (!force) return failure("not activating: " + risk + ", or pass --force");
    text += "Forced: " + risk + ".\n";
  }
  const std::string previous = doc.active;
  if (!previous.empty() && previous != kid) key_member(doc, previous)[kSignedUntilMember] = now;
  key_member(doc, kid).erase(kSignedUntilMember);
  doc.json[kActiveKidMember] = kid;
  text += json_quoted(kid) + " is now the active key of " + file + ".";
  if (!previous.empty() && previous != kid) {
    text += " " + json_quoted(previous) + " stopped signing at " + utc_time(now) +
            " and still verifies.";
  }
  text += "\nNext: " + reload_step() +
          ", all within minutes: an instance signs with the old key "
          "until it reloads.";
  if (!previous.empty() && previous != kid) {
    text += " Retire " + json_quoted(previous) + " once `jwtguard keys list " + file +
            " --config FILE` says it is safe:\n  jwtguard keys retire " + file +
            " --config FILE --kid " + previous;
  }
  return StepReport{.text = std::move(text)};
}

CliResult<StepReport> retire_key(KeySetDocument& doc, const std::string& kid, std::int64_t now,
                                 std::optional<seconds> longest, bool force,
                                 const std::string& file) {
  if (auto key = key_of(doc, kid, file); !key) return tl::unexpected(key.error());
  if (doc.active == kid) {
    return failure(json_quoted(kid) + " is the active key of " + file +
                   ": instances sign with it. Activate another key first (jwtguard keys add, "
                   "then jwtguard keys activate)");
  }
  if (!force && !longest) {
    return usage_error(
        "retiring a key needs the service's token lifetimes: give --config "
        "(the TOML file serve reads) or --max-token-lifetime");
  }
  // Unknown lifetimes under --force: assume tokens it signed are still live.
  const std::string live = longest ? still_live(doc, kid, now, *longest)
                                   : std::string("its tokens' lifetime is unknown");
  std::string text;
  if (!live.empty() && !force) return failure("not retiring: " + live + ", or pass --force");
  if (!live.empty()) {
    text = "Forced: every token " + json_quoted(kid) +
           " signed is refused once the instances reload; its users must log in again.\n";
  }
  auto& keys = doc.json["keys"];
  keys.erase(
      std::find_if(keys.begin(), keys.end(), [&](const Json& m) { return m["kid"] == kid; }));
  text += "Removed " + json_quoted(kid) + " from " + file + ".\nNext: " + reload_step() + ".";
  return StepReport{.text = std::move(text)};
}

std::vector<KeyRow> key_rows(const KeySetDocument& doc, std::int64_t now, seconds min_published,
                             std::optional<seconds> longest) {
  std::vector<KeyRow> rows;
  for (const Key& key : doc.keys.keys()) {
    const Json& member = key_member(doc, key.kid());
    KeyRow row;
    row.kid = key.kid();
    row.alg = alg_of(key);
    row.added_at = stamp(member, kAddedAtMember);
    row.signed_until = stamp(member, kSignedUntilMember);
    if (key.kid() == doc.active) {
      row.state = "active";
      // A set edited by hand may name a public key: serve refuses to start with it.
      row.detail = key.is_private() ? "signs" : "cannot sign: a public key; serve refuses the set";
      if (row.added_at) row.detail += "; added " + utc_time(*row.added_at);
    } else if (row.signed_until) {
      row.state = "retiring";
      describe_retiring(row, now, longest);
    } else {
      row.state = "next";
      describe_next(row, now, min_published);
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string utc_time(std::int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  char text[32] = {};
  if (::gmtime_r(&t, &tm) == nullptr ||
      std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
    return std::to_string(unix_seconds);
  }
  return text;
}

}  // namespace jwtguard::cli
