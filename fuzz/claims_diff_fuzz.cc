// libFuzzer target: the fast claims reader against simdjson's DOM, the
// reference (src/core/tokens/flat_claims.h). Any payload on which they
// differ, in accepting it or in any claim read from it, or on which
// parse_claims answers otherwise than the reference, aborts with the
// difference. Seeds in fuzz/corpus/claims_diff_fuzz.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "testing/claims_diff.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  const auto diff = jwtguard::testing::diff_claims(payload);
  if (!diff.mismatch.empty()) {
    std::fprintf(stderr, "claims readers differ: %s\n", diff.mismatch.c_str());
    std::abort();
  }
  return 0;
}
