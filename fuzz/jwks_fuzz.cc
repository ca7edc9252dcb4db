// libFuzzer target: anything may come back from a JWK Set URL, and from the
// Cache-Control header beside it. The remote key source's document handling
// must never crash, leak, hang or hit undefined behaviour, and what it
// accepts is a non-empty set of public, non-HMAC keys, each bound to its
// algorithms, whose published form reads back as the same set. A lifetime
// read from the header is never negative nor beyond RFC 9111's 2^31 s.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "jwtguard/keys.h"
#include "jwtguard/remote_jwks.h"
#include "keys_remote/jwks_document.h"

namespace {

using namespace jwtguard;

void check(bool ok) {
  if (!ok) std::abort();
}

void check_document(std::string_view input) {
  auto set = keys_remote::remote_key_set(input);
  if (!set) return;
  check(!set->empty());
  for (const Key& key : set->keys()) {
    check(key.type() != KeyType::kOct);
    check(!key.is_private());
    check(!key.algorithms().empty());
    if (!key.kid().empty()) check(set->find(key.kid()) == &key);
  }
  const std::string published = set->to_public_jwks();
  auto reread = keys_remote::remote_key_set(published);
  check(reread.has_value() && reread->to_public_jwks() == published);
}

void check_cache_control(std::string_view input) {
  if (auto max_age = cache_control_max_age(input)) {
    check(max_age->count() >= 0 && max_age->count() <= 2147483648);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_document(input);
  check_cache_control(input);
  return 0;
}
