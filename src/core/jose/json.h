// Parsing untrusted JSON (token headers and payloads) on the hot path.
#ifndef JWTGUARD_JOSE_JSON_H_
#define JWTGUARD_JOSE_JSON_H_

#include <simdjson.h>

#include <string_view>

#include "jwtguard/error.h"

namespace jwtguard::json {

// Deep enough for any sensible claim set; a nesting bomb fails early.
inline constexpr std::size_t kMaxDepth = 64;

// Parses `text` as a JSON object with the calling thread's parser, rejecting
// invalid UTF-8, nesting beyond kMaxDepth, integers beyond 64 bits, and
// duplicate top-level member names (RFC 7519 §4 allows either rejecting them or
// taking the last; rejecting removes any ambiguity between parsers).
// `what` ("header", "payload") goes into the error detail, which says what is
// wrong in words a token's sender can act on ("header is not JSON: it decodes
// to bytes that are not UTF-8 text", "payload is nested deeper than 64
// levels", "header is JSON but not an object").
// The object lives until the calling thread's next parse_object call.
// When `capacity` (the size of the buffer holding `text`) leaves
// SIMDJSON_PADDING bytes after it, the text is parsed in place, without a copy.
Result<simdjson::dom::object> parse_object(std::string_view text, std::string_view what,
                                           std::size_t capacity = 0);

}  // namespace jwtguard::json

#endif  // JWTGUARD_JOSE_JSON_H_
