#include "server/metrics.h"

#include <gtest/gtest.h>

#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace jwtguard::server {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The value of the one sample whose name and labels are exactly `series`.
std::optional<std::string> value_of(const std::string& text, const std::string& series) {
  std::optional<std::string> found;
  for (const std::string& line : lines_of(text)) {
    if (!line.starts_with(series + " ")) continue;
    if (found) return "duplicate series";
    found = line.substr(series.size() + 1);
  }
  return found;
}

std::string requests(std::string_view route, std::string_view code) {
  return "jwtguard_http_requests_total{route=\"" + std::string(route) + "\",code=\"" +
         std::string(code) + "\"}";
}

std::string bucket(std::string_view route, std::string_view le) {
  return "jwtguard_http_request_duration_seconds_bucket{route=\"" + std::string(route) +
         "\",le=\"" + std::string(le) + "\"}";
}

std::string per_route(std::string_view suffix, std::string_view route) {
  return "jwtguard_http_request_duration_seconds_" + std::string(suffix) + "{route=\"" +
         std::string(route) + "\"}";
}

// A checker for the text format (version 0.0.4), strict enough to catch what
// a scraper would reject: every line is a HELP or TYPE comment, or a sample
// `name{label="value",...} value` of a family whose TYPE came before it, and
// a family's lines are not split. Returns the first offending line.
std::optional<std::string> malformed_line(const std::string& text) {
  static const std::regex kComment(R"(# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*))");
  static const std::regex kSample(R"(([a-zA-Z_:][a-zA-Z0-9_:]*))"
                                  R"((\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")"
                                  R"((?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")*\})? )"
                                  R"(([-+]?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?|[-+]Inf|NaN))");
  static const std::regex kType("counter|gauge|histogram|summary|untyped");
  std::set<std::string> finished;
  std::string family, type;
  for (const std::string& line : lines_of(text)) {
    std::smatch m;
    if (std::regex_match(line, m, kComment)) {
      if (m[1] == "TYPE") {
        if (!std::regex_match(m[3].str(), kType) || finished.count(m[2])) return line;
        if (!family.empty()) finished.insert(family);
        family = m[2];
        type = m[3];
      }
      continue;
    }
    if (!std::regex_match(line, m, kSample)) return line;
    std::string name = m[1];
    if (type == "histogram") {
      for (const char* suffix : {"_bucket", "_sum", "_count"}) {
        if (name == family + suffix) name = family;
      }
    }
    if (name != family) return line;
  }
  return std::nullopt;
}

TEST(RouteName, NamesMethodAndPathTemplate) {
  EXPECT_EQ(route_name(Route::kLogin), "POST /auth/login");
  EXPECT_EQ(route_name(Route::kSessionDelete), "DELETE /auth/sessions/{sid}");
  EXPECT_EQ(route_name(Route::kJwks), "GET /.well-known/jwks.json");
  EXPECT_EQ(route_name(Route::kAdminRevocationsDelete), "DELETE /admin/revocations/{jti}");
  EXPECT_EQ(route_name(Route::kUnmatched), "unmatched");
  std::set<std::string_view> names;
  for (std::size_t r = 0; r < kRouteCount; ++r) names.insert(route_name(static_cast<Route>(r)));
  EXPECT_EQ(names.size(), kRouteCount);
}

TEST(Metrics, CountsRequestsByRouteAndStatus) {
  Metrics metrics;
  for (int i = 0; i < 3; ++i) metrics.record_request(Route::kVerify, 200, microseconds(50));
  metrics.record_request(Route::kVerify, 401, microseconds(50));
  metrics.record_request(Route::kLogin, 201, milliseconds(30));
  metrics.record_request(Route::kUnmatched, 404, microseconds(5));
  const std::string text = metrics.render({});
  EXPECT_EQ(value_of(text, requests("GET /auth/verify", "200")), "3");
  EXPECT_EQ(value_of(text, requests("GET /auth/verify", "401")), "1");
  EXPECT_EQ(value_of(text, requests("POST /auth/login", "201")), "1");
  EXPECT_EQ(value_of(text, requests("unmatched", "404")), "1");
  // Statuses a route never answered, and routes never hit, are left out.
  EXPECT_EQ(value_of(text, requests("GET /auth/verify", "500")), std::nullopt);
  EXPECT_EQ(text.find("GET /healthz"), std::string::npos);
  EXPECT_EQ(text.find("POST /auth/refresh"), std::string::npos);
}

TEST(Metrics, UnknownStatusGoesToOther) {
  Metrics metrics;
  for (int status : {418, 302, 999, -1, 0}) {
    metrics.record_request(Route::kMe, status, microseconds(1));
  }
  metrics.record_request(Route::kMe, 431, microseconds(1));
  const std::string text = metrics.render({});
  EXPECT_EQ(value_of(text, requests("GET /auth/me", "other")), "5");
  EXPECT_EQ(value_of(text, requests("GET /auth/me", "431")), "1");
  EXPECT_EQ(text.find("code=\"418\""), std::string::npos);
}

TEST(Metrics, HistogramIsCumulativeAndCountsEveryRequest) {
  Metrics metrics;
  const std::string_view route = "GET /auth/verify";
  // 100 µs sits exactly on a bound and belongs to it (le is "less or equal").
  for (nanoseconds latency :
       {nanoseconds(microseconds(50)), nanoseconds(microseconds(100)),
        nanoseconds(microseconds(300)), nanoseconds(milliseconds(2)), nanoseconds(seconds(3))}) {
    metrics.record_request(Route::kVerify, 200, latency);
  }
  const std::string text = metrics.render({});
  EXPECT_EQ(value_of(text, bucket(route, "0.0001")), "2");
  EXPECT_EQ(value_of(text, bucket(route, "0.00025")), "2");
  EXPECT_EQ(value_of(text, bucket(route, "0.0005")), "3");
  EXPECT_EQ(value_of(text, bucket(route, "0.001")), "3");
  EXPECT_EQ(value_of(text, bucket(route, "0.0025")), "4");
  EXPECT_EQ(value_of(text, bucket(route, "2.5")), "4");
  EXPECT_EQ(value_of(text, bucket(route, "+Inf")), "5");
  EXPECT_EQ(value_of(text, per_route("count", route)), "5");
  EXPECT_EQ(value_of(text, per_route("sum", route)), "3.00245");

  // Every bound is present, in order, and never decreases.
  const std::vector<std::string> bounds = {"0.0001", "0.00025", "0.0005", "0.001", "0.0025",
                                           "0.005",  "0.01",    "0.025",  "0.05",  "0.1",
                                           "0.25",   "0.5",     "1",      "2.5",   "+Inf"};
  long previous = 0;
  for (const std::string& le : bounds) {
    const auto value = value_of(text, bucket(route, le));
    ASSERT_TRUE(value.has_value()) << le;
    EXPECT_GE(std::stol(*value), previous) << le;
    previous = std::stol(*value);
  }
  EXPECT_EQ(text.find("le=\"5\""), std::string::npos);
}

TEST(Metrics, CountEqualsRequestsOfTheRoute) {
  Metrics metrics;
  for (int i = 0; i < 7; ++i) metrics.record_request(Route::kRefresh, 200, milliseconds(i));
  for (int i = 0; i < 4; ++i) metrics.record_request(Route::kRefresh, 401, microseconds(i));
  metrics.record_request(Route::kRefresh, 503, seconds(-1));  // a clock stepped back
  const std::string text = metrics.render({});
  const std::string_view route = "POST /auth/refresh";
  EXPECT_EQ(value_of(text, per_route("count", route)), "12");
  EXPECT_EQ(value_of(text, bucket(route, "+Inf")), "12");
  EXPECT_EQ(value_of(text, bucket(route, "0.0001")), "6");  // 0 ms, 0..3 µs, the negative one
  EXPECT_EQ(value_of(text, per_route("sum", route)), "0.021006");
}

TEST(Metrics, CountsChecksRevocationsLoginsAndStoreErrors) {
  Metrics metrics;
  metrics.record_check(CheckOutcome::kValid);
  metrics.record_check(CheckOutcome::kValid);
  metrics.record_check(CheckOutcome::kExpired);
  metrics.record_check(CheckOutcome::kNotFresh);
  metrics.record_revocation(RevocationKind::kSession);
  metrics.record_revocation(RevocationKind::kUser);
  metrics.record_revocation(RevocationKind::kUser);
  metrics.record_store_error();
  metrics.record_login(true);
  metrics.record_login(false);
  metrics.record_login(false);
  metrics.record_login_rate_limited();
  const std::string text = metrics.render({});
  EXPECT_EQ(value_of(text, "jwtguard_token_checks_total{outcome=\"valid\"}"), "2");
  EXPECT_EQ(value_of(text, "jwtguard_token_checks_total{outcome=\"expired\"}"), "1");
  EXPECT_EQ(value_of(text, "jwtguard_token_checks_total{outcome=\"not_fresh\"}"), "1");
  // Outcomes that never happened are still there, at zero, so rate() works
  // from the first scrape.
  for (const char* outcome : {"missing", "invalid", "revoked", "wrong_type"}) {
    EXPECT_EQ(
        value_of(text, std::string("jwtguard_token_checks_total{outcome=\"") + outcome + "\"}"),
        "0")
        << outcome;
  }
  EXPECT_EQ(value_of(text, "jwtguard_revocations_total{kind=\"token\"}"), "0");
  EXPECT_EQ(value_of(text, "jwtguard_revocations_total{kind=\"session\"}"), "1");
  EXPECT_EQ(value_of(text, "jwtguard_revocations_total{kind=\"user\"}"), "2");
  EXPECT_EQ(value_of(text, "jwtguard_store_errors_total"), "1");
  EXPECT_EQ(value_of(text, "jwtguard_logins_total{outcome=\"success\"}"), "1");
  EXPECT_EQ(value_of(text, "jwtguard_logins_total{outcome=\"failure\"}"), "2");
  EXPECT_EQ(value_of(text, "jwtguard_logins_total{outcome=\"rate_limited\"}"), "1");
}

TEST(Metrics, RendersGuardStats) {
  const GuardStats stats{.revoked_tokens = 12,
                         .revoked_sessions = 3,
                         .user_cutoffs = 1,
                         .index_bytes = 65536,
                         .feed_seq = 9'000'000'000,
                         .feed_errors = 2,
                         .strict_fallbacks = 3};
  const std::string text = Metrics().render(stats);
  EXPECT_EQ(value_of(text, "jwtguard_index_revoked_tokens"), "12");
  EXPECT_EQ(value_of(text, "jwtguard_index_revoked_sessions"), "3");
  EXPECT_EQ(value_of(text, "jwtguard_index_user_cutoffs"), "1");
  EXPECT_EQ(value_of(text, "jwtguard_index_bytes"), "65536");
  EXPECT_EQ(value_of(text, "jwtguard_feed_seq"), "9000000000");
  EXPECT_EQ(value_of(text, "jwtguard_feed_errors_total"), "2");
  EXPECT_EQ(value_of(text, "jwtguard_strict_fallbacks_total"), "3");
  EXPECT_NE(text.find("# TYPE jwtguard_index_revoked_tokens gauge\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE jwtguard_feed_errors_total counter\n"), std::string::npos);
}

TEST(Metrics, ConcurrentRecordsSumExactly) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 100'000;
  Metrics metrics;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&metrics, t] {
      for (int i = 0; i < kPerThread; ++i) {
        metrics.record_request(Route::kVerify, i % 2 == 0 ? 200 : 401, microseconds(t + 1));
        metrics.record_check(CheckOutcome::kValid);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const std::string text = metrics.render({});
  const std::string_view route = "GET /auth/verify";
  EXPECT_EQ(value_of(text, requests(route, "200")), "200000");
  EXPECT_EQ(value_of(text, requests(route, "401")), "200000");
  EXPECT_EQ(value_of(text, per_route("count", route)), "400000");
  // (1 + 2 + 3 + 4) µs × 100k = 1 s.
  EXPECT_EQ(value_of(text, per_route("sum", route)), "1");
  EXPECT_EQ(value_of(text, "jwtguard_token_checks_total{outcome=\"valid\"}"), "400000");
}

TEST(Metrics, OutputIsWellFormed) {
  EXPECT_EQ(malformed_line(Metrics().render({})), std::nullopt);

  Metrics metrics;
  for (std::size_t r = 0; r < kRouteCount; ++r) {
    for (int status : {200, 401, 422, 302}) {
      metrics.record_request(static_cast<Route>(r), status, milliseconds(r * 100));
    }
  }
  metrics.record_check(CheckOutcome::kRevoked);
  metrics.record_revocation(RevocationKind::kToken);
  metrics.record_login(false);
  const std::string text = metrics.render({.revoked_tokens = 5, .index_bytes = 1024});
  EXPECT_EQ(malformed_line(text), std::nullopt);
  EXPECT_TRUE(text.ends_with("\n"));
  EXPECT_NE(text.find("# HELP jwtguard_http_requests_total "), std::string::npos);
  EXPECT_NE(text.find("# TYPE jwtguard_http_request_duration_seconds histogram\n"),
            std::string::npos);

  // The checker itself rejects what a scraper would.
  EXPECT_NE(malformed_line("jwtguard_x 1\n"), std::nullopt);  // no TYPE
  EXPECT_NE(malformed_line("# TYPE a counter\na{l=\"x\"y\"} 1\n"), std::nullopt);
  EXPECT_NE(malformed_line("# TYPE a counter\na{l=\"x\"} one\n"), std::nullopt);
  EXPECT_EQ(malformed_line("# TYPE a counter\na{l=\"x\\\"y\\n\"} 1\n"), std::nullopt);
}

}  // namespace
}  // namespace jwtguard::server
