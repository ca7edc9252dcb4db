#include "keys_remote/jwks_server.h"

#include <boost/asio.hpp>
#include <istream>
#include <map>
#include <mutex>

namespace jwtguard::testing {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Millis = std::chrono::milliseconds;

std::string reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 404:
      return "Not Found";
    default:
      return "Status";
  }
}

std::string head_of(const Answer& answer, bool with_length) {
  std::string head = "HTTP/1.1 " + std::to_string(answer.status) + " " +
                     reason_phrase(answer.status) +
                     "\r\nContent-Type: application/json\r\nConnection: close\r\n";
  if (!answer.cache_control.empty()) head += "Cache-Control: " + answer.cache_control + "\r\n";
  if (!answer.location.empty()) head += "Location: " + answer.location + "\r\n";
  if (with_length) head += "Content-Length: " + std::to_string(answer.body.size()) + "\r\n";
  return head + "\r\n";
}

}  // namespace

struct JwksServer::State {
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::atomic<bool> stopping{false};
  mutable std::mutex mu;
  std::map<std::string, Answer> answers;
  std::map<std::string, int> counts;
  std::vector<std::thread> connections;

  // Sleeps `delay` in short steps; false when the server stops meanwhile.
  bool wait(Millis delay) const {
    const auto until = std::chrono::steady_clock::now() + delay;
    while (std::chrono::steady_clock::now() < until) {
      if (stopping) return false;
      std::this_thread::sleep_for(Millis(5));
    }
    return !stopping;
  }

  // The path of the request on `socket`; empty when none came.
  static std::string read_request(tcp::socket& socket) {
    asio::streambuf buffer;
    boost::system::error_code error;
    asio::read_until(socket, buffer, "\r\n\r\n", error);
    if (error) return {};
    std::istream in(&buffer);
    std::string method, path;
    in >> method >> path;
    return path;
  }

  // Counts the request and picks its answer in one step, so that a test
  // that changes the answer once it sees the count cannot change this one.
  Answer count_and_answer(const std::string& path) {
    std::lock_guard lock(mu);
    ++counts[path];
    const auto it = answers.find(path);
    if (it != answers.end()) return it->second;
    return Answer{.status = 404, .body = R"({"error":"not found"})"};
  }

  void serve(tcp::socket socket) {
    const std::string path = read_request(socket);
    if (path.empty()) return;
    const Answer answer = count_and_answer(path);
    if (!wait(answer.delay) || answer.kind == Answer::Kind::kClose) return;
    boost::system::error_code error;
    if (answer.kind == Answer::Kind::kNormal) {
      asio::write(socket, asio::buffer(head_of(answer, true) + answer.body), error);
      return;
    }
    asio::write(socket, asio::buffer(head_of(answer, false)), error);
    const std::string chunk(16 * 1024, ' ');
    while (!error && !stopping) asio::write(socket, asio::buffer(chunk), error);
  }
};

JwksServer::JwksServer() : state_(std::make_unique<State>()) {
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
  state_->acceptor.open(endpoint.protocol());
  state_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  state_->acceptor.bind(endpoint);
  state_->acceptor.listen();
  port_ = state_->acceptor.local_endpoint().port();
  acceptor_ = std::thread([this] { accept_loop(); });
}

JwksServer::~JwksServer() { stop(); }

std::string JwksServer::url(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
}

void JwksServer::answer(const std::string& path, Answer answer) {
  std::lock_guard lock(state_->mu);
  state_->answers[path] = std::move(answer);
}

int JwksServer::requests() const {
  std::lock_guard lock(state_->mu);
  int total = 0;
  for (const auto& [path, count] : state_->counts) total += count;
  return total;
}

int JwksServer::requests(const std::string& path) const {
  std::lock_guard lock(state_->mu);
  const auto it = state_->counts.find(path);
  return it == state_->counts.end() ? 0 : it->second;
}

void JwksServer::accept_loop() {
  for (;;) {
    tcp::socket socket(state_->io);
    boost::system::error_code error;
    state_->acceptor.accept(socket, error);
    if (state_->stopping || error) return;
    std::lock_guard lock(state_->mu);
    state_->connections.emplace_back(
        [state = state_.get(), s = std::move(socket)]() mutable { state->serve(std::move(s)); });
  }
}

void JwksServer::stop() {
  if (state_->stopping.exchange(true)) return;
  // A blocking accept() wakes up for a connection: make one.
  {
    tcp::socket wake(state_->io);
    boost::system::error_code error;
    wake.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), error);
  }
  acceptor_.join();
  boost::system::error_code error;
  state_->acceptor.close(error);
  std::vector<std::thread> connections;
  {
    std::lock_guard lock(state_->mu);
    connections.swap(state_->connections);
  }
  for (std::thread& connection : connections) connection.join();
}

std::string jwks_document(const std::vector<std::string>& jwks) {
  std::string document = R"({"keys":[)";
  for (std::size_t i = 0; i < jwks.size(); ++i) {
    if (i > 0) document += ",";
    document += jwks[i];
  }
  return document + "]}";
}

}  // namespace jwtguard::testing
