// How a request is read (request_parser.h): the head checked before any of
// the body, trailers dropped, and parser errors named.
#include "server/request_parser.h"

#include <gtest/gtest.h>

#include <boost/asio/buffer.hpp>
#include <string>
#include <string_view>

#include "server/error_responses.h"

namespace jwtguard::server {
namespace {

constexpr std::size_t kHeaderLimit = 1024;
constexpr std::size_t kBodyLimit = 100;

bool accepted(const RequestRefusal& refusal) { return !refusal.error.has_value(); }

// Feeds `text` to the parser as the listener does: the head first, then,
// once it is accepted, the body. Returns the parser's error, if any.
boost::beast::error_code feed(RequestParser& parser, std::string_view text,
                              bool stop_after_head = false) {
  boost::beast::error_code ec;
  std::size_t used = parser.put(boost::asio::buffer(text.data(), text.size()), ec);
  if (ec || stop_after_head || parser.is_done()) return ec;
  parser.start_body();
  while (!ec && !parser.is_done() && used < text.size()) {
    used += parser.put(boost::asio::buffer(text.data() + used, text.size() - used), ec);
  }
  return ec;
}

// The parser's own body limit is higher, so that the check, not the
// parser, decides.
RequestRefusal head_check(std::string_view head) {
  RequestParser parser(kHeaderLimit, 10 * kBodyLimit);
  EXPECT_FALSE(feed(parser, head, true));
  EXPECT_TRUE(parser.is_header_done()) << head;
  return check_request_head(parser, kBodyLimit);
}

TEST(RequestParser, StopsAtTheEndOfTheHead) {
  RequestParser parser(kHeaderLimit, kBodyLimit);
  const std::string text = "POST /login HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello";
  boost::beast::error_code ec;
  const std::size_t used = parser.put(boost::asio::buffer(text), ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_TRUE(parser.is_header_done());
  EXPECT_FALSE(parser.is_done());
  EXPECT_EQ(used, text.size() - 5);
  EXPECT_TRUE(parser.get().body().empty());
  parser.start_body();
  parser.put(boost::asio::buffer(text.data() + used, text.size() - used), ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_TRUE(parser.is_done());
  EXPECT_EQ(parser.get().body(), "hello");
}

TEST(RequestParser, DropsTrailerFields) {
  RequestParser parser(kHeaderLimit, kBodyLimit);
  const auto ec = feed(parser,
                       "POST /refresh HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
                       "Trailer: Authorization\r\n\r\n"
                       "2\r\n{}\r\n0\r\nAuthorization: Bearer forged\r\nX-Forwarded-For: 1.2.3.4"
                       "\r\n\r\n");
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_TRUE(parser.is_done());
  const Request& request = parser.get();
  EXPECT_EQ(request.body(), "{}");
  EXPECT_EQ(request.count(http::field::authorization), 0u);
  EXPECT_EQ(request.count("X-Forwarded-For"), 0u);
  EXPECT_EQ(request.count(http::field::host), 1u);
}

TEST(RequestParser, KeepsEveryHeaderField) {
  RequestParser parser(kHeaderLimit, kBodyLimit);
  ASSERT_FALSE(feed(parser,
                    "GET /me HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer t\r\nX-Custom: 1\r\n"
                    "X-Custom: 2\r\n\r\n"));
  const Request& request = parser.get();
  EXPECT_EQ(request[http::field::authorization], "Bearer t");
  EXPECT_EQ(request.count("X-Custom"), 2u);
}

TEST(CheckRequestHead, AcceptsAnOrdinaryRequest) {
  EXPECT_TRUE(accepted(head_check("GET /me HTTP/1.1\r\nHost: h\r\n\r\n")));
  EXPECT_TRUE(accepted(
      head_check("POST /login HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n")));
  EXPECT_TRUE(accepted(
      head_check("POST /login HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n")));
}

TEST(CheckRequestHead, RefusesAnyCodingButPlainChunked) {
  for (const char* coding : {"gzip, chunked", "gzip", "identity", "chunked, chunked"}) {
    const RequestRefusal r = head_check(std::string("POST /login HTTP/1.1\r\nHost: h\r\n") +
                                        "Transfer-Encoding: " + coding + "\r\n\r\n");
    EXPECT_EQ(r.error, ServiceError::kBadRequest) << coding;
    EXPECT_EQ(r.message, "Unsupported Transfer-Encoding") << coding;
  }
}

TEST(CheckRequestHead, Http11NeedsExactlyOneHost) {
  RequestRefusal r = head_check("GET /me HTTP/1.1\r\n\r\n");
  EXPECT_EQ(r.error, ServiceError::kBadRequest);
  EXPECT_EQ(r.message, "Missing Host header");
  r = head_check("GET /me HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
  EXPECT_EQ(r.error, ServiceError::kBadRequest);
  EXPECT_EQ(r.message, "More than one Host header");
}

TEST(CheckRequestHead, Http10MayOmitHostButNotRepeatIt) {
  EXPECT_TRUE(accepted(head_check("GET /me HTTP/1.0\r\n\r\n")));
  EXPECT_TRUE(accepted(head_check("GET /me HTTP/1.0\r\nHost: a\r\n\r\n")));
  const RequestRefusal r = head_check("GET /me HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n");
  EXPECT_EQ(r.error, ServiceError::kBadRequest);
  EXPECT_EQ(r.message, "More than one Host header");
}

TEST(CheckRequestHead, AContentLengthOverTheLimitIsTooLarge) {
  EXPECT_TRUE(
      accepted(head_check("POST /login HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n")));
  const RequestRefusal r =
      head_check("POST /login HTTP/1.1\r\nHost: h\r\nContent-Length: 101\r\n\r\n");
  EXPECT_EQ(r.error, ServiceError::kPayloadTooLarge);
  EXPECT_TRUE(r.message.empty());
}

TEST(ParseErrorName, NamesTheLimitThatWasHit) {
  RequestParser big_head(64, kBodyLimit);
  auto ec =
      feed(big_head, "GET /me HTTP/1.1\r\nHost: h\r\nX-Pad: " + std::string(100, 'x') + "\r\n\r\n");
  ASSERT_TRUE(ec);
  EXPECT_EQ(parse_error_name(ec), ServiceError::kHeaderTooLarge) << ec.message();

  RequestParser big_body(kHeaderLimit, 4);
  ec = feed(big_body,
            "POST /login HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
            "8\r\n12345678\r\n0\r\n\r\n");
  ASSERT_TRUE(ec);
  EXPECT_EQ(parse_error_name(ec), ServiceError::kPayloadTooLarge) << ec.message();

  RequestParser declared(kHeaderLimit, 4);
  ec = feed(declared, "POST /login HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n");
  ASSERT_TRUE(ec);
  EXPECT_EQ(parse_error_name(ec), ServiceError::kPayloadTooLarge) << ec.message();

  RequestParser garbage(kHeaderLimit, kBodyLimit);
  ec = feed(garbage, "NOT HTTP\r\n\r\n");
  ASSERT_TRUE(ec);
  EXPECT_EQ(parse_error_name(ec), ServiceError::kBadRequest) << ec.message();
}

}  // namespace
}  // namespace jwtguard::server
