#include "request_parser.h"

namespace jwtguard::server {

RequestParser::RequestParser(std::size_t header_limit, std::size_t body_limit) {
  eager(false);  // until start_body()
  this->header_limit(static_cast<std::uint32_t>(header_limit));
  this->body_limit(body_limit);
}

void RequestParser::on_field_impl(http::field name, boost::beast::string_view name_string,
                                  boost::beast::string_view value, boost::beast::error_code& ec) {
  ec = {};
  // The head is done before the first trailer field is parsed: whatever
  // arrives after it is a trailer.
  if (is_header_done()) return;
  get().insert(name, name_string, value);
}

RequestRefusal check_request_head(const RequestParser& parser, std::size_t body_limit) {
  const Request& head = parser.get();
  auto coding = head.find(http::field::transfer_encoding);
  if (coding != head.end() && !iequals_ascii(coding->value(), "chunked")) {
    return {ServiceError::kBadRequest, "Unsupported Transfer-Encoding"};
  }
  std::size_t host_count = head.count(http::field::host);
  if (host_count > 1) return {ServiceError::kBadRequest, "More than one Host header"};
  if (host_count == 0 && head.version() >= 11)
    return {ServiceError::kBadRequest, "Missing Host header"};
  auto length = parser.content_length();
  if (length && *length > body_limit) return {ServiceError::kPayloadTooLarge, {}};
  return {};
}

ServiceError parse_error_name(const boost::beast::error_code& ec) {
  if (ec == http::error::body_limit) return ServiceError::kPayloadTooLarge;
  if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
    return ServiceError::kHeaderTooLarge;
  }
  return ServiceError::kBadRequest;
}

}  // namespace jwtguard::server
