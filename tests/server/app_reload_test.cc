// App::reload, as `jwtguard serve` runs it on SIGHUP: what changes for new
// requests, what stays (limiter counts, restart-only settings, everything
// when the new configuration is refused), and what the log and the metrics
// say. The process-level and load tests are in tests/reload.
#include <atomic>
#include <thread>

#include "app_reload_fixture.h"

namespace jwtguard::server::reload_tests {
namespace {

TEST_F(ReloadTest, ANewKidSignsNewTokensAndTokensOfKeysStillInTheSetVerify) {
  start(toml("keys.kid = \"k1\""));
  HttpClient client(app_->port());
  const std::string before = access_token(client, "alice");
  EXPECT_EQ(kid_of(before), "k1");

  auto report = reload(toml("keys.kid = \"k2\""));
  ASSERT_OK(report);
  EXPECT_EQ(report->kid, "k2");
  EXPECT_NE(std::find(report->changed.begin(), report->changed.end(), "keys.kid"),
            report->changed.end());
  const std::string after = access_token(client, "alice");
  EXPECT_EQ(kid_of(after), "k2");
  EXPECT_EQ(client.get("/auth/verify", bearer(before)).status, 200);
  EXPECT_EQ(client.get("/auth/verify", bearer(after)).status, 200);
  const std::string published = client.get("/.well-known/jwks.json").body;
  EXPECT_EQ(kids_of(published), (std::vector<std::string>{"k1", "k2"})) << published;
}

TEST_F(ReloadTest, AKeyRemovedFromTheFileStopsVerifyingAndLeavesThePublishedSet) {
  start(toml("keys.kid = \"k1\""));
  HttpClient client(app_->port());
  const std::string old_token = access_token(client, "bob");
  write_jwks({"k2"});  // the rotation's last step: k1 retired

  auto report = reload(toml("keys.kid = \"k2\""));
  ASSERT_OK(report);
  EXPECT_NE(std::find(report->changed.begin(), report->changed.end(), "keys"),
            report->changed.end());
  EXPECT_EQ(client.get("/auth/verify", bearer(old_token)).status, 422);  // no such kid
  EXPECT_EQ(kids_of(client.get("/.well-known/jwks.json").body), (std::vector<std::string>{"k2"}));
  EXPECT_EQ(client.get("/auth/verify", bearer(access_token(client, "bob"))).status, 200);
}

TEST_F(ReloadTest, LifetimesErrorOverridesAndTheLogLevelTakeEffect) {
  start(toml("keys.kid = \"k1\""));
  HttpClient client(app_->port());
  EXPECT_EQ(login(client, "carol").json().value("expires_in", 0), 900);
  EXPECT_EQ(client.get("/auth/verify").status, 401);

  const std::string tables =
      "[tokens]\naccess_ttl = \"1m\"\n[errors.missing_authorization]\nstatus = 403\n"
      "body = { error = \"who are you\" }\n";
  ASSERT_OK(reload(toml("keys.kid = \"k1\"\nlog.level = \"error\"", tables)));
  EXPECT_EQ(login(client, "carol").json().value("expires_in", 0), 60);
  Reply refused = client.get("/auth/verify");
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.json().value("error", ""), "who are you");

  // At level error, that reload's own (info) line was not written; this
  // one, back at info, is.
  ASSERT_OK(reload(toml("keys.kid = \"k1\"\nlog.level = \"info\"", tables)));
  const std::string text = log();
  std::size_t reloaded = 0;
  for (auto at = text.find("\"event\":\"reloaded\""); at != std::string::npos;
       at = text.find("\"event\":\"reloaded\"", at + 1)) {
    ++reloaded;
  }
  EXPECT_EQ(reloaded, 1u) << text;
  EXPECT_NE(text.find("\"changed\":\"log.level\""), std::string::npos) << text;
}

TEST_F(ReloadTest, LoginCountsSurviveAReloadAndItsNewLimitAppliesToThem) {
  start(toml("keys.kid = \"k1\""));
  HttpClient client(app_->port());
  ASSERT_EQ(client.post_json("/auth/register", credentials("dave")).status, 201);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(client.post_json("/auth/login", credentials("dave", "wrong password!")).status, 401);
  }
  // Two failures counted under a limit of 5; the new limit is 2.
  ASSERT_OK(reload(toml("keys.kid = \"k1\"", "[users]\nlogin_max_failures = 2\n")));
  EXPECT_EQ(client.post_json("/auth/login", credentials("dave", "wrong password!")).status, 429);
  EXPECT_EQ(client.post_json("/auth/login", credentials("dave")).status, 429);
}

TEST_F(ReloadTest, ABadConfigurationIsRefusedWholeAndEverythingKeepsWorking) {
  start(toml("keys.kid = \"k1\""));
  HttpClient client(app_->port());
  const std::string before = access_token(client, "erin");
  const std::string jwks = client.get("/.well-known/jwks.json").body;
  const std::string bad[] = {
      // each also changes the lifetime and the kid, which must not apply
      toml("keys.kid = \"k2\"\nkeys.algorithm = \"HS256\"", "[tokens]\naccess_ttl = 60\n"),
      toml("keys.kid = \"k2\"\nlisten = ", "[tokens]\naccess_ttl = 60\n"),  // bad TOML
      toml("keys.kid = \"k2\"\nno_such_setting = 1", "[tokens]\naccess_ttl = 60\n"),
      toml("keys.kid = \"k2\"",
           "[tokens]\naccess_ttl = 60\n[errors.missing_authorization]\nstatus = 99\n"),
      toml("keys.kid = \"k2\"",
           "[tokens]\naccess_ttl = 60\n[errors.no_such_error]\nstatus = 400\n"),
      toml("keys.kid = \"no such kid\"", "[tokens]\naccess_ttl = 60\n"),
      toml("keys.kid = \"k2\"",
           "[tokens]\nsession_idle_timeout = 60\nrotate_refresh_tokens = false\n"),
  };
  for (const std::string& text : bad) {
    auto refused = reload(text);
    ASSERT_FALSE(refused.has_value()) << text;
    EXPECT_EQ(refused.error().code(), Errc::kInvalidArgument) << refused.error().detail();
  }
  EXPECT_EQ(client.get("/auth/verify", bearer(before)).status, 200);
  Reply again = login(client, "erin");
  EXPECT_EQ(again.json().value("expires_in", 0), 900);
  EXPECT_EQ(kid_of(again.json().value("access_token", "")), "k1");
  EXPECT_EQ(client.get("/.well-known/jwks.json").body, jwks);
  EXPECT_EQ(metric(client, "jwtguard_config_reloads_total{outcome=\"refused\"}"),
            std::to_string(std::size(bad)));
  EXPECT_EQ(metric(client, "jwtguard_config_reloads_total{outcome=\"applied\"}"), "0");
  EXPECT_NE(log().find("\"level\":\"error\",\"event\":\"reloaded\",\"outcome\":\"refused\""),
            std::string::npos);
}

TEST_F(ReloadTest, ARefusalSaysWhatStartWouldSay) {
  start(toml("keys.kid = \"k1\""));
  std::ofstream(jwks_path()) << "{\"keys\": not JSON";  // a key file broken in place
  const std::string text = toml("keys.kid = \"k1\"");
  auto refused = reload(text);
  ASSERT_FALSE(refused.has_value());
  auto config = load(text);
  ASSERT_OK(config);
  config->log_file = (dir_.path() / "second.log").string();
  auto started = App::start(*config);
  ASSERT_FALSE(started.has_value());
  EXPECT_EQ(refused.error().detail(), started.error().detail());
  EXPECT_NE(refused.error().detail().find("keys.jwks_file"), std::string::npos);
  // In the log as a JSON string: the whole sentence, escaped.
  EXPECT_NE(log().find(json(refused.error().detail()).dump()), std::string::npos) << log();
}

TEST_F(ReloadTest, RestartOnlySettingsAreReportedAndKeepTheirValues) {
  start(toml("keys.kid = \"k1\""));
  const std::uint16_t port = app_->port();
  const std::string text = toml(
      "keys.kid = \"k1\"\nhttp.idle_timeout = 5\nhttp.body_limit = \"1MiB\"\n"
      "status_list.enabled = true\nstatus_list.base_url = \"https://auth.example\"",
      "[tokens]\naccess_ttl = 120\n");
  auto report = reload(text);
  ASSERT_OK(report);
  EXPECT_EQ(report->restart_needed,
            (std::vector<std::string>{"status_list.enabled", "status_list.base_url",
                                      "http.body_limit", "http.idle_timeout"}));
  EXPECT_EQ(report->changed, (std::vector<std::string>{"tokens.access_ttl"}));
  // The running values stayed: the same file again still differs from them.
  auto again = reload(text);
  ASSERT_OK(again);
  EXPECT_EQ(again->restart_needed, report->restart_needed);
  EXPECT_TRUE(again->changed.empty());
  HttpClient client(port);
  Reply reply = login(client, "frank");
  EXPECT_EQ(reply.json().value("expires_in", 0), 120);  // the rest applied
  EXPECT_FALSE(reply.json()["access_token"].get<std::string>().empty());
  // Status lists stayed off: the token has no status claim.
  const std::string token = reply.json()["access_token"];
  const auto dot = token.find('.');
  auto payload = base64url::decode(token.substr(dot + 1, token.rfind('.') - dot - 1));
  ASSERT_TRUE(payload.has_value());
  EXPECT_FALSE(json::parse(*payload).contains("status"));
  EXPECT_NE(log().find("\"restart_needed\":\"status_list.enabled,status_list.base_url,"
                       "http.body_limit,http.idle_timeout\""),
            std::string::npos)
      << log();
}

TEST_F(ReloadTest, SecretsNeverReachTheLog) {
  const std::string first = "first reload secret, 32 bytes or more, test only";
  const std::string second = "second reload secret, 32 bytes or more, test only";
  // A secret instead of the JWK Set, whose line becomes a comment.
  const auto secret_config = [&](const std::string& secret) {
    std::string text = toml("keys.secret = \"" + secret + "\"");
    const auto at = text.find("keys.jwks_file");
    return text.insert(at, "# ");
  };
  start(secret_config(first));
  HttpClient client(app_->port());
  const std::string before = access_token(client, "gina");
  auto report = reload(secret_config(second));
  ASSERT_OK(report);
  EXPECT_EQ(report->changed, (std::vector<std::string>{"keys.secret", "keys"}));
  EXPECT_EQ(client.get("/auth/verify", bearer(before)).status, 422);  // the old secret is gone
  EXPECT_EQ(client.get("/auth/verify", bearer(access_token(client, "gina"))).status, 200);
  ASSERT_FALSE(reload(secret_config("short")).has_value());  // refused: too short
  const std::string text = log();
  EXPECT_NE(text.find("\"changed\":\"keys.secret,keys\""), std::string::npos) << text;
  for (const std::string& secret : {first, second, std::string("short")}) {
    EXPECT_EQ(text.find(secret), std::string::npos) << secret;
  }
}

// Requests (through HTTP and through the Guard) never fail while another
// thread reloads 200 times, alternating the signing key and the lifetime.
TEST_F(ReloadTest, RequestsNeverFailDuringConcurrentReloads) {
  start(toml("keys.kid = \"k1\""));
  HttpClient setup(app_->port());
  const std::string token = access_token(setup, "hank");
  std::atomic<bool> done{false};
  std::atomic<int> failures{0}, requests{0};
  auto through_http = [&] {
    HttpClient client(app_->port());
    for (int i = 0; i < 100000 && !done; ++i, ++requests) {
      if (client.get("/auth/verify", bearer(token)).status != 200) ++failures;
    }
  };
  auto through_guard = [&] {
    for (int i = 0; i < 100000 && !done; ++i, ++requests) {
      auto pair = app_->guard().login("hank");
      if (!pair || !app_->guard().require(pair->access.token)) {
        ++failures;
        continue;
      }
      if (!app_->guard().refresh(pair->refresh.token)) ++failures;
    }
  };
  std::thread a(through_http), b(through_guard);
  int applied = 0;
  for (int i = 0; i < 200; ++i) {
    const std::string kid = i % 2 == 0 ? "k2" : "k1";
    const std::string ttl = std::to_string(600 + i % 7);
    if (reload(toml("keys.kid = \"" + kid + "\"", "[tokens]\naccess_ttl = " + ttl + "\n"))) {
      ++applied;
    }
  }
  done = true;
  a.join();
  b.join();
  EXPECT_EQ(applied, 200);
  EXPECT_EQ(failures.load(), 0) << "of " << requests.load();
  EXPECT_GT(requests.load(), 0);
}

// The revocation horizon follows the longest lifetime up, never down:
// Guard::issue accepts a ttl up to the longest lifetime tokens may have.
TEST_F(ReloadTest, LongerLifetimesRaiseTheHorizonAndShorterOnesKeepIt) {
  start(toml("keys.kid = \"k1\"", "[tokens]\nrefresh_ttl = \"1d\"\n"));
  TokenRequest request;
  request.subject = "ivy";
  request.ttl = std::chrono::hours(48);
  EXPECT_FALSE(app_->guard().issue(request).has_value());
  ASSERT_OK(reload(toml("keys.kid = \"k1\"", "[tokens]\nrefresh_ttl = \"2d\"\n")));
  EXPECT_OK(app_->guard().issue(request));
  ASSERT_OK(reload(toml("keys.kid = \"k1\"", "[tokens]\nrefresh_ttl = \"1h\"\n")));
  EXPECT_OK(app_->guard().issue(request));  // tokens of 2 days may still be out there
}

// What a reload may not change, at least: the listener's address and
// threads, the store and how checks use it, dev mode's key directory, the
// log file, and the status lists (a list's bits and size cannot change
// under tokens already issued).
TEST(ReloadSettingsTest, TheSettingsAReloadCannotChangeAreMarkedRestart) {
  std::map<std::string, bool> restart;
  for (const SettingInfo& s : serve_settings()) restart[s.key] = s.restart;
  for (const char* key :
       {"listen", "threads", "workers", "store", "check", "redis.require_persistence", "dev",
        "data_dir", "log.file", "status_list.enabled", "status_list.bits", "status_list.list_size",
        "http.max_connections"}) {
    EXPECT_TRUE(restart.at(key)) << key;
  }
  for (const char* key :
       {"keys.secret", "keys.secret_file", "keys.key_file", "keys.jwks_file", "keys.kid",
        "keys.algorithm", "tokens.access_ttl", "tokens.refresh_ttl", "tokens.leeway", "log.level",
        "users.login_max_failures", "users.registration", "http.trust_forwarded_for",
        "http.token_limit", "cors.allowed_origins", "cookies.secure"}) {
    EXPECT_FALSE(restart.at(key)) << key;
  }
}

}  // namespace
}  // namespace jwtguard::server::reload_tests
