// The service's logs: one JSON object per line, through spdlog, buffered
// (see BufferedFdSink in logging.cc): access lines reach the file within
// 200 ms; events, warnings and errors at once.
//
// Nothing logged ever contains a token, a password, a secret or a key:
// callers pass only the fields below, and request lines carry the route
// template (not the target, whose query could hold anything).
#ifndef JWTGUARD_SERVER_LOGGING_H_
#define JWTGUARD_SERVER_LOGGING_H_

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
  RequestObserver access_log();

  void flush();

 private:
  explicit Log(std::shared_ptr<spdlog::logger> logger);
  std::shared_ptr<spdlog::logger> logger_;
};

// `text` as the inside of a JSON string (without the quotes).
std::string json_escape(std::string_view text);

}  // namespace jwtguard::server

#endif  // JWTGUARD_SERVER_LOGGING_H_
