#include "testing/redis_server.h"

#include <hiredis/hiredis.h>
#include <signal.h>

#include <fstream>
#include <memory>
#include <string_view>
#include <thread>

namespace jwtguard::testing {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr Millis kStartTimeout{10'000};
constexpr Millis kStopTimeout{10'000};
constexpr int kPortAttempts = 5;
constexpr std::size_t kLogTailLines = 40;

std::optional<std::string> find_redis_server() {
  for (const char* path : {"/usr/bin/redis-server", "/usr/local/bin/redis-server"}) {
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) return path;
  }
  return std::nullopt;
}

// A redis.conf string argument: between double quotes, with Redis's escapes.
std::string conf_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

std::string percent_encoded(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '.' || c == '_' || c == '~';
    if (plain) {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

std::string last_lines(const std::string& text, std::size_t count) {
  std::size_t at = text.size();
  for (std::size_t seen = 0; at > 0 && seen <= count;) {
    if (text[--at] == '\n') ++seen;
  }
  return at == 0 ? text : text.substr(at + 1);
}

struct ContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

ReplyPtr command(redisContext* c, std::initializer_list<std::string_view> args) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (std::string_view arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  return ReplyPtr(static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lengths.data())));
}

// Whether the redis-server we started (INFO's process_id is `pid`, not some
// other server that took the port) answers PING.
bool answers(std::uint16_t port, const std::string& password, pid_t pid) {
  const timeval timeout{.tv_sec = 0, .tv_usec = 200'000};
  std::unique_ptr<redisContext, ContextDeleter> c(
      redisConnectWithTimeout("127.0.0.1", port, timeout));
  if (!c || c->err != 0 || redisSetTimeout(c.get(), timeout) != REDIS_OK) return false;
  if (!password.empty()) {
    auto auth = command(c.get(), {"AUTH", password});
    if (!auth || auth->type == REDIS_REPLY_ERROR) return false;
  }
  auto pong = command(c.get(), {"PING"});  // "-LOADING ..." while it reads its AOF
  if (!pong || pong->type != REDIS_REPLY_STATUS || std::string_view(pong->str) != "PONG") {
    return false;
  }
  auto info = command(c.get(), {"INFO", "server"});
  if (!info || info->type != REDIS_REPLY_STRING) return false;
  return std::string_view(info->str, info->len).find("process_id:" + std::to_string(pid) + "\r") !=
         std::string_view::npos;
}

}  // namespace

Attempt<RedisServer> RedisServer::start(const std::filesystem::path& dir,
                                        RedisServerOptions options) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return failed("cannot create " + dir.string() + ": " + ec.message());
  RedisServer server;
  server.dir_ = dir;
  server.options_ = std::move(options);
  std::string last_error;
  // The port was free when picked; another process may take it first.
  for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
    auto port = pick_free_port();
    if (!port) return failed(port.error());
    server.port_ = *port;
    std::filesystem::remove(dir / "redis.log", ec);  // only this attempt's log in errors
    auto launched = server.launch();
    if (launched) return server;
    last_error = launched.error();
    if (last_error.find("Address already in use") == std::string::npos) return failed(last_error);
  }
  return failed("redis-server found no free port in " + std::to_string(kPortAttempts) +
                " attempts; the last: " + last_error);
}

RedisServer::~RedisServer() { kill(); }

std::string RedisServer::url(int db) const {
  const std::string credentials =
      options_.password.empty() ? "" : ":" + percent_encoded(options_.password) + "@";
  return "redis://" + credentials + "127.0.0.1:" + std::to_string(port_) + "/" + std::to_string(db);
}

Attempt<void> RedisServer::stop() {
  if (!running()) return {};
  child_->signal(SIGTERM);
  if (!child_->wait_for(kStopTimeout)) {
    child_->kill();
    return failed("redis-server on port " + std::to_string(port_) + " still ran " +
                  std::to_string(kStopTimeout.count()) +
                  " ms after SIGTERM (SIGKILLed); its log:\n" + last_lines(log(), kLogTailLines));
  }
  return {};
}

void RedisServer::kill() {
  if (child_) child_->kill();
}

Attempt<void> RedisServer::restart() {
  const std::string name = "redis-server on port " + std::to_string(port_);
  if (running()) return failed(name + " still runs");
  auto launched = launch();
  // Not retried on another port: the stores under test hold url(), which
  // names this one.
  if (!launched && launched.error().find("Address already in use") != std::string::npos) {
    return failed("cannot restart " + name +
                  ": another process took the port while the server was down (a test cannot "
                  "reconnect its stores to a new port); " +
                  launched.error());
  }
  return launched;
}

std::string RedisServer::log() const {
  std::string out = read_file(dir_ / "redis.log");
  const std::string err = read_file(dir_ / "redis.stderr");
  if (!err.empty()) out += "--- stderr:\n" + err;
  return out;
}

Attempt<void> RedisServer::launch() {
  auto binary = find_redis_server();
  if (!binary) {
    return failed(
        "redis-server is not installed (looked in /usr/bin and /usr/local/bin): run `make deps`");
  }
  const std::filesystem::path config = dir_ / "redis.conf";
  {
    std::ofstream out(config, std::ios::trunc);
    out << "bind 127.0.0.1\n"
        << "port " << port_ << "\n"
        << "dir " << conf_string(dir_.string()) << "\n"
        << "daemonize no\n"
        << "logfile " << conf_string((dir_ / "redis.log").string()) << "\n"
        << "appendonly " << (options_.appendonly ? "yes" : "no") << "\n"
        << "appendfsync " << options_.appendfsync << "\n"
        << "save " << (options_.rdb ? "3600 1 300 100 60 10000" : "\"\"") << "\n";
    if (!options_.password.empty()) out << "requirepass " << conf_string(options_.password) << "\n";
    for (const std::string& line : options_.extra_config) out << line << "\n";
    if (!out) return failed("cannot write " + config.string());
  }
  auto child = ChildProcess::spawn({.argv = {*binary, config.string()},
                                    .env = {},
                                    .stdout_path = dir_ / "redis.stdout",
                                    .stderr_path = dir_ / "redis.stderr"});
  if (!child) return failed(child.error());
  child_ = std::move(*child);
  const std::string name = "redis-server on port " + std::to_string(port_);
  const auto deadline = SteadyClock::now() + kStartTimeout;
  for (;;) {
    if (auto status = child_->exited()) {
      return failed(name + " ended (" + describe_wait_status(*status) +
                    ") before answering PING; its log:\n" + last_lines(log(), kLogTailLines));
    }
    if (answers(port_, options_.password, child_->pid())) return {};
    if (SteadyClock::now() >= deadline) {
      child_->kill();
      return failed(name + " did not answer PING within " + std::to_string(kStartTimeout.count()) +
                    " ms (killed); its log:\n" + last_lines(log(), kLogTailLines));
    }
    std::this_thread::sleep_for(Millis(10));
  }
}

}  // namespace jwtguard::testing
