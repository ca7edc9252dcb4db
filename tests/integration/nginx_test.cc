// nginx in front of `jwtguard serve` with auth_request, configured with the
// very block docs/gateways.md shows (read from the document at run time, only
// its ports changed): a request reaches the upstream only with a token
// GET /auth/verify accepts, the upstream learns the subject from
// X-Auth-Subject, and a refused client gets jwtguard's own answer (status,
// JSON body, WWW-Authenticate). The upstream is a second server block of the
// same nginx that echoes the identity headers. nginx runs as the current
// user, in the foreground, with every path inside the test's scratch
// directory.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "testing/fixtures.h"
#include "testing/forged_tokens.h"
#include "testing/serve_process.h"

namespace jwtguard::testing {
namespace {

using loopback::Reply;
using SteadyClock = std::chrono::steady_clock;

constexpr char kBinary[] = JWTGUARD_BINARY;
constexpr char kNginx[] = JWTGUARD_NGINX;
constexpr char kGatewaysDoc[] = JWTGUARD_GATEWAYS_DOC;
constexpr char kSecret[] = "nginx-test-secret-of-more-than-32-bytes";
constexpr char kReadyText[] = "jwtguard nginx test";
constexpr int kPortAttempts = 5;

std::string describe(const Reply& reply) { return std::to_string(reply.status) + " " + reply.body; }

std::string msg_of(const Reply& reply) {
  auto body = nlohmann::json::parse(reply.body, nullptr, false);
  if (!body.is_object() || !body["msg"].is_string()) return {};
  return body["msg"].get<std::string>();
}

// The first ```nginx block of docs/gateways.md, as a newcomer would copy it.
Attempt<std::string> documented_config() {
  const std::string doc = read_file(kGatewaysDoc);
  constexpr std::string_view kOpen = "```nginx\n";
  auto begin = doc.find(kOpen);
  if (begin == std::string::npos)
    return failed(std::string(kGatewaysDoc) + " has no ```nginx block");
  begin += kOpen.size();
  auto end = doc.find("\n```", begin);
  if (end == std::string::npos) return failed("the ```nginx block is not closed");
  return doc.substr(begin, end - begin + 1);
}

// Replaces the one occurrence of `from` in `text`; an error when there is
// not exactly one (the document changed in a way the test must follow).
Attempt<void> replace_once(std::string& text, std::string_view from, const std::string& to) {
  auto at = text.find(from);
  if (at == std::string::npos || text.find(from, at + 1) != std::string::npos) {
    return failed("the documented nginx configuration no longer has exactly one \"" +
                  std::string(from) + "\"");
  }
  text.replace(at, from.size(), to);
  return {};
}

// Everything nginx needs around the documented block: paths in the scratch
// directory, and the protected application as a server block that answers
// with the identity headers it was given.
constexpr std::string_view kMainTemplate = R"(@USER@
daemon off;
master_process off;
pid @DIR@/nginx.pid;
lock_file @DIR@/nginx.lock;
error_log @DIR@/error.log notice;
events { worker_connections 64; }
http {
  access_log @DIR@/access.log;
  client_body_temp_path @DIR@/client_body_temp;
  proxy_temp_path @DIR@/proxy_temp;
  fastcgi_temp_path @DIR@/fastcgi_temp;
  uwsgi_temp_path @DIR@/uwsgi_temp;
  scgi_temp_path @DIR@/scgi_temp;

  server {
    listen 127.0.0.1:@APP@;
    location = /_ready { return 200 "@READY@\n"; }
    location / {
      return 200 "subject=$http_x_auth_subject\njti=$http_x_auth_jti\nsession=$http_x_auth_session\nnamespace=$http_x_auth_namespace\n";
    }
  }

@DOCUMENTED@
}
)";

// The documented block with the test's ports: the gateway listens on
// 127.0.0.1:`gateway` without TLS, the app and jwtguard are the test's.
Attempt<std::string> nginx_config(const std::filesystem::path& dir, std::uint16_t gateway,
                                  std::uint16_t app, std::uint16_t jwtguard) {
  auto documented = documented_config();
  if (!documented) return documented;
  const std::pair<std::string_view, std::string> ports[] = {
      {"server 127.0.0.1:8080;", "server 127.0.0.1:" + std::to_string(jwtguard) + ";"},
      {"server 127.0.0.1:8000;", "server 127.0.0.1:" + std::to_string(app) + ";"},
      {"listen 443 ssl;", "listen 127.0.0.1:" + std::to_string(gateway) + ";"},
  };
  for (const auto& [from, to] : ports) {
    if (auto replaced = replace_once(*documented, from, to); !replaced) {
      return failed(replaced.error());
    }
  }
  // As root, nginx would hand its temporary directories to "nobody".
  const std::pair<std::string_view, std::string> values[] = {
      {"@USER@", ::geteuid() == 0 ? "user root;" : ""},
      {"@DIR@", dir.string()},
      {"@APP@", std::to_string(app)},
      {"@READY@", kReadyText},
      {"@DOCUMENTED@", *documented},
  };
  std::string config(kMainTemplate);
  for (const auto& [name, value] : values) {
    for (auto at = config.find(name); at != std::string::npos; at = config.find(name, at)) {
      config.replace(at, name.size(), value);
      at += value.size();
    }
  }
  return config;
}

// nginx in the foreground (one process, no master), stopped by its PID.
class Nginx {
 public:
  // Starts nginx on a free port and waits (10 s at most) until it answers.
  // A port taken in the meantime means another try with new ports; any
  // other failure is an error carrying nginx's error log.
  static Attempt<Nginx> start(const std::filesystem::path& dir, std::uint16_t jwtguard_port) {
    std::string logs;
    for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
      auto gateway = pick_free_port();
      auto app = pick_free_port();
      if (!gateway || !app) return failed(gateway ? app.error() : gateway.error());
      if (*gateway == *app) continue;
      std::filesystem::remove(dir / "error.log");
      auto config = nginx_config(dir, *gateway, *app, jwtguard_port);
      if (!config) return failed(config.error());
      { std::ofstream(dir / "nginx.conf") << *config; }
      auto child = ChildProcess::spawn(
          {.argv = {kNginx, "-p", dir.string() + "/", "-c", (dir / "nginx.conf").string(), "-e",
                    (dir / "error.log").string()},
           .stdout_path = dir / "nginx.stdout",
           .stderr_path = dir / "nginx.stderr"});
      if (!child) return failed("cannot start " + std::string(kNginx) + ": " + child.error());
      Nginx nginx(std::move(*child), dir, *gateway, *app);
      auto ready = nginx.wait_until_ready();
      if (ready) return nginx;
      logs = ready.error();
      if (logs.find("Address already in use") == std::string::npos) break;
    }
    return failed("nginx did not start: " + logs);
  }

  std::uint16_t port() const { return port_; }

  // SIGQUIT (graceful) to the PID this test started; its exit code, or an
  // error when it had to be SIGKILLed or died by a signal.
  Attempt<int> stop() {
    child_.signal(SIGQUIT);
    auto status = child_.wait_for(std::chrono::milliseconds(10'000));
    if (!status) {
      child_.kill();
      return failed("nginx still ran 10 s after SIGQUIT; " + logs());
    }
    if (!WIFEXITED(*status)) {
      return failed("nginx ended by " + describe_wait_status(*status) + "; " + logs());
    }
    return WEXITSTATUS(*status);
  }

  std::string logs() const {
    return "nginx error log:\n" + read_file(dir_ / "error.log") + "nginx stderr:\n" +
           read_file(dir_ / "nginx.stderr") + "nginx.conf:\n" + read_file(dir_ / "nginx.conf");
  }

 private:
  Nginx(ChildProcess child, std::filesystem::path dir, std::uint16_t port, std::uint16_t app_port)
      : child_(std::move(child)), dir_(std::move(dir)), port_(port), app_port_(app_port) {}

  // The app's server block answers once nginx has opened every listening
  // socket, the gateway's included.

  Attempt<void> wait_until_ready() {
    const auto deadline = SteadyClock::now() + std::chrono::milliseconds(10'000);
    for (;;) {
      auto reply =
          loopback::fetch(app_port_, loopback::get("/_ready"), std::chrono::milliseconds(1000));
      if (reply && reply->status == 200 && reply->body == std::string(kReadyText) + "\n") return {};
      if (auto status = child_.exited()) {
        return failed("nginx exited (" + describe_wait_status(*status) + ")\n" + logs());
      }
      if (SteadyClock::now() >= deadline) {
        child_.kill();
        return failed("nginx did not answer on port " + std::to_string(app_port_) +
                      " within 10 s (" + (reply ? describe(*reply) : reply.error()) + ")\n" +
                      logs());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  ChildProcess child_;
  std::filesystem::path dir_;
  std::uint16_t port_;
  std::uint16_t app_port_;
};

class NginxGatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto serve = ServeProcess::start({.binary = kBinary,
                                      .store = "memory:",
                                      .flags = {"--threads", "1", "--workers", "2"},
                                      .env = {std::string("JWTGUARD_SECRET=") + kSecret},
                                      .dir = dir_.path()});
    ASSERT_TRUE(serve) << serve.error();
    serve_.emplace(std::move(*serve));
    const std::string credentials =
        nlohmann::json{{"username", "alice"}, {"password", "alice's long password"}}.dump();
    auto registered =
        loopback::fetch(jwtguard(), loopback::post("/auth/register", {}, credentials));
    ASSERT_TRUE(registered) << registered.error();
    ASSERT_EQ(registered->status, 201) << describe(*registered);
    auto login = loopback::fetch(jwtguard(), loopback::post("/auth/login", {}, credentials));
    ASSERT_TRUE(login) << login.error();
    ASSERT_EQ(login->status, 200) << describe(*login);
    access_token_ = nlohmann::json::parse(login->body)["access_token"].get<std::string>();
    auto nginx = Nginx::start(dir_.path(), jwtguard());
    ASSERT_TRUE(nginx) << nginx.error();
    nginx_.emplace(std::move(*nginx));
  }

  void TearDown() override {
    if (nginx_) {
      auto stopped = nginx_->stop();
      EXPECT_TRUE(stopped) << stopped.error();
      if (stopped) {
        EXPECT_EQ(*stopped, 0) << nginx_->logs();
      }
      if (HasFailure()) std::printf("%s\n", nginx_->logs().c_str());
    }
    if (serve_) {
      auto stopped = serve_->terminate();
      EXPECT_TRUE(stopped) << stopped.error();
      if (stopped) {
        EXPECT_EQ(*stopped, 0) << serve_->log();
      }
    }
  }

  std::uint16_t jwtguard() const { return serve_->port(); }

  // What the app answers when the gateway let alice's token through: the
  // headers jwtguard's GET /auth/verify gave for it.
  std::string expected_echo() const {
    auto verify = loopback::fetch(jwtguard(), loopback::get("/auth/verify", access_token_));
    if (!verify || verify->status != 200) return "(GET /auth/verify failed)";
    EXPECT_FALSE(verify->header("X-Auth-Jti").empty());
    EXPECT_FALSE(verify->header("X-Auth-Session").empty());
    return "subject=alice\njti=" + verify->header("X-Auth-Jti") +
           "\nsession=" + verify->header("X-Auth-Session") + "\nnamespace=user\n";
  }

  Attempt<Reply> through_nginx(loopback::Request request) {
    return loopback::fetch(nginx_->port(), request);
  }

  // `request` through the gateway is refused with jwtguard's own answer to
  // the same Authorization header at GET /auth/verify: its status (which
  // must be `status`), its JSON body (whose msg must be `msg`) and its
  // WWW-Authenticate challenge, and nothing reached the upstream.
  void expect_jwtguards_refusal(const loopback::Request& request, int status,
                                std::string_view msg) {
    loopback::Request verify = loopback::get("/auth/verify");
    for (const auto& [name, value] : request.headers) {
      if (name == "Authorization") verify.headers.emplace_back(name, value);
    }
    auto direct = loopback::fetch(jwtguard(), verify);
    ASSERT_TRUE(direct) << direct.error();
    ASSERT_EQ(direct->status, status) << describe(*direct);
    ASSERT_EQ(msg_of(*direct), msg) << describe(*direct);

    auto reply = through_nginx(request);
    ASSERT_TRUE(reply) << reply.error();
    EXPECT_EQ(reply->status, direct->status) << describe(*reply);
    EXPECT_EQ(reply->body, direct->body);
    EXPECT_EQ(reply->header("Content-Type"), direct->header("Content-Type"));
    EXPECT_EQ(reply->header("WWW-Authenticate"), direct->header("WWW-Authenticate"));
    if (status == 401) {
      EXPECT_TRUE(reply->header("WWW-Authenticate").starts_with("Bearer"))
          << reply->header("WWW-Authenticate");
    }
    EXPECT_EQ(reply->body.find("subject="), std::string::npos) << "reached the upstream";
    EXPECT_EQ(reply->header("X-Auth-Subject"), "");
  }

  ScratchDir dir_;
  std::optional<ServeProcess> serve_;
  std::optional<Nginx> nginx_;
  std::string access_token_;
};

TEST_F(NginxGatewayTest, ValidTokenReachesTheUpstreamWithItsSubject) {
  auto reply = through_nginx(loopback::get("/api/orders", access_token_));
  ASSERT_TRUE(reply) << reply.error();
  EXPECT_EQ(reply->status, 200) << describe(*reply);
  EXPECT_EQ(reply->body, expected_echo());
}

TEST_F(NginxGatewayTest, ClientCannotForgeTheIdentityHeaders) {
  loopback::Request request = loopback::get("/api/orders", access_token_);
  request.headers.emplace_back("X-Auth-Subject", "mallory");
  request.headers.emplace_back("X-Auth-Jti", "forged");
  request.headers.emplace_back("X-Auth-Session", "forged");
  request.headers.emplace_back("X-Auth-Namespace", "app");
  auto reply = through_nginx(request);
  ASSERT_TRUE(reply) << reply.error();
  EXPECT_EQ(reply->status, 200) << describe(*reply);
  EXPECT_EQ(reply->body, expected_echo());
}

TEST_F(NginxGatewayTest, RevokedTokenGetsJwtguardsAnswer) {
  auto before = through_nginx(loopback::get("/api/orders", access_token_));
  ASSERT_TRUE(before) << before.error();
  ASSERT_EQ(before->status, 200) << describe(*before);
  auto logout = loopback::fetch(jwtguard(), loopback::del("/auth/logout", access_token_));
  ASSERT_TRUE(logout) << logout.error();
  ASSERT_EQ(logout->status, 200) << describe(*logout);

  expect_jwtguards_refusal(loopback::get("/api/orders", access_token_), 401,
                           "Token has been revoked");
}

TEST_F(NginxGatewayTest, MissingTokenGetsJwtguardsAnswer) {
  expect_jwtguards_refusal(loopback::get("/api/orders"), 401, "Missing Authorization Header");
}

TEST_F(NginxGatewayTest, WrongSchemeGetsJwtguardsAnswer) {
  loopback::Request request = loopback::get("/api/orders");
  request.headers.emplace_back("Authorization", "Token " + access_token_);
  expect_jwtguards_refusal(request, 401,
                           "Missing 'Bearer' type in 'Authorization' header. Expected "
                           "'Authorization: Bearer <JWT>'");
}

// auth_request turns jwtguard's 422 into a 500 of its own; the documented
// error location gives the client the 422 and its precise reason instead.
TEST_F(NginxGatewayTest, MalformedTokenGetsJwtguardsAnswer) {
  expect_jwtguards_refusal(loopback::get("/api/orders", "not-a-token"), 422,
                           "Malformed token: expected three dot-separated segments");
}

TEST_F(NginxGatewayTest, ExpiredTokenGetsJwtguardsAnswer) {
  auto expired = resign_hs256(access_token_, kSecret, [](auto& /*header*/, auto& payload) {
    const std::int64_t iat = payload["iat"].template get<std::int64_t>();
    payload["iat"] = iat - 7200;
    payload["nbf"] = iat - 7200;
    payload["exp"] = iat - 3600;
  });
  ASSERT_TRUE(expired) << expired.error();
  expect_jwtguards_refusal(loopback::get("/api/orders", *expired), 401, "Token has expired");
}

// The second question to jwtguard is a GET without a body, whatever the
// client's request was.
TEST_F(NginxGatewayTest, RefusedPostGetsJwtguardsAnswer) {
  expect_jwtguards_refusal(loopback::post("/api/orders", "not-a-token", R"({"item":1})"), 422,
                           "Malformed token: expected three dot-separated segments");
}

// With jwtguard gone, nothing gets through: the gateway fails closed.
TEST_F(NginxGatewayTest, GatewayFailsClosedWhenJwtguardIsDown) {
  auto stopped = serve_->terminate();
  ASSERT_TRUE(stopped) << stopped.error();
  ASSERT_EQ(*stopped, 0);
  serve_.reset();
  auto reply = through_nginx(loopback::get("/api/orders", access_token_));
  ASSERT_TRUE(reply) << reply.error();
  EXPECT_EQ(reply->status, 502) << describe(*reply);
  EXPECT_EQ(reply->body.find("subject="), std::string::npos) << "reached the upstream";
}

}  // namespace
}  // namespace jwtguard::testing
