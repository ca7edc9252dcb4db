#include "jose/json.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace jwtguard::json {
namespace {

simdjson::dom::parser& thread_parser() {
  thread_local simdjson::dom::parser parser = [] {
    simdjson::dom::parser p;
    // Tokens of the default size limit (8 KiB) have smaller payloads still.
    // A larger payload (a higher limit), or a failure here: parse()
    // allocates what it needs by itself.
    // simdjson counts the document itself as a level: kMaxDepth levels of
    // JSON need kMaxDepth + 1.
    [[maybe_unused]] const auto error = p.allocate(8192, kMaxDepth + 1);
    return p;
  }();
  return parser;
}

bool has_duplicate_names_exact(simdjson::dom::object object) {
  std::vector<std::string_view> names;
  for (auto field : object) names.push_back(field.key);
  std::sort(names.begin(), names.end());
  return std::adjacent_find(names.begin(), names.end()) != names.end();
}

// Objects are small and duplicates are rare, so a 64-bit Bloom filter over a
// cheap hash of each name settles almost every object in one pass; only a
// possible collision pays for the exact check.
bool has_duplicate_names(simdjson::dom::object object) {
  std::uint64_t seen = 0;
  for (auto field : object) {
    const std::string_view key = field.key;
    const unsigned h = key.empty() ? 0u
                                   : static_cast<unsigned>(key.size() * 7 +
                                                           static_cast<unsigned char>(key[0]) * 3 +
                                                           static_cast<unsigned char>(key.back()));
    const std::uint64_t bit = std::uint64_t{1} << (h & 63);
    if (seen & bit) return has_duplicate_names_exact(object);
    seen |= bit;
  }
  return false;
}

// What a client can act on: simdjson's "The input is not valid UTF-8" for
// the header of "abc.def.ghi" says nothing about the token.
std::string why_not_json(std::string_view what, simdjson::error_code error) {
  std::string out(what);
  switch (error) {
    case simdjson::UTF8_ERROR:
      return out + " is not JSON: it decodes to bytes that are not UTF-8 text";
    case simdjson::DEPTH_ERROR:
      return out + " is nested deeper than " + std::to_string(kMaxDepth) + " levels";
    case simdjson::EMPTY:
      return out + " is empty, not JSON";
    default:
      return out + " is not valid JSON (" + simdjson::error_message(error) + ")";
  }
}

}  // namespace

Result<simdjson::dom::object> parse_object(std::string_view text, std::string_view what,
                                           std::size_t capacity) {
  simdjson::dom::element root;
  // Without padding, simdjson copies the text into its own padded buffer
  // (no allocation once that buffer is large enough).
  const bool padded = capacity >= text.size() + simdjson::SIMDJSON_PADDING;
  const auto error = thread_parser().parse(text.data(), text.size(), !padded).get(root);
  if (error) return fail(Errc::kBadJson, why_not_json(what, error));
  simdjson::dom::object object;
  if (root.get_object().get(object)) {
    return fail(Errc::kNotAnObject, std::string(what) + " is JSON but not an object");
  }
  if (has_duplicate_names(object)) return fail(Errc::kDuplicateMember, std::string(what));
  return object;
}

}  // namespace jwtguard::json
