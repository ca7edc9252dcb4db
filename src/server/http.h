// The request and response types the handlers work on: Beast's, with string
// bodies. Handlers never see a socket; the I/O layer (listener.h) reads a
// Request and writes the Response a handler returns.
#ifndef JWTGUARD_SERVER_HTTP_H_
#define JWTGUARD_SERVER_HTTP_H_

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace jwtguard::server {

namespace http = boost::beast::http;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

// A JSON response: `json` is the whole body.
Response json_response(const Request& request, http::status status, std::string json);

// Whether `a` and `b` are equal ignoring ASCII case. Used instead of
// boost::beast::iequals, which in Boost 1.74 reads one byte past the end of
// its arguments whenever they differ in case (found by the HTTP fuzz target
// on an absolute-form target "HTTP://").
bool iequals_ascii(std::string_view a, std::string_view b);

// The value of a header, or empty.
std::string_view header_value(const Request& request, http::field field);
std::string_view header_value(const Request& request, std::string_view name);

// The path of the target, without the query: a view into `target`, or "/"
// for an absolute form with an empty path.
std::string_view target_path(std::string_view target);
// The query of the target (after '?'), or empty.
std::string_view target_query(std::string_view target);

// %XX escapes decoded (and '+' as a space when `plus_is_space`, as in
// forms and queries but not in paths); nullopt for a bad escape.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);

// application/x-www-form-urlencoded (and query strings): the value of the
// first `name` field, percent-decoded, '+' as space; nullopt when absent or
// badly encoded.
std::optional<std::string> form_value(std::string_view form, std::string_view name);

// Whether the Content-Type's media type (before any ';') is `media_type`,
// case-insensitively.
bool has_media_type(const Request& request, std::string_view media_type);

}  // namespace jwtguard::server

#endif  // JWTGUARD_SERVER_HTTP_H_
