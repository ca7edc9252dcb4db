#include "jose/json.h"

#include <algorithm>
#include <string>
#include <vector>

namespace jwtguard::json {
namespace {

simdjson::dom::parser& thread_parser() {
  thread_local simdjson::dom::parser parser = [] {
    simdjson::dom::parser p;
    // 8 KiB is the largest token, so its payload is smaller still. On
    // failure, parse() allocates by itself later.
    if (p.allocate(8192, kMaxDepth) != simdjson::SUCCESS) return p;
    return p;
  }();
  return parser;
}

bool has_duplicate_names(simdjson::dom::object object) {
  // Claim sets are small: pairwise comparison beats hashing below ~32 names.
  constexpr std::size_t kSmall = 32;
  std::string_view small[kSmall];
  std::size_t n = 0;
  std::vector<std::string_view> large;
  for (auto field : object) {
    if (n < kSmall) {
      for (std::size_t i = 0; i < n; ++i) {
        if (small[i] == field.key) return true;
      }
      small[n++] = field.key;
    } else {
      large.push_back(field.key);
    }
  }
  if (large.empty()) return false;
  large.insert(large.end(), small, small + n);
  std::sort(large.begin(), large.end());
  return std::adjacent_find(large.begin(), large.end()) != large.end();
}

}  // namespace

Result<simdjson::dom::object> parse_object(std::string_view text, std::string_view what) {
  simdjson::dom::element root;
  // realloc_if_needed copies into the parser's own padded buffer (no
  // allocation once it is large enough), since our buffers carry no padding.
  const auto error = thread_parser().parse(text.data(), text.size(), true).get(root);
  if (error) {
    return fail(Errc::kBadJson, std::string(what) + ": " + simdjson::error_message(error));
  }
  simdjson::dom::object object;
  if (root.get_object().get(object)) return fail(Errc::kNotAnObject, std::string(what));
  if (has_duplicate_names(object)) return fail(Errc::kDuplicateMember, std::string(what));
  return object;
}

}  // namespace jwtguard::json
