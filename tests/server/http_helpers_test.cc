// The request helpers of src/server/http.cc, on their own. (http_test.cc
// drives the whole service over HTTP.)
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string_view>

#include "server/http.h"

namespace jwtguard::server {
namespace {

// A view over a heap buffer of exactly `text.size()` bytes, with no
// terminator after it, so that AddressSanitizer (make sanitize) reports any
// read past the end.
class ExactBuffer {
 public:
  explicit ExactBuffer(std::string_view text)
      : size_(text.size()), bytes_(std::make_unique<char[]>(text.size())) {
    std::memcpy(bytes_.get(), text.data(), text.size());
  }
  std::string_view view() const { return {bytes_.get(), size_}; }

 private:
  std::size_t size_;
  std::unique_ptr<char[]> bytes_;
};

TEST(IequalsAscii, IgnoresAsciiCaseOnly) {
  EXPECT_TRUE(iequals_ascii("Chunked", "chunked"));
  EXPECT_TRUE(iequals_ascii("", ""));
  EXPECT_FALSE(iequals_ascii("chunked", "chunke"));
  EXPECT_FALSE(iequals_ascii("chunked", "chunkeD "));
  // Only A-Z fold: '@' and '`' sit next to them, and bytes above 0x7F are
  // never letters here.
  EXPECT_FALSE(iequals_ascii("@", "`"));
  EXPECT_FALSE(iequals_ascii("\xC9", "\xE9"));
}

// Boost 1.74's beast::iequals reads one byte past both arguments when they
// differ in case; the HTTP fuzz target found it through target_path. Under
// make sanitize these read exact-size buffers.
TEST(IequalsAscii, ReadsNoByteBeyondItsArguments) {
  ExactBuffer upper("HTTP://");
  ExactBuffer lower("http://");
  EXPECT_TRUE(iequals_ascii(upper.view(), lower.view()));
  EXPECT_EQ(target_path(upper.view()), "/");
  ExactBuffer json("APPLICATION/JSON");
  EXPECT_TRUE(iequals_ascii(json.view(), "application/json"));
}

TEST(TargetPath, OriginFormLosesItsQuery) {
  EXPECT_EQ(target_path("/auth/verify?x=1"), "/auth/verify");
  EXPECT_EQ(target_path("/auth/verify"), "/auth/verify");
  EXPECT_EQ(target_path("/"), "/");
}

TEST(TargetPath, AbsoluteFormKeepsOnlyThePath) {
  EXPECT_EQ(target_path("http://example.test/auth/verify?x=1"), "/auth/verify");
  EXPECT_EQ(target_path("HTTPS://Example.Test/readyz"), "/readyz");
  EXPECT_EQ(target_path("http://example.test"), "/");
  EXPECT_EQ(target_path("http://example.test?next=/admin"), "/");
  EXPECT_EQ(target_path("HTTP://"), "/");
}

TEST(TargetQuery, IsWhatFollowsTheFirstQuestionMark) {
  EXPECT_EQ(target_query("/a?b=1?c"), "b=1?c");
  EXPECT_EQ(target_query("/a"), "");
  EXPECT_EQ(target_query("/a?"), "");
}

TEST(PercentDecode, DecodesEscapesAndRefusesBrokenOnes) {
  EXPECT_EQ(percent_decode("a%20b%2Fc", false), "a b/c");
  EXPECT_EQ(percent_decode("a+b", false), "a+b");
  EXPECT_EQ(percent_decode("a+b", true), "a b");
  EXPECT_EQ(percent_decode("%", false), std::nullopt);
  EXPECT_EQ(percent_decode("%4", false), std::nullopt);
  EXPECT_EQ(percent_decode("%4G", false), std::nullopt);
}

TEST(FormValue, FindsTheFirstFieldOfThatName) {
  EXPECT_EQ(form_value("token=a%2Bb&token=c", "token"), "a+b");
  EXPECT_EQ(form_value("x=1&token_type_hint=access_token", "token_type_hint"), "access_token");
  EXPECT_EQ(form_value("tok%65n=v", "token"), "v");
  EXPECT_EQ(form_value("token", "token"), "");
  EXPECT_EQ(form_value("other=1", "token"), std::nullopt);
  EXPECT_EQ(form_value("", "token"), std::nullopt);
}

}  // namespace
}  // namespace jwtguard::server
