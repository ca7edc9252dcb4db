#include "testing/serve_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace jwtguard::testing {
namespace {

using SteadyClock = std::chrono::steady_clock;

std::string errno_text(std::string_view what, int error) {
  return std::string(what) + ": " + std::strerror(error);
}

// Closes what it holds on every path out of spawn().
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// The descriptor on which a child whose exec failed reports errno; exec
// closes it, so end of file there means exec succeeded.
constexpr int kExecErrorFd = 3;

// The child's side of spawn(): only async-signal-safe calls, since the
// parent may have other threads (one may hold malloc's lock).
[[noreturn]] void exec_child(pid_t parent, const int (&fds)[4], char* const* argv,
                             char* const* envp) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127);  // the parent died before prctl
  for (int target = 0; target <= kExecErrorFd; ++target) {
    if (fds[target] != target) ::dup3(fds[target], target, target == kExecErrorFd ? O_CLOEXEC : 0);
  }
  // Descriptors other threads opened without O_CLOEXEC.
  ::close_range(kExecErrorFd + 1, ~0U, 0);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::execve(argv[0], argv, envp);
  const int error = errno;
  while (::write(kExecErrorFd, &error, sizeof error) < 0 && errno == EINTR) {
  }
  ::_exit(127);
}

// The port of a complete `"event":"listening"` log line, if there is one.
std::optional<std::uint16_t> listening_port(const std::string& log) {
  std::size_t start = 0;
  for (std::size_t end; (end = log.find('\n', start)) != std::string::npos; start = end + 1) {
    std::string_view line(log.data() + start, end - start);
    if (line.find(R"("event":"listening")") == std::string_view::npos) continue;
    static constexpr std::string_view kKey = R"("address":")";
    auto at = line.find(kKey);
    if (at == std::string_view::npos) return std::nullopt;
    std::string_view address = line.substr(at + kKey.size());
    address = address.substr(0, address.find('"'));
    std::string_view port = address.substr(address.rfind(':') + 1);
    std::uint16_t value = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc{} || ptr != port.data() + port.size() || value == 0) return std::nullopt;
    return value;
  }
  return std::nullopt;
}

}  // namespace

// --- ChildProcess --------------------------------------------------------------

Attempt<ChildProcess> ChildProcess::spawn(const SpawnOptions& options) {
  if (options.argv.empty()) return failed("spawn: no program given");
  // Everything the child needs is built before fork().
  std::vector<std::string> args = options.argv;
  std::vector<std::string> env = options.env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (!std::string_view(*e).starts_with("JWTGUARD_")) env.emplace_back(*e);
  }
  std::vector<char*> argv = pointers(args);
  std::vector<char*> envp = pointers(env);
  Fd in(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  Fd out(::open(options.stdout_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  Fd err(::open(options.stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (in.fd < 0 || out.fd < 0 || err.fd < 0) {
    return failed(errno_text(
        "spawn: cannot open the output files in " + options.stderr_path.parent_path().string(),
        errno));
  }
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) return failed(errno_text("pipe", errno));
  Fd report_in(report[0]);
  Fd report_out(report[1]);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return failed(errno_text("fork", errno));
  if (pid == 0) {
    const int fds[4] = {in.fd, out.fd, err.fd, report_out.fd};
    exec_child(parent, fds, argv.data(), envp.data());
  }
  ChildProcess child(pid);
  ::close(std::exchange(report_out.fd, -1));
  int exec_error = 0;
  ssize_t n;
  while ((n = ::read(report_in.fd, &exec_error, sizeof exec_error)) < 0 && errno == EINTR) {
  }
  if (n > 0) {
    child.wait_for(Millis(10'000));
    return failed(errno_text("cannot execute " + args[0], exec_error));
  }
  return child;
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), status_(other.status_) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    kill();
    pid_ = std::exchange(other.pid_, -1);
    status_ = other.status_;
  }
  return *this;
}

ChildProcess::~ChildProcess() { kill(); }

std::optional<int> ChildProcess::exited() {
  while (pid_ > 0) {
    int status = 0;
    const pid_t reaped = ::waitpid(pid_, &status, WNOHANG);
    if (reaped == 0) return std::nullopt;
    if (reaped < 0 && errno == EINTR) continue;
    // ECHILD cannot happen for a child only this object reaps; count it as
    // gone rather than wait for it forever.
    status_ = reaped == pid_ ? status : W_EXITCODE(255, 0);
    pid_ = -1;
  }
  return status_;
}

std::optional<int> ChildProcess::wait_for(Millis timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  for (;;) {
    if (auto status = exited()) return status;
    if (SteadyClock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(Millis(5));
  }
}

bool ChildProcess::signal(int signal) {
  // Not reaped yet, so the PID cannot have been reused by another process.
  return pid_ > 0 && ::kill(pid_, signal) == 0;
}

void ChildProcess::kill() {
  if (pid_ <= 0) return;
  signal(SIGKILL);
  // A process in uninterruptible sleep (an fsync) dies when it returns.
  if (!wait_for(Millis(30'000))) pid_ = -1;  // give up rather than hang the test
}

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return "killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")";
  }
  return "wait status " + std::to_string(status);
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// --- ServeProcess --------------------------------------------------------------

Attempt<ServeProcess> ServeProcess::start(const ServeOptions& options) {
  static std::atomic<int> started{0};
  const std::string name = "serve-" + std::to_string(++started);
  std::vector<std::string> argv = {options.binary, "serve", "--listen", "127.0.0.1:0",
                                   "--dev",        "false", "--store",  options.store};
  if (!options.log_file.empty()) {
    argv.insert(argv.end(), {"--log-file", options.log_file.string()});
  }
  argv.insert(argv.end(), options.flags.begin(), options.flags.end());
  auto child = ChildProcess::spawn({.argv = argv,
                                    .env = options.env,
                                    .stdout_path = options.dir / (name + ".stdout"),
                                    .stderr_path = options.dir / (name + ".log")});
  if (!child) return failed(child.error());
  ServeProcess serve(std::move(*child), options.dir / (name + ".stdout"),
                     options.dir / (name + ".log"), options.log_file);
  const std::filesystem::path& log_path = options.log_file.empty() ? serve.err_ : serve.log_file_;
  const auto deadline = SteadyClock::now() + options.start_timeout;
  for (;;) {
    if (auto port = listening_port(read_file(log_path))) {
      serve.port_ = *port;
      return serve;
    }
    if (auto status = serve.child_.exited()) {
      return failed("jwtguard serve ended (" + describe_wait_status(*status) +
                    ") before listening; its output:\n" + serve.log());
    }
    if (SteadyClock::now() >= deadline) {
      serve.kill();
      return failed("jwtguard serve did not log \"listening\" within " +
                    std::to_string(options.start_timeout.count()) + " ms (killed); its output:\n" +
                    serve.log());
    }
    std::this_thread::sleep_for(Millis(10));
  }
}

Attempt<int> ServeProcess::terminate(Millis timeout) {
  child_.signal(SIGTERM);
  auto status = child_.wait_for(timeout);
  if (!status) {
    child_.kill();
    return failed("jwtguard serve still ran " + std::to_string(timeout.count()) +
                  " ms after SIGTERM (SIGKILLed it); its output:\n" + log());
  }
  if (!WIFEXITED(*status)) {
    return failed("jwtguard serve ended by " + describe_wait_status(*status) +
                  " after SIGTERM; its output:\n" + log());
  }
  return WEXITSTATUS(*status);
}

std::string ServeProcess::log() const {
  std::string text = read_file(err_);
  if (std::string out = read_file(out_); !out.empty()) text += "--- stdout ---\n" + out;
  if (!log_file_.empty()) {
    text += "--- " + log_file_.filename().string() + " ---\n" + read_file(log_file_);
  }
  return text;
}

Attempt<std::uint16_t> pick_free_port() {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.fd < 0) return failed(errno_text("socket", errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  if (::bind(fd.fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd.fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    return failed(errno_text("binding 127.0.0.1:0", errno));
  }
  return ntohs(address.sin_port);
}

// --- loopback ------------------------------------------------------------------

namespace loopback {
namespace {

constexpr std::size_t kMaxHead = 64 * 1024;

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::string serialize(const Request& request) {
  std::string text = request.method + " " + request.target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const auto& [name, value] : request.headers) text += name + ": " + value + "\r\n";
  const bool has_body = !request.body.empty() || request.method == "POST" ||
                        request.method == "PUT" || request.method == "PATCH";
  if (has_body) text += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
  return text + "\r\n" + request.body;
}

// Status line and header fields of a reply head (without the blank line).
Attempt<Reply> parse_head(std::string_view head) {
  Reply reply;
  auto eol = head.find("\r\n");
  std::string_view status_line = head.substr(0, eol);
  int status = 0;
  if (status_line.size() < 12 || !status_line.starts_with("HTTP/1.") ||
      std::from_chars(status_line.data() + 9, status_line.data() + 12, status).ec != std::errc{}) {
    return failed("not an HTTP/1.x status line: '" + std::string(status_line) + "'");
  }
  reply.status = status;
  while (eol != std::string_view::npos) {
    head.remove_prefix(eol + 2);
    eol = head.find("\r\n");
    std::string_view line = head.substr(0, eol);
    auto colon = line.find(':');
    if (colon == std::string_view::npos)
      return failed("bad header line: '" + std::string(line) + "'");
    reply.headers.emplace_back(std::string(trim(line.substr(0, colon))),
                               std::string(trim(line.substr(colon + 1))));
  }
  return reply;
}

Request with_token(Request request, std::string_view token) {
  if (!token.empty()) request.headers.emplace_back("Authorization", "Bearer " + std::string(token));
  return request;
}

}  // namespace

std::string Reply::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return {};
}

Request get(std::string target, std::string_view token) {
  return with_token({.method = "GET", .target = std::move(target)}, token);
}

Request del(std::string target, std::string_view token) {
  return with_token({.method = "DELETE", .target = std::move(target)}, token);
}

Request post(std::string target, std::string_view token, std::string json_body) {
  Request request = with_token({.method = "POST", .target = std::move(target)}, token);
  if (!json_body.empty()) request.headers.emplace_back("Content-Type", "application/json");
  request.body = std::move(json_body);
  return request;
}

Attempt<Connection> Connection::open(std::uint16_t port, Millis timeout) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return failed(errno_text("socket", errno));
  Connection connection(fd, timeout);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  const std::string where = "connect to 127.0.0.1:" + std::to_string(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    return connection;
  }
  if (errno != EINPROGRESS) return failed(errno_text(where, errno));
  pollfd pfd{fd, POLLOUT, 0};
  int ready = 0;
  do {
    ready = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
  } while (ready < 0 && errno == EINTR);
  if (ready == 0) return failed(where + ": timed out");
  int error = 0;
  socklen_t size = sizeof error;
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size);
  if (ready < 0 || error != 0) return failed(errno_text(where, ready < 0 ? errno : error));
  return connection;
}

Connection::Connection(Connection&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      timeout_(other.timeout_),
      buffer_(std::move(other.buffer_)),
      eof_(other.eof_) {}

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    timeout_ = other.timeout_;
    buffer_ = std::move(other.buffer_);
    eof_ = other.eof_;
  }
  return *this;
}

Connection::~Connection() { close(); }

void Connection::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

namespace {

// Milliseconds left until `deadline`, rounded up, for poll().
int remaining(SteadyClock::time_point deadline) {
  auto left = std::chrono::ceil<Millis>(deadline - SteadyClock::now()).count();
  return static_cast<int>(std::max<decltype(left)>(left, 0));
}

}  // namespace

Attempt<void> Connection::send(const Request& request) {
  if (fd_ < 0) return failed("send: the connection is closed");
  const std::string text = serialize(request);
  const auto deadline = SteadyClock::now() + timeout_;
  std::size_t sent = 0;
  while (sent < text.size()) {
    const ssize_t n = ::send(fd_, text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (errno != EAGAIN && errno != EINTR) return failed(errno_text("send", errno));
    pollfd pfd{fd_, POLLOUT, 0};
    if (::poll(&pfd, 1, remaining(deadline)) == 0) return failed("send: timed out");
  }
  return {};
}

// True when bytes were appended to buffer_, false at end of stream.
Attempt<bool> Connection::read_more(SteadyClock::time_point deadline) {
  if (fd_ < 0) return failed("receive: the connection is closed");
  if (eof_) return false;
  char chunk[16384];
  for (;;) {
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n > 0) {
      buffer_.append(chunk, static_cast<std::size_t>(n));
      return true;
    }
    if (n == 0) {
      eof_ = true;
      return false;
    }
    if (errno != EAGAIN && errno != EINTR) return failed(errno_text("receive", errno));
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, remaining(deadline)) == 0) {
      return failed("receive: timed out after " + std::to_string(timeout_.count()) + " ms");
    }
  }
}

Attempt<std::string> Connection::read_line(SteadyClock::time_point deadline) {
  std::size_t eol;
  while ((eol = buffer_.find("\r\n")) == std::string::npos) {
    auto more = read_more(deadline);
    if (!more) return failed(more.error());
    if (!*more) return failed("receive: connection closed in the middle of a chunked body");
  }
  std::string line = buffer_.substr(0, eol);
  buffer_.erase(0, eol + 2);
  return line;
}

Attempt<std::string> Connection::read_chunked(SteadyClock::time_point deadline) {
  std::string body;
  for (;;) {
    auto line = read_line(deadline);
    if (!line) return line;
    std::size_t size = 0;
    auto [ptr, ec] = std::from_chars(line->data(), line->data() + line->size(), size, 16);
    if (ec != std::errc{}) return failed("bad chunk size line: '" + *line + "'");
    if (size == 0) break;
    while (buffer_.size() < size + 2) {
      auto more = read_more(deadline);
      if (!more) return failed(more.error());
      if (!*more) return failed("receive: connection closed in the middle of a chunk");
    }
    body.append(buffer_, 0, size);
    buffer_.erase(0, size + 2);
  }
  for (;;) {  // trailer fields, up to the blank line
    auto line = read_line(deadline);
    if (!line) return line;
    if (line->empty()) return body;
  }
}

Attempt<std::string> Connection::read_body(const Reply& reply, SteadyClock::time_point deadline) {
  if (reply.header("Transfer-Encoding").find("chunked") != std::string::npos) {
    return read_chunked(deadline);
  }
  const std::string length_text = reply.header("Content-Length");
  if (length_text.empty() && (reply.status == 204 || reply.status == 304)) return std::string();
  std::size_t length = std::string::npos;  // none: the body runs to the end of the stream
  if (!length_text.empty() &&
      std::from_chars(length_text.data(), length_text.data() + length_text.size(), length).ec !=
          std::errc{}) {
    return failed("bad Content-Length: '" + length_text + "'");
  }
  while (buffer_.size() < length) {
    auto more = read_more(deadline);
    if (!more) return failed(more.error());
    if (!*more) {
      if (length == std::string::npos) break;
      return failed("receive: connection closed after " + std::to_string(buffer_.size()) + " of " +
                    length_text + " body bytes");
    }
  }
  std::string body = buffer_.substr(0, length);
  buffer_.erase(0, body.size());
  return body;
}

Attempt<Reply> Connection::receive() {
  const auto deadline = SteadyClock::now() + timeout_;
  for (;;) {
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (buffer_.size() > kMaxHead) return failed("receive: reply head over 64 KiB");
      auto more = read_more(deadline);
      if (!more) return failed(more.error());
      if (!*more) {
        return failed(buffer_.empty() ? "receive: connection closed before any reply"
                                      : "receive: connection closed in the middle of a reply head");
      }
    }
    auto reply = parse_head(std::string_view(buffer_).substr(0, end));
    buffer_.erase(0, end + 4);
    if (!reply) return reply;
    if (reply->status >= 100 && reply->status < 200) continue;  // 100 Continue
    auto body = read_body(*reply, deadline);
    if (!body) return failed(body.error());
    reply->body = std::move(*body);
    return reply;
  }
}

Attempt<Reply> Connection::exchange(const Request& request) {
  if (auto sent = send(request); !sent) return failed(sent.error());
  return receive();
}

Attempt<Reply> fetch(std::uint16_t port, const Request& request, Millis timeout) {
  auto connection = Connection::open(port, timeout);
  if (!connection) return failed(connection.error());
  return connection->exchange(request);
}

}  // namespace loopback
}  // namespace jwtguard::testing
