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

// Long inputs take the sixteen-at-a-time path: every byte outside the
// alphabet must be refused at every position of it (and of the tail after
// it), and every character of the alphabet must decode as six bits do.
TEST(Base64Url, EveryPositionOfALongInputIsChecked) {
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const std::string base = encode(std::string(60, '\x5a'));  // 80 characters
  for (std::size_t pos = 0; pos < base.size(); ++pos) {
    for (int c = 0; c < 256; ++c) {
      std::string mutated = base;
      mutated[pos] = static_cast<char>(c);
      const auto six = alphabet.find(static_cast<char>(c));
      const auto decoded = decode(mutated);
      ASSERT_EQ(decoded.has_value(), six != std::string::npos) << "byte " << c << " at " << pos;
      if (!decoded) continue;
      std::string bits;  // the expected bytes, six bits at a time
      std::uint32_t acc = 0;
      int held = 0;
      for (char ch : mutated) {
        acc = (acc << 6) | static_cast<std::uint32_t>(alphabet.find(ch));
        held += 6;
        if (held >= 8) {
          held -= 8;
          bits.push_back(static_cast<char>(acc >> held));
        }
      }
      ASSERT_EQ(*decoded, bits) << "byte " << c << " at " << pos;
    }
  }
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
