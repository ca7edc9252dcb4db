// The rules of key files that the command line and the service share.
#include "jose/key_file.h"

#include <gtest/gtest.h>

#include "testing/fixtures.h"

namespace jwtguard {
namespace {

TEST(KeyFileTest, TellsPemJwkAndJwkSetApartByTheirFirstCharacterAndKeys) {
  EXPECT_EQ(key_file_format("-----BEGIN PRIVATE KEY-----\n..."), KeyFileFormat::kPem);
  EXPECT_EQ(key_file_format(""), KeyFileFormat::kPem);
  EXPECT_EQ(key_file_format("{\"kty\":\"oct\",\"k\":\"AAAA\"}"), KeyFileFormat::kJwk);
  EXPECT_EQ(key_file_format(" \r\n\t{\"keys\":[]}\n"), KeyFileFormat::kJwks);
  // A "keys" member anywhere but at the top does not make a set.
  EXPECT_EQ(key_file_format("{\"kty\":\"oct\",\"x\":{\"keys\":[]}}"), KeyFileFormat::kJwk);
  // Not JSON after all: named after what it starts like, whose parser says why.
  EXPECT_EQ(key_file_format("{\"keys\": [ oops"), KeyFileFormat::kJwk);
}

// One line ending goes (the one `echo` or an editor adds), and nothing else.
TEST(KeyFileTest, ASecretFileLosesOneLineEndingOnly) {
  EXPECT_EQ(secret_from_file_text("s3cret"), "s3cret");
  EXPECT_EQ(secret_from_file_text("s3cret\n"), "s3cret");
  EXPECT_EQ(secret_from_file_text("s3cret\r\n"), "s3cret");
  EXPECT_EQ(secret_from_file_text("s3cret\n\n"), "s3cret\n");
  EXPECT_EQ(secret_from_file_text("s3cret \t\n"), "s3cret \t");
  EXPECT_EQ(secret_from_file_text("\n"), "");
}

// The service's keys.kid and the command line's --kid name a JWK the same way.
TEST(KeyFileTest, AKidGivenWithAJwkIsAddedOrMustMatch) {
  auto generated = Key::generate(Algorithm::kES256, "");
  ASSERT_OK(generated);
  const std::string without = generated->to_jwk(true).value();
  auto named = key_from_jwk(without, "k9", "--kid");
  ASSERT_OK(named);
  EXPECT_EQ(named->kid(), "k9");
  EXPECT_EQ(key_from_jwk(without, "", "--kid")->kid(), "");
  const std::string with = Key::generate(Algorithm::kES256, "k1")->to_jwk(true).value();
  EXPECT_EQ(key_from_jwk(with, "k1", "--kid")->kid(), "k1");
  EXPECT_EQ(key_from_jwk(with, "", "--kid")->kid(), "k1");
  auto other = key_from_jwk(with, "k2", "keys.kid");
  EXPECT_ERRC(other, Errc::kBadKey);
  EXPECT_EQ(other.error().detail(), "its \"kid\" differs from keys.kid; remove one of them");
  EXPECT_ERRC(key_from_jwk("{\"kty\": 1}", "k1", "--kid"), Errc::kBadKey);
}

}  // namespace
}  // namespace jwtguard
