// Reloads under load: wrk sends GET /auth/verify (and, one request in ten,
// GET /.well-known/jwks.json) over keep-alive connections while the test
// sends 50 SIGHUPs, alternating two valid configurations (the signing key
// k1 or k2 of one JWK Set, two access lifetimes). Not one request may fail
// and not one connection may break: wrk's "Non-2xx or 3xx responses" and
// "Socket errors" lines must be absent. The figures are printed for the
// release note (docs/operations.md); nothing here asserts a speed.
#include <filesystem>
#include <iostream>
#include <regex>

#include "reload_process.h"

namespace jwtguard::reload_tests {
namespace {

constexpr int kReloads = 50;

constexpr std::string_view kScript = R"(-- one request in ten fetches the key set
local n = 0
request = function()
  n = n + 1
  if n % 10 == 0 then return wrk.format("GET", "/.well-known/jwks.json") end
  return wrk.format("GET", "/auth/verify")
end
)";

// The number after `label` in wrk's report, or "" when the line is absent.
std::string figure(const std::string& report, const std::string& pattern) {
  std::smatch match;
  return std::regex_search(report, match, std::regex(pattern)) ? match[1].str() : std::string();
}

TEST(ReloadLoadTest, NoRequestFailsAndNoConnectionBreaksAcrossFiftyReloads) {
  ASSERT_TRUE(std::filesystem::exists(JWTGUARD_WRK))
      << JWTGUARD_WRK << " is missing: install it with `apt-get install wrk` (or `make deps`)";
  ScratchDir dir;
  ServeWithConfig serve(dir);
  serve.write_config("keys.kid = \"k1\"");
  auto server = serve.start({"--access-log", "false"});
  ASSERT_TRUE(server) << server.error();
  const std::string token = login(server->port(), "loaded");
  ASSERT_FALSE(token.empty()) << serve.log();
  const auto script = dir.path() / "mix.lua";
  std::ofstream(script) << kScript;

  const auto report_path = dir.path() / "wrk.out";
  // 25 s at most; stopped by SIGINT (wrk then reports) once the reloads are done.
  auto wrk = jwtguard::testing::ChildProcess::spawn(
      {.argv = {JWTGUARD_WRK, "-t2", "-c16", "-d25s", "-s", script.string(), "-H",
                "Authorization: Bearer " + token,
                "http://127.0.0.1:" + std::to_string(server->port()) + "/"},
       .env = {},
       .stdout_path = report_path,
       .stderr_path = dir.path() / "wrk.err"});
  ASSERT_TRUE(wrk) << wrk.error();
  std::this_thread::sleep_for(Millis(500));  // connections open and busy first

  // Each reload done, by the metric, before the next SIGHUP.
  for (int i = 1; i <= kReloads; ++i) {
    serve.write_config(i % 2 == 1 ? "keys.kid = \"k2\"\ntokens.access_ttl = \"10m\""
                                  : "keys.kid = \"k1\"\ntokens.access_ttl = \"15m\"");
    ASSERT_EQ(::kill(server->pid(), SIGHUP), 0);
    const auto deadline = std::chrono::steady_clock::now() + Millis(20'000);
    const std::string done =
        "jwtguard_config_reloads_total{outcome=\"applied\"} " + std::to_string(i) + "\n";
    for (;;) {
      auto metrics = loopback::fetch(server->port(), loopback::get("/metrics"));
      if (metrics && metrics->body.find(done) != std::string::npos) break;
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "reload " << i << serve.log();
      std::this_thread::sleep_for(Millis(5));
    }
    std::this_thread::sleep_for(Millis(20));
  }
  EXPECT_FALSE(wrk->exited().has_value()) << "wrk ended before the last reload";
  ASSERT_TRUE(wrk->signal(SIGINT));
  ASSERT_TRUE(wrk->wait_for(Millis(20'000)).has_value());

  const std::string report = jwtguard::testing::read_file(report_path);
  EXPECT_EQ(report.find("Non-2xx or 3xx responses"), std::string::npos) << report;
  EXPECT_EQ(report.find("Socket errors"), std::string::npos) << report;
  const std::string requests = figure(report, R"((\d+) requests in)");
  const std::string rate = figure(report, R"(Requests/sec:\s+([\d.]+))");
  ASSERT_FALSE(requests.empty()) << report;
  EXPECT_GT(std::stoll(requests), 0);
  std::cout << "reloads: " << kReloads << ", requests: " << requests << ", req/s: " << rate
            << ", non-2xx: 0, socket errors: 0\n"
            << report;
  RecordProperty("reloads", kReloads);
  RecordProperty("requests", requests);
  RecordProperty("requests_per_second", rate);
  auto exit = server->terminate();
  ASSERT_TRUE(exit) << exit.error();
  EXPECT_EQ(*exit, 0);
}

}  // namespace
}  // namespace jwtguard::reload_tests
