// The listener's accept loop and its stop: connections go to the I/O threads
// (io_thread.h) in turn, each served by a Connection (connection.h), whose
// blocking requests go to the worker pools (worker_pools.h).
#include "listener.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <optional>
#include <sstream>
#include <vector>

#include "connection.h"
#include "io_thread.h"

namespace jwtguard::server {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

// After EMFILE with no connection to close, the next accept waits this long
// (the backlog keeps the pending connections meanwhile).
constexpr std::chrono::milliseconds kAcceptRetry{100};

}  // namespace

class Listener::Impl {
 public:
  Impl(const ListenerOptions& options, const Service& service, RequestObserver observer)
      : shared_(service, std::move(observer), options) {
    for (unsigned i = 0; i < std::max(1u, options.threads); ++i) {
      slots_.push_back(std::make_unique<IoThread>());
    }
  }

  ~Impl() { shutdown(std::chrono::milliseconds(0)); }

  Result<void> bind(const std::string& host, std::uint16_t port) {
    error_code ec;
    auto address = asio::ip::make_address(host, ec);
    if (ec) return fail(Errc::kInvalidArgument, "listen: '" + host + "' is not an IP address");
    tcp::endpoint endpoint(address, port);
    acceptor_.emplace(slots_[0]->context);
    if (acceptor_->open(endpoint.protocol(), ec); ec) return bind_error(endpoint, ec);
    acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
    if (acceptor_->bind(endpoint, ec); ec) return bind_error(endpoint, ec);
    if (acceptor_->listen(asio::socket_base::max_listen_connections, ec); ec) {
      return bind_error(endpoint, ec);
    }
    port_ = acceptor_->local_endpoint(ec).port();
    return {};
  }

  void run() {
    accept();
    for (auto& slot : slots_) slot->start();
  }

  std::uint16_t port() const { return port_; }
  std::size_t max_connections() const { return shared_.max_connections; }

  std::size_t shutdown(std::chrono::milliseconds grace) {
    if (stopped_) return 0;
    stopped_ = true;
    shared_.draining.store(true);
    asio::post(slots_[0]->context, [this] {
      error_code ec;
      if (acceptor_) acceptor_->close(ec);
    });
    for (auto& slot : slots_) {
      asio::post(slot->context, [slot = slot.get()] {
        for (auto& weak : slot->connections) {
          if (auto connection = weak.lock()) connection->drain();
        }
      });
    }
    {
      std::unique_lock lock(shared_.mutex);
      shared_.all_closed.wait_for(lock, grace, [this] { return shared_.live.load() == 0; });
    }
    std::size_t cut = shared_.live.load();
    // Past the grace period, queued work (a login's hash, a logout's write)
    // is for connections being cut: drop it rather than run it.
    if (cut > 0) shared_.pools.stop();
    for (auto& slot : slots_) slot->context.stop();
    for (auto& slot : slots_) {
      if (slot->thread.joinable()) slot->thread.join();
    }
    shared_.pools.join();
    return cut;
  }

 private:
  static Result<void> bind_error(const tcp::endpoint& endpoint, const error_code& ec) {
    std::ostringstream where;
    where << endpoint;
    return fail(Errc::kInvalidArgument, "cannot listen on " + where.str() + ": " + ec.message());
  }

  void accept() {
    std::size_t index = next_slot_++ % slots_.size();
    IoThread& slot = *slots_[index];
    // The socket belongs to the slot's io_context; the acceptor runs on slot 0.
    accepting_.emplace(slot.context.get_executor());
    acceptor_->async_accept(*accepting_, [this, index, &slot](error_code ec) {
      if (ec == asio::error::operation_aborted || !acceptor_->is_open()) return;
      if (ec) return on_accept_error(ec);
      // At the cap, an idle (or the slowest) connection makes room: the new
      // client is served, and holding connections open cannot lock it out.
      if (shared_.live.fetch_add(1) >= shared_.max_connections) make_room(index, 0, nullptr);
      asio::post(slot.context, [this, &slot, socket = std::move(*accepting_)]() mutable {
        slot.connections.push_back(Connection::start(std::move(socket), shared_));
      });
      accept();
    });
  }

  // Asks the I/O thread `index`, then the others in turn, to close one
  // connection (IoThread::evict_one), each on its own thread. `then(closed)`,
  // when given, runs on the acceptor's thread afterwards.
  void make_room(std::size_t index, std::size_t asked, std::function<void(bool)> then) {
    asio::post(slots_[index]->context, [this, index, asked, then = std::move(then)]() mutable {
      bool closed = slots_[index]->evict_one();
      if (!closed && asked + 1 < slots_.size()) {
        return make_room((index + 1) % slots_.size(), asked + 1, std::move(then));
      }
      if (!then) return;
      asio::post(slots_[0]->context, [then = std::move(then), closed] { then(closed); });
    });
  }

  // Out of descriptors (EMFILE, ENFILE; the cap is below the limit, but the
  // store and other processes' limits also count) or of kernel memory: one
  // connection closes to make room, and the next accept follows at once;
  // with none to close, after kAcceptRetry. The acceptor neither spins on
  // the error nor stops.
  void on_accept_error(const error_code& ec) {
    if (ec == asio::error::connection_aborted) return accept();  // the client left first
    make_room(next_slot_ % slots_.size(), 0, [this](bool closed) {
      if (!acceptor_->is_open()) return;
      if (closed) return accept();
      retry_accept();
    });
  }

  void retry_accept() {
    retry_timer_.emplace(slots_[0]->context, kAcceptRetry);
    retry_timer_->async_wait([this](error_code ec) {
      if (!ec && acceptor_->is_open()) accept();
    });
  }

  ListenerShared shared_;
  std::vector<std::unique_ptr<IoThread>> slots_;
  std::optional<tcp::acceptor> acceptor_;
  std::optional<Socket> accepting_;
  std::optional<asio::steady_timer> retry_timer_;
  std::size_t next_slot_ = 0;
  std::uint16_t port_ = 0;
  bool stopped_ = false;
};

Result<std::unique_ptr<Listener>> Listener::start(const ListenerOptions& options,
                                                  const Service& service,
                                                  RequestObserver observer) {
  auto impl = std::make_unique<Impl>(options, service, std::move(observer));
  if (auto bound = impl->bind(options.host, options.port); !bound) {
    return tl::unexpected(bound.error());
  }
  impl->run();
  return std::unique_ptr<Listener>(new Listener(std::move(impl)));
}

Listener::Listener(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Listener::~Listener() = default;
std::uint16_t Listener::port() const { return impl_->port(); }
std::size_t Listener::max_connections() const { return impl_->max_connections(); }
std::size_t Listener::shutdown(std::chrono::milliseconds grace) { return impl_->shutdown(grace); }

}  // namespace jwtguard::server
