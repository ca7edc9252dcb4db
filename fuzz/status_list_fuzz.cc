// libFuzzer target: a Status List is fetched from elsewhere, so its claim,
// its lst and the compressed bytes inside may be anything. Decoding must
// never crash, leak, hang or hit undefined behaviour, must hold to its
// limit, and what it accepts must survive a round trip: the list re-encodes
// to an lst (or a claim) that decodes to the same statuses.
//
// The first byte picks the way in and the width; the rest is the claim's
// JSON, an lst string, or the compressed bytes themselves (base64url-encoded
// here, so the fuzzer reaches inflate without learning base64).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "jose/base64url.h"
#include "jwtguard/status_list.h"

namespace {

using namespace jwtguard;

// Small enough to keep every run fast, large enough for real lists.
constexpr DecodeLimits kLimits{.max_bytes = 64 * 1024};

void check(bool ok) {
  if (!ok) std::abort();
}

void check_round_trip(const StatusList& list) {
  check(list.bytes().size() <= kLimits.max_bytes);
  check(list.size() == list.bytes().size() * 8 / static_cast<std::size_t>(list.bits()));
  auto lst = encode_lst(list);
  check(lst.has_value());
  auto again = decode_lst(*lst, list.bits(), kLimits);
  check(again.has_value() && again->bytes() == list.bytes() && again->size() == list.size());
  auto json = status_list_claim_json(list);
  check(json.has_value());
  auto claim = parse_status_list_claim(*json, kLimits);
  check(claim.has_value() && *claim == list);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const int bits = 1 << (data[0] & 3);
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  Result<StatusList> list = fail(Errc::kInvalidArgument);
  switch ((data[0] >> 2) % 3) {
    case 0:
      list = parse_status_list_claim(rest, kLimits);
      break;
    case 1:
      list = decode_lst(rest, bits, kLimits);
      break;
    default:
      list = decode_lst(base64url::encode(rest), bits, kLimits);
      break;
  }
  if (list) check_round_trip(*list);
  return 0;
}
