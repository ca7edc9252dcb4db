// The access log line (logging.h): formatted by hand on the request path, so
// it is checked against the exact text spdlog's pattern gave, and against
// what must never break it (quotes and control bytes in a subject).
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "server/logging.h"

namespace jwtguard::server {
namespace {

using std::chrono::system_clock;

// 2024-01-02T03:04:05.678Z
system_clock::time_point at_678ms() {
  return system_clock::time_point(std::chrono::seconds(1704164645)) +
         std::chrono::milliseconds(678);
}

TEST(AccessLogLine, IsTheJsonObjectOfTheRequest) {
  const std::string subject = "alice";
  const std::string client = "127.0.0.1";
  const RequestRecord record{
      http::verb::get, Route::kVerify, 200, std::chrono::nanoseconds(1'234'567), &subject, &client};
  std::string line = "left over from the previous request";
  format_access_line(line, record, at_678ms());
  EXPECT_EQ(line, R"({"ts":"2024-01-02T03:04:05.678Z","level":"info","event":"request",)"
                  R"("method":"GET","route":"GET /auth/verify","status":200,"latency_ms":1.235,)"
                  R"("subject":"alice","client":"127.0.0.1"})"
                  "\n");
}

TEST(AccessLogLine, KeepsLeadingZerosOfTheFractions) {
  const std::string empty;
  const RequestRecord record{http::verb::post, Route::kLogin, 401, std::chrono::nanoseconds(7'000),
                             &empty,           &empty};
  std::string line;
  format_access_line(
      line, record,
      system_clock::time_point(std::chrono::seconds(1704164645)) + std::chrono::milliseconds(5));
  EXPECT_NE(line.find(R"("ts":"2024-01-02T03:04:05.005Z")"), std::string::npos) << line;
  EXPECT_NE(line.find(R"("latency_ms":0.007,)"), std::string::npos) << line;
}

// A subject comes from a token: whatever bytes it holds, the line stays one
// JSON object on one line, and reads back as the same text.
TEST(AccessLogLine, EscapesWhatWouldBreakTheLine) {
  const std::string subject = "a\"b\\c\nd\te\x01\x7f";
  const std::string client = "10.0.0.1\r";
  const RequestRecord record{http::verb::get, Route::kMe, 200, std::chrono::nanoseconds(0),
                             &subject,        &client};
  std::string line;
  format_access_line(line, record, at_678ms());
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  const auto parsed = nlohmann::json::parse(line, nullptr, false);
  ASSERT_TRUE(parsed.is_object()) << line;
  EXPECT_EQ(parsed["subject"], subject);
  EXPECT_EQ(parsed["client"], client);
  EXPECT_EQ(parsed["latency_ms"], 0.0);
}

}  // namespace
}  // namespace jwtguard::server
