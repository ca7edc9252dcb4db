// One client connection of the listener (listener.h has the behaviour it
// serves): it reads requests one at a time, has the Service answer each on
// its I/O thread or through the worker pools, and writes the responses back
// in order. The I/O in Beast's session style; the answers are the Service's.
#ifndef JWTGUARD_SERVER_CONNECTION_H_
#define JWTGUARD_SERVER_CONNECTION_H_

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>

#include "connection_limits.h"
#include "listener.h"
#include "service.h"
#include "worker_pools.h"

namespace jwtguard::server {

// A socket bound to one io_context's executor: no type-erased executor on
// the request path.
using Socket =
    boost::asio::basic_stream_socket<boost::asio::ip::tcp, boost::asio::io_context::executor_type>;

// What every connection shares with the Listener. Thread-safe where noted.
struct ListenerShared {
  ListenerShared(const Service& service, RequestObserver observer, const ListenerOptions& options);

  // Called by each connection as it is destroyed (thread-safe): the last one
  // wakes a shutdown waiting on all_closed.
  void connection_closed();

  const Service& service;
  RequestObserver observer;
  ListenerOptions options;
  WorkerPools pools;
  std::atomic<bool> draining{false};  // a graceful stop is under way
  // Connections accepted and not yet destroyed.
  std::atomic<std::size_t> live{0};
  std::size_t max_connections;
  // Request bytes held by all connections while receiving requests.
  ByteBudget buffered;
  std::mutex mutex;
  std::condition_variable all_closed;
};

// A connection, created by the acceptor and touched afterwards only from the
// I/O thread that owns its socket. It keeps itself alive while an operation
// is pending and is destroyed once closed.
class Connection {
 public:
  // Starts serving `socket`. The acceptor has counted the connection in
  // `shared.live` already; its destruction uncounts it. `shared` must
  // outlive it.
  static std::shared_ptr<Connection> start(Socket socket, ListenerShared& shared);
  virtual ~Connection() = default;

  // SIGTERM: a connection waiting for its next request closes now; one with
  // a request under way (or one already in its read buffer) closes after
  // answering it.
  virtual void drain() = 0;

  // How willing this connection is to be closed to make room for a new one:
  // one waiting for a request (the longest idle first), then one still
  // receiving its request (the one that started first: the slowest). None
  // while its request is being handled or answered: it is not closed.
  virtual std::optional<EvictionRank> eviction_rank() const = 0;

  // Closes the connection now, to free its descriptor for a new client.
  virtual void evict() = 0;

  // Called by the I/O thread's sweep: ends the operation under way (a read
  // or a write) when its deadline has passed.
  virtual void expire_if_due(std::chrono::steady_clock::time_point now) = 0;
};

}  // namespace jwtguard::server

#endif  // JWTGUARD_SERVER_CONNECTION_H_
