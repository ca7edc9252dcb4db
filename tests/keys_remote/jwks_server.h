// A small HTTP server on a loopback ephemeral port, for the remote key
// source's tests: it answers each path as told (status, body, Cache-Control,
// a delay, a redirect, a body larger than announced or without end, or a
// closed connection) and counts the requests it received. One thread
// accepts; each connection gets its own, so a slow answer holds no other.
#ifndef JWTGUARD_TESTS_KEYS_REMOTE_JWKS_SERVER_H_
#define JWTGUARD_TESTS_KEYS_REMOTE_JWKS_SERVER_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>  // before Boost 1.74's Asio, which uses std::exchange without it
#include <vector>

namespace jwtguard::testing {

struct Answer {
  enum class Kind {
    kNormal,   // status line, headers, body with Content-Length
    kEndless,  // a 200 without Content-Length whose body never ends
    kClose,    // the connection closed without a word
  };
  int status = 200;
  std::string body;
  std::string cache_control;           // sent when not empty
  std::string location;                // sent when not empty
  std::chrono::milliseconds delay{0};  // before anything is sent
  Kind kind = Kind::kNormal;
};

class JwksServer {
 public:
  // Listens on 127.0.0.1 at a port the system picks. Unknown paths: 404.
  JwksServer();
  ~JwksServer();
  JwksServer(const JwksServer&) = delete;
  JwksServer& operator=(const JwksServer&) = delete;

  std::uint16_t port() const { return port_; }
  // http://127.0.0.1:<port><path>
  std::string url(std::string_view path = "/jwks") const;

  void answer(const std::string& path, Answer answer);
  // Requests received so far, in all or for one path.
  int requests() const;
  int requests(const std::string& path) const;

  // Closes the listening socket and ends every connection (a delayed or
  // endless answer stops within a few milliseconds). Idempotent.
  void stop();

 private:
  struct State;
  void accept_loop();

  std::unique_ptr<State> state_;
  std::uint16_t port_ = 0;
  std::thread acceptor_;
};

// {"keys": [...]} of the given public JWKs (JSON texts).
std::string jwks_document(const std::vector<std::string>& jwks);

}  // namespace jwtguard::testing

#endif  // JWTGUARD_TESTS_KEYS_REMOTE_JWKS_SERVER_H_
