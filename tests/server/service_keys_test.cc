// The keys `jwtguard serve` loads from its settings.
#include "server/service_keys.h"

#include <gtest/gtest.h>

#include <fstream>

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

}  // namespace
}  // namespace jwtguard::server
