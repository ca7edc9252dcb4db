// A small synchronous HTTP/1.1 client for tests that talk to an in-process
// server over loopback, on Boost.Beast.
//
// Nothing here can hang a test: every connect, write and read runs under a
// deadline (beast::tcp_stream::expires_after), and a deadline that passes is
// reported as a failed exchange, never waited out twice. Nothing throws:
// transport failures come back as a Reply with status 0 and `error` set.
#ifndef JWTGUARD_TESTS_SERVER_HTTP_CLIENT_H_
#define JWTGUARD_TESTS_SERVER_HTTP_CLIENT_H_

#include <boost/beast/http/verb.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace jwtguard::testing {

namespace http = boost::beast::http;

using Headers = std::vector<std::pair<std::string, std::string>>;

// {"Authorization", "Bearer <token>"}.
Headers bearer(std::string_view token);

struct Reply {
  int status = 0;     // 0: no response; `error` says why
  std::string error;  // the transport failure, when there is one
  Headers headers;    // in the order received
  std::string body;
  bool keep_alive = false;

  // The first header named `name` (case-insensitively), or empty.
  std::string header(std::string_view name) const;
  bool has_header(std::string_view name) const;
  // The body as JSON; a discarded value when it is not JSON.
  nlohmann::json json() const;
  // The body's "msg" member, or empty.
  std::string msg() const;
};

// One keep-alive connection to 127.0.0.1:port, opened on the first request
// and again after the server (or a failure) closed it.
class HttpClient {
 public:
  explicit HttpClient(std::uint16_t port,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request and reads its response, each within the timeout.
  // Adds Host, and User-Agent unless `headers` has one; sets Content-Type
  // when `content_type` is not empty and Content-Length whenever there is a
  // body or the method usually has one.
  Reply request(http::verb method, std::string_view target, const Headers& headers = {},
                std::string body = {}, std::string_view content_type = {});

  Reply get(std::string_view target, const Headers& headers = {});
  Reply del(std::string_view target, const Headers& headers = {});
  Reply post(std::string_view target, const Headers& headers = {});
  Reply post_json(std::string_view target, const nlohmann::json& body, const Headers& headers = {});
  Reply post_form(std::string_view target, std::string form, const Headers& headers = {});

  // TCP connections opened so far (stays 1 while keep-alive holds).
  int connections_opened() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// What to do with the sending side once the bytes are written.
enum class AfterSend {
  kHalfClose,  // shut it down: the server reads end-of-stream after the bytes
  kKeepOpen,   // leave it open: the server decides when to close
};

// Writes `bytes` on a fresh connection to 127.0.0.1:port while reading
// whatever comes back, until the server closes the connection or `timeout`
// passes (then what came so far). Empty when the connection failed.
// `closed`, when given, says whether the server closed the connection.
std::string raw_exchange(std::uint16_t port, std::string_view bytes,
                         std::chrono::milliseconds timeout, AfterSend after = AfterSend::kHalfClose,
                         bool* closed = nullptr);

// A raw connection driven step by step, for tests of the server's timeouts
// and of exchanges in several acts (Expect: 100-continue).
class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5));
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const;
  // False when the write failed or did not finish within the timeout.
  bool send(std::string_view bytes, std::chrono::milliseconds timeout = std::chrono::seconds(5));
  void half_close();

  struct Received {
    std::string bytes;
    bool closed = false;  // the server closed (or reset) the connection
  };
  // Reads until the server closes the connection or `timeout` passes.
  Received read_until_closed(std::chrono::milliseconds timeout);
  // Reads one response (an interim 100 Continue counts as one).
  Reply read_reply(std::chrono::milliseconds timeout = std::chrono::seconds(5));

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The responses in `raw` (what raw_exchange returned), parsed in order up to
// the first that is incomplete or not HTTP. Responses to HEAD confuse it.
std::vector<Reply> parse_replies(std::string_view raw);

// The status codes of every status line in `raw` ("HTTP/1.x NNN "
// anywhere: a response follows the previous body without a line break),
// without parsing bodies, so usable on any byte stream the server wrote,
// HEAD responses included. A body that contains such text counts too.
std::vector<int> status_codes(std::string_view raw);

}  // namespace jwtguard::testing

#endif  // JWTGUARD_TESTS_SERVER_HTTP_CLIENT_H_
