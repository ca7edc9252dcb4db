// The error responses (server/error_responses.h): the enum's names, the
// configuration's override keys and what they replace.
#include "server/error_responses.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "testing/fixtures.h"

namespace jwtguard::server {
namespace {

Request get_request() {
  Request request{http::verb::get, "/", 11};
  request.prepare_payload();
  return request;
}

ServiceError service_error(std::size_t index) { return static_cast<ServiceError>(index); }

TEST(ErrorResponsesTest, EveryServiceErrorHasItsOwnNameAmongTheOverridable) {
  const std::vector<std::string> names = ErrorResponses::names();
  std::set<std::string_view> seen;
  for (std::size_t i = 0; i < kServiceErrorCount; ++i) {
    std::string_view name = error_name(service_error(i));
    EXPECT_FALSE(name.empty()) << i;
    EXPECT_TRUE(seen.insert(name).second) << name;
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
  }
}

// A key of the configuration replaces the response of the error it names,
// and of no other.
TEST(ErrorResponsesTest, AnOverrideKeyReplacesItsErrorAndNoOther) {
  const Request request = get_request();
  const auto defaults = ErrorResponses::create({}).value();
  for (std::size_t i = 0; i < kServiceErrorCount; ++i) {
    const std::string name(error_name(service_error(i)));
    auto replaced = ErrorResponses::create({{name, ErrorOverride{.status = 418, .body = "{}"}}});
    ASSERT_OK(replaced);
    for (std::size_t j = 0; j < kServiceErrorCount; ++j) {
      Response response = replaced->make(request, service_error(j));
      if (i == j) {
        EXPECT_EQ(response.result_int(), 418u) << name;
        EXPECT_EQ(response.body(), "{}") << name;
      } else {
        Response expected = defaults.make(request, service_error(j));
        EXPECT_EQ(response.result_int(), expected.result_int()) << name << " changed " << j;
        EXPECT_EQ(response.body(), expected.body()) << name << " changed " << j;
      }
    }
  }
}

TEST(ErrorResponsesTest, ATokenErrorsKeyReplacesThatTokenError) {
  const Request request = get_request();
  auto replaced = ErrorResponses::create({{"expired", ErrorOverride{.status = 419}}});
  ASSERT_OK(replaced);
  EXPECT_EQ(replaced->for_error(request, Error(Errc::kExpired)).result_int(), 419u);
  EXPECT_EQ(replaced->for_error(request, Error(Errc::kRevoked)).result_int(), 401u);
}

TEST(ErrorResponsesTest, AnUnknownKeyIsRefusedNamingIt) {
  auto refused = ErrorResponses::create({{"not_fonud", ErrorOverride{.status = 404}}});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), Errc::kInvalidArgument);
  EXPECT_EQ(refused.error().detail(), "errors.not_fonud: no such error");
}

// docs/service.md's tables give every error's name.
TEST(ErrorResponsesTest, TheServiceDocumentationNamesEveryServiceError) {
  const auto path = std::filesystem::path(JWTGUARD_SOURCE_DIR) / "docs/service.md";
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  std::stringstream doc;
  doc << in.rdbuf();
  for (std::size_t i = 0; i < kServiceErrorCount; ++i) {
    std::string name = "`" + std::string(error_name(service_error(i))) + "`";
    EXPECT_NE(doc.str().find(name), std::string::npos) << name;
  }
}

}  // namespace
}  // namespace jwtguard::server
