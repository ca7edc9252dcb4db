// `jwtguard serve` as a process: its TOML file edited, then SIGHUP by its
// PID. A good file takes effect, a bad one is refused and logged while the
// old configuration keeps serving, a flood of SIGHUPs neither crashes nor
// wedges it, and SIGTERM still stops it.
#include "reload_process.h"

namespace jwtguard::reload_tests {
namespace {

std::string kid_of(const std::string& token) {
  const std::string header = token.substr(0, token.find('.'));
  // Header JSON in base64url; "kid" is a plain ASCII member.
  std::string text;
  int bits = 0, value = 0;
  for (char c : header) {
    const auto at =
        std::string_view("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
            .find(c);
    value = (value << 6) | static_cast<int>(at);
    if ((bits += 6) >= 8) text += static_cast<char>((value >> (bits -= 8)) & 0xff);
  }
  return json::parse(text, nullptr, false).value("kid", "");
}

class ReloadProcessTest : public ::testing::Test {
 protected:
  ScratchDir dir_;
  ServeWithConfig serve_{dir_};
};

TEST_F(ReloadProcessTest, AnEditedFileTakesEffectOnSighup) {
  serve_.write_config("keys.kid = \"k1\"");
  auto server = serve_.start();
  ASSERT_TRUE(server) << server.error();
  int ttl = 0;
  const std::string before = login(server->port(), "alice", &ttl);
  EXPECT_EQ(kid_of(before), "k1");
  EXPECT_EQ(ttl, 900);

  serve_.write_config("keys.kid = \"k2\"\ntokens.access_ttl = \"2m\"\nhttp.max_connections = 100");
  ASSERT_EQ(::kill(server->pid(), SIGHUP), 0);
  ASSERT_EQ(serve_.wait_for_reloads(1), 1u) << serve_.log();
  const std::string after = login(server->port(), "alice", &ttl);
  EXPECT_EQ(kid_of(after), "k2");
  EXPECT_EQ(ttl, 120);
  EXPECT_EQ(verify(server->port(), before), 200);
  EXPECT_EQ(verify(server->port(), after), 200);
  const std::string log = serve_.log();
  EXPECT_NE(log.find("\"outcome\":\"applied\",\"changed\":\"keys.kid,tokens.access_ttl,keys\","
                     "\"restart_needed\":\"http.max_connections\",\"kid\":\"k2\""),
            std::string::npos)
      << log;
  auto exit = server->terminate();
  ASSERT_TRUE(exit) << exit.error();
  EXPECT_EQ(*exit, 0);
}

TEST_F(ReloadProcessTest, ABadFileIsRefusedAndTheOldConfigurationKeepsServing) {
  serve_.write_config("keys.kid = \"k1\"");
  auto server = serve_.start();
  ASSERT_TRUE(server) << server.error();
  const std::string before = login(server->port(), "bob");

  serve_.write_config("keys.kid = \"k2\"\ntokens.access_ttl = ");  // a TOML syntax error
  ASSERT_EQ(::kill(server->pid(), SIGHUP), 0);
  ASSERT_EQ(serve_.wait_for_reloads(1), 1u) << serve_.log();
  const std::string log = serve_.log();
  EXPECT_NE(log.find("\"level\":\"error\",\"event\":\"reloaded\",\"outcome\":\"refused\","
                     "\"reason\":\"" +
                     serve_.toml_path()),
            std::string::npos)
      << log;
  EXPECT_EQ(verify(server->port(), before), 200);
  int ttl = 0;
  EXPECT_EQ(kid_of(login(server->port(), "bob", &ttl)), "k1");
  EXPECT_EQ(ttl, 900);
  auto metrics = loopback::fetch(server->port(), loopback::get("/metrics"));
  ASSERT_TRUE(metrics) << metrics.error();
  EXPECT_NE(metrics->body.find("jwtguard_config_reloads_total{outcome=\"refused\"} 1\n"),
            std::string::npos);

  // Mended, the next SIGHUP applies it.
  serve_.write_config("keys.kid = \"k2\"");
  ASSERT_EQ(::kill(server->pid(), SIGHUP), 0);
  ASSERT_EQ(serve_.wait_for_reloads(2), 2u) << serve_.log();
  EXPECT_EQ(kid_of(login(server->port(), "bob")), "k2");
  auto exit = server->terminate();
  ASSERT_TRUE(exit) << exit.error();
  EXPECT_EQ(*exit, 0);
}

TEST_F(ReloadProcessTest, AFloodOfSighupsNeitherCrashesNorWedgesIt) {
  serve_.write_config("keys.kid = \"k1\"");
  auto server = serve_.start();
  ASSERT_TRUE(server) << server.error();
  const std::string token = login(server->port(), "carol");
  serve_.write_config("keys.kid = \"k2\"");
  for (int i = 0; i < 100; ++i) ASSERT_EQ(::kill(server->pid(), SIGHUP), 0);
  // SIGHUPs that arrive during a reload make one more: at least one, at
  // most one per signal.
  const std::size_t reloads = serve_.wait_for_reloads(1);
  EXPECT_GE(reloads, 1u);
  EXPECT_LE(reloads, 100u);
  EXPECT_TRUE(server->running());
  EXPECT_EQ(verify(server->port(), token), 200);
  EXPECT_EQ(kid_of(login(server->port(), "carol")), "k2");
  auto exit = server->terminate();
  ASSERT_TRUE(exit) << exit.error() << serve_.log();
  EXPECT_EQ(*exit, 0);
}

// Sent once the App has begun starting (its "starting" line), before it
// listens: held until the service waits for signals, never fatal.
TEST_F(ReloadProcessTest, ASighupDuringStartIsHeldUntilTheServiceRuns) {
  serve_.write_config("keys.kid = \"k2\"");
  auto child = jwtguard::testing::ChildProcess::spawn(
      {.argv = {JWTGUARD_BINARY, "serve", "--listen", "127.0.0.1:0", "--dev", "false", "--store",
                "memory:", "--config", serve_.toml_path(), "--log-file", serve_.log_path()},
       .env = {},
       .stdout_path = dir_.path() / "early.stdout",
       .stderr_path = dir_.path() / "early.stderr"});
  ASSERT_TRUE(child) << child.error();
  const auto deadline = std::chrono::steady_clock::now() + Millis(20'000);
  while (serve_.log().find("\"event\":\"starting\"") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline && !child->exited()) {
    std::this_thread::yield();
  }
  ASSERT_TRUE(child->signal(SIGHUP));
  ASSERT_EQ(serve_.wait_for_reloads(1), 1u) << serve_.log();
  EXPECT_FALSE(child->exited().has_value());
  EXPECT_NE(serve_.log().find("\"event\":\"listening\""), std::string::npos);
  ASSERT_TRUE(child->signal(SIGTERM));
  auto status = child->wait_for(Millis(20'000));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 0) << jwtguard::testing::describe_wait_status(*status);
}

}  // namespace
}  // namespace jwtguard::reload_tests
