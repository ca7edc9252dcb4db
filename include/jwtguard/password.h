// Password hashes for the service's users: Argon2id, through libsodium.
//
// The stored form is libsodium's self-describing string
// ("$argon2id$v=19$m=...,t=...,p=...$salt$hash"), so the cost parameters can
// be raised later without invalidating existing hashes: password_needs_rehash
// says when a login should store a new hash.
#ifndef JWTGUARD_PASSWORD_H_
#define JWTGUARD_PASSWORD_H_

#include <string>
#include <string_view>

#include "jwtguard/error.h"

namespace jwtguard {

// The cost of a new hash. kInteractive is libsodium's interactive level
// (64 MiB, 2 passes): ~0.1 s on a server core, fit for a login endpoint.
// kModerate (256 MiB, 3 passes) is for offline tools.
enum class PasswordCost { kInteractive, kModerate };

// Longest password accepted: longer input only burns CPU on the server.
inline constexpr std::size_t kMaxPasswordSize = 1024;

// The shortest password a new account may have unless configured otherwise.
inline constexpr std::size_t kDefaultMinPasswordLength = 8;

// The rule for a new account's password, the one the HTTP service's
// registration and `jwtguard user create` both apply: at least `min_length`
// characters (UTF-8 code points, so "é" counts once) and at most
// kMaxPasswordSize bytes. kInvalidArgument otherwise, with the detail
// "'password' must be at least N characters and at most 1024 bytes", the
// sentence both show.
Result<void> check_new_password(std::string_view password, std::size_t min_length);

// The rule for a user name, the one the HTTP service's registration, its
// minted identities and `jwtguard user` all apply: 1 to 128 bytes, no
// control characters (so never U+001F, which separates a subject key's
// namespace from its name; revocation.h), no surrounding spaces. Names show
// up in logs, in X-Auth-Subject headers and in admin listings.
bool valid_user_name(std::string_view name);

// A new Argon2id hash of `password` with a random salt. kInvalidArgument for
// an empty password or one over kMaxPasswordSize; kCrypto when libsodium
// cannot initialise or runs out of memory.
Result<std::string> hash_password(std::string_view password,
                                  PasswordCost cost = PasswordCost::kInteractive);

// Whether `password` matches `hash` (compared in constant time by
// libsodium). A malformed hash is simply no match.
bool verify_password(std::string_view password, std::string_view hash);

// Whether `hash` was made with parameters other than `cost`'s (or is not a
// valid Argon2id hash at all).
bool password_needs_rehash(std::string_view hash, PasswordCost cost = PasswordCost::kInteractive);

}  // namespace jwtguard

#endif  // JWTGUARD_PASSWORD_H_
