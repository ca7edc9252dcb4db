// The I/O layer: Boost.Beast HTTP/1.1 over Asio, serving a Service.
//
// Threads: `threads` I/O threads, each running its own io_context, and two
// pools of `workers` threads for requests that may block (Service::work()):
// one for store writes, one for password hashing. Logins beyond 32 per
// worker waiting for a hash, and registrations beyond 8 per worker (a budget
// of their own), are answered 503 "overloaded" at once. One acceptor hands connections to
// the I/O threads in turn; a connection stays on its thread, so a connection needs no locks.
//
// Per connection: keep-alive; requests are answered one at a time and in
// order (pipelined requests wait in the read buffer, whose size bounds how
// far a client can read ahead). A connection with no request under way is
// closed after idle_timeout; a request must arrive in full within
// read_timeout of its first byte, and its response be written within
// read_timeout. Timeouts are checked four times a second, so they fire up to
// 250 ms late. Bodies over body_limit get 413, request heads over
// header_limit 431, and unparseable requests 400; each then closes the
// connection (request_parser.h has the checks).
//
// Limits on what clients can hold: at most max_connections connections are
// open; when a new one arrives at the cap, the longest-idle connection (or,
// with none idle, the one receiving its request for the longest time) of the
// I/O thread taking the new one, else of another thread, is closed. Only
// when every connection is in the middle of handling or answering a request
// does the count exceed the cap (while descriptors last; an accept that fails
// for want of them closes a connection and retries). Request bytes held
// while requests are being received (read buffers past 8 KiB, partial
// bodies, a declared Content-Length in full from the end of the head) count
// against one budget of 32 MiB (or 8 requests of the largest size, when
// more): a request that would go past it is answered 503
// "overloaded" with Retry-After: 1, and its connection closes.
//
// The parts: the accept loop and the stop (listener.cc), an I/O thread and
// its connections (io_thread.h), one connection's session (connection.h),
// and the hand-off to the worker pools (worker_pools.h).
#ifndef JWTGUARD_SERVER_LISTENER_H_
#define JWTGUARD_SERVER_LISTENER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "jwtguard/error.h"
#include "service.h"

namespace jwtguard::server {

struct ListenerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  // 0: any free port (see Listener::port())
  unsigned threads = 1;
  unsigned workers = 1;
  std::size_t body_limit = 64 * 1024;
  std::size_t header_limit = 16 * 1024;
  std::chrono::milliseconds read_timeout{10'000};
  std::chrono::milliseconds idle_timeout{60'000};
  // Connections open at once; 0: the soft RLIMIT_NOFILE less a reserve of
  // 64 + 1/32 of it for other descriptors. A larger value is lowered to that.
  std::size_t max_connections = 0;
};

// What the access log receives for every answered request, on the thread
// that answered it.
struct RequestRecord {
  http::verb method;
  Route route;
  int status;
  std::chrono::nanoseconds latency;
  const std::string* subject;
  const std::string* client;
};
using RequestObserver = std::function<void(const RequestRecord&)>;

class Listener {
 public:
  // Binds and starts serving. `service` must outlive the Listener.
  // kInvalidArgument for a bad host; kStore is not used; binding failures
  // are kInvalidArgument with the system's message.
  static Result<std::unique_ptr<Listener>> start(const ListenerOptions& options,
                                                 const Service& service, RequestObserver observer);
  // Stops at once (as shutdown() with no grace).
  ~Listener();

  std::uint16_t port() const;
  // The connection cap in force (ListenerOptions::max_connections, resolved).
  std::size_t max_connections() const;

  // The graceful stop of SIGTERM: stop accepting, close connections that
  // are idle, let requests under way finish (their connections close after
  // the response), then stop the threads. Connections still busy after
  // `grace` are cut. Returns the number of connections that were cut.
  std::size_t shutdown(std::chrono::milliseconds grace);

 private:
  class Impl;
  explicit Listener(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace jwtguard::server

#endif  // JWTGUARD_SERVER_LISTENER_H_
