#include "logging.h"

#include <fcntl.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <mutex>
#include <thread>

namespace jwtguard::server {
namespace {

constexpr std::size_t kBufferSize = 64 * 1024;
constexpr std::chrono::milliseconds kFlushInterval{200};

}  // namespace

// Lines go into a buffer that is written with one write(2) when it fills,
// when a warning or an event is logged, and every kFlushInterval. A request
// thread pays for formatting and a memcpy under a mutex; an asynchronous
// logger instead woke its thread for every line, which cost a third of the
// service's throughput on two cores. A crash loses at most kFlushInterval of
// access lines, never an event (those flush at once).
class LogSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit LogSink(int fd, bool owned) : fd_(fd), owned_(owned) {
    buffer_.reserve(kBufferSize);
    flusher_ = std::thread([this] { flush_periodically(); });
  }
  ~LogSink() override {
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

  // A line formatted by the caller (the access log's), newline included.
  void append(std::string_view line) {
    std::lock_guard lock(mutex_);
    append_locked(line);
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& message) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(message, formatted);
    append_locked({formatted.data(), formatted.size()});
  }
  void flush_() override { write_out(); }

 private:
  void append_locked(std::string_view line) {
    if (buffer_.size() + line.size() > kBufferSize) write_out();
    buffer_.append(line);
  }

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

namespace {

// spdlog writes the timestamp and level; the message is the rest of the
// object. Times are UTC, ISO 8601 with milliseconds.
constexpr char kPattern[] = R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l",%v})";

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
  std::string out;
  out.reserve(text.size());
  append_json_escaped(out, text);
  return out;
}

void append_json_escaped(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
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
}

namespace {

template <typename Number>
void append_number(std::string& out, Number value) {
  char digits[24];
  auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, end);
}

// "2024-01-02T03:04:05." for the second of `now`, UTC. gmtime_r once a
// second per thread, not once a line.
std::string_view second_prefix(std::chrono::system_clock::time_point now) {
  thread_local std::time_t cached_second = -1;
  thread_local char prefix[32];
  thread_local std::size_t length = 0;
  const std::time_t second = std::chrono::system_clock::to_time_t(now);
  if (second != cached_second) {
    std::tm utc{};
    gmtime_r(&second, &utc);
    length = std::strftime(prefix, sizeof prefix, "%Y-%m-%dT%H:%M:%S.", &utc);
    cached_second = second;
  }
  return {prefix, length};
}

}  // namespace

void format_access_line(std::string& out, const RequestRecord& record,
                        std::chrono::system_clock::time_point now) {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  out.assign(R"({"ts":")");
  out += second_prefix(now);
  const auto ms =
      static_cast<unsigned>(duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000);
  out += static_cast<char>('0' + ms / 100);
  out += static_cast<char>('0' + ms / 10 % 10);
  out += static_cast<char>('0' + ms % 10);
  out += R"(Z","level":"info","event":"request","method":")";
  out += std::string_view(http::to_string(record.method));
  out += R"(","route":")";
  out += route_name(record.route);
  out += R"(","status":)";
  append_number(out, record.status);
  out += R"(,"latency_ms":)";
  const long long micros =
      std::max<long long>(0, (record.latency.count() + 500) / 1000);  // rounded to the µs
  append_number(out, micros / 1000);
  out += '.';
  const auto fraction = static_cast<unsigned>(micros % 1000);
  out += static_cast<char>('0' + fraction / 100);
  out += static_cast<char>('0' + fraction / 10 % 10);
  out += static_cast<char>('0' + fraction % 10);
  out += R"(,"subject":")";
  append_json_escaped(out, *record.subject);
  out += R"(","client":")";
  append_json_escaped(out, *record.client);
  out += "\"}\n";
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
  auto sink = std::make_shared<LogSink>(fd, !file.empty());
  auto owned = std::make_shared<spdlog::logger>("jwtguard", sink);
  owned->set_pattern(kPattern, spdlog::pattern_time_type::utc);
  owned->set_level(parsed);
  owned->flush_on(spdlog::level::warn);  // warnings and errors are written at once
  return std::unique_ptr<Log>(new Log(std::move(owned), std::move(sink)));
}

Log::Log(std::shared_ptr<spdlog::logger> logger, std::shared_ptr<LogSink> sink)
    : logger_(std::move(logger)), sink_(std::move(sink)) {}
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
  return [logger = logger_, sink = sink_](const RequestRecord& record) {
    if (!logger->should_log(spdlog::level::info)) return;
    thread_local std::string line;
    format_access_line(line, record, std::chrono::system_clock::now());
    sink->append(line);
  };
}

}  // namespace jwtguard::server
