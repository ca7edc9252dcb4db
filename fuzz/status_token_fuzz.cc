// libFuzzer target: what a status list verifier takes from elsewhere. A
// token's "status" claim comes from a token whose signature passed, but from
// any issuer the application trusts; a Status List Token comes from a server
// over the network, and is untrusted until its signature is checked (and,
// even then, must not take the verifier down).
//
// The first byte picks the way in; the rest is
//   0: a token's payload, for its status claim;
//   1: a list token's payload after its signature passed (typ
//      statuslist+jwt), checked against a fixed URI and time;
//   2: the same payload signed here with an HS256 key the target trusts, so
//      that the whole read_list_token path runs on it;
//   3: a whole list token as a server might send it (signature and all).
// Whatever passes must hold to the decoding limit, and an index the status
// claim names must be either inside the list or refused.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "jose/base64url.h"
#include "jwtguard/jose.h"
#include "status_list/list_token.h"
#include "status_list/status_reference.h"

namespace {

using namespace jwtguard;

constexpr std::string_view kUri = "https://issuer.example/statuslists/1";
// The seeds' iat and exp sit around this time.
const Timestamp kNow = from_unix_seconds(1'700'000'000);

void check(bool ok) {
  if (!ok) std::abort();
}

const Key& hmac_key() {
  static const Key key = *Key::from_secret("status-token-fuzz-secret-0123456789abcdef", "k");
  return key;
}

status_list::ListTokenRules rules() {
  static const KeySet keys(hmac_key());
  status_list::ListTokenRules out;
  out.keys = &keys;
  out.leeway = std::chrono::seconds(5);
  out.limits.max_bytes = 64 * 1024;
  out.jws.max_token_size = 256 * 1024;
  return out;
}

void check_list(const Result<status_list::CheckedList>& list) {
  if (!list) return;
  check(list->list.bytes().size() <= 64 * 1024);
  check(list->list.size() > 0 || list->list.bytes().empty());
  if (list->ttl) check(list->ttl->count() > 0);
}

std::string signed_here(std::string_view payload) {
  const std::string input =
      base64url::encode(R"({"alg":"HS256","kid":"k","typ":"statuslist+jwt"})") + "." +
      base64url::encode(payload);
  return input + "." + *jws_signature(hmac_key(), Algorithm::kHS256, input);
}

void fuzz_reference(std::string_view payload) {
  auto reference = status_list::parse_status_reference(payload);
  if (!reference) return;
  check(!reference->uri.empty());
  // The list a verifier would look the index up in: refused, never read out of range.
  auto list = StatusList::create(64, 2);
  auto status = list->get(static_cast<std::size_t>(reference->idx));
  check(status.has_value() == (reference->idx < 64));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 4) {
    case 0:
      fuzz_reference(rest);
      break;
    case 1:
      check_list(status_list::read_verified_list("statuslist+jwt", std::string(rest), kUri, rules(),
                                                 kNow));
      break;
    case 2:
      check_list(status_list::read_list_token(signed_here(rest), kUri, rules(), kNow));
      break;
    default:
      check_list(status_list::read_list_token(rest, kUri, rules(), kNow));
      break;
  }
  return 0;
}
