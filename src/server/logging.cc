#include "server/logging.h"

#include <spdlog/async.h>
#include <spdlog/async_logger.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace jwtguard::server {
namespace {

// spdlog writes the timestamp and level; the message is the rest of the
// object. Times are UTC, ISO 8601 with milliseconds.
constexpr char kPattern[] = R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l",%v})";
constexpr std::size_t kQueueSize = 16384;

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
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
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

Result<std::unique_ptr<Log>> Log::open(const std::string& level, const std::string& file) {
  auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") {
    return fail(Errc::kInvalidArgument, "log level '" + level + "' is not one of trace, debug, "
                                        "info, warn, error, off");
  }
  spdlog::sink_ptr sink;
  try {
    if (file.empty()) {
      sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    } else {
      sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(file);
    }
  } catch (const spdlog::spdlog_ex& e) {
    return fail(Errc::kInvalidArgument, "log file: " + std::string(e.what()));
  }
  // One background thread formats and writes; a full queue makes request
  // threads wait rather than lose lines (the access log is an audit trail).
  auto pool = std::make_shared<spdlog::details::thread_pool>(kQueueSize, 1);
  auto logger = std::make_shared<spdlog::async_logger>(
      "jwtguard", std::move(sink), pool, spdlog::async_overflow_policy::block);
  // The pool must live as long as the logger: keep it in the logger's deleter.
  std::shared_ptr<spdlog::logger> owned(logger.get(), [logger, pool](spdlog::logger*) mutable {
    logger->flush();
    logger.reset();
    pool.reset();
  });
  owned->set_pattern(kPattern, spdlog::pattern_time_type::utc);
  owned->set_level(parsed);
  owned->flush_on(spdlog::level::warn);
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
