#include "jwtguard/password.h"

#include <sodium.h>

#include <string>

namespace jwtguard {
namespace {

struct Limits {
  unsigned long long ops;
  std::size_t mem;
};

Limits limits(PasswordCost cost) {
  if (cost == PasswordCost::kModerate) {
    return {crypto_pwhash_OPSLIMIT_MODERATE, crypto_pwhash_MEMLIMIT_MODERATE};
  }
  return {crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE};
}

// libsodium needs its hash strings NUL-terminated and exactly one
// crypto_pwhash_STRBYTES buffer long at most.
bool terminated_copy(std::string_view hash, char (&out)[crypto_pwhash_STRBYTES]) {
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  hash.copy(out, hash.size());
  out[hash.size()] = '\0';
  return true;
}

}  // namespace

bool valid_user_name(std::string_view name) {
  constexpr std::size_t kMaxUserNameSize = 128;
  if (name.empty() || name.size() > kMaxUserNameSize) return false;
  if (name.front() == ' ' || name.back() == ' ') return false;
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

Result<void> check_new_password(std::string_view password, std::size_t min_length) {
  std::size_t characters = 0;
  for (unsigned char c : password) characters += (c & 0xC0) != 0x80;  // not a continuation byte
  if (characters < min_length || password.size() > kMaxPasswordSize) {
    return fail(Errc::kInvalidArgument,
                "'password' must be at least " + std::to_string(min_length) +
                    " characters and at most " + std::to_string(kMaxPasswordSize) + " bytes");
  }
  return {};
}

Result<std::string> hash_password(std::string_view password, PasswordCost cost) {
  if (password.empty()) return fail(Errc::kInvalidArgument, "empty password");
  if (password.size() > kMaxPasswordSize) {
    return fail(Errc::kInvalidArgument, "password longer than 1024 bytes");
  }
  // Thread-safe and idempotent; 0 or 1 both mean ready.
  if (sodium_init() < 0) return fail(Errc::kCrypto, "libsodium failed to initialise");
  const Limits l = limits(cost);
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), l.ops, l.mem,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return fail(Errc::kCrypto, "out of memory while hashing the password");
  }
  return std::string(out);
}

bool verify_password(std::string_view password, std::string_view hash) {
  if (password.size() > kMaxPasswordSize || sodium_init() < 0) return false;
  char stored[crypto_pwhash_STRBYTES];
  if (!terminated_copy(hash, stored)) return false;
  return crypto_pwhash_str_verify(stored, password.data(), password.size()) == 0;
}

bool password_needs_rehash(std::string_view hash, PasswordCost cost) {
  if (sodium_init() < 0) return true;
  char stored[crypto_pwhash_STRBYTES];
  if (!terminated_copy(hash, stored)) return true;
  const Limits l = limits(cost);
  // 0: matches; 1: other parameters; -1: not a valid hash of this kind.
  return crypto_pwhash_str_needs_rehash(stored, l.ops, l.mem) != 0;
}

}  // namespace jwtguard
