// Parsing untrusted JSON objects (jose/json.h): what is refused, and the
// words the error uses.
#include "jose/json.h"

#include <gtest/gtest.h>

#include <string>

#include "testing/fixtures.h"

namespace jwtguard::json {
namespace {

std::string nested(std::size_t depth) {
  // `depth` levels in all, the outer object included.
  std::string text = "{\"a\":";
  for (std::size_t i = 1; i < depth; ++i) text += "[";
  text += "1";
  for (std::size_t i = 1; i < depth; ++i) text += "]";
  return text + "}";
}

TEST(JsonParseObject, ReadsAnObject) {
  auto object = parse_object(R"({"alg":"HS256","n":1})", "header");
  ASSERT_OK(object);
  std::string_view alg;
  ASSERT_FALSE((*object)["alg"].get_string().get(alg));
  EXPECT_EQ(alg, "HS256");
  std::int64_t n = 0;
  ASSERT_FALSE((*object)["n"].get_int64().get(n));
  EXPECT_EQ(n, 1);
}

TEST(JsonParseObject, AnEmptyObjectIsAnObject) { EXPECT_OK(parse_object("{}", "payload")); }

TEST(JsonParseObject, OtherValuesAreNotObjects) {
  for (const char* text : {"[]", "1", "\"x\"", "null", "true"}) {
    auto r = parse_object(text, "header");
    SCOPED_TRACE(text);
    EXPECT_ERRC(r, Errc::kNotAnObject);
    EXPECT_EQ(r.error().detail(), "header is JSON but not an object");
  }
}

TEST(JsonParseObject, InvalidJsonSaysWhatWasParsed) {
  for (const char* text : {"{", "{\"a\":}", "{'a':1}", "{\"a\":1}x", "{\"a\":01}"}) {
    auto r = parse_object(text, "payload");
    SCOPED_TRACE(text);
    EXPECT_ERRC(r, Errc::kBadJson);
    EXPECT_TRUE(r.error().detail().starts_with("payload is not valid JSON")) << r.error().detail();
  }
  auto empty = parse_object("", "header");
  EXPECT_ERRC(empty, Errc::kBadJson);
  EXPECT_EQ(empty.error().detail(), "header is empty, not JSON");
}

TEST(JsonParseObject, RefusesInvalidUtf8) {
  auto r = parse_object("{\"a\":\"\xff\"}", "header");
  EXPECT_ERRC(r, Errc::kBadJson);
  EXPECT_EQ(r.error().detail(), "header is not JSON: it decodes to bytes that are not UTF-8 text");
  // An overlong encoding of '/' is not UTF-8 either.
  EXPECT_ERRC(parse_object("{\"a\":\"\xc0\xaf\"}", "header"), Errc::kBadJson);
  EXPECT_OK(parse_object("{\"a\":\"\xc3\xa9\"}", "header"));
}

TEST(JsonParseObject, NestingBeyondTheLimitIsRefused) {
  EXPECT_OK(parse_object(nested(kMaxDepth - 1), "payload"));
  for (std::size_t depth : {kMaxDepth + 1, kMaxDepth + 2, std::size_t{1000}}) {
    auto r = parse_object(nested(depth), "payload");
    SCOPED_TRACE(depth);
    EXPECT_ERRC(r, Errc::kBadJson);
    EXPECT_EQ(r.error().detail(), "payload is nested deeper than 64 levels");
  }
}

// An object nested exactly kMaxDepth levels deep (the outer object and 63
// arrays) is within the contract; simdjson counts the document as one more
// level, which json.cc allows for.
TEST(JsonParseObject, NestingExactlyAtTheLimitIsAccepted) {
  EXPECT_OK(parse_object(nested(kMaxDepth), "payload"));
}

TEST(JsonParseObject, RefusesIntegersBeyond64Bits) {
  EXPECT_OK(parse_object(R"({"n":18446744073709551615})", "payload"));
  EXPECT_ERRC(parse_object(R"({"n":18446744073709551616})", "payload"), Errc::kBadJson);
  EXPECT_ERRC(parse_object(R"({"n":-9223372036854775809})", "payload"), Errc::kBadJson);
}

TEST(JsonParseObject, RefusesDuplicateTopLevelNames) {
  auto r = parse_object(R"({"a":1,"b":2,"a":3})", "header");
  EXPECT_ERRC(r, Errc::kDuplicateMember);
  EXPECT_EQ(r.error().detail(), "header");
  EXPECT_ERRC(parse_object(R"({"":1,"":2})", "header"), Errc::kDuplicateMember);
  // Names that share a length and their first and last letters: the filter
  // sees a possible duplicate, the exact check finds none.
  EXPECT_OK(parse_object(R"({"abc":1,"axc":2,"ayc":3})", "header"));
  // Nested objects may repeat the names of their parent or of each other.
  EXPECT_OK(parse_object(R"({"a":{"a":1},"b":{"a":2}})", "header"));
}

TEST(JsonParseObject, FindsADuplicateAmongManyNames) {
  std::string text = "{";
  for (int i = 0; i < 200; ++i) text += "\"k" + std::to_string(i) + "\":1,";
  EXPECT_OK(parse_object(text + "\"end\":1}", "payload"));
  EXPECT_ERRC(parse_object(text + "\"k137\":2}", "payload"), Errc::kDuplicateMember);
}

TEST(JsonParseObject, ParsesInPlaceWhenThereIsPadding) {
  std::string text = R"({"sub":"alice"})";
  const std::size_t size = text.size();
  text.reserve(size + simdjson::SIMDJSON_PADDING);
  auto r = parse_object(std::string_view(text.data(), size), "payload", text.capacity());
  ASSERT_OK(r);
  std::string_view sub;
  ASSERT_FALSE((*r)["sub"].get_string().get(sub));
  EXPECT_EQ(sub, "alice");
}

}  // namespace
}  // namespace jwtguard::json
