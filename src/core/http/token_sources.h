// Finding a token in a request: the Authorization header's Bearer token,
// a cookie, a query parameter. Internal to HttpGuard; separate so that the
// parsers can be tested and fuzzed on their own.
#ifndef JWTGUARD_HTTP_TOKEN_SOURCES_H_
#define JWTGUARD_HTTP_TOKEN_SOURCES_H_

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "jwtguard/http.h"

namespace jwtguard::http {

// What one location held: a token, nothing (with the sentence that says
// what was looked for, for the "Missing JWT in ..." message and the kind it
// is on its own), or a refusal that ends the search.
struct Found {
  std::string_view in_request;  // into the request's header
  std::string owned;            // or a query parameter's decoded value
  std::string_view token() const { return owned.empty() ? in_request : std::string_view(owned); }
};
struct Absent {
  HttpError::Kind kind;  // kMissingToken, or kWrongScheme
  std::string message;
};
using Lookup = std::variant<Found, Absent, HttpError>;

// Flask-JWT-Extended's header rules: a blank header is a missing one; the
// first word must be "Bearer" (else kWrongScheme, which lets the next
// location be tried); exactly one more word; one Authorization header only.
Lookup bearer_token(const RequestView& request);

// The value of cookie `name` in the request's Cookie header(s): names
// compare exactly, a value in double quotes loses them, an empty value is
// no cookie. The same name twice (a cookie planted by a sibling domain, or
// one at a narrower path) is refused: which one the application set is
// unknowable.
Lookup cookie_token(const RequestView& request, std::string_view name);

// The query parameter `name`, on a WebSocket upgrade only.
Lookup query_token(const RequestView& request, std::string_view name);

// `value` without the spaces and tabs around it.
std::string_view trim(std::string_view value);
// Equal ignoring ASCII case.
bool iequals(std::string_view a, std::string_view b);

// Every value of cookie `name` in one Cookie header value, for the tests
// and the fuzz target: calls `each` per occurrence.
void each_cookie(std::string_view header, std::string_view name,
                 const std::function<void(std::string_view)>& each);

}  // namespace jwtguard::http

#endif  // JWTGUARD_HTTP_TOKEN_SOURCES_H_
