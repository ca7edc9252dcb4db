#include "redis_client.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>

namespace jwtguard::redis {
namespace {

timeval to_timeval(milliseconds d) {
  const auto ms = std::max<std::int64_t>(d.count(), 1);
  return timeval{.tv_sec = static_cast<time_t>(ms / 1000),
                 .tv_usec = static_cast<suseconds_t>(ms % 1000 * 1000)};
}

std::string reply_text(const redisReply& reply) {
  return reply.str != nullptr ? std::string(reply.str, reply.len) : std::string();
}

// Redis never echoes a password in its errors; this makes sure of it.
std::string redacted(std::string text, const std::string& password) {
  if (password.empty()) return text;
  for (auto at = text.find(password); at != std::string::npos; at = text.find(password, at)) {
    text.replace(at, password.size(), "***");
  }
  return text;
}

// What a failed handshake reply means for the operator.
Error handshake_error(const Settings& settings, const Command& command, const redisReply& reply) {
  const std::string where = "redis at " + settings.endpoint.address();
  const std::string text = redacted(reply_text(reply), settings.endpoint.password);
  if (command.label() == "AUTH") {
    return Error(Errc::kStore, where + " refused the credentials: " + text);
  }
  if (text.starts_with("NOAUTH")) {
    return Error(Errc::kStore, where + " requires a password (put it in the URL: " +
                                   "redis://:PASSWORD@HOST:PORT): " + text);
  }
  return Error(Errc::kStore, where + " refused " + command.label() + ": " + text);
}

// hiredis 0.14 writes with write(), not send(MSG_NOSIGNAL): a write to a
// connection Redis reset raises SIGPIPE, which kills a process that did not
// ignore it. SIGPIPE goes to the thread that wrote, so blocking it in this
// thread for the write is enough; one it raised meanwhile is taken off the
// pending set before the mask is restored, so it is never delivered (what
// libpq does). One that was already pending belongs to someone else and
// stays.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &previous_);
    was_pending_ = pending();
  }
  ~SigpipeBlock() {
    if (!was_pending_ && pending()) {
      const timespec no_wait{};
      sigtimedwait(&pipe_, nullptr, &no_wait);
    }
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

 private:
  static bool pending() {
    sigset_t set;
    sigemptyset(&set);
    return sigpending(&set) == 0 && sigismember(&set, SIGPIPE) == 1;
  }

  sigset_t pipe_;
  sigset_t previous_;
  bool was_pending_ = false;
};

}  // namespace

std::optional<std::string> info_field(std::string_view text, std::string_view key) {
  for (std::size_t start = 0; start < text.size();) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.size() > key.size() && line.starts_with(key) && line[key.size()] == ':') {
      return std::string(line.substr(key.size() + 1));
    }
    start = end + 1;
  }
  return std::nullopt;
}

bool version_at_least(std::string_view version, int major, int minor) {
  int found_major = 0;
  int found_minor = 0;
  const char* end = version.data() + version.size();
  auto [dot, ec] = std::from_chars(version.data(), end, found_major);
  if (ec != std::errc() || dot == end || *dot != '.') return false;
  if (std::from_chars(dot + 1, end, found_minor).ec != std::errc()) return false;
  return found_major > major || (found_major == major && found_minor >= minor);
}

// --- Connection ---------------------------------------------------------------

Result<Connection> Connection::open(const Settings& settings) {
  const std::string address = settings.endpoint.address();
  redisContext* raw = redisConnectWithTimeout(
      settings.endpoint.host.c_str(), settings.endpoint.port, to_timeval(settings.connect_timeout));
  if (raw == nullptr) return fail(Errc::kStore, "redis at " + address + ": out of memory");
  Connection connection(raw, address, settings.connect_timeout);
  if (raw->err != 0) {
    return fail(Errc::kStore, "redis at " + address + " unreachable: " + raw->errstr);
  }
  // Without keepalive, a peer that vanished (host down, no RST) would only
  // be noticed when a command times out.
  if (redisEnableKeepAlive(raw) != REDIS_OK) {
    return fail(Errc::kStore,
                "redis at " + address + ": cannot enable TCP keepalive: " + raw->errstr);
  }
  // The handshake is part of connecting: it answers within connect_timeout.
  if (auto ok = connection.set_timeout(settings.connect_timeout); !ok) {
    return tl::unexpected(ok.error());
  }
  if (auto ok = connection.handshake(settings); !ok) return tl::unexpected(ok.error());
  if (auto ok = connection.set_timeout(settings.command_timeout); !ok) {
    return tl::unexpected(ok.error());
  }
  return connection;
}

Result<void> Connection::handshake(const Settings& settings) {
  std::vector<Command> hello;
  const Endpoint& endpoint = settings.endpoint;
  if (!endpoint.password.empty()) {
    Command auth("AUTH");
    if (!endpoint.user.empty()) auth.arg(endpoint.user);
    hello.push_back(std::move(auth.arg(endpoint.password)));
  }
  if (endpoint.db != 0) {
    hello.push_back(std::move(Command("SELECT").arg(std::int64_t{endpoint.db})));
  }
  if (hello.empty()) hello.emplace_back("PING");
  // Last, so that it runs authenticated; its own refusal (an ACL without
  // INFO) is not a failure to connect, just a server() left empty.
  hello.push_back(std::move(Command("INFO").arg("server")));
  auto replies = run_all(hello);
  if (!replies) {
    const std::string why = timed_out()
                                ? "no answer to " + hello.front().label() + " within " +
                                      std::to_string(settings.connect_timeout.count()) + " ms"
                                : std::string(context_->errstr);
    return fail(Errc::kStore, "redis at " + address_ + " unreachable: " + why);
  }
  for (std::size_t i = 0; i + 1 < hello.size(); ++i) {
    if ((*replies)[i]->type == REDIS_REPLY_ERROR) {
      return tl::unexpected(handshake_error(settings, hello[i], *(*replies)[i]));
    }
  }
  const redisReply& info = *replies->back();
  if (info.type == REDIS_REPLY_STRING) {
    const std::string_view text(info.str, info.len);
    server_.run_id = info_field(text, "run_id").value_or("");
    server_.version = info_field(text, "redis_version").value_or("");
  }
  return {};
}

Result<Reply> Connection::run(const Command& command) {
  auto replies = run_all(std::span<const Command>(&command, 1));
  if (!replies) return tl::unexpected(replies.error());
  return std::move(replies->front());
}

Result<std::vector<Reply>> Connection::run_all(std::span<const Command> commands) {
  if (broken_) return fail(Errc::kStore, "redis at " + address_ + ": connection already failed");
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (const Command& command : commands) {
    argv.clear();
    lengths.clear();
    for (const std::string& arg : command.args()) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    // Only buffers the command; nothing is sent before the first read.
    if (redisAppendCommandArgv(context_.get(), static_cast<int>(argv.size()), argv.data(),
                               lengths.data()) != REDIS_OK) {
      broken_ = true;
      return tl::unexpected(lost(command));
    }
  }
  std::vector<Reply> replies;
  replies.reserve(commands.size());
  const SigpipeBlock no_sigpipe;  // the first redisGetReply() writes the commands
  for (const Command& command : commands) {
    void* raw = nullptr;
    if (redisGetReply(context_.get(), &raw) != REDIS_OK || raw == nullptr) {
      broken_ = true;
      return tl::unexpected(lost(command));
    }
    replies.emplace_back(static_cast<redisReply*>(raw));
  }
  return replies;
}

Result<void> Connection::set_timeout(milliseconds timeout) {
  if (redisSetTimeout(context_.get(), to_timeval(timeout)) != REDIS_OK) {
    broken_ = true;
    return fail(Errc::kStore,
                "redis at " + address_ + ": cannot set the socket timeout: " + context_->errstr);
  }
  timeout_ = timeout;
  return {};
}

bool Connection::closed_by_peer() const {
  pollfd fd{.fd = context_->fd, .events = POLLIN | POLLRDHUP, .revents = 0};
  // Between commands the server has nothing to say: anything readable is
  // the end of the connection (or garbage, just as fatal).
  return ::poll(&fd, 1, 0) != 0;
}

bool Connection::timed_out() const {
  // hiredis reports the socket timeout as the I/O error EAGAIN.
  return context_->err == REDIS_ERR_IO &&
         std::string_view(context_->errstr) == std::strerror(EAGAIN);
}

Error Connection::lost(const Command& command) {
  const std::string why = context_->errstr;
  if (timed_out()) {
    return Error(Errc::kStore, "redis at " + address_ + " did not answer " + command.label() +
                                   " within " + std::to_string(timeout_.count()) +
                                   " ms (it may or may not have run)");
  }
  return Error(Errc::kStore, "lost the connection to redis at " + address_ + " during " +
                                 command.label() + " (it may or may not have run): " + why);
}

Result<void> check(const Connection& connection, const Command& command, const redisReply& reply) {
  if (reply.type != REDIS_REPLY_ERROR) return {};
  return fail(Errc::kStore, "redis at " + connection.address() + ": " + command.label() +
                                " failed: " + reply_text(reply));
}

Result<Reply> call(Connection& connection, const Command& command) {
  auto reply = connection.run(command);
  if (!reply) return reply;
  if (auto ok = check(connection, command, **reply); !ok) return tl::unexpected(ok.error());
  return reply;
}

Result<std::vector<Reply>> call_all(Connection& connection, std::span<const Command> commands) {
  auto replies = connection.run_all(commands);
  if (!replies) return replies;
  for (std::size_t i = 0; i < commands.size(); ++i) {
    if (auto ok = check(connection, commands[i], *(*replies)[i]); !ok) {
      return tl::unexpected(ok.error());
    }
  }
  return replies;
}

// --- Connector ----------------------------------------------------------------

Result<Connection> Connector::connect() {
  const util::RetryGate::Pass pass = gate_.admit();
  if (!pass.go) return fail(Errc::kStore, pass.last_error + " (retrying)");
  auto connection = Connection::open(settings_);
  if (connection) {
    gate_.succeeded(pass);
  } else {
    gate_.failed(pass, connection.error().detail());
  }
  return connection;
}

// --- Pool ---------------------------------------------------------------------

Pool::Pool(Connector& connector, std::size_t size) : connector_(connector), slots_(size) {
  for (std::size_t i = size; i > 0; --i) free_.push_back(i - 1);
}

Pool::Lease::~Lease() {
  if (pool_ != nullptr) pool_->release(slot_);
}

Result<Pool::Lease> Pool::acquire() {
  std::size_t slot = 0;
  {
    const Settings& settings = connector_.settings();
    const milliseconds patience = settings.connect_timeout + settings.command_timeout;
    std::unique_lock lock(mu_);
    if (!freed_.wait_for(lock, patience, [&] { return !free_.empty(); })) {
      return fail(Errc::kStore, "redis at " + settings.endpoint.address() + ": all " +
                                    std::to_string(slots_.size()) +
                                    " connections stayed busy for " +
                                    std::to_string(patience.count()) + " ms");
    }
    slot = free_.back();
    free_.pop_back();
  }
  Lease lease(this, slot);
  std::optional<Connection>& connection = slots_[slot];
  if (connection && (connection->broken() || connection->closed_by_peer())) connection.reset();
  if (!connection) {
    auto opened = connector_.connect();
    if (!opened) return tl::unexpected(opened.error());
    connection.emplace(std::move(*opened));
  }
  return lease;
}

void Pool::release(std::size_t slot) {
  if (slots_[slot] && slots_[slot]->broken()) slots_[slot].reset();
  {
    std::lock_guard lock(mu_);
    free_.push_back(slot);
  }
  freed_.notify_one();
}

}  // namespace jwtguard::redis
