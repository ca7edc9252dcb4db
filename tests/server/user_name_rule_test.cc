// The rule for user names, stated in the same words wherever a name is
// given: registration, minting (POST /admin/tokens) and `jwtguard user`.
#include "auth/user_name.h"
#include "server/http_fixture.h"

namespace jwtguard::server {
namespace {

using namespace http_tests;  // NOLINT(google-build-using-namespace): the fixture's helpers

class UserNameRuleTest : public HttpTest {};

// A name with surrounding spaces is refused by the rule everywhere, and the
// refusal says so: minting used to leave "surrounding spaces" out.
TEST_F(UserNameRuleTest, RegistrationAndMintingRefuseANameInTheRulesWords) {
  HttpClient client(port());
  Reply registered =
      client.post_json("/auth/register", {{"username", " root"}, {"password", "long-enough-1"}});
  EXPECT_EQ(registered.status, 400) << registered.body;
  EXPECT_EQ(registered.msg(),
            "'username' must be 1 to 128 bytes, without control characters or surrounding spaces");
  Reply minted =
      client.post_json("/admin/tokens", {{"identity", " root"}}, bearer(admin_token("root")));
  EXPECT_EQ(minted.status, 400) << minted.body;
  EXPECT_EQ(minted.msg(),
            "'identity' must be 1 to 128 bytes, without control characters or surrounding spaces");
  EXPECT_EQ(minted.msg(), user_name_rule("'identity'"));
}

}  // namespace
}  // namespace jwtguard::server
