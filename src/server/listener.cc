#include "listener.h"

#include <array>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include "connection_limits.h"
#include "request_parser.h"

namespace jwtguard::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using SteadyClock = std::chrono::steady_clock;
// A socket bound to one io_context's executor: no type-erased executor on
// the request path.
using Socket = asio::basic_stream_socket<tcp, asio::io_context::executor_type>;

// Timeouts are deadlines that each I/O thread checks every kSweepInterval,
// instead of an Asio timer armed and cancelled several times per request
// (each of which may reprogram the reactor's timerfd, a system call): a
// timeout fires up to kSweepInterval late.
constexpr std::chrono::milliseconds kSweepInterval{250};

constexpr std::size_t kReadChunk = 4096;
// After a 413/431/400 the client may still be sending; reading (and
// dropping) what it sends for a moment lets it see the response instead of
// a reset.
constexpr std::chrono::milliseconds kLingerTime{500};
constexpr std::size_t kLingerBytes = 256 * 1024;
// A connection's read buffer up to this size is not counted against the
// budget of buffered request bytes: the connection cap bounds those.
constexpr std::size_t kUncountedBuffer = 2 * kReadChunk;
// After EMFILE with no connection to close, the next accept waits this long
// (the backlog keeps the pending connections meanwhile).
constexpr std::chrono::milliseconds kAcceptRetry{100};
constexpr std::string_view kBudgetExceeded =
    "Too many requests are being received at once. Try again";

// What every connection shares with the Listener.
struct Shared {
  const Service& service;
  RequestObserver observer;
  ListenerOptions options;
  asio::thread_pool workers;  // store writes
  asio::thread_pool hashers;  // Argon2id: register and login
  // Each route that hashes waits for the hashers within a budget of its own
  // (RouteSpec::queued_hashes_per_worker), so a flood of registrations
  // cannot take the room logins need.
  std::array<std::atomic<std::size_t>, kRouteCount> queued_hashes_by_route{};
  std::atomic<bool> draining{false};
  // Connections accepted and not yet destroyed.
  std::atomic<std::size_t> live{0};
  std::size_t max_connections;
  // Request bytes held by all connections (see Connection::account()).
  ByteBudget buffered;
  std::mutex mutex;
  std::condition_variable all_closed;

  Shared(const Service& s, RequestObserver o, const ListenerOptions& opts)
      : service(s),
        observer(std::move(o)),
        options(opts),
        workers(opts.workers),
        hashers(opts.workers),
        max_connections(connection_cap(opts.max_connections)),
        buffered(opts.header_limit, opts.body_limit) {}

  // Each hash takes ~0.1 s and 64 MiB; more than this many waiting would
  // only be answered after their clients gave up.
  std::size_t max_queued_hashes(Route route) const {
    const RouteSpec* spec = route_spec(route);
    return (spec ? spec->queued_hashes_per_worker : 0) * std::max(1u, options.workers);
  }
  std::atomic<std::size_t>& queued_hashes(Route route) {
    return queued_hashes_by_route[static_cast<std::size_t>(route)];
  }

  void connection_closed() {
    if (live.fetch_sub(1) == 1) {
      std::lock_guard lock(mutex);
      all_closed.notify_all();
    }
  }
};

Request error_request() {
  Request request;
  request.version(11);
  request.keep_alive(false);
  return request;
}

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // The acceptor has counted the connection in `shared.live` already; the
  // destructor uncounts it.
  Connection(Socket socket, Shared& shared)
      : socket_(std::move(socket)),
        buffer_(shared.options.header_limit + shared.options.body_limit + kReadChunk),
        shared_(shared) {
    error_code ec;
    socket_.set_option(tcp::no_delay(true), ec);
    auto remote = socket_.remote_endpoint(ec);
    if (!ec) peer_.address = remote.address().to_string();
  }
  ~Connection() {
    shared_.buffered.update(held_, 0);
    shared_.connection_closed();
  }

  void start() { wait_for_request(); }

  // SIGTERM: a connection waiting for its next request closes now; one with
  // a request under way closes after answering it.
  void drain() {
    if (state_ != State::kIdle || request_waiting()) return;
    error_code ec;
    socket_.cancel(ec);
  }

  // How willing this connection is to be closed to make room for a new one:
  // one waiting for a request (the longest idle first), then one still
  // receiving its request (the one that started first: the slowest). A
  // connection whose request is being handled or answered is not closed.
  std::optional<EvictionRank> eviction_rank() const {
    if (state_ == State::kIdle) return EvictionRank{0, idle_since_};
    if (state_ == State::kReading) return EvictionRank{1, started_};
    return std::nullopt;
  }

  // Closes the connection now, to free its descriptor for a new client.
  void evict() { close(); }

  // Called by the sweep: ends the operation under way when its time is up.
  void expire_if_due(SteadyClock::time_point now) {
    if (now < deadline_) return;
    deadline_ = SteadyClock::time_point::max();
    error_code ec;
    socket_.cancel(ec);  // the pending read or write completes with an error and closes
  }

 private:
  enum class State { kIdle, kReading, kBusy, kClosing };

  // Whether bytes of a next request are here already: during a stop such a
  // request is still answered (with Connection: close), since its client
  // cannot tell whether it was acted on if the connection just closes.
  bool request_waiting() {
    error_code ec;
    return buffer_.size() > 0 || (socket_.available(ec) > 0 && !ec);
  }

  void wait_for_request() {
    if (shared_.draining.load() && !request_waiting()) return close();
    state_ = State::kIdle;
    if (buffer_.size() > 0) return start_request();  // a pipelined request
    idle_since_ = SteadyClock::now();
    release_idle_memory();
    set_deadline(shared_.options.idle_timeout);
    socket_.async_read_some(buffer_.prepare(kReadChunk),
                            [self = shared_from_this()](error_code ec, std::size_t n) {
                              self->buffer_.commit(n);
                              if (ec) return self->close();
                              self->start_request();
                            });
  }

  void start_request() {
    state_ = State::kReading;
    started_ = SteadyClock::now();
    parser_.emplace(shared_.options.header_limit, shared_.options.body_limit);
    header_checked_ = false;
    set_deadline(shared_.options.read_timeout);
    parse_buffered();
  }

  // Feeds what the buffer holds to the parser, then dispatches the request,
  // answers an error, or reads more. Reading with read_some and parsing here
  // (instead of Beast's composed async_read) lets a request that arrived in
  // one segment, the usual case, be answered without another trip through
  // the event loop.
  void parse_buffered() {
    error_code ec;
    bool send_continue_now = false;
    while (buffer_.size() > 0 && !parser_->is_done()) {
      std::size_t used = parser_->put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec == http::error::need_more) {
        ec = {};
        break;
      }
      if (ec) return on_read_error(ec);
      // The parser stops after the head (RequestParser): the head is checked,
      // and its declared body reserved, before any of the body is stored.
      if (parser_->is_header_done() && !header_checked_) {
        header_checked_ = true;
        RequestRefusal refusal = check_request_head(*parser_, shared_.options.body_limit);
        if (refusal.error) return respond_error(*refusal.error, refusal.message);
        if (!reserve_declared_body()) return refuse_over_budget();
        parser_->start_body();
        send_continue_now =
            !parser_->is_done() &&
            boost::beast::iequals(parser_->get()[http::field::expect], "100-continue");
      }
    }
    if (!account() && !parser_->is_done()) return refuse_over_budget();
    if (parser_->is_done()) return dispatch();
    if (send_continue_now) return send_continue();
    read_more();
  }

  void read_more() {
    std::size_t room = buffer_.max_size() - buffer_.size();
    if (room == 0) return respond_error(ServiceError::kHeaderTooLarge);
    socket_.async_read_some(buffer_.prepare(std::min(room, kReadChunk)),
                            [self = shared_from_this()](error_code ec, std::size_t n) {
                              self->buffer_.commit(n);
                              if (ec) return self->close();  // end of stream, reset, timeout
                              self->parse_buffered();
                            });
  }

  void send_continue() {
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    asio::async_write(socket_, asio::buffer(kContinue.data(), kContinue.size()),
                      [self = shared_from_this()](error_code ec, std::size_t) {
                        if (ec) return self->close();
                        self->read_more();
                      });
  }

  // A parser error: the request is too large, or the bytes are not HTTP/1.1.
  void on_read_error(error_code ec) { respond_error(parse_error_name(ec)); }

  // Hands the request to the Service: on this thread when it answers from
  // memory, on a worker when it may block.
  void dispatch() {
    state_ = State::kBusy;
    deadline_ = SteadyClock::time_point::max();
    request_ = parser_->release();
    parser_.reset();
    account();
    outcome_ = {};
    match_ = shared_.service.route(request_);
    Service::Work work = shared_.service.work(match_.route);
    if (work == Service::Work::kInline) return respond(handle());
    bool hashing = work == Service::Work::kPasswordHash;
    std::atomic<std::size_t>& queued = shared_.queued_hashes(match_.route);
    if (hashing && queued.fetch_add(1) >= shared_.max_queued_hashes(match_.route)) {
      queued.fetch_sub(1);
      Response busy = shared_.service.errors().make(request_, ServiceError::kOverloaded);
      busy.set(http::field::retry_after, "1");
      return respond(std::move(busy));
    }
    auto& pool = hashing ? shared_.hashers : shared_.workers;
    asio::post(pool, [self = shared_from_this(), hashing, &queued]() mutable {
      Response response = self->handle();
      if (hashing) queued.fetch_sub(1);
      auto executor = self->socket_.get_executor();
      asio::post(executor, [self = std::move(self), response = std::move(response)]() mutable {
        self->respond(std::move(response));
      });
    });
  }

  Response handle() {
    try {
      Handled handled = shared_.service.handle(request_, match_, peer_);
      outcome_ = std::move(handled.outcome);
      return std::move(handled.response);
    } catch (const std::exception&) {
      // Nothing in the handlers throws by design; a bad_alloc still gets an
      // answer rather than a dropped connection.
      outcome_.route = match_.route;
      return shared_.service.errors().make(request_, ServiceError::kInternal);
    }
  }

  void respond_error(ServiceError error, std::string_view message = {}) {
    respond(error_response(error, message));
  }

  // The response to a request refused before it was handled; the
  // connection closes after it.
  Response error_response(ServiceError error, std::string_view message) {
    Request request = error_request();
    if (parser_ && parser_->is_header_done()) {
      request.version(parser_->get().version());
      // method(verb) throws for verb::unknown; the string form takes any.
      request.method_string(parser_->get().method_string());
    }
    request_ = request;  // what record() logs, not the previous request
    outcome_ = {};
    state_ = State::kBusy;
    return shared_.service.errors().make(request, error, message);
  }

  void respond(Response response) {
    if (shared_.draining.load()) response.keep_alive(false);
    response_ = std::move(response);
    record();
    serialize();
    set_deadline(shared_.options.read_timeout);
    asio::async_write(socket_, asio::buffer(output_),
                      [self = shared_from_this()](error_code ec, std::size_t) {
                        if (ec) return self->close();
                        if (self->response_.need_eof()) return self->linger_then_close();
                        self->wait_for_request();
                      });
  }

  // The response as bytes, written with one send: the head from Beast's
  // fields (keep_alive() and prepare_payload() have set Connection and
  // Content-Length there), then the body.
  void serialize() {
    if (response_.find(http::field::content_length) == response_.end() &&
        response_.find(http::field::transfer_encoding) == response_.end()) {
      response_.content_length(response_.body().size());
    }
    output_.clear();
    output_ += response_.version() == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
    output_ += std::to_string(response_.result_int());
    output_ += ' ';
    output_ += response_.reason();
    output_ += "\r\n";
    for (const auto& field : response_) {
      output_ += field.name_string();
      output_ += ": ";
      output_ += field.value();
      output_ += "\r\n";
    }
    output_ += "\r\n";
    output_ += response_.body();
  }

  void record() {
    auto latency = SteadyClock::now() - started_;
    int status = static_cast<int>(response_.result_int());
    shared_.service.metrics().record_request(outcome_.route, status, latency);
    if (shared_.observer) {
      shared_.observer({request_.method(), outcome_.route, status, latency, &outcome_.subject,
                        outcome_.client.empty() ? &peer_.address : &outcome_.client});
    }
  }

  void linger_then_close() {
    state_ = State::kClosing;
    error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return close();
    set_deadline(kLingerTime);
    discard();
  }

  void discard() {
    buffer_.clear();
    socket_.async_read_some(buffer_.prepare(kReadChunk),
                            [self = shared_from_this()](error_code ec, std::size_t n) {
                              self->lingered_ += n;
                              if (ec || self->lingered_ > kLingerBytes) return self->close();
                              self->discard();
                            });
  }

  // A connection waiting for its next request keeps no request bytes: the
  // last request (its body included) is freed, and a read buffer that grew
  // for a large request shrinks back.
  void release_idle_memory() {
    request_ = {};
    if (buffer_.capacity() > kUncountedBuffer) buffer_.shrink_to_fit();
    account();
  }

  // Updates this connection's share of the buffered request bytes (its read
  // buffer beyond kUncountedBuffer, and the body being received). False when
  // all connections together now hold more than the budget.
  bool account() {
    std::size_t held = buffer_.capacity() > kUncountedBuffer ? buffer_.capacity() : 0;
    if (parser_) held += parser_->get().body().capacity();
    return shared_.buffered.update(held_, held);
  }

  // Counts a Content-Length body against the budget before the parser
  // allocates it (Beast reserves the whole declared length at once). False
  // when it does not fit.
  bool reserve_declared_body() {
    auto length = parser_->content_length();
    if (!length || *length == 0) return true;
    // account() replaces it with the body's capacity
    return shared_.buffered.reserve(held_, *length);
  }

  // Over the budget, the request that asked for more memory is refused (503,
  // and the connection closes) and what it held is freed: a flood of slow
  // partial bodies cannot grow the process without bound, and requests that
  // arrive whole, the usual case, rarely hold memory long enough to count.
  void refuse_over_budget() {
    Response response = error_response(ServiceError::kOverloaded, kBudgetExceeded);
    response.set(http::field::retry_after, "1");
    parser_.reset();
    buffer_.clear();
    buffer_.shrink_to_fit();
    account();
    respond(std::move(response));
  }

  void close() {
    state_ = State::kClosing;
    error_code ec;
    deadline_ = SteadyClock::time_point::max();
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }

  void set_deadline(std::chrono::milliseconds timeout) { deadline_ = SteadyClock::now() + timeout; }

  Socket socket_;
  SteadyClock::time_point deadline_ = SteadyClock::time_point::max();
  beast::flat_buffer buffer_;
  Shared& shared_;
  Peer peer_;
  std::optional<RequestParser> parser_;
  Request request_;
  RouteMatch match_;  // request_'s route, found once
  Response response_;
  std::string output_;  // response_ serialized; reused, so it rarely allocates
  Outcome outcome_;
  SteadyClock::time_point started_;
  SteadyClock::time_point idle_since_ = SteadyClock::now();
  std::size_t held_ = 0;  // this connection's part of shared_.buffered
  State state_ = State::kIdle;
  bool header_checked_ = false;
  std::size_t lingered_ = 0;
};

// One I/O thread with its own io_context, and the connections it serves
// (touched only from that thread).
struct Slot {
  asio::io_context context{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{context.get_executor()};
  asio::steady_timer sweeper{context};
  std::vector<std::weak_ptr<Connection>> connections;
  std::thread thread;

  void start() {
    sweep_later();
    thread = std::thread([this] { context.run(); });
  }

  // Closes the connection most willing to go (the lowest EvictionRank).
  // False when no connection of this thread may be closed.
  bool evict_one() {
    std::shared_ptr<Connection> victim;
    std::optional<EvictionRank> lowest;
    for (const auto& weak : connections) {
      auto connection = weak.lock();
      if (!connection) continue;
      auto rank = connection->eviction_rank();
      if (rank && (!lowest || *rank < *lowest)) {
        lowest = rank;
        victim = std::move(connection);
      }
    }
    if (!victim) return false;
    victim->evict();
    return true;
  }

  // Expires the connections whose deadline passed, and forgets closed ones.
  void sweep_later() {
    sweeper.expires_after(kSweepInterval);
    sweeper.async_wait([this](error_code ec) {
      if (ec) return;
      auto now = SteadyClock::now();
      std::erase_if(connections, [now](const std::weak_ptr<Connection>& weak) {
        auto connection = weak.lock();
        if (!connection) return true;
        connection->expire_if_due(now);
        return false;
      });
      sweep_later();
    });
  }
};

}  // namespace

class Listener::Impl {
 public:
  Impl(const ListenerOptions& options, const Service& service, RequestObserver observer)
      : shared_(service, std::move(observer), options) {
    for (unsigned i = 0; i < std::max(1u, options.threads); ++i) {
      slots_.push_back(std::make_unique<Slot>());
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
    if (cut > 0) {
      shared_.workers.stop();
      shared_.hashers.stop();
    }
    for (auto& slot : slots_) slot->context.stop();
    for (auto& slot : slots_) {
      if (slot->thread.joinable()) slot->thread.join();
    }
    shared_.workers.join();
    shared_.hashers.join();
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
    Slot& slot = *slots_[index];
    // The socket belongs to the slot's io_context; the acceptor runs on slot 0.
    accepting_.emplace(slot.context.get_executor());
    acceptor_->async_accept(*accepting_, [this, index, &slot](error_code ec) {
      if (ec == asio::error::operation_aborted || !acceptor_->is_open()) return;
      if (ec) return on_accept_error(ec);
      // At the cap, an idle (or the slowest) connection makes room: the new
      // client is served, and holding connections open cannot lock it out.
      if (shared_.live.fetch_add(1) >= shared_.max_connections) make_room(index, 0, nullptr);
      asio::post(slot.context, [this, &slot, socket = std::move(*accepting_)]() mutable {
        auto connection = std::make_shared<Connection>(std::move(socket), shared_);
        slot.connections.push_back(connection);
        connection->start();
      });
      accept();
    });
  }

  // Asks the I/O thread `index`, then the others in turn, to close one
  // connection (Slot::evict_one), each on its own thread. `then(closed)`,
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

  Shared shared_;
  std::vector<std::unique_ptr<Slot>> slots_;
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
