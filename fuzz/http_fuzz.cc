// libFuzzer target: any bytes may arrive on a connection. The listener's
// parser (RequestParser, with the listener's default limits and with the
// smallest the configuration allows) and its head checks must never crash,
// leak, hang or hit undefined behaviour; trailer fields must never join the
// header fields; and a request let through must have the Host the checks
// promise. The bytes are fed as the listener feeds them: in segments, into
// one buffer the parser consumes from, with pipelined requests parsed in turn.
#include <algorithm>
#include <boost/beast/core/flat_buffer.hpp>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <string_view>

#include "server/http.h"
#include "server/listener.h"
#include "server/request_parser.h"

namespace {

using namespace jwtguard::server;

struct Limits {
  std::size_t header_limit;
  std::size_t body_limit;
};

void check(bool invariant) {
  if (!invariant) std::abort();
}

// What the handlers do with a request's target and headers: none of it may
// misbehave on whatever the parser let through.
void use_request(const Request& request) {
  std::string_view target(request.target().data(), request.target().size());
  std::string_view path = target_path(target);
  // A view into the target, never past it, or the "/" of an empty path.
  check(
      path == "/" || path.empty() ||
      (path.data() >= target.data() && path.data() + path.size() <= target.data() + target.size()));
  (void)percent_decode(path, false);
  (void)form_value(target_query(target), "token");
  (void)form_value(request.body(), "token");
  (void)has_media_type(request, "application/json");
  (void)header_value(request, http::field::authorization);
}

// Parses requests from `input` as Connection::parse_buffered does, the bytes
// arriving `segment` at a time. Stops where the listener would close.
void serve_connection(std::string_view input, std::size_t segment, const Limits& limits) {
  boost::beast::flat_buffer buffer(limits.header_limit + limits.body_limit + 4096);
  std::size_t offset = 0;
  for (int requests = 0; requests < 8; ++requests) {
    RequestParser parser(limits.header_limit, limits.body_limit);
    bool head_checked = false;
    std::size_t head_fields = 0;
    for (;;) {
      boost::beast::error_code ec;
      while (buffer.size() > 0 && !parser.is_done()) {
        buffer.consume(parser.put(buffer.data(), ec));
        if (ec == http::error::need_more) {
          ec = {};
          break;
        }
        if (ec) {
          (void)parse_error_name(ec);
          return;  // answered with an error; the connection closes
        }
        if (parser.is_header_done() && !head_checked) {
          head_checked = true;
          if (check_request_head(parser, limits.body_limit).error) return;
          const Request& head = parser.get();
          check(head.count(http::field::host) == 1 ||
                (head.version() < 11 && head.count(http::field::host) == 0));
          check(head.body().empty());  // nothing of the body before start_body()
          head_fields = std::distance(head.begin(), head.end());
          parser.start_body();
        }
      }
      if (parser.is_done()) break;
      if (offset == input.size()) return;  // the client stopped sending
      std::size_t n = std::min(segment, input.size() - offset);
      std::size_t room = buffer.max_size() - buffer.size();
      if (room == 0) return;  // 431, as Connection::read_more answers
      n = std::min(n, room);
      auto space = buffer.prepare(n);
      std::memcpy(space.data(), input.data() + offset, n);
      buffer.commit(n);
      offset += n;
    }
    Request request = parser.release();
    // Trailer fields were dropped: the fields are those of the head.
    check(static_cast<std::size_t>(std::distance(request.begin(), request.end())) == head_fields);
    check(request.body().size() <= limits.body_limit);
    use_request(request);
    if (!request.keep_alive()) return;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte sets the segment size: requests split at every place.
  const std::size_t segment = 1 + (data[0] % 64) * (data[0] >= 128 ? 128 : 1);
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  const ListenerOptions defaults;
  serve_connection(input, segment, {defaults.header_limit, defaults.body_limit});
  serve_connection(input, segment, {1024, 1024});  // the configuration's minimums
  return 0;
}
