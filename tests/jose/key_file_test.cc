// The rules of key files that the command line and the service share.
#include "jose/key_file.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace jwtguard
