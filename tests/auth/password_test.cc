#include "jwtguard/password.h"

#include <gtest/gtest.h>

#include <string>

#include "testing/fixtures.h"

namespace jwtguard {
namespace {

TEST(Password, HashIsArgon2idAndVerifies) {
  auto hash = hash_password("correct horse battery staple");
  ASSERT_OK(hash);
  EXPECT_EQ(hash->rfind("$argon2id$v=19$", 0), 0u) << *hash;
  EXPECT_TRUE(verify_password("correct horse battery staple", *hash));
  EXPECT_FALSE(verify_password("correct horse battery stapla", *hash));
  EXPECT_FALSE(verify_password("", *hash));
  EXPECT_FALSE(password_needs_rehash(*hash));
  EXPECT_TRUE(password_needs_rehash(*hash, PasswordCost::kModerate));
}

TEST(Password, SaltsDiffer) {
  auto a = hash_password("same");
  auto b = hash_password("same");
  ASSERT_OK(a);
  ASSERT_OK(b);
  EXPECT_NE(*a, *b);
  EXPECT_TRUE(verify_password("same", *b));
}

TEST(Password, RefusesEmptyAndOversizedPasswords) {
  EXPECT_ERRC(hash_password(""), Errc::kInvalidArgument);
  EXPECT_ERRC(hash_password(std::string(kMaxPasswordSize + 1, 'x')), Errc::kInvalidArgument);
  EXPECT_OK(hash_password(std::string(kMaxPasswordSize, 'x')));
}

TEST(Password, NewPasswordRuleCountsCharactersAndBoundsBytes) {
  EXPECT_FALSE(check_new_password("1234567", 8));
  EXPECT_TRUE(check_new_password("12345678", 8));
  // Characters, not bytes: eight two-byte letters are eight characters.
  EXPECT_TRUE(
      check_new_password("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 8));
  EXPECT_FALSE(check_new_password("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 8));
  EXPECT_TRUE(check_new_password(std::string(kMaxPasswordSize, 'a'), 8));
  auto too_long = check_new_password(std::string(kMaxPasswordSize + 1, 'a'), 8);
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error().code(), Errc::kInvalidArgument);
  EXPECT_EQ(too_long.error().detail(),
            "'password' must be at least 8 characters and at most 1024 bytes");
}

TEST(Password, MalformedHashesNeverMatch) {
  auto hash = hash_password("pw");
  ASSERT_OK(hash);
  EXPECT_FALSE(verify_password("pw", ""));
  EXPECT_FALSE(verify_password("pw", "not a hash"));
  EXPECT_FALSE(verify_password("pw", hash->substr(0, hash->size() - 4)));
  EXPECT_FALSE(verify_password("pw", *hash + std::string(200, 'A')));  // over the buffer
  std::string flipped = *hash;
  flipped[flipped.size() - 3] = flipped[flipped.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(verify_password("pw", flipped));
  EXPECT_TRUE(password_needs_rehash("not a hash"));
}

}  // namespace
}  // namespace jwtguard
