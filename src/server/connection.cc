#include "connection.h"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <string>

#include "request_parser.h"

namespace jwtguard::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using SteadyClock = std::chrono::steady_clock;

constexpr std::size_t kReadChunk = 4096;
// After a 413/431/400 the client may still be sending; reading (and
// dropping) what it sends for a moment lets it see the response instead of
// a reset.
constexpr std::chrono::milliseconds kLingerTime{500};
constexpr std::size_t kLingerBytes = 256 * 1024;
// A connection's read buffer up to this size is not counted against the
// budget of buffered request bytes: the connection cap bounds those.
constexpr std::size_t kUncountedBuffer = 2 * kReadChunk;
constexpr std::string_view kBudgetExceeded =
    "Too many requests are being received at once. Try again";

Request error_request() {
  Request request;
  request.version(11);
  request.keep_alive(false);
  return request;
}

class ConnectionImpl final : public Connection,
                             public std::enable_shared_from_this<ConnectionImpl> {
 public:
  ConnectionImpl(Socket socket, ListenerShared& shared)
      : socket_(std::move(socket)),
        buffer_(shared.options.header_limit + shared.options.body_limit + kReadChunk),
        shared_(shared) {
    error_code ec;
    socket_.set_option(tcp::no_delay(true), ec);
    auto remote = socket_.remote_endpoint(ec);
    if (!ec) peer_.address = remote.address().to_string();
  }
  ~ConnectionImpl() override {
    shared_.buffered.update(held_, 0);
    shared_.connection_closed();
  }

  void serve() { wait_for_request(); }

  void drain() override {
    if (state_ != State::kIdle || request_waiting()) return;
    error_code ec;
    socket_.cancel(ec);
  }

  std::optional<EvictionRank> eviction_rank() const override {
    if (state_ == State::kIdle) return EvictionRank{0, idle_since_};
    if (state_ == State::kReading) return EvictionRank{1, started_};
    return std::nullopt;
  }

  void evict() override { close(); }

  void expire_if_due(SteadyClock::time_point now) override {
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
    deadline_ = idle_since_ + shared_.options.idle_timeout;
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
    deadline_ = started_ + shared_.options.read_timeout;
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
        send_continue_now = !parser_->is_done() &&
                            iequals_ascii(parser_->get()[http::field::expect], "100-continue");
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
    bool queued = shared_.pools.submit(
        match_.route, work, [self = shared_from_this()] { return self->handle(); },
        [self = shared_from_this()](Response response) mutable {
          auto executor = self->socket_.get_executor();
          asio::post(executor, [self = std::move(self), response = std::move(response)]() mutable {
            self->respond(std::move(response));
          });
        });
    if (!queued) {
      Response busy = shared_.service.errors()->make(request_, ServiceError::kOverloaded);
      busy.set(http::field::retry_after, "1");
      respond(std::move(busy));
    }
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
      return shared_.service.errors()->make(request_, ServiceError::kInternal);
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
    return shared_.service.errors()->make(request, error, message);
  }

  void respond(Response response) {
    if (shared_.draining.load()) response.keep_alive(false);
    response_ = std::move(response);
    // One clock read for the latency and the write's deadline.
    const SteadyClock::time_point now = SteadyClock::now();
    record(now);
    serialize();
    deadline_ = now + shared_.options.read_timeout;
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

  void record(SteadyClock::time_point now) {
    auto latency = now - started_;
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
  ListenerShared& shared_;
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

}  // namespace

ListenerShared::ListenerShared(const Service& s, RequestObserver o, const ListenerOptions& opts)
    : service(s),
      observer(std::move(o)),
      options(opts),
      pools(opts.workers),
      max_connections(connection_cap(opts.max_connections)),
      buffered(opts.header_limit, opts.body_limit) {}

void ListenerShared::connection_closed() {
  if (live.fetch_sub(1) == 1) {
    std::lock_guard lock(mutex);
    all_closed.notify_all();
  }
}

std::shared_ptr<Connection> Connection::start(Socket socket, ListenerShared& shared) {
  auto connection = std::make_shared<ConnectionImpl>(std::move(socket), shared);
  connection->serve();
  return connection;
}

}  // namespace jwtguard::server
