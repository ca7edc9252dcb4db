// The fast claims reader against its reference (src/core/tokens/flat_claims.h)
// at the edges of RFC 8259: each payload's answer is asserted, the readers
// must agree on it, and the fast reader must take the payloads tokens usually
// are itself (or the speed is gone without a test noticing).
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "testing/claims_diff.h"

namespace jwtguard {
namespace {

using std::string_literals::operator""s;

struct Case {
  std::string payload;
  std::optional<Errc> refused;  // nullopt: accepted
  bool fast = false;            // the fast reader answers it itself
};

void expect_case(const Case& c) {
  SCOPED_TRACE(c.payload);
  const auto diff = testing::diff_claims(c.payload);
  EXPECT_EQ(diff.mismatch, "");
  if (c.refused) {
    ASSERT_FALSE(diff.reference.has_value());
    EXPECT_EQ(diff.reference.error().code(), *c.refused) << diff.reference.error().message();
  } else {
    EXPECT_TRUE(diff.reference.has_value()) << diff.reference.error().message();
  }
  EXPECT_EQ(diff.flat_accepted, c.fast);
}

Claims fast_read(const std::string& payload) {
  Claims claims;
  EXPECT_TRUE(detail::parse_flat_claims(payload, claims)) << payload;
  return claims;
}

TEST(FlatClaims, ReadsTheTokensJwtguardIssuesItself) {
  expect_case(
      {R"({"jti":"5f0c1a0e-5c1b-4b8e-9d43-2a7c1d3e4f50","type":"access","sub":"user-1234567",)"
       R"("sid":"0b6f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d","fresh":true,"iat":1700000000,)"
       R"("iat_ms":1700000000123,"nbf":1700000000,"exp":1700000900})",
       std::nullopt, true});
  expect_case({R"({"aud":["a","b"],"iss":"me","csrf":"c","sub_ns":"app","x":{"y":[1,null]}})",
               std::nullopt, true});
  expect_case({" \t\r\n{ \"sub\" : \"a\" , \"aud\" : [ ] } \n", std::nullopt, true});
  expect_case({"{}", std::nullopt, true});
}

TEST(FlatClaims, DuplicateTopLevelMembersAreRefusedNestedOnesKept) {
  expect_case({R"({"a":1,"a":2})", Errc::kDuplicateMember});
  expect_case({R"({"jti":"x","jti":"y"})", Errc::kDuplicateMember});
  expect_case({R"({"aud":"x","aud":["y"]})", Errc::kDuplicateMember});
  // The same name spelled with an escape is still the same name.
  expect_case({R"({"j\u0074i":"a","jti":"b"})", Errc::kDuplicateMember});
  expect_case({R"({"x":{"a":1,"a":2}})", std::nullopt, true});
}

TEST(FlatClaims, NestingUpTo64LevelsAndNoDeeper) {
  auto nested = [](int levels) {  // the payload object is the first level
    return "{\"x\":" + std::string(levels - 1, '[') + "1" + std::string(levels - 1, ']') + "}";
  };
  expect_case({nested(32), std::nullopt, true});
  expect_case({nested(33), std::nullopt, false});  // declined: the reference reads it
  expect_case({nested(64), std::nullopt, false});
  expect_case({nested(65), Errc::kBadJson});
  expect_case({nested(2000), Errc::kBadJson});
}

TEST(FlatClaims, Utf8IsCheckedStrictly) {
  auto sub = [](std::string bytes) { return "{\"sub\":\"" + bytes + "\"}"; };
  expect_case({sub("\xE2\x82\xAC"), std::nullopt, true});
  expect_case({sub("\xF0\x9F\x98\x80"), std::nullopt, true});
  expect_case({sub("\x7F"), std::nullopt, true});
  expect_case({sub("\xC0\xAF"), Errc::kBadJson});          // overlong '/'
  expect_case({sub("\xE0\x80\xAF"), Errc::kBadJson});      // overlong, 3 bytes
  expect_case({sub("\xED\xA0\x80"), Errc::kBadJson});      // a surrogate
  expect_case({sub("\xF4\x90\x80\x80"), Errc::kBadJson});  // beyond U+10FFFF
  expect_case({sub("\xE2\x82"), Errc::kBadJson});          // truncated
  expect_case({sub("\x80"), Errc::kBadJson});              // lone continuation byte
  expect_case({sub("\xFF"), Errc::kBadJson});
  expect_case({sub("\x1F"), Errc::kBadJson});  // control characters must be escaped
  EXPECT_EQ(fast_read(sub("\xC3\xA9")).sub, "\xC3\xA9");
}

TEST(FlatClaims, EscapesAndSurrogatePairs) {
  expect_case({R"({"sub":"\"\\\/\b\f\n\r\t\u00e9\u20ac\u0000"})", std::nullopt, true});
  EXPECT_EQ(fast_read(R"({"sub":"\"\\\/\b\f\n\r\t\u00e9\u20ac\u0000"})").sub,
            "\"\\/\b\f\n\r\t\xC3\xA9\xE2\x82\xAC\0"s);
  expect_case({R"({"sub":"\ud83d\ude00"})", std::nullopt, false});  // a pair: the reference's
  EXPECT_EQ(parse_claims(R"({"sub":"\ud83d\ude00"})")->sub, "\xF0\x9F\x98\x80");
  expect_case({R"({"sub":"\ud800"})", Errc::kBadJson});  // lone high surrogate
  expect_case({R"({"sub":"\udc00"})", Errc::kBadJson});  // lone low surrogate
  expect_case({R"({"sub":"\ud83dx"})", Errc::kBadJson});
  expect_case({R"({"sub":"\x"})", Errc::kBadJson});
  expect_case({R"({"sub":"\u00g0"})", Errc::kBadJson});
  expect_case({R"({"sub":"\u00"})", Errc::kBadJson});
  expect_case({R"({"sub":"a)", Errc::kBadJson});
}

TEST(FlatClaims, NumbersAtTheEdges) {
  expect_case({R"({"x":9007199254740993})", std::nullopt, true});
  expect_case({R"({"x":-9223372036854775808})", std::nullopt, false});
  expect_case({R"({"x":-9223372036854775809})", Errc::kBadJson});
  expect_case({R"({"x":18446744073709551615})", std::nullopt, false});  // uint64
  expect_case({R"({"x":18446744073709551616})", Errc::kBadJson});
  expect_case({R"({"x":-0})", std::nullopt, false});
  expect_case({R"({"exp":-0})", std::nullopt, false});
  expect_case({R"({"iat_ms":-0})", std::nullopt, false});
  expect_case({R"({"exp":-0.0})", std::nullopt, true});
  expect_case({R"({"x":1e400})", Errc::kBadJson});
  expect_case({R"({"x":-1e400})", Errc::kBadJson});
  expect_case({R"({"x":1e-400})", std::nullopt, false});
  expect_case({R"({"x":01})", Errc::kBadJson});
  expect_case({R"({"x":-01})", Errc::kBadJson});
  expect_case({R"({"x":1.})", Errc::kBadJson});
  expect_case({R"({"x":.5})", Errc::kBadJson});
  expect_case({R"({"x":1e})", Errc::kBadJson});
  expect_case({R"({"x":1e+})", Errc::kBadJson});
  expect_case({R"({"x":+1})", Errc::kBadJson});
  expect_case({R"({"x":-})", Errc::kBadJson});
  expect_case({R"({"exp":1E5,"nbf":1.5,"iat":2.5e-1})", std::nullopt, true});
  EXPECT_EQ(fast_read(R"({"exp":1E5})").exp, from_unix_seconds(100000));
  EXPECT_EQ(fast_read(R"({"nbf":1.5})").nbf, Timestamp(std::chrono::microseconds(1500000)));
  expect_case({R"({"exp":9007199254740993})", Errc::kBadClaim});
  expect_case({R"({"exp":253402300799})", std::nullopt, true});
  expect_case({R"({"exp":253402300800})", Errc::kBadClaim});
  expect_case({R"({"exp":-1})", Errc::kBadClaim});
  expect_case({R"({"iat_ms":1.0})", Errc::kBadClaim});
  expect_case({R"({"iat_ms":253402300799000})", std::nullopt, true});
  expect_case({R"({"iat_ms":253402300799001})", Errc::kBadClaim});
}

TEST(FlatClaims, WrongTypesAreTheReferencesToWord) {
  expect_case({R"({"sub":1})", Errc::kBadClaim});
  expect_case({R"({"exp":"1"})", Errc::kBadClaim});
  expect_case({R"({"fresh":1})", Errc::kBadClaim});
  expect_case({R"({"fresh":null})", Errc::kBadClaim});
  expect_case({R"({"aud":["a",1]})", Errc::kBadClaim});
  expect_case({R"({"aud":{}})", Errc::kBadClaim});
}

TEST(FlatClaims, StructureWhitespaceAndTrailingBytes) {
  expect_case({"", Errc::kBadJson});
  expect_case({" ", Errc::kBadJson});
  expect_case({"[]", Errc::kNotAnObject});
  expect_case({"null", Errc::kNotAnObject});
  expect_case({R"({"a":1}x)", Errc::kBadJson});
  expect_case({R"({"a":1}{})", Errc::kBadJson});
  expect_case({R"({"a":1,})", Errc::kBadJson});
  expect_case({R"({"a" 1})", Errc::kBadJson});
  expect_case({R"({"a":tru})", Errc::kBadJson});
  expect_case({R"({"a":[1,]})", Errc::kBadJson});
  expect_case({"\f{}", Errc::kBadJson});  // form feed is not JSON whitespace
  expect_case({"{\"a\":\"\0\"}"s, Errc::kBadJson});
  expect_case({"{}\0"s, Errc::kBadJson});
  expect_case({"{\"a\":1}\0"s, Errc::kBadJson});
}

}  // namespace
}  // namespace jwtguard
