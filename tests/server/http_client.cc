#include "server/http_client.h"

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <optional>

#include "server/http.h"

namespace jwtguard::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using boost::system::error_code;

constexpr std::size_t kReplyBodyLimit = 16 * 1024 * 1024;
constexpr std::size_t kReadChunk = 16 * 1024;

// Runs the handlers started on `context` until none is left. Every
// operation is started under a tcp_stream deadline, so this returns.
void run(asio::io_context& context) {
  context.restart();
  context.run();
}

error_code connect(asio::io_context& context, beast::tcp_stream& stream, std::uint16_t port,
                   std::chrono::milliseconds timeout) {
  error_code result;
  stream.expires_after(timeout);
  stream.async_connect(tcp::endpoint(asio::ip::address_v4::loopback(), port),
                       [&](error_code ec) { result = ec; });
  run(context);
  if (!result) {
    error_code ignored;
    stream.socket().set_option(tcp::no_delay(true), ignored);
  }
  return result;
}

Reply to_reply(http::response<http::string_body>&& response) {
  Reply reply;
  reply.status = static_cast<int>(response.result_int());
  for (const auto& field : response) {
    reply.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  reply.keep_alive = response.keep_alive();
  reply.body = std::move(response.body());
  return reply;
}

Reply failed(std::string_view what, const error_code& ec) {
  Reply reply;
  reply.error = std::string(what) + ": " + ec.message();
  return reply;
}

// Reads from `stream` into `out` until the peer closes, a failure, or the
// stream's deadline. Sets `closed` when the peer ended the connection.
struct ReadLoop {
  beast::tcp_stream& stream;
  std::string& out;
  bool& closed;
  std::string chunk = std::string(kReadChunk, '\0');

  void start() {
    stream.async_read_some(asio::buffer(chunk), [this](error_code ec, std::size_t n) {
      out.append(chunk.data(), n);
      if (ec == asio::error::eof || ec == asio::error::connection_reset) closed = true;
      if (!ec) start();
    });
  }
};

}  // namespace

Headers bearer(std::string_view token) {
  return {{"Authorization", "Bearer " + std::string(token)}};
}

std::string Reply::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (jwtguard::server::iequals_ascii(key, name)) return value;
  }
  return {};
}

bool Reply::has_header(std::string_view name) const {
  for (const auto& field : headers) {
    if (jwtguard::server::iequals_ascii(field.first, name)) return true;
  }
  return false;
}

nlohmann::json Reply::json() const {
  return nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
}

std::string Reply::msg() const {
  auto parsed = json();
  if (!parsed.is_object()) return {};
  auto it = parsed.find("msg");
  if (it == parsed.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

// --- HttpClient ----------------------------------------------------------

struct HttpClient::Impl {
  std::uint16_t port;
  std::chrono::milliseconds timeout;
  asio::io_context context;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  int opened = 0;

  void close() {
    if (!stream) return;
    error_code ignored;
    stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream->close();
    stream.reset();
    buffer.clear();
  }

  error_code ensure_connected() {
    if (stream) return {};
    stream.emplace(context);
    ++opened;
    error_code ec = connect(context, *stream, port, timeout);
    if (ec) close();
    return ec;
  }

  Reply exchange(http::request<http::string_body>& request) {
    if (error_code ec = ensure_connected()) return failed("connect", ec);
    error_code ec;
    stream->expires_after(timeout);
    http::async_write(*stream, request, [&](error_code e, std::size_t) { ec = e; });
    run(context);
    if (ec) {
      close();
      return failed("write", ec);
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(kReplyBodyLimit);
    if (request.method() == http::verb::head) parser.skip(true);
    stream->expires_after(timeout);
    http::async_read(*stream, buffer, parser, [&](error_code e, std::size_t) { ec = e; });
    run(context);
    if (ec) {
      close();
      return failed("read", ec);
    }
    Reply reply = to_reply(parser.release());
    if (!reply.keep_alive) close();
    return reply;
  }
};

HttpClient::HttpClient(std::uint16_t port, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>()) {
  impl_->port = port;
  impl_->timeout = timeout;
}

HttpClient::~HttpClient() { impl_->close(); }

Reply HttpClient::request(http::verb method, std::string_view target, const Headers& headers,
                          std::string body, std::string_view content_type) {
  http::request<http::string_body> request{method, target, 11};
  request.set(http::field::host, "127.0.0.1:" + std::to_string(impl_->port));
  bool has_agent = false;
  for (const auto& [name, value] : headers) {
    request.insert(name, value);
    has_agent = has_agent || jwtguard::server::iequals_ascii(name, "User-Agent");
  }
  if (!has_agent) request.set(http::field::user_agent, "jwtguard-tests");
  if (!content_type.empty()) request.set(http::field::content_type, content_type);
  request.body() = std::move(body);
  request.prepare_payload();
  return impl_->exchange(request);
}

Reply HttpClient::get(std::string_view target, const Headers& headers) {
  return request(http::verb::get, target, headers);
}

Reply HttpClient::del(std::string_view target, const Headers& headers) {
  return request(http::verb::delete_, target, headers);
}

Reply HttpClient::post(std::string_view target, const Headers& headers) {
  return request(http::verb::post, target, headers);
}

Reply HttpClient::post_json(std::string_view target, const nlohmann::json& body,
                            const Headers& headers) {
  return request(http::verb::post, target, headers, body.dump(), "application/json");
}

Reply HttpClient::post_form(std::string_view target, std::string form, const Headers& headers) {
  return request(http::verb::post, target, headers, std::move(form),
                 "application/x-www-form-urlencoded");
}

int HttpClient::connections_opened() const { return impl_->opened; }

// --- raw_exchange ------------------------------------------------------------

std::string raw_exchange(std::uint16_t port, std::string_view bytes,
                         std::chrono::milliseconds timeout, AfterSend after, bool* closed) {
  bool ignored_closed = false;
  if (closed == nullptr) closed = &ignored_closed;
  *closed = false;
  asio::io_context context;
  beast::tcp_stream stream(context);
  if (connect(context, stream, port, timeout)) return {};
  std::string received;
  ReadLoop reader{stream, received, *closed};
  // Reading while writing: a server that answers (or closes) before it has
  // read everything must not leave the client stuck in a full send buffer.
  stream.expires_after(timeout);
  reader.start();
  asio::async_write(stream, asio::buffer(bytes.data(), bytes.size()),
                    [&](error_code ec, std::size_t) {
                      if (ec || after != AfterSend::kHalfClose) return;
                      error_code ignored;
                      stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
                    });
  run(context);
  error_code ignored;
  stream.socket().close(ignored);
  return received;
}

// --- RawConnection -----------------------------------------------------------

struct RawConnection::Impl {
  asio::io_context context;
  beast::tcp_stream stream{context};
  beast::flat_buffer buffer;  // bytes read by read_reply beyond its response
  bool connected = false;
};

RawConnection::RawConnection(std::uint16_t port, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>()) {
  impl_->connected = !connect(impl_->context, impl_->stream, port, timeout);
}

RawConnection::~RawConnection() {
  error_code ignored;
  impl_->stream.socket().close(ignored);
}

bool RawConnection::connected() const { return impl_->connected; }

bool RawConnection::send(std::string_view bytes, std::chrono::milliseconds timeout) {
  error_code result = asio::error::would_block;
  impl_->stream.expires_after(timeout);
  asio::async_write(impl_->stream, asio::buffer(bytes.data(), bytes.size()),
                    [&](error_code ec, std::size_t) { result = ec; });
  run(impl_->context);
  return !result;
}

void RawConnection::half_close() {
  error_code ignored;
  impl_->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

RawConnection::Received RawConnection::read_until_closed(std::chrono::milliseconds timeout) {
  Received received;
  auto pending = impl_->buffer.data();
  received.bytes.assign(static_cast<const char*>(pending.data()), pending.size());
  impl_->buffer.clear();
  ReadLoop reader{impl_->stream, received.bytes, received.closed};
  impl_->stream.expires_after(timeout);
  reader.start();
  run(impl_->context);
  return received;
}

Reply RawConnection::read_reply(std::chrono::milliseconds timeout) {
  http::response_parser<http::string_body> parser;
  parser.body_limit(kReplyBodyLimit);
  error_code ec;
  impl_->stream.expires_after(timeout);
  http::async_read(impl_->stream, impl_->buffer, parser,
                   [&](error_code e, std::size_t) { ec = e; });
  run(impl_->context);
  if (ec) return failed("read", ec);
  return to_reply(parser.release());
}

// --- parsing what came back --------------------------------------------------

std::vector<Reply> parse_replies(std::string_view raw) {
  std::vector<Reply> replies;
  while (!raw.empty()) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(kReplyBodyLimit);
    parser.eager(true);
    error_code ec;
    std::size_t used = 0;
    while (!parser.is_done() && !ec) {
      std::size_t n = parser.put(asio::buffer(raw.data() + used, raw.size() - used), ec);
      used += n;
      if (n == 0 && !ec) break;
    }
    if (!parser.is_done()) {
      // A body delimited by the end of the connection: what came is all of it.
      if (ec == http::error::need_more && parser.is_header_done() && parser.need_eof()) {
        ec = {};
        parser.put_eof(ec);
        if (!ec) replies.push_back(to_reply(parser.release()));
      }
      break;
    }
    replies.push_back(to_reply(parser.release()));
    raw.remove_prefix(used);
  }
  return replies;
}

std::vector<int> status_codes(std::string_view raw) {
  std::vector<int> codes;
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  for (std::size_t at = raw.find("HTTP/1."); at != std::string_view::npos;
       at = raw.find("HTTP/1.", at + 1)) {
    std::string_view rest = raw.substr(at);
    if (rest.size() < 13 || (rest[7] != '0' && rest[7] != '1') || rest[8] != ' ' ||
        !digit(rest[9]) || !digit(rest[10]) || !digit(rest[11]) || rest[12] != ' ') {
      continue;
    }
    codes.push_back((rest[9] - '0') * 100 + (rest[10] - '0') * 10 + (rest[11] - '0'));
  }
  return codes;
}

}  // namespace jwtguard::testing
