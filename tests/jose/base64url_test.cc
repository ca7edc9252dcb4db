#include "jose/base64url.h"

#include <gtest/gtest.h>

namespace jwtguard::base64url {
namespace {

TEST(Base64Url, EncodesRfc4648Vectors) {
  // RFC 4648 §10, in the URL-safe alphabet and without padding.
  EXPECT_EQ(encode(""), "");
  EXPECT_EQ(encode("f"), "Zg");
  EXPECT_EQ(encode("fo"), "Zm8");
  EXPECT_EQ(encode("foo"), "Zm9v");
  EXPECT_EQ(encode("foob"), "Zm9vYg");
  EXPECT_EQ(encode("fooba"), "Zm9vYmE");
  EXPECT_EQ(encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(encode("\xfb\xff\xbf"), "-_-_");
}

TEST(Base64Url, RoundTripsEveryLengthAndByte) {
  std::string bytes;
  for (int i = 0; i < 300; ++i) {
    bytes.push_back(static_cast<char>(i * 37 + 11));
    const std::string encoded = encode(bytes);
    ASSERT_EQ(decode(encoded), bytes) << "length " << bytes.size();
  }
}

TEST(Base64Url, RefusesPadding) {
  EXPECT_FALSE(decode("Zg=="));
  EXPECT_FALSE(decode("Zm8="));
  EXPECT_FALSE(decode("Zg="));
}

TEST(Base64Url, RefusesTheStandardAlphabetsExtraCharacters) {
  EXPECT_FALSE(decode("+/+/"));
  EXPECT_FALSE(decode("ab+c"));
  EXPECT_FALSE(decode("ab/c"));
}

TEST(Base64Url, RefusesWhitespaceAndOtherBytes) {
  EXPECT_FALSE(decode("Zm9v YmFy"));
  EXPECT_FALSE(decode("Zm9v\nYmFy"));
  EXPECT_FALSE(decode(" Zm9v"));
  EXPECT_FALSE(decode("Zm9v."));
  EXPECT_FALSE(decode(std::string("Zm\0v", 4)));
  EXPECT_FALSE(decode("Zm\xc3\xa9v"));
}

TEST(Base64Url, RefusesImpossibleLength) {
  EXPECT_FALSE(decode("Z"));
  EXPECT_FALSE(decode("Zm9vY"));
}

TEST(Base64Url, RefusesNonCanonicalTrailingBits) {
  // "Zg" is the only encoding of "f"; "Zh".."Zv" carry stray low bits.
  EXPECT_TRUE(decode("Zg"));
  EXPECT_FALSE(decode("Zh"));
  EXPECT_FALSE(decode("Zv"));
  // "Zm8" is the only encoding of "fo"; "Zm9" sets the two unused bits.
  EXPECT_TRUE(decode("Zm8"));
  EXPECT_FALSE(decode("Zm9"));
}

TEST(Base64Url, DecodedSize) {
  EXPECT_EQ(decoded_size(0), 0u);
  EXPECT_EQ(decoded_size(2), 1u);
  EXPECT_EQ(decoded_size(3), 2u);
  EXPECT_EQ(decoded_size(4), 3u);
  EXPECT_FALSE(decoded_size(5));
}

}  // namespace
}  // namespace jwtguard::base64url
