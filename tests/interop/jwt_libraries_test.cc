// Interop with the JWT libraries applications verify jwtguard's tokens with:
// PyJWT (what Flask-JWT-Extended is built on; Debian's python3-jwt) and
// golang-jwt's StandardClaims (Debian's golang-github-golang-jwt-jwt-dev).
// Both must accept a token the moment it is issued: a fractional iat made
// PyJWT refuse every token during its first second ("not yet valid (iat)")
// and golang-jwt refuse them all ("cannot unmarshal number").
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "jwtguard/guard.h"
#include "testing/fixtures.h"
#include "testing/subprocess.h"

namespace jwtguard {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kSecret = "an HS256 secret of at least 32 bytes, for interop";

class JwtLibrariesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    GuardOptions options;
    options.issuer.algorithm = Algorithm::kHS256;
    options.background = false;
    auto guard = Guard::open(*Key::from_secret(kSecret), KeySet(), open_memory_store(),
                             std::move(options), clock_);
    ASSERT_OK(guard);
    guard_ = std::move(*guard);
  }

  // Access and refresh tokens of `logins` fresh logins, minted identities
  // and a login right after "log out everywhere" among them, issued just
  // after a second began: the peer (which starts in about 0.1 s) decodes
  // them within the second they were issued in, when a verifier that reads
  // the clock in whole seconds would find a fractional iat in its future.
  Json fresh_tokens(int logins) {
    const auto now = std::chrono::system_clock::now();
    std::this_thread::sleep_until(std::chrono::ceil<std::chrono::seconds>(now) +
                                  std::chrono::milliseconds(1));
    Json tokens = Json::array();
    for (int i = 0; i < logins; ++i) {
      auto pair = i % 3 == 2 ? guard_->login("app-user", R"({"scope":"read"})", {}, "app")
                             : guard_->login("alice");
      EXPECT_OK(pair);
      if (!pair) break;
      tokens.push_back(pair->access.token);
      tokens.push_back(pair->refresh.token);
      if (i % 4 == 3) EXPECT_OK(guard_->revoke_user("alice"));
    }
    return {{"secret", kSecret}, {"tokens", tokens}};
  }

  SystemClock clock_;
  std::unique_ptr<Guard> guard_;
};

TEST_F(JwtLibrariesTest, PyJwtAcceptsTokensTheMomentTheyAreIssued) {
  const Json request = fresh_tokens(12);
  const auto result = testing::run({JWTGUARD_PYTHON, JWTGUARD_PYJWT_PEER}, request.dump());
  EXPECT_EQ(result.exit_code, 0) << "PyJWT refused jwtguard tokens:\n"
                                 << result.out << result.err
                                 << "\n(needs Debian's python3-jwt: run make deps)";
  EXPECT_EQ(std::count(result.out.begin(), result.out.end(), '\n'), 24) << result.out;
}

TEST_F(JwtLibrariesTest, GolangJwtStandardClaimsAcceptsTokensTheMomentTheyAreIssued) {
  const Json request = fresh_tokens(12);
  const auto result = testing::run({JWTGUARD_GOLANG_JWT_PEER}, request.dump());
  EXPECT_EQ(result.exit_code, 0) << "golang-jwt refused jwtguard tokens:\n"
                                 << result.out << result.err;
  EXPECT_EQ(std::count(result.out.begin(), result.out.end(), '\n'), 24) << result.out;
}

}  // namespace
}  // namespace jwtguard
