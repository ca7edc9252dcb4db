// The [[issuers]] tables of serve's TOML file: defaults, the forms a value
// may take, and every refusal, each naming the table's index and key.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "server/config.h"
#include "server/issuer_settings.h"
#include "testing/fixtures.h"

namespace jwtguard::server {
namespace {

using std::chrono::seconds;

constexpr const char* kMinimal = R"(
[[issuers]]
issuer = "https://id.example.com/realms/main"
jwks_url = "https://id.example.com/realms/main/certs"
)";

Result<ServeConfig> load(const std::string& text) {
  return load_serve_config_text(text, "jwtguard.toml", {}, {});
}

std::string error_of(const Result<ServeConfig>& result) {
  if (result) {
    ADD_FAILURE() << "loaded, expected an error";
    return {};
  }
  EXPECT_EQ(result.error().code(), Errc::kInvalidArgument);
  return result.error().detail();
}

// The minimal table plus `lines` (appended inside it).
std::string with(const std::string& lines) { return std::string(kMinimal) + lines + "\n"; }

TEST(IssuerConfigTest, AMinimalTableTakesTheDocumentedDefaults) {
  auto config = load(kMinimal);
  ASSERT_TRUE(config) << config.error().detail();
  ASSERT_EQ(config->issuers.size(), 1u);
  const IssuerConfig& issuer = config->issuers[0];
  EXPECT_EQ(issuer.name_or_issuer(), "https://id.example.com/realms/main");
  EXPECT_EQ(issuer.subject_claim, "sub");
  EXPECT_EQ(issuer.session_claim, "sid");
  EXPECT_EQ(issuer.leeway, seconds(0));
  EXPECT_EQ(issuer.max_token_lifetime, seconds(24 * 3600));
  EXPECT_EQ(issuer.logout_token_max_age, seconds(300));
  EXPECT_EQ(issuer.jwks_min_ttl, seconds(60));
  EXPECT_EQ(issuer.jwks_max_ttl, seconds(24 * 3600));
  EXPECT_EQ(issuer.jwks_default_ttl, seconds(600));
  EXPECT_EQ(issuer.jwks_cooldown, seconds(30));
  EXPECT_EQ(issuer.jwks_timeout, seconds(5));
  EXPECT_EQ(issuer.jwks_connect_timeout, seconds(2));
  EXPECT_EQ(issuer.jwks_max_bytes, 262144u);
  EXPECT_TRUE(issuer.audience.empty());
  EXPECT_TRUE(issuer.algorithms.empty());
  EXPECT_TRUE(load("")->issuers.empty());
}

TEST(IssuerConfigTest, ListsTakeAStringOrAnArrayAndDurationsTheirUnits) {
  auto config = load(with(R"(name = "kc"
audience = ["api", "web"]
algorithms = "RS256"
client_id = "jwtguard"
subject_claim = "preferred_username"
session_claim = "sess"
leeway = "30s"
jwks_cooldown = "1m"
jwks_max_bytes = 1024
[[issuers]]
issuer = "http://127.0.0.1:4444/"
jwks_url = "http://127.0.0.1:4444/.well-known/jwks.json"
audience = "api"
algorithms = ["ES256", "EdDSA"]
jwks_cooldown = 2)"));
  ASSERT_TRUE(config) << config.error().detail();
  ASSERT_EQ(config->issuers.size(), 2u);
  EXPECT_EQ(config->issuers[0].name_or_issuer(), "kc");
  EXPECT_EQ(config->issuers[0].audience, (std::vector<std::string>{"api", "web"}));
  EXPECT_EQ(config->issuers[0].algorithms, (std::vector<std::string>{"RS256"}));
  EXPECT_EQ(config->issuers[0].client_id, "jwtguard");
  EXPECT_EQ(config->issuers[0].subject_claim, "preferred_username");
  EXPECT_EQ(config->issuers[0].session_claim, "sess");
  EXPECT_EQ(config->issuers[0].leeway, seconds(30));
  EXPECT_EQ(config->issuers[0].jwks_cooldown, seconds(60));
  EXPECT_EQ(config->issuers[0].jwks_max_bytes, 1024u);
  EXPECT_EQ(config->issuers[1].audience, (std::vector<std::string>{"api"}));
  EXPECT_EQ(config->issuers[1].algorithms, (std::vector<std::string>{"ES256", "EdDSA"}));
  // A bare integer is seconds, as for every other duration setting.
  EXPECT_EQ(config->issuers[1].jwks_cooldown, seconds(2));
}

TEST(IssuerConfigTest, EveryRefusalNamesTheTableAndTheKey) {
  const std::map<std::string, std::string> refused = {
      {with("colour = \"blue\""), "issuers[0].colour"},
      {with("jwks_urll = \"x\""), "did you mean jwks_url?"},
      {"[[issuers]]\njwks_url = \"https://a/\"\n", "issuers[0].issuer"},
      {"[[issuers]]\nissuer = \"a\"\n", "issuers[0].jwks_url"},
      {with("leeway = \"5 minutes\""), "issuers[0].leeway"},
      {with("jwks_timeout = \"0s\""), "issuers[0].jwks_timeout"},
      {with("jwks_cooldown = true"), "issuers[0].jwks_cooldown"},
      {with("jwks_max_bytes = 0"), "issuers[0].jwks_max_bytes"},
      {with("audience = 3"), "issuers[0].audience"},
      {with("algorithms = [\"HS256\"]"), "issuers[0].algorithms"},
      {with("algorithms = \"none\""), "issuers[0].algorithms"},
      {with("algorithms = \"RS999\""), "issuers[0].algorithms"},
      {with("name = \"user\""), "issuers[0].name"},
      {with("name = \"app\""), "issuers[0].name"},
      {with("subject_claim = \"\""), "issuers[0].subject_claim"},
      {with("jwks_min_ttl = \"2h\"\njwks_max_ttl = \"1h\""), "issuers[0].jwks_min_ttl"},
      {"[[issuers]]\nissuer = \"a\"\njwks_url = \"http://id.example.com/certs\"\n",
       "issuers[0].jwks_url"},
      {"[[issuers]]\nissuer = \"a\"\njwks_url = \"ftp://127.0.0.1/certs\"\n",
       "issuers[0].jwks_url"},
      {"[[issuers]]\nissuer = \"a\"\njwks_url = \"https://u:p@id.example.com/\"\n",
       "issuers[0].jwks_url"},
      {std::string(kMinimal) + kMinimal, "issuers[1].issuer"},
      {with("name = \"kc\"") + "[[issuers]]\nissuer = \"b\"\njwks_url = \"https://b/\"\n" +
           "name = \"kc\"\n",
       "issuers[1].name"},
      {"issuers = \"https://id.example.com\"\n", "[[issuers]]"},
  };
  for (const auto& [text, expected] : refused) {
    const std::string error = error_of(load(text));
    EXPECT_NE(error.find(expected), std::string::npos) << text << "\n=> " << error;
    EXPECT_NE(error.find("jwtguard.toml"), std::string::npos) << error;
  }
}

TEST(IssuerConfigTest, LoopbackHostsMayUsePlainHttp) {
  for (const char* url : {"http://127.0.0.1:8080/jwks", "http://127.5.0.1/jwks",
                          "http://localhost:1/jwks", "http://[::1]:9/jwks", "https://a.example/"}) {
    EXPECT_TRUE(check_jwks_url(url)) << url;
  }
  for (const char* url : {"http://10.0.0.1/jwks", "http://localhost.example/", "http://[::2]/",
                          "http:///x", "https://a.example/#frag", "http://128.0.0.1/"}) {
    EXPECT_FALSE(check_jwks_url(url)) << url;
  }
}

TEST(IssuerConfigTest, AnIssuerMustNotBeJwtguardsOwn) {
  const std::string text =
      "[tokens]\nissuer = \"https://id.example.com/realms/main\"\n" + std::string(kMinimal);
  EXPECT_NE(error_of(load(text)).find("issuers[0].issuer"), std::string::npos);
  // Wherever tokens.issuer comes from.
  auto from_flag = load_serve_config_text(
      kMinimal, "jwtguard.toml", {}, {{"tokens.issuer", "https://id.example.com/realms/main"}});
  EXPECT_NE(error_of(from_flag).find("flag --issuer"), std::string::npos);
}

TEST(IssuerConfigTest, TheEffectiveConfigurationListsTheIssuers) {
  auto config = load(with("name = \"kc\"\nclient_id = \"jwtguard\""));
  ASSERT_TRUE(config);
  const auto described = nlohmann::json::parse(describe(*config));
  ASSERT_EQ(described["issuers"].size(), 1u);
  EXPECT_EQ(described["issuers"][0]["name"], "kc");
  EXPECT_EQ(described["issuers"][0]["jwks_cooldown"], "30s");
  EXPECT_EQ(described["issuers"][0]["client_id"], "jwtguard");
}

// docs/configuration.md's "Trusted issuers" table: "| `key` | default |".
TEST(IssuerConfigTest, TheDocumentationListsEveryIssuerKey) {
  const auto path = std::filesystem::path(JWTGUARD_SOURCE_DIR) / "docs/configuration.md";
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  std::map<std::string, std::string> rows;
  bool in_section = false;
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("## ")) in_section = line.find("[[issuers]]") != std::string::npos;
    if (in_section && line.starts_with("| `")) rows[line.substr(3, line.find('`', 3) - 3)] = line;
  }
  for (const IssuerSettingInfo& s : issuer_settings()) {
    ASSERT_EQ(rows.count(s.key), 1u) << s.key;
    const std::string fallback = s.required               ? "| (required) |"
                                 : s.default_text.empty() ? "| (empty) |"
                                                          : "| `" + s.default_text + "` |";
    EXPECT_NE(rows[s.key].find(fallback), std::string::npos) << rows[s.key];
  }
  EXPECT_EQ(rows.size(), issuer_settings().size());
}

}  // namespace
}  // namespace jwtguard::server
