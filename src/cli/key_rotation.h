// The steps of a signing key rotation on a JWK Set file (key_set_file.h), as
// `jwtguard keys add | activate | retire | list` take them, and the rules that
// refuse a step that would make verifiers refuse good tokens. Each step takes
// the time as a value and changes only the document it is given; the
// commands read and write the file (keys_rotation_command.cc).
// docs/operations.md, "Rotating signing keys", walks through the steps.
#ifndef JWTGUARD_CLI_KEY_ROTATION_H_
#define JWTGUARD_CLI_KEY_ROTATION_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "key_set_file.h"

namespace jwtguard::cli {

// The least time between `keys add` and `keys activate` by default: twice
// the max-age /.well-known/jwks.json is served with (300 s), so that every
// instance has reloaded the set and every verifier's cached copy holds the
// new key before a token signed with it reaches them.
inline constexpr std::chrono::seconds kDefaultMinPublished{600};

// How long after a key stopped signing a token it signed may still be
// accepted, by serve's settings: the longest of tokens.access_ttl,
// tokens.refresh_ttl and, with status lists enabled,
// status_list.token_lifetime (the lists are signed with the same key), plus
// tokens.leeway. Session limits can only end a session earlier, so they do
// not count.
std::chrono::seconds longest_signed_lifetime(const server::ServeConfig& config);

// What a step did, to print, and whether the document changed.
struct StepReport {
  std::string text;  // sentences for the operator, the next step included
  bool changed = true;
};

// The private JWK of `key` with "alg" bound to `alg` (so that serve signs
// with it without being told), "kid", and "added_at" = `now`.
CliResult<nlohmann::ordered_json> new_key_member(const Key& key, Algorithm alg, std::int64_t now);

// The document of a new set holding `member` alone, active.
KeySetDocument new_key_set(nlohmann::ordered_json member);

// Adds `member` (from new_key_member) to `doc` as a key that only verifies.
// A set whose only key signed without an "active_kid" gets one naming that
// key, so that serve keeps signing with it once the set holds two keys.
// kFailure for a kid the set already holds, and for an HMAC secret added to
// a set of public-key pairs or the reverse (the public set would lack what
// half of the tokens need, or publish keys beside a secret nobody else can
// verify with).
CliResult<StepReport> add_key(KeySetDocument& doc, nlohmann::ordered_json member,
                              const std::string& file);

// Makes `kid` the active key: "active_kid" names it, its "signed_until" goes,
// and the key that was active gets "signed_until" = `now`. kFailure for a
// kid the set lacks and a key without its private half. Unless `force`,
// kFailure while `now` < added_at + `min_published`, for a key without
// "added_at" (nothing says since when verifiers may have seen it), and for
// an HMAC secret in a set that also holds key pairs (a set edited by hand:
// the published set could not check its tokens). Naming
// the key already active changes nothing.
CliResult<StepReport> activate_key(KeySetDocument& doc, const std::string& kid, std::int64_t now,
                                   std::chrono::seconds min_published, bool force,
                                   const std::string& file);

// Removes `kid` from the set. kFailure, even with `force`, for the active key
// and for a kid the set lacks. Unless `force`, kFailure when the set records
// no active key (serve may sign with it by keys.kid), for a key without
// "signed_until", and while `now` < signed_until + `longest` (tokens it
// signed may still be accepted). Without `longest`, kUsage unless `force`
// (which then takes the tokens it signed to be live).
CliResult<StepReport> retire_key(KeySetDocument& doc, const std::string& kid, std::int64_t now,
                                 std::optional<std::chrono::seconds> longest, bool force,
                                 const std::string& file);

// One key as `keys list` shows it; never key material.
struct KeyRow {
  std::string kid;
  std::string alg;    // its one algorithm, else its key type ("RSA")
  std::string state;  // "active", "next" (verifies, never signed or signing again) or "retiring"
  std::optional<std::int64_t> added_at;
  std::optional<std::int64_t> signed_until;
  std::optional<std::int64_t> activatable_at;  // next keys with added_at
  std::optional<std::int64_t> safe_at;         // retiring keys, when `longest` is known
  std::string
      detail;  // a sentence with the times, as of `now` ("cannot sign" for a public active key)
};
std::vector<KeyRow> key_rows(const KeySetDocument& doc, std::int64_t now,
                             std::chrono::seconds min_published,
                             std::optional<std::chrono::seconds> longest);

// "2026-12-07T20:00:00Z".
std::string utc_time(std::int64_t unix_seconds);

}  // namespace jwtguard::cli

#endif  // JWTGUARD_CLI_KEY_ROTATION_H_
