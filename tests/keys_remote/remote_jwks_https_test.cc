// RemoteJwks over TLS: nginx serves a JWK Set with a self-signed
// certificate for 127.0.0.1. Trusted through ca_file, the fetch succeeds;
// with the system's authorities alone, it fails as untrusted. nginx runs in
// the foreground as the current user, every path in the test's scratch
// directory, and is stopped by its PID. A missing nginx fails the test.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include "jwtguard/remote_jwks.h"
#include "keys_remote/remote_fixture.h"
#include "testing/serve_process.h"
#include "testing/subprocess.h"

namespace jwtguard::testing {
namespace {

constexpr char kNginx[] = JWTGUARD_NGINX;
constexpr char kReady[] = "jwks nginx ready";

std::string nginx_config(const std::filesystem::path& dir, std::uint16_t tls_port,
                         std::uint16_t ready_port) {
  const std::string d = dir.string();
  return std::string(::geteuid() == 0 ? "user root;\n" : "") +
         "daemon off;\nmaster_process off;\npid " + d + "/nginx.pid;\nlock_file " + d +
         "/nginx.lock;\nerror_log " + d +
         "/error.log notice;\nevents { worker_connections 16; }\n" + "http {\n  access_log " + d +
         "/access.log;\n  client_body_temp_path " + d + "/client_body_temp;\n  proxy_temp_path " +
         d + "/proxy_temp;\n  fastcgi_temp_path " + d + "/fastcgi_temp;\n  uwsgi_temp_path " + d +
         "/uwsgi_temp;\n  scgi_temp_path " + d + "/scgi_temp;\n" +
         "  server {\n    listen 127.0.0.1:" + std::to_string(tls_port) +
         " ssl;\n    ssl_certificate " + d + "/tls.crt;\n    ssl_certificate_key " + d +
         "/tls.key;\n    root " + d + "/www;\n    default_type application/json;\n" +
         "    add_header Cache-Control \"max-age=120\";\n  }\n" +
         "  server {\n    listen 127.0.0.1:" + std::to_string(ready_port) +
         ";\n    location = /_ready { return 200 \"" + kReady + "\"; }\n  }\n}\n";
}

class RemoteJwksHttpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(kNginx))
        << kNginx << " is missing: install nginx (`make deps`, or `apt-get install nginx`)";
    const auto dir = scratch_.path();
    auto made =
        run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", (dir / "tls.key").string(), "-out", (dir / "tls.crt").string(),
             "-days", "2", "-subj", "/CN=127.0.0.1", "-addext",
             "subjectAltName=IP:127.0.0.1,DNS:localhost"});
    ASSERT_EQ(made.exit_code, 0) << made.err;
    std::filesystem::create_directories(dir / "www");
    std::ofstream(dir / "www" / "jwks.json") << published({k1_});
    for (int attempt = 0; attempt < 5 && !nginx_; ++attempt) start_nginx();
    ASSERT_TRUE(nginx_) << "nginx did not start:\n" << read_file(dir / "error.log");
  }

  void TearDown() override {
    if (!nginx_) return;
    nginx_->signal(SIGQUIT);
    if (!nginx_->wait_for(std::chrono::milliseconds(10'000))) nginx_->kill();
  }

  // nginx on two free ports, once it answers on the plain one.
  void start_nginx() {
    const auto dir = scratch_.path();
    auto tls = pick_free_port();
    auto ready = pick_free_port();
    ASSERT_TRUE(tls && ready);
    if (*tls == *ready) return;
    std::ofstream(dir / "nginx.conf") << nginx_config(dir, *tls, *ready);
    auto child = ChildProcess::spawn(
        {.argv = {kNginx, "-p", dir.string() + "/", "-c", (dir / "nginx.conf").string(), "-e",
                  (dir / "error.log").string()},
         .stdout_path = dir / "nginx.stdout",
         .stderr_path = dir / "nginx.stderr"});
    ASSERT_TRUE(child) << child.error();
    for (int i = 0; i < 500; ++i) {
      auto reply =
          loopback::fetch(*ready, loopback::get("/_ready"), std::chrono::milliseconds(500));
      if (reply && reply->status == 200 && reply->body == kReady) {
        nginx_.emplace(std::move(*child));
        tls_port_ = *tls;
        return;
      }
      if (child->exited()) return;  // a port taken meanwhile: another try
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    child->kill();
  }

  RemoteJwksOptions options() const {
    RemoteJwksOptions options =
        manual_options("https://127.0.0.1:" + std::to_string(tls_port_) + "/jwks.json");
    options.min_ttl = std::chrono::seconds(1);
    return options;
  }

  ScratchDir scratch_;
  std::optional<ChildProcess> nginx_;
  std::uint16_t tls_port_ = 0;
  FakeClock clock_;
  const Key k1_ = ec_key("k1");
};

TEST_F(RemoteJwksHttpsTest, TrustsTheServerThroughCaFile) {
  RemoteJwksOptions trusting = options();
  trusting.ca_file = (scratch_.path() / "tls.crt").string();
  auto jwks = *RemoteJwks::create(trusting, &clock_);
  ASSERT_OK(jwks->refresh());
  EXPECT_NE(jwks->keys()->find("k1"), nullptr);
  EXPECT_EQ(*jwks->stats().expires_at - *jwks->stats().loaded_at, std::chrono::seconds(120));
}

TEST_F(RemoteJwksHttpsTest, RefusesAnUntrustedCertificate) {
  auto jwks = *RemoteJwks::create(options(), &clock_);
  auto refreshed = jwks->refresh();
  EXPECT_ERRC(refreshed, Errc::kStore);
  EXPECT_TRUE(refreshed.error().detail().starts_with("TLS")) << refreshed.error().detail();
  EXPECT_FALSE(jwks->loaded());
}

}  // namespace
}  // namespace jwtguard::testing
