#include "logging.h"

#include <fcntl.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

namespace jwtguard::server {
namespace {

// spdlog writes the timestamp and level; the message is the rest of the
// object. Times are UTC, ISO 8601 with milliseconds.
constexpr char kPattern[] = R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l",%v})";
constexpr std::size_t kBufferSize = 64 * 1024;
constexpr std::chrono::milliseconds kFlushInterval{200};

// Lines go into a buffer that is written with one write(2) when it fills,
// when a warning or an event is logged, and every kFlushInterval. A request
// thread pays for formatting and a memcpy under a mutex; an asynchronous
// logger instead woke its thread for every line, which cost a third of the
// service's throughput on two cores. A crash loses at most kFlushInterval of
// access lines, never an event (those flush at once).
class BufferedFdSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit BufferedFdSink(int fd, bool owned) : fd_(fd), owned_(owned) {
    buffer_.reserve(kBufferSize);
    flusher_ = std::thread([this] { flush_periodically(); });
  }
  ~BufferedFdSink() override {
    {
      std::lock_guard lock(stop_mutex_);
      stopping_ = true;
    }
    stop_.notify_one();
    flusher_.join();
    std::lock_guard lock(mutex_);
    write_out();
    if (owned_) ::close(fd_);
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& message) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(message, formatted);
    if (buffer_.size() + formatted.size() > kBufferSize) write_out();
    buffer_.append(formatted.data(), formatted.size());
  }
  void flush_() override { write_out(); }

 private:
  void write_out() {
    std::size_t done = 0;
    while (done < buffer_.size()) {
      ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // a full disk or a closed pipe: drop the lines, keep serving
      done += static_cast<std::size_t>(n);
    }
    buffer_.clear();
  }

  void flush_periodically() {
    std::unique_lock stop_lock(stop_mutex_);
    while (!stop_.wait_for(stop_lock, kFlushInterval, [this] { return stopping_; })) {
      std::lock_guard lock(mutex_);
      write_out();
    }
  }

  int fd_;
  bool owned_;
  std::string buffer_;
  std::mutex stop_mutex_;
  std::condition_variable stop_;
  bool stopping_ = false;
  std::thread flusher_;
};

std::string fields_text(std::string_view event,
                        const std::vector<std::pair<std::string, std::string>>& fields,
                        std::string_view raw_json_fields) {
  std::string text = "\"event\":\"" + json_escape(event) + "\"";
  for (const auto& [name, value] : fields) {
    text += ",\"" + json_escape(name) + "\":\"" + json_escape(value) + "\"";
  }
  if (!raw_json_fields.empty()) {
    text += ',';
    text += raw_json_fields;
  }
  return text;
}

}  // namespace

std::string json_escape(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

namespace {

Result<spdlog::level::level_enum> parse_level(const std::string& level) {
  auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") {
    return fail(Errc::kInvalidArgument, "log level '" + level +
                                            "' is not one of trace, debug, "
                                            "info, warn, error, off");
  }
  return parsed;
}

}  // namespace

Result<void> Log::set_level(const std::string& level) {
  auto parsed = parse_level(level);
  if (!parsed) return tl::unexpected(parsed.error());
  logger_->set_level(*parsed);
  return {};
}

Result<std::unique_ptr<Log>> Log::open(const std::string& level, const std::string& file) {
  auto parsed_level = parse_level(level);
  if (!parsed_level) return tl::unexpected(parsed_level.error());
  const spdlog::level::level_enum parsed = *parsed_level;
  int fd = STDERR_FILENO;
  if (!file.empty()) {
    fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) return fail(Errc::kInvalidArgument, file + ": " + std::strerror(errno));
  }
  auto sink = std::make_shared<BufferedFdSink>(fd, !file.empty());
  auto owned = std::make_shared<spdlog::logger>("jwtguard", std::move(sink));
  owned->set_pattern(kPattern, spdlog::pattern_time_type::utc);
  owned->set_level(parsed);
  owned->flush_on(spdlog::level::warn);  // warnings and errors are written at once
  return std::unique_ptr<Log>(new Log(std::move(owned)));
}

Log::Log(std::shared_ptr<spdlog::logger> logger) : logger_(std::move(logger)) {}
Log::~Log() { flush(); }

void Log::flush() { logger_->flush(); }

void Log::info(std::string_view event,
               const std::vector<std::pair<std::string, std::string>>& fields,
               std::string_view raw_json_fields) {
  logger_->info(fields_text(event, fields, raw_json_fields));
  logger_->flush();  // events are rare; a reader (or a test) sees them at once
}

void Log::warn(std::string_view event,
               const std::vector<std::pair<std::string, std::string>>& fields) {
  logger_->warn(fields_text(event, fields, {}));
}

void Log::error(std::string_view event,
                const std::vector<std::pair<std::string, std::string>>& fields) {
  logger_->error(fields_text(event, fields, {}));
}

RequestObserver Log::access_log() {
  return [logger = logger_](const RequestRecord& record) {
    if (!logger->should_log(spdlog::level::info)) return;
    double latency_ms = std::chrono::duration<double, std::milli>(record.latency).count();
    logger->info(
        R"("event":"request","method":"{}","route":"{}","status":{},"latency_ms":{:.3f},"subject":"{}","client":"{}")",
        std::string_view(http::to_string(record.method)), route_name(record.route), record.status,
        latency_ms, json_escape(*record.subject), json_escape(*record.client));
  };
}

}  // namespace jwtguard::server
