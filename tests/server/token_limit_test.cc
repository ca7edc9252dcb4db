// http.token_limit reaches the verifier, and /admin/tokens refuses claims
// that would make a token the service itself would refuse, over HTTP.
#include <fstream>
#include <string>

#include "jose/base64url.h"
#include "server/http_fixture.h"

namespace jwtguard::server::http_tests {
namespace {

// A claims object whose JSON is about `bytes` long.
json padding_claims(std::size_t bytes) { return {{"pad", std::string(bytes, 'x')}}; }

// {"n": {"n": ... {} ...}}: `depth` objects in all.
json nested_claims(int depth) {
  json inner = json::object();
  for (int i = 1; i < depth; ++i) inner = json{{"n", inner}};
  return inner;
}

class TokenLimitTest : public HttpTest {
 protected:
  // The live sessions of the minted identity `name`.
  std::size_t minted_sessions(std::string_view name) {
    auto sessions =
        app_->guard().store().list_sessions(subject_key(kAppNamespace, name), SystemClock().now());
    EXPECT_TRUE(sessions.has_value()) << sessions.error().message();
    return sessions ? sessions->size() : 0;
  }

  void configure(ServeConfig& config) override {
    config.header_limit = 32 * 1024;
    config.token_limit = 16 * 1024;
  }
};

TEST_F(TokenLimitTest, ATokenOverEightKibibytesUnderTheLimitIsVerified) {
  HttpClient client(port());
  Reply minted =
      client.post_json("/admin/tokens", {{"identity", "big"}, {"claims", padding_claims(9 * 1024)}},
                       bearer(admin_token()));
  ASSERT_EQ(minted.status, 200) << minted.body.substr(0, 300);
  const Tokens tokens = tokens_of(minted);
  ASSERT_GT(tokens.access.size(), 12u * 1024);
  ASSERT_LT(tokens.access.size(), 16u * 1024);
  Reply verified = client.get("/auth/verify", bearer(tokens.access));
  EXPECT_EQ(verified.status, 200) << verified.body;
  Reply me = client.get("/auth/me", bearer(tokens.access));
  EXPECT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.json()["sub"], "big");
}

TEST_F(TokenLimitTest, MintingATokenOverTheLimitIsRefusedAndLeavesNoSession) {
  HttpClient client(port());
  Reply refused = client.post_json("/admin/tokens",
                                   {{"identity", "huge"}, {"claims", padding_claims(14 * 1024)}},
                                   bearer(admin_token()));
  EXPECT_EQ(refused.status, 400) << refused.body;
  const std::string message = refused.json().value("msg", "");
  EXPECT_NE(message.find("over this service's limit of 16384 (http.token_limit)"),
            std::string::npos)
      << message;
  EXPECT_EQ(minted_sessions("huge"), 0u);
  // What fits is minted, with its session.
  Reply minted = client.post_json("/admin/tokens",
                                  {{"identity", "huge"}, {"claims", padding_claims(8 * 1024)}},
                                  bearer(admin_token("root2")));
  ASSERT_EQ(minted.status, 200) << minted.body.substr(0, 300);
  EXPECT_EQ(minted_sessions("huge"), 1u);
}

TEST_F(TokenLimitTest, MintingClaimsNestedDeeperThanTheVerifierReadsIsRefused) {
  HttpClient client(port());
  const std::string admin = admin_token();
  Reply refused = client.post_json(
      "/admin/tokens", {{"identity", "deep"}, {"claims", nested_claims(70)}}, bearer(admin));
  EXPECT_EQ(refused.status, 400) << refused.body;
  const std::string message = refused.json().value("msg", "");
  EXPECT_NE(message.find("'claims' make a token this service would refuse"), std::string::npos)
      << message;
  EXPECT_NE(message.find("payload is nested deeper than 64 levels"), std::string::npos) << message;
  EXPECT_EQ(minted_sessions("deep"), 0u);
  // Nesting the verifier reads is minted, and verifies.
  Reply minted = client.post_json(
      "/admin/tokens", {{"identity", "deep"}, {"claims", nested_claims(20)}}, bearer(admin));
  ASSERT_EQ(minted.status, 200) << minted.body;
  EXPECT_EQ(client.get("/auth/verify", bearer(tokens_of(minted).access)).status, 200);
  EXPECT_EQ(minted_sessions("deep"), 1u);
}

// Status lists on: every token the service mints also carries
//   "status": {"status_list": {"idx": N, "uri": "<base_url>/statuslists/<id>"}}
class StatusListTokenLimitTest : public TokenLimitTest {
 protected:
  // A long base_url: the status claim adds hundreds of bytes to a token.
  static inline const std::string kBaseUrl = "https://auth.example.com/" + std::string(200, 'p');

  void configure(ServeConfig& config) override {
    TokenLimitTest::configure(config);
    const auto path = dir_.path() / "es256.pem";
    std::ofstream(path) << testing::key_pem(testing::private_key_for(Algorithm::kES256), false);
    config.secret.clear();
    config.algorithm = "ES256";
    config.key_file = path.string();
    config.status_list_enabled = true;
    config.status_list_base_url = kBaseUrl;
  }

  Reply mint(HttpClient& client, std::size_t padding) {
    return client.post_json("/admin/tokens",
                            {{"identity", "edge"}, {"claims", padding_claims(padding)}},
                            bearer(admin_));
  }

  std::string admin_;
};

// The largest claims minted make tokens the service accepts, status claim
// included; one byte more is refused, although that token would fit
// without its status claim.
TEST_F(StatusListTokenLimitTest, TheSizeCheckCountsTheStatusClaim) {
  HttpClient client(port());
  admin_ = admin_token();
  std::size_t fits = 8 * 1024, refused = 16 * 1024;  // the padding that does, does not
  ASSERT_EQ(mint(client, fits).status, 200);
  ASSERT_EQ(mint(client, refused).status, 400);
  while (refused - fits > 1) {
    const std::size_t middle = (fits + refused) / 2;
    (mint(client, middle).status == 200 ? fits : refused) = middle;
  }
  const std::size_t sessions = minted_sessions("edge");

  Reply minted = mint(client, fits);
  ASSERT_EQ(minted.status, 200) << minted.body.substr(0, 300);
  const Tokens tokens = tokens_of(minted);
  for (const std::string* token : {&tokens.access, &tokens.refresh}) {
    const json payload = json::parse(*base64url::decode(
        token->substr(token->find('.') + 1, token->rfind('.') - token->find('.') - 1)));
    EXPECT_EQ(payload["status"]["status_list"]["uri"].get<std::string>().rfind(kBaseUrl, 0), 0u);
  }
  Reply verified = client.get("/auth/verify", bearer(tokens.access));
  EXPECT_EQ(verified.status, 200) << verified.body.substr(0, 300);
  Reply refreshed = client.post("/auth/refresh", bearer(tokens.refresh));
  EXPECT_EQ(refreshed.status, 200) << refreshed.body.substr(0, 300);

  Reply over = mint(client, refused);
  EXPECT_EQ(over.status, 400) << over.body.substr(0, 300);
  const std::string message = over.json().value("msg", "");
  EXPECT_NE(message.find("over this service's limit of 16384 (http.token_limit)"),
            std::string::npos)
      << message;
  // "'claims' make a token of N bytes": N is over the limit by less than
  // the status claim's share of it, so without it the token would fit.
  const std::size_t size = std::stoul(message.substr(message.find(" of ") + 4));
  EXPECT_GT(size, 16384u);
  const std::size_t status_share = (kBaseUrl.size() + 40) * 4 / 3;
  EXPECT_LT(size - 16384, status_share) << message;
  EXPECT_EQ(minted_sessions("edge"), sessions + 1);
}

// Under the default limit (8 KiB), what is larger is refused the same way.
TEST_F(HttpTest, MintingATokenOverTheDefaultLimitIsRefused) {
  HttpClient client(port());
  Reply refused =
      client.post_json("/admin/tokens", {{"identity", "big"}, {"claims", padding_claims(7 * 1024)}},
                       bearer(admin_token()));
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_NE(refused.json().value("msg", "").find("limit of 8192 (http.token_limit)"),
            std::string::npos)
      << refused.body;
}

}  // namespace
}  // namespace jwtguard::server::http_tests
