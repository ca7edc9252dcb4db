// One I/O thread of the listener: its own io_context, and the connections it
// serves. Connections are touched only from this thread, so they need no
// locks; other threads reach them by posting to `context`.
//
// Timeouts are deadlines that the thread checks every 250 ms (a sweep),
// instead of an Asio timer armed and cancelled several times per request
// (each of which may reprogram the reactor's timerfd, a system call): a
// timeout fires up to 250 ms late.
#ifndef JWTGUARD_SERVER_IO_THREAD_H_
#define JWTGUARD_SERVER_IO_THREAD_H_

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <thread>
#include <vector>

#include "connection.h"

namespace jwtguard::server {

struct IoThread {
  // Starts the sweep and the thread; the context runs until stopped.
  void start();

  // Closes the connection most willing to go (the lowest EvictionRank).
  // False when no connection of this thread may be closed. On this thread.
  bool evict_one();

  boost::asio::io_context context{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{
      context.get_executor()};
  boost::asio::steady_timer sweeper{context};
  std::vector<std::weak_ptr<Connection>> connections;  // closed ones go at the next sweep
  std::thread thread;

 private:
  // Expires the connections whose deadline passed, and forgets closed ones.
  void sweep_later();
};

}  // namespace jwtguard::server

#endif  // JWTGUARD_SERVER_IO_THREAD_H_
