// The keys `jwtguard serve` loads from its settings.
#include "server/service_keys.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "testing/fixtures.h"

namespace jwtguard::server {
namespace {

const std::string kSecret = "0123456789abcdef0123456789abcdef-keys-test";

class ServiceKeysTest : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::string& content) {
    const auto path = scratch_.path() / name;
    std::ofstream(path, std::ios::binary) << content;
    return path.string();
  }
  // The private JWK of the key the service signs with, when `config` loads.
  std::string signing_jwk(const ServeConfig& config) {
    auto keys = load_service_keys(config);
    EXPECT_TRUE(keys.has_value()) << keys.error().message();
    return keys ? keys->signing.to_jwk(true).value_or("") : "";
  }
  static std::string secret_jwk(const std::string& secret) {
    return Key::from_secret(secret)->to_jwk(true).value();
  }
  testing::ScratchDir scratch_;
};

// The command line's --secret-file reads the same file as the same secret
// (jose/key_file.h): only the one line ending an editor adds goes.
TEST_F(ServiceKeysTest, ASecretFileLosesOneLineEndingAsTheCommandLineReadsIt) {
  ServeConfig config;
  config.dev = false;
  config.secret_file = write("plain", kSecret + "\n");
  EXPECT_EQ(signing_jwk(config), secret_jwk(kSecret));
  config.secret_file = write("crlf", kSecret + "\r\n");
  EXPECT_EQ(signing_jwk(config), secret_jwk(kSecret));
  config.secret_file = write("two", kSecret + "\n\n");
  EXPECT_EQ(signing_jwk(config), secret_jwk(kSecret + "\n"));
}

TEST_F(ServiceKeysTest, AKeyFileHoldingAJwkSetIsSentToJwksFile) {
  auto jwk = Key::generate(Algorithm::kES256, "k1")->to_jwk(true);
  ASSERT_TRUE(jwk.has_value());
  ServeConfig config;
  config.dev = false;
  config.key_file = write("set.json", "\n  {\"keys\": [" + *jwk + "]}");
  auto keys = load_service_keys(config);
  ASSERT_FALSE(keys.has_value());
  EXPECT_NE(keys.error().detail().find("this is a JWK Set: name it with keys.jwks_file instead"),
            std::string::npos)
      << keys.error().detail();
  config.key_file = write("one.jwk", *jwk);
  EXPECT_EQ(signing_jwk(config), *jwk);
}

// A rotated set (jwtguard keys): the signing key is keys.kid, else the
// file's active_kid, else the only key; every key verifies.
class ServiceKeySetTest : public ServiceKeysTest {
 protected:
  void SetUp() override {
    for (const char* kid : {"k1", "k2", "k3"}) {
      jwks_[kid] =
          nlohmann::json::parse(Key::generate(Algorithm::kES256, kid)->to_jwk(true).value());
      jwks_[kid]["added_at"] = 1700000000;
    }
    jwks_["k1"]["signed_until"] = 1700000100;
  }
  ServeConfig config_of(const nlohmann::json& set) {
    ServeConfig config;
    config.dev = false;
    config.jwks_file = write("set.json", set.dump());
    return config;
  }
  nlohmann::json set(const char* active) const {
    nlohmann::json set = {{"keys", {jwks_.at("k1"), jwks_.at("k2"), jwks_.at("k3")}}};
    if (active != nullptr) set["active_kid"] = active;
    return set;
  }
  std::string error_of(const ServeConfig& config) {
    auto keys = load_service_keys(config);
    return keys ? std::string("loaded") : keys.error().detail();
  }
  std::map<std::string, nlohmann::json> jwks_;
};

TEST_F(ServiceKeySetTest, TheActiveKidSignsAndEveryKeyVerifies) {
  auto keys = load_service_keys(config_of(set("k2")));
  ASSERT_TRUE(keys.has_value()) << keys.error().message();
  EXPECT_EQ(keys->signing.kid(), "k2");
  EXPECT_EQ(keys->algorithm, Algorithm::kES256);
  EXPECT_EQ(keys->verify.keys().size(), 3u);
  for (const char* kid : {"k1", "k2", "k3"}) EXPECT_NE(keys->verify.find(kid), nullptr) << kid;
  for (const char* hidden : {"\"d\"", "added_at", "signed_until", "active_kid"}) {
    EXPECT_EQ(keys->jwks_json.find(hidden), std::string::npos) << hidden;
  }
}

TEST_F(ServiceKeySetTest, KeysKidNamingTheActiveKeyOrTheOnlyKeyLoads) {
  ServeConfig config = config_of(set("k2"));
  config.kid = "k2";
  config.sources["keys.kid"] = "flag --kid";
  EXPECT_EQ(load_service_keys(config)->signing.kid(), "k2");
  ServeConfig only = config_of({{"keys", {jwks_["k3"]}}});
  EXPECT_EQ(load_service_keys(only)->signing.kid(), "k3");
  // Without active_kid, keys.kid picks as before.
  ServeConfig legacy = config_of(set(nullptr));
  legacy.kid = "k1";
  EXPECT_EQ(load_service_keys(legacy)->signing.kid(), "k1");
}

TEST_F(ServiceKeySetTest, KeysKidAndADifferentActiveKidAreRefusedNamingBoth) {
  ServeConfig config = config_of(set("k2"));
  config.kid = "k1";
  config.sources["keys.kid"] = "environment JWTGUARD_KID";
  const std::string error = error_of(config);
  EXPECT_NE(error.find("keys.kid (environment JWTGUARD_KID) is \"k1\", but the active_kid of "
                       "keys.jwks_file (default): \"" +
                       config.jwks_file + "\" is \"k2\""),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("Remove keys.kid"), std::string::npos) << error;
}

TEST_F(ServiceKeySetTest, AnActiveKidNamingNoKeyIsRefused) {
  EXPECT_NE(error_of(config_of(set("k9")))
                .find("names \"k9\" as its active_kid, but holds no "
                      "key with that kid"),
            std::string::npos);
  nlohmann::json numbered = set(nullptr);
  numbered["active_kid"] = 3;
  const std::string not_text = error_of(config_of(numbered));
  EXPECT_NE(not_text.find("\"active_kid\" is not a non-empty string"), std::string::npos)
      << not_text;
}

TEST_F(ServiceKeySetTest, SeveralKeysAndNothingNamingOneIsRefused) {
  const std::string error = error_of(config_of(set(nullptr)));
  EXPECT_NE(error.find("holds 3 keys and keys.kid (default) is not set, nor is the file's "
                       "active_kid"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("jwtguard keys activate"), std::string::npos) << error;
}

// An active key whose private half is gone cannot sign: refused at start.
TEST_F(ServiceKeySetTest, AnActiveKeyWithoutItsPrivateHalfIsRefused) {
  nlohmann::json set = this->set("k2");
  set["keys"][1].erase("d");
  const std::string error = error_of(config_of(set));
  EXPECT_NE(error.find("cannot sign"), std::string::npos) << error;
}

}  // namespace
}  // namespace jwtguard::server
