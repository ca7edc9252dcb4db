// Tokens issued elsewhere, through the service over loopback HTTP: a trusted
// issuer's JWK Set is served by a small HTTP server of the test's own, and
// its tokens and logout tokens are signed with keys the test generates.
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <optional>
#include <thread>
#include <utility>

#include "jose/base64url.h"
#include "jwtguard/jose.h"
#include "jwtguard/keys.h"
#include "server/http_fixture.h"

namespace jwtguard::server::http_tests {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

constexpr std::string_view kIssuer = "https://id.test/realms/main";
constexpr std::string_view kName = "idp";
constexpr std::string_view kClientId = "jwtguard-client";
constexpr std::string_view kLogoutEvent = "http://schemas.openid.net/event/backchannel-logout";

// Serves one JWK Set document at any path until stopped; counts requests.
class JwksServer {
 public:
  explicit JwksServer(std::string jwks) : jwks_(std::move(jwks)) {
    acceptor_.open(tcp::v4());
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), port_});
    acceptor_.listen();
    acceptor_.non_blocking(true);
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { run(); });
  }
  // Listens on `port` again (after stop()), for the same URL.
  JwksServer(std::string jwks, std::uint16_t port) : jwks_(std::move(jwks)), port_(port) {
    acceptor_.open(tcp::v4());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), port_});
    acceptor_.listen();
    acceptor_.non_blocking(true);
    thread_ = std::thread([this] { run(); });
  }
  ~JwksServer() { stop(); }

  void stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  }
  std::uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/jwks"; }
  int requests() const { return requests_; }

 private:
  void run() {
    while (!stopping_) {
      boost::system::error_code ec;
      tcp::socket socket(io_);
      acceptor_.accept(socket, ec);
      if (ec) {
        std::this_thread::sleep_for(milliseconds(5));
        continue;
      }
      ++requests_;
      socket.non_blocking(false);
      asio::streambuf request;
      asio::read_until(socket, request, "\r\n\r\n", ec);
      const std::string response =
          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nCache-Control: max-age=60\r\n"
          "Connection: close\r\nContent-Length: " +
          std::to_string(jwks_.size()) + "\r\n\r\n" + jwks_;
      asio::write(socket, asio::buffer(response), ec);
      socket.shutdown(tcp::socket::shutdown_both, ec);
    }
  }

  std::string jwks_;
  asio::io_context io_;
  tcp::acceptor acceptor_{io_};
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

std::int64_t now_seconds() { return to_unix_seconds(SystemClock().now()); }

class IssuerHttpTest : public HttpTest {
 protected:
  void configure(ServeConfig& config) override {
    key_ = Key::generate(Algorithm::kES256, "k1").value();
    jwks_ = std::make_unique<JwksServer>(KeySet(*key_).to_public_jwks());
    IssuerConfig issuer;
    issuer.issuer = std::string(kIssuer);
    issuer.name = std::string(kName);
    issuer.jwks_url = jwks_->url();
    issuer.audience = {"api"};
    issuer.client_id = std::string(kClientId);
    issuer.jwks_cooldown = seconds(1);
    config.issuers.push_back(issuer);
  }

  void SetUp() override {
    HttpTest::SetUp();
    wait_ready();
  }

  // /readyz once the first key set is in (the fetch runs in the background).
  Reply wait_ready() {
    HttpClient client(port());
    Reply reply;
    for (int i = 0; i < 500; ++i) {
      reply = client.get("/readyz");
      if (reply.status == 200) break;
      std::this_thread::sleep_for(milliseconds(20));
    }
    EXPECT_EQ(reply.status, 200) << reply.body;
    return reply;
  }

  // A token of the trusted issuer with these claims over the defaults.
  std::string foreign(json claims, const Key* key = nullptr) {
    json payload = {{"iss", kIssuer},
                    {"sub", "alice"},
                    {"aud", "api"},
                    {"iat", now_seconds()},
                    {"exp", now_seconds() + 300},
                    {"jti", next_id()},
                    {"sid", "s-1"}};
    for (auto& [name, value] : claims.items()) {
      if (value.is_null()) {
        payload.erase(name);
      } else {
        payload[name] = value;
      }
    }
    return sign_jws(key ? *key : *key_, Algorithm::kES256, payload.dump()).value();
  }

  std::string logout_token(json claims) {
    json payload = {{"iss", kIssuer},
                    {"aud", kClientId},
                    {"iat", now_seconds()},
                    {"exp", now_seconds() + 120},
                    {"jti", next_id()},
                    {"sid", "s-1"},
                    {"events", {{kLogoutEvent, json::object()}}}};
    for (auto& [name, value] : claims.items()) {
      if (value.is_null()) {
        payload.erase(name);
      } else {
        payload[name] = value;
      }
    }
    return sign_jws(*key_, Algorithm::kES256, payload.dump()).value();
  }

  Reply logout(HttpClient& client, const std::string& token) {
    return client.post_form("/oidc/backchannel-logout", "logout_token=" + token);
  }

  static std::string next_id() {
    static std::atomic<int> n{0};
    return "id-" + std::to_string(++n);
  }

  std::optional<Key> key_;
  std::unique_ptr<JwksServer> jwks_;
};

TEST_F(IssuerHttpTest, VerifyAcceptsATrustedIssuersTokenWithItsNamespace) {
  HttpClient client(port());
  Reply reply = client.get("/auth/verify", bearer(foreign({{"jti", "j-1"}})));
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.header("X-Auth-Subject"), "alice");
  EXPECT_EQ(reply.header("X-Auth-Namespace"), kName);
  EXPECT_EQ(reply.header("X-Auth-Issuer"), kIssuer);
  EXPECT_EQ(reply.header("X-Auth-Jti"), "j-1");
  EXPECT_EQ(reply.header("X-Auth-Session"), "s-1");
  // jwtguard's own tokens say their (here unset) issuer too.
  Tokens own = register_and_login(client, "bob");
  Reply mine = client.get("/auth/verify", bearer(own.access));
  ASSERT_EQ(mine.status, 200);
  EXPECT_TRUE(mine.has_header("X-Auth-Issuer"));
  EXPECT_EQ(mine.header("X-Auth-Namespace"), "user");
}

TEST_F(IssuerHttpTest, VerifyRefusesAnotherAudienceIssuerOrKey) {
  HttpClient client(port());
  const Key stranger = Key::generate(Algorithm::kES256, "k1").value();
  for (const std::string& token :
       {foreign({{"aud", "other-api"}}), foreign({{"iss", "https://evil.test/"}}),
        foreign({}, &stranger)}) {
    // An unusable token is 422, as Flask-JWT-Extended answers it.
    EXPECT_EQ(client.get("/auth/verify", bearer(token)).status, 422);
  }
  EXPECT_EQ(client.get("/auth/verify", bearer(foreign({{"exp", now_seconds() - 10}}))).status, 401);
}

TEST_F(IssuerHttpTest, AForeignTokenNeverActsAsAJwtguardUserOrAdmin) {
  HttpClient client(port());
  admin_token("root");
  Tokens carol = register_and_login(client, "carol");
  for (const char* sub : {"root", "carol"}) {
    const std::string token = foreign({{"sub", sub}});
    EXPECT_EQ(client.get("/auth/verify", bearer(token)).status, 200);
    for (const char* target :
         {"/auth/me", "/auth/sessions", "/admin/users", "/admin/audit", "/admin/revocations"}) {
      // Refused as a token of the wrong issuer (422), never served.
      EXPECT_EQ(client.get(target, bearer(token)).status, 422) << target;
    }
    EXPECT_EQ(client.post("/auth/logout-all", bearer(token)).status, 422);
    EXPECT_EQ(client.del("/auth/logout", bearer(token)).status, 422);
    EXPECT_NE(client.post_json("/admin/tokens", {{"identity", "x"}}, bearer(token)).status, 200);
  }
  // carol's own session was not ended by the foreign "carol".
  EXPECT_EQ(client.get("/auth/me", bearer(carol.access)).status, 200);
}

TEST_F(IssuerHttpTest, OauthRevokeEndsOneTokenOrItsSessionOrRefusesWithNeither) {
  HttpClient client(port());
  const std::string one = foreign({{"jti", "r-1"}, {"sid", "s-a"}});
  const std::string sibling = foreign({{"jti", "r-2"}, {"sid", "s-a"}});
  EXPECT_EQ(client.post_form("/oauth/revoke", "token=" + one).status, 200);
  EXPECT_EQ(client.get("/auth/verify", bearer(one)).status, 401);
  EXPECT_EQ(client.get("/auth/verify", bearer(sibling)).status, 200);

  const std::string no_jti = foreign({{"jti", nullptr}, {"sid", "s-b"}});
  const std::string same_session = foreign({{"sid", "s-b"}});
  const std::string other_session = foreign({{"sid", "s-c"}});
  EXPECT_EQ(client.post_form("/oauth/revoke", "token=" + no_jti).status, 200);
  EXPECT_EQ(client.get("/auth/verify", bearer(same_session)).status, 401);
  EXPECT_EQ(client.get("/auth/verify", bearer(other_session)).status, 200);

  const std::string neither = foreign({{"jti", nullptr}, {"sid", nullptr}});
  Reply refused = client.post_form("/oauth/revoke", "token=" + neither);
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(refused.json()["error"], "unsupported_token_type");
  EXPECT_EQ(client.get("/auth/verify", bearer(neither)).status, 200);
}

TEST_F(IssuerHttpTest, IntrospectionDescribesAForeignToken) {
  HttpClient client(port());
  const std::string admin = admin_token();
  Reply reply =
      client.post_form("/oauth/introspect", "token=" + foreign({{"jti", "i-1"}}), bearer(admin));
  ASSERT_EQ(reply.status, 200) << reply.body;
  json body = reply.json();
  EXPECT_EQ(body["active"], true);
  EXPECT_EQ(body["sub"], "alice");
  EXPECT_EQ(body["iss"], kIssuer);
  EXPECT_EQ(body["jti"], "i-1");
  EXPECT_EQ(body["sid"], "s-1");
  EXPECT_EQ(body["token_type"], "access_token");
  EXPECT_EQ(body["namespace"], kName);
  EXPECT_TRUE(body["exp"].is_number());
}

TEST_F(IssuerHttpTest, AdminRevocationsNameAnIssuersNamespaceApartFromJwtguardsUsers) {
  HttpClient client(port());
  const std::string admin = admin_token();
  Tokens own = register_and_login(client, "alice");
  const std::string theirs = foreign({});
  Reply revoked = client.post_json("/admin/revocations", {{"user", "alice"}, {"namespace", kName}},
                                   bearer(admin));
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  EXPECT_EQ(revoked.json()["namespace"], kName);
  EXPECT_EQ(client.get("/auth/verify", bearer(theirs)).status, 401);
  EXPECT_EQ(client.get("/auth/verify", bearer(own.access)).status, 200);

  // By sid in the namespace, and by a token.
  const std::string in_session = foreign({{"sub", "dave"}, {"sid", "s-x"}});
  EXPECT_EQ(
      client.post_json("/admin/revocations", {{"sid", "s-x"}, {"namespace", kName}}, bearer(admin))
          .status,
      200);
  EXPECT_EQ(client.get("/auth/verify", bearer(in_session)).status, 401);
  const std::string by_token = foreign({{"sub", "erin"}, {"jti", "t-9"}});
  EXPECT_EQ(
      client
          .post_json("/admin/revocations", {{"token", by_token}, {"kind", "token"}}, bearer(admin))
          .status,
      200);
  EXPECT_EQ(client.get("/auth/verify", bearer(by_token)).status, 401);
  EXPECT_EQ(
      client.post_json("/admin/revocations", {{"user", "x"}, {"namespace", "nope"}}, bearer(admin))
          .status,
      400);
}

TEST_F(IssuerHttpTest, BackchannelLogoutBySidEndsThatSessionOnly) {
  HttpClient client(port());
  const std::string in_session = foreign({{"sid", "s-1"}});
  const std::string other = foreign({{"sid", "s-2"}});
  const std::string token = logout_token({});
  Reply reply = logout(client, token);
  EXPECT_EQ(reply.status, 200) << reply.body;
  EXPECT_TRUE(reply.body.empty());
  EXPECT_EQ(reply.header("Cache-Control"), "no-store");
  EXPECT_EQ(reply.header("Pragma"), "no-cache");
  EXPECT_EQ(client.get("/auth/verify", bearer(in_session)).status, 401);
  EXPECT_EQ(client.get("/auth/verify", bearer(other)).status, 200);
  // A replay is refused.
  Reply again = logout(client, token);
  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(again.json()["error"], "invalid_request");
  EXPECT_EQ(again.header("Cache-Control"), "no-store");
  EXPECT_NE(client.get("/metrics")
                .body.find("jwtguard_backchannel_logouts_total{outcome=\"replayed\"} 1"),
            std::string::npos);
}

TEST_F(IssuerHttpTest, BackchannelLogoutBySubEndsTheSubjectsEarlierTokens) {
  HttpClient client(port());
  const std::string before = foreign({{"sub", "frank"}, {"iat", now_seconds() - 5}});
  EXPECT_EQ(logout(client, logout_token({{"sid", nullptr}, {"sub", "frank"}})).status, 200);
  EXPECT_EQ(client.get("/auth/verify", bearer(before)).status, 401);
  EXPECT_EQ(client.get("/auth/verify", bearer(foreign({{"sub", "grace"}}))).status, 200);
}

TEST_F(IssuerHttpTest, BadLogoutTokensAndFormsAreRefusedAndRevokeNothing) {
  HttpClient client(port());
  const std::string in_session = foreign({{"sid", "s-1"}});
  json unsigned_header = {{"alg", "none"}};
  json unsigned_payload = {{"iss", kIssuer},       {"aud", kClientId},
                           {"iat", now_seconds()}, {"jti", "u-1"},
                           {"sid", "s-1"},         {"events", {{kLogoutEvent, json::object()}}}};
  const std::string unsigned_token = base64url::encode(unsigned_header.dump()) + "." +
                                     base64url::encode(unsigned_payload.dump()) + ".";
  for (const std::string& token :
       {logout_token({{"aud", "someone-else"}}), logout_token({{"nonce", "n"}}),
        logout_token({{"events", nullptr}}),
        logout_token({{"events", {{"other", json::object()}}}}), logout_token({{"jti", nullptr}}),
        logout_token({{"sid", nullptr}}), unsigned_token}) {
    Reply reply = logout(client, token);
    EXPECT_EQ(reply.status, 400) << token;
    EXPECT_EQ(reply.json()["error"], "invalid_request");
    EXPECT_EQ(reply.body.find(token), std::string::npos);
    EXPECT_EQ(reply.header("Cache-Control"), "no-store");
  }
  const std::string good = logout_token({});
  const std::string forms[] = {"", "logout_token=", "token=" + good,
                               "logout_token=" + good + "&logout_token=" + good};
  for (const std::string& form : forms) {
    EXPECT_EQ(client.post_form("/oidc/backchannel-logout", form).status, 400) << form;
  }
  EXPECT_EQ(client.post_json("/oidc/backchannel-logout", {{"logout_token", good}}).status, 400);
  EXPECT_EQ(client.get("/auth/verify", bearer(in_session)).status, 200);
}

TEST_F(IssuerHttpTest, MetricsDescribeEachIssuersKeySet) {
  HttpClient client(port());
  const std::string text = client.get("/metrics").body;
  for (const char* sample :
       {"jwtguard_jwks_fetches_total{issuer=\"idp\",outcome=\"ok\"}",
        "jwtguard_jwks_fetches_total{issuer=\"idp\",outcome=\"failed\"}",
        "jwtguard_jwks_unknown_kid_fetches_total{issuer=\"idp\"}",
        "jwtguard_jwks_cooldown_refusals_total{issuer=\"idp\"}",
        "jwtguard_jwks_keys{issuer=\"idp\"} 1", "jwtguard_jwks_age_seconds{issuer=\"idp\"}"}) {
    EXPECT_NE(text.find(sample), std::string::npos) << sample;
  }
}

// Ready once the first set is in, and ready still while the identity server
// is down: the last good set stays in use.
TEST_F(IssuerHttpTest, ReadyStaysReadyAndKnownTokensPassWhileTheIssuerIsDown) {
  HttpClient client(port());
  const std::string token = foreign({});
  jwks_->stop();
  EXPECT_EQ(client.get("/readyz").status, 200);
  EXPECT_EQ(client.get("/auth/verify", bearer(token)).status, 200);
}

class IssuerNotYetServedTest : public IssuerHttpTest {
 protected:
  void SetUp() override { HttpTest::SetUp(); }
  void configure(ServeConfig& config) override {
    IssuerHttpTest::configure(config);
    port_ = jwks_->port();
    jwks_->stop();
    jwks_.reset();
  }
  std::uint16_t port_ = 0;
};

TEST_F(IssuerNotYetServedTest, ReadyzWaitsForTheFirstKeySet) {
  HttpClient client(port());
  Reply before = client.get("/readyz");
  EXPECT_EQ(before.status, 503);
  EXPECT_EQ(before.json()["issuers_not_ready"], json::array({"idp"}));
  jwks_ = std::make_unique<JwksServer>(KeySet(*key_).to_public_jwks(), port_);
  wait_ready();
  EXPECT_EQ(client.get("/auth/verify", bearer(foreign({}))).status, 200);
}

}  // namespace
}  // namespace jwtguard::server::http_tests
