// The JWK Set file that `jwtguard keys add | activate | retire | list`
// rotate: a JWK Set of private keys with jwtguard's bookkeeping in members of
// its own (RFC 7517 §4 and §5 let a JWK and a set carry members a reader does
// not know; KeySet::from_jwks ignores them, and the public set is built from
// the keys alone, so none of them is ever published):
//
//   {"active_kid": "k2",                      the key `serve` signs with
//    "keys": [{..., "kid": "k1", "added_at": 1700000000, "signed_until": 1700600000},
//             {..., "kid": "k2", "added_at": 1700500000}]}
//
// "added_at" is when the key entered the set and "signed_until" when it
// stopped being the active key (Unix seconds). docs/configuration.md
// describes the format and docs/operations.md the rotation.
#ifndef JWTGUARD_CLI_KEY_SET_FILE_H_
#define JWTGUARD_CLI_KEY_SET_FILE_H_

#include <sys/types.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cli.h"

namespace jwtguard::cli {

inline constexpr const char* kAddedAtMember = "added_at";
inline constexpr const char* kSignedUntilMember = "signed_until";
// Every stamp, and every --at, is below this (year 36812: no clock gets
// there), so that sums of a stamp and a lifetime cannot overflow.
inline constexpr std::int64_t kStampLimit = std::int64_t{1} << 40;

// A set as read: the document with every member kept in its order (the
// file is rewritten with what the operator or another tool put there), and
// its keys.
struct KeySetDocument {
  nlohmann::ordered_json json;
  KeySet keys;
  // The key `serve` signs with when keys.kid is not set: "active_kid", else
  // the only key; empty when the set has several keys and no active_kid.
  std::string active;
};

// `text` read as a rotated set. kFailure, naming `path`, for text that is
// not a JSON object with a "keys" array or is nested deeper than 16 levels
// (rewriting it would cost the square of its depth), a key
// KeySet::from_jwks refuses, a member it would skip (an encryption key, an
// unknown "kty": a set that rotates holds only what serve uses), a key
// without a "kid" or with one that is empty, longer than 128 bytes or holds
// control characters (C0 or C1: the kid is printed to terminals), two
// keys under one kid, an "active_kid" that is not a string or names no key,
// and an "added_at" or "signed_until" that is not a whole number of seconds
// in [0, 2^40).
CliResult<KeySetDocument> parse_key_set(const std::string& text, const std::string& path);

// The file at `path`, parsed by parse_key_set. kFailure when it cannot be
// read, is not a regular file (a FIFO would block), is larger than 1 MiB,
// and when other users may read or write it (mode & 0006): it holds
// private keys, and the message says to chmod it. The checks and the read
// go through one descriptor, so they see the same file.
CliResult<KeySetDocument> read_key_set_file(const std::string& path);

// The member of `doc.json["keys"]` with this kid (it must exist).
nlohmann::ordered_json& key_member(KeySetDocument& doc, const std::string& kid);
const nlohmann::ordered_json& key_member(const KeySetDocument& doc, const std::string& kid);

// A bookkeeping member of a key member, when present (parse_key_set checked it).
std::optional<std::int64_t> stamp(const nlohmann::ordered_json& member, const char* name);

// Replaces the file at `path` with `json`, atomically and durably: the text
// is first checked with parse_key_set (a set it refuses is never written),
// then written to a temporary file in the same directory (mode 0600), given
// the mode, owner and group of the file it replaces (0600 and the caller's
// for a new file), fsynced, renamed over `path` and the directory fsynced.
// A symbolic link at `path` is followed: the file it points to is replaced,
// the link stays. kFailure, before anything is written, when other users
// may write to the directory (they could have put the file there, and its
// owner would receive the keys). On any failure the original file is
// untouched and the temporary file removed; kFailure names the path and
// the reason.
CliResult<void> write_key_set_file(const std::string& path, const nlohmann::ordered_json& json);

// Holds an exclusive lock (flock) on the directory of `path` while it lives,
// so that two `jwtguard keys` commands changing sets there run one after the
// other instead of losing one's change.
class KeySetLock {
 public:
  static CliResult<KeySetLock> acquire(const std::string& path);
  KeySetLock(KeySetLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  KeySetLock(const KeySetLock&) = delete;
  KeySetLock& operator=(const KeySetLock&) = delete;
  KeySetLock& operator=(KeySetLock&&) = delete;
  ~KeySetLock();

 private:
  explicit KeySetLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace jwtguard::cli

#endif  // JWTGUARD_CLI_KEY_SET_FILE_H_
