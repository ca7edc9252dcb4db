// nginx in front of `jwtguard serve` with auth_request, configured as
// docs/gateways.md shows: a request reaches the upstream only with a token
// GET /auth/verify accepts, and the upstream learns the subject from
// X-Auth-Subject. The upstream is a second server block of the same nginx
// that echoes that header. nginx runs as the current user, in the
// foreground, with every path inside the test's scratch directory.
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
#include "testing/serve_process.h"

namespace jwtguard::testing {
namespace {

using loopback::Reply;
using SteadyClock = std::chrono::steady_clock;

constexpr char kBinary[] = JWTGUARD_BINARY;
constexpr char kNginx[] = JWTGUARD_NGINX;
constexpr char kSecret[] = "JWTGUARD_SECRET=nginx-test-secret-of-more-than-32-bytes";
constexpr char kReadyText[] = "jwtguard nginx test";
constexpr int kPortAttempts = 5;

std::string describe(const Reply& reply) { return std::to_string(reply.status) + " " + reply.body; }

// The configuration of docs/gateways.md, with every path in the scratch
// directory, and the protected application as a second server block that
// answers with the subject it was told.
constexpr std::string_view kConfigTemplate = R"(@USER@
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

  upstream jwtguard {
    server 127.0.0.1:@JWTGUARD@;
    keepalive 8;
    keepalive_timeout 50s;
  }
  upstream app {
    server 127.0.0.1:@APP@;
  }

  server {
    listen 127.0.0.1:@APP@;
    location / {
      return 200 "subject=$http_x_auth_subject\njti=$http_x_auth_jti\nsession=$http_x_auth_session\n";
    }
  }

  server {
    listen 127.0.0.1:@GATEWAY@;
    location = /_ready { return 200 "@READY@\n"; }

    location /api/ {
      auth_request /_auth;
      auth_request_set $auth_subject $upstream_http_x_auth_subject;
      auth_request_set $auth_jti $upstream_http_x_auth_jti;
      auth_request_set $auth_session $upstream_http_x_auth_session;
      auth_request_set $auth_status $upstream_status;
      error_page 500 = @auth_error;
      proxy_set_header X-Auth-Subject $auth_subject;
      proxy_set_header X-Auth-Jti $auth_jti;
      proxy_set_header X-Auth-Session $auth_session;
      proxy_pass http://app;
    }

    location = /_auth {
      internal;
      proxy_pass http://jwtguard/auth/verify;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header Authorization $http_authorization;
    }

    location @auth_error {
      default_type application/json;
      if ($auth_status = 422) {
        add_header WWW-Authenticate 'Bearer error="invalid_token"' always;
        return 401 '{"msg":"Invalid token"}\n';
      }
      return 500;
    }
  }
}
)";

std::string nginx_config(const std::filesystem::path& dir, std::uint16_t gateway, std::uint16_t app,
                         std::uint16_t jwtguard) {
  // As root, nginx would hand its temporary directories to "nobody".
  const std::pair<std::string_view, std::string> values[] = {
      {"@USER@", ::geteuid() == 0 ? "user root;" : ""}, {"@DIR@", dir.string()},
      {"@GATEWAY@", std::to_string(gateway)},           {"@APP@", std::to_string(app)},
      {"@JWTGUARD@", std::to_string(jwtguard)},         {"@READY@", kReadyText},
  };
  std::string config(kConfigTemplate);
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
      { std::ofstream(dir / "nginx.conf") << nginx_config(dir, *gateway, *app, jwtguard_port); }
      auto child = ChildProcess::spawn(
          {.argv = {kNginx, "-p", dir.string() + "/", "-c", (dir / "nginx.conf").string(), "-e",
                    (dir / "error.log").string()},
           .stdout_path = dir / "nginx.stdout",
           .stderr_path = dir / "nginx.stderr"});
      if (!child) return failed("cannot start " + std::string(kNginx) + ": " + child.error());
      Nginx nginx(std::move(*child), dir, *gateway);
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
  Nginx(ChildProcess child, std::filesystem::path dir, std::uint16_t port)
      : child_(std::move(child)), dir_(std::move(dir)), port_(port) {}

  Attempt<void> wait_until_ready() {
    const auto deadline = SteadyClock::now() + std::chrono::milliseconds(10'000);
    for (;;) {
      auto reply =
          loopback::fetch(port_, loopback::get("/_ready"), std::chrono::milliseconds(1000));
      if (reply && reply->status == 200 && reply->body == std::string(kReadyText) + "\n") return {};
      if (auto status = child_.exited()) {
        return failed("nginx exited (" + describe_wait_status(*status) + ")\n" + logs());
      }
      if (SteadyClock::now() >= deadline) {
        child_.kill();
        return failed("nginx did not answer on port " + std::to_string(port_) + " within 10 s (" +
                      (reply ? describe(*reply) : reply.error()) + ")\n" + logs());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  ChildProcess child_;
  std::filesystem::path dir_;
  std::uint16_t port_;
};

class NginxGatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto serve = ServeProcess::start({.binary = kBinary,
                                      .store = "memory:",
                                      .flags = {"--threads", "1", "--workers", "2"},
                                      .env = {kSecret},
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
           "\nsession=" + verify->header("X-Auth-Session") + "\n";
  }

  Attempt<Reply> through_nginx(loopback::Request request) {
    return loopback::fetch(nginx_->port(), request);
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
  auto reply = through_nginx(request);
  ASSERT_TRUE(reply) << reply.error();
  EXPECT_EQ(reply->status, 200) << describe(*reply);
  EXPECT_EQ(reply->body, expected_echo());
}

TEST_F(NginxGatewayTest, RevokedTokenIsRefusedByNginx) {
  auto before = through_nginx(loopback::get("/api/orders", access_token_));
  ASSERT_TRUE(before) << before.error();
  ASSERT_EQ(before->status, 200) << describe(*before);
  auto logout = loopback::fetch(jwtguard(), loopback::del("/auth/logout", access_token_));
  ASSERT_TRUE(logout) << logout.error();
  ASSERT_EQ(logout->status, 200) << describe(*logout);

  auto after = through_nginx(loopback::get("/api/orders", access_token_));
  ASSERT_TRUE(after) << after.error();
  EXPECT_EQ(after->status, 401) << describe(*after);
  EXPECT_EQ(after->body.find("subject="), std::string::npos) << "reached the upstream";
  // auth_request passes the subrequest's challenge on.
  EXPECT_NE(after->header("WWW-Authenticate").find("Token has been revoked"), std::string::npos)
      << after->header("WWW-Authenticate");
}

TEST_F(NginxGatewayTest, MissingTokenIsRefusedByNginx) {
  auto reply = through_nginx(loopback::get("/api/orders"));
  ASSERT_TRUE(reply) << reply.error();
  EXPECT_EQ(reply->status, 401) << describe(*reply);
  EXPECT_EQ(reply->body.find("subject="), std::string::npos) << "reached the upstream";
  EXPECT_TRUE(reply->header("WWW-Authenticate").starts_with("Bearer"))
      << reply->header("WWW-Authenticate");
}

// jwtguard answers a malformed token with 422, which auth_request counts as
// a failure of the subrequest (500); the configuration turns it into 401.
TEST_F(NginxGatewayTest, MalformedTokenIsRefusedWith401) {
  auto direct = loopback::fetch(jwtguard(), loopback::get("/auth/verify", "not.a.token"));
  ASSERT_TRUE(direct) << direct.error();
  EXPECT_EQ(direct->status, 422) << describe(*direct);
  auto reply = through_nginx(loopback::get("/api/orders", "not.a.token"));
  ASSERT_TRUE(reply) << reply.error();
  EXPECT_EQ(reply->status, 401) << describe(*reply);
  EXPECT_EQ(reply->body, "{\"msg\":\"Invalid token\"}\n");
  EXPECT_EQ(reply->header("WWW-Authenticate"), "Bearer error=\"invalid_token\"");
}

// With jwtguard gone, nothing gets through: the gateway fails closed.
TEST_F(NginxGatewayTest, GatewayFailsClosedWhenJwtguardIsDown) {
  auto stopped = serve_->terminate();
  ASSERT_TRUE(stopped) << stopped.error();
  ASSERT_EQ(*stopped, 0);
  serve_.reset();
  auto reply = through_nginx(loopback::get("/api/orders", access_token_));
  ASSERT_TRUE(reply) << reply.error();
  EXPECT_EQ(reply->status, 500) << describe(*reply);
  EXPECT_EQ(reply->body.find("subject="), std::string::npos) << "reached the upstream";
}

}  // namespace
}  // namespace jwtguard::testing
