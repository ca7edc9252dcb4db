// The service's logs: one JSON object per line, buffered (see LogSink in
// logging.cc): access lines reach the file within 200 ms; events, warnings
// and errors at once. Events go through spdlog; access lines are formatted
// by format_access_line and appended to the same buffer.
//
// Nothing logged ever contains a token, a password, a secret or a key:
// callers pass only the fields below, and request lines carry the route
// template (not the target, whose query could hold anything).
#ifndef JWTGUARD_SERVER_LOGGING_H_
#define JWTGUARD_SERVER_LOGGING_H_

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "jwtguard/error.h"
#include "listener.h"

namespace spdlog {
class logger;
}

namespace jwtguard::server {

class LogSink;

class Log {
 public:
  // `level`: trace, debug, info, warn, error or off. `file`: empty for
  // standard error. kInvalidArgument when the file cannot be opened.
  static Result<std::unique_ptr<Log>> open(const std::string& level, const std::string& file);
  // Flushes what is queued.
  ~Log();

  // {"ts":..., "level":..., "event": event, <fields>}; each field value is
  // written as a JSON string unless it already is JSON (`raw_fields`).
  void info(std::string_view event,
            const std::vector<std::pair<std::string, std::string>>& fields = {},
            std::string_view raw_json_fields = {});
  void warn(std::string_view event,
            const std::vector<std::pair<std::string, std::string>>& fields = {});
  void error(std::string_view event,
             const std::vector<std::pair<std::string, std::string>>& fields = {});

  // A reload's log.level (one of open()'s names): lines from then on are
  // filtered by it. kInvalidArgument for another name, and the level stays.
  // Thread-safe (spdlog's level is atomic).
  Result<void> set_level(const std::string& level);

  // An observer writing the access log line of each request (at info level).
  // The line is formatted into a buffer the calling thread reuses and
  // appended to the sink's buffer under its lock: no spdlog message, no
  // format string and no intermediate strings per request. Lines reach the
  // file as other lines do (within 200 ms, and all of them when the Log is
  // destroyed).
  RequestObserver access_log();

  void flush();

 private:
  Log(std::shared_ptr<spdlog::logger> logger, std::shared_ptr<LogSink> sink);
  std::shared_ptr<spdlog::logger> logger_;
  std::shared_ptr<LogSink> sink_;
};

// `text` as the inside of a JSON string (without the quotes).
std::string json_escape(std::string_view text);
// The same, appended to `out`.
void append_json_escaped(std::string& out, std::string_view text);

// Replaces `out` with the access log line of `record` answered at `now`,
// newline included: the same JSON object spdlog's pattern would give,
// {"ts":"2024-01-02T03:04:05.678Z","level":"info","event":"request",
// "method":...,"route":...,"status":...,"latency_ms":...,"subject":...,
// "client":...}, with latency_ms rounded to the microsecond.
void format_access_line(std::string& out, const RequestRecord& record,
                        std::chrono::system_clock::time_point now);

}  // namespace jwtguard::server

#endif  // JWTGUARD_SERVER_LOGGING_H_
