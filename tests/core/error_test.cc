// Error codes, their names and messages (jwtguard/error.h).
#include "jwtguard/error.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace jwtguard {
namespace {

std::vector<Errc> every_code() {
  std::vector<Errc> codes;
  for (int i = 0; i <= static_cast<int>(Errc::kCrypto); ++i) codes.push_back(static_cast<Errc>(i));
  return codes;
}

bool is_snake_case(std::string_view name) {
  if (name.empty() || name.front() == '_' || name.back() == '_') return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

TEST(ErrorNames, EveryCodeHasItsOwnSnakeCaseName) {
  std::set<std::string_view> names;
  for (Errc code : every_code()) {
    const std::string_view name = error_name(code);
    EXPECT_TRUE(is_snake_case(name)) << static_cast<int>(code) << ": " << name;
    EXPECT_NE(name, "unknown") << static_cast<int>(code);
    names.insert(name);
  }
  EXPECT_EQ(names.size(), every_code().size());
}

TEST(ErrorNames, NamesAreStable) {
  // Clients and logs match on these: they never change.
  EXPECT_EQ(error_name(Errc::kTokenTooLarge), "token_too_large");
  EXPECT_EQ(error_name(Errc::kAlgNone), "alg_none");
  EXPECT_EQ(error_name(Errc::kBadSignature), "bad_signature");
  EXPECT_EQ(error_name(Errc::kExpired), "expired");
  EXPECT_EQ(error_name(Errc::kRevoked), "revoked");
  EXPECT_EQ(error_name(Errc::kSuspended), "suspended");
  EXPECT_EQ(error_name(Errc::kStore), "store_error");
  EXPECT_EQ(error_name(Errc::kInvalidArgument), "invalid_argument");
  EXPECT_EQ(error_name(Errc::kCrypto), "crypto_error");
}

TEST(ErrorMessages, EveryCodeHasASentence) {
  for (Errc code : every_code()) {
    const std::string_view message = error_message(code);
    EXPECT_FALSE(message.empty()) << error_name(code);
    EXPECT_NE(message, "Unknown error") << error_name(code);
    EXPECT_TRUE(message.front() >= 'A' && message.front() <= 'Z') << message;
  }
  // Flask-JWT-Extended's and PyJWT's wording, which clients already know.
  EXPECT_EQ(error_message(Errc::kExpired), "Token has expired");
  EXPECT_EQ(error_message(Errc::kBadSignature), "Signature verification failed");
  EXPECT_EQ(error_message(Errc::kFreshTokenRequired), "Fresh token required");
  EXPECT_EQ(error_message(Errc::kSuspended), "Token has been suspended");
}

TEST(ErrorMessage, TheDetailFollowsTheSentence) {
  EXPECT_EQ(Error(Errc::kBadKey).message(), "Invalid key");
  EXPECT_EQ(Error(Errc::kBadKey, "not PEM").message(), "Invalid key: not PEM");
  EXPECT_EQ(Error(Errc::kBadKey, "not PEM").detail(), "not PEM");
}

TEST(ErrorMessage, AMissingClaimIsNamedAsPyJwtDoes) {
  EXPECT_EQ(Error(Errc::kMissingClaim, "exp").message(), "Token is missing the \"exp\" claim");
  EXPECT_EQ(Error(Errc::kMissingClaim).message(), "Token is missing a required claim");
}

TEST(ErrorValues, FailCarriesTheCodeAndDetail) {
  const Result<int> r = fail(Errc::kNotFound, "user bob");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), Errc::kNotFound);
  EXPECT_TRUE(r.error() == Errc::kNotFound);
  EXPECT_FALSE(r.error() == Errc::kStore);
  EXPECT_EQ(r.error().detail(), "user bob");
}

}  // namespace
}  // namespace jwtguard
