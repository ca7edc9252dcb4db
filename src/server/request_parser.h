// How the listener reads a request: Beast's parser with the listener's
// limits, and the checks made on a request head before its body is read.
// The listener and the HTTP fuzz target both use these, so the fuzzer
// exercises the code that serves.
#ifndef JWTGUARD_SERVER_REQUEST_PARSER_H_
#define JWTGUARD_SERVER_REQUEST_PARSER_H_

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <cstddef>
#include <optional>
#include <string_view>

#include "error_responses.h"
#include "http.h"

namespace jwtguard::server {

// Beast's request parser with string bodies, with the given limits on the
// head and the body. A put() stops at the end of the head, so that the head
// can be checked before any of the body is stored; start_body() then makes
// the parser eager (the rest of what arrived is parsed in the same call).
//
// Trailer fields (after a chunked body's last chunk) are discarded: Beast's
// own parser would add them to the header fields, where a trailer could
// supply the Authorization, Content-Type or X-Forwarded-For of a request
// whose head had none (RFC 9110 §6.5.1: trailers are not header fields).
// Nothing in the service reads trailers, so none are kept.
class RequestParser : public http::request_parser<http::string_body> {
 public:
  RequestParser(std::size_t header_limit, std::size_t body_limit);

  // Call once the head is done and accepted: the body follows.
  void start_body() { eager(true); }

 private:
  void on_field_impl(http::field name, boost::beast::string_view name_string,
                     boost::beast::string_view value, boost::beast::error_code& ec) override;
};

// Why a request cannot be served: its error response, and the message of
// its body (empty: the error's default). No error: the request may proceed.
struct RequestRefusal {
  std::optional<ServiceError> error;
  std::string_view message;
};

// The checks on a parsed request head (`parser.is_header_done()`), before
// any of its body is read. No `error` when the request may proceed;
// otherwise the request gets that error and the connection closes:
// - bad_request: a Transfer-Encoding other than plain "chunked" (a body
//   framed by a coding we do not undo cannot be delimited: RFC 9112 §6.3);
// - bad_request: an HTTP/1.1 request without exactly one Host field, or an
//   HTTP/1.0 request with more than one (RFC 9112 §3.2; HTTP/1.0 clients
//   may omit Host);
// - payload_too_large: a Content-Length over `body_limit`.
RequestRefusal check_request_head(const RequestParser& parser, std::size_t body_limit);

// The error for a parser error: payload_too_large for a body over the
// limit, header_too_large for a head over the limit, bad_request otherwise.
ServiceError parse_error_name(const boost::beast::error_code& ec);

}  // namespace jwtguard::server

#endif  // JWTGUARD_SERVER_REQUEST_PARSER_H_
