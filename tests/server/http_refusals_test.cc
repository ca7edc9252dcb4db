// Refusals over real HTTP that each rule must produce on its own: every admin
// route refuses a non-admin's valid token (and changes nothing), and a token
// signed with the service's own key is refused when its "crit" names a
// parameter the service does not understand.
#include <string>

#include "server/http_fixture.h"
#include "testing/forged_tokens.h"

namespace jwtguard::server {
namespace {

using namespace http_tests;  // NOLINT(google-build-using-namespace): the fixture's helpers

constexpr std::string_view kAdminRequired = "Admin access required";

class AdminRefusalTest : public HttpTest {
 protected:
  void SetUp() override {
    HttpTest::SetUp();
    client_.emplace(port());
    admin_ = admin_token();
    alice_ = register_and_login(*client_, "alice");
    bob_ = register_and_login(*client_, "bob");
    ASSERT_FALSE(admin_.empty());
    ASSERT_FALSE(alice_.access.empty());
    ASSERT_FALSE(bob_.access.empty());
  }

  // The non-admin's valid token is refused with 403 admin_required.
  static void expect_admin_required(const Reply& reply) {
    EXPECT_EQ(reply.status, 403) << reply.body;
    EXPECT_EQ(reply.msg(), kAdminRequired) << reply.body;
  }

  // The jti of a token, as /auth/verify reports it.
  std::string jti_of(const std::string& token) {
    Reply verified = client_->get("/auth/verify", bearer(token));
    EXPECT_EQ(verified.status, 200) << verified.body;
    return verified.header("X-Auth-Jti");
  }

  std::optional<HttpClient> client_;
  std::string admin_;
  Tokens alice_;
  Tokens bob_;
};

TEST_F(AdminRefusalTest, ListRevocationsRefusesANonAdmin) {
  ASSERT_EQ(client_->post_json("/admin/revocations", {{"user", "carol"}}, bearer(admin_)).status,
            200);
  Reply refused = client_->get("/admin/revocations", bearer(alice_.access));
  expect_admin_required(refused);
  EXPECT_EQ(refused.body.find("carol"), std::string::npos) << refused.body;
  EXPECT_EQ(client_->get("/admin/revocations", bearer(admin_)).status, 200);
}

TEST_F(AdminRefusalTest, CreateRevocationRefusesANonAdmin) {
  expect_admin_required(client_->post_json("/admin/revocations", {{"jti", jti_of(bob_.access)}},
                                           bearer(alice_.access)));
  expect_admin_required(
      client_->post_json("/admin/revocations", {{"user", "bob"}}, bearer(alice_.access)));
  EXPECT_EQ(client_->get("/auth/me", bearer(bob_.access)).status, 200);
  EXPECT_EQ(client_->get("/admin/revocations", bearer(admin_)).json()["revocations"].size(), 0u);
}

// The revocation exists (the admin's DELETE afterwards proves it), so the
// refusal cannot be a 404 in disguise; and it still holds after the refusal.
TEST_F(AdminRefusalTest, DeleteRevocationRefusesANonAdmin) {
  const std::string jti = jti_of(bob_.access);
  ASSERT_FALSE(jti.empty());
  ASSERT_EQ(client_->post_json("/admin/revocations", {{"jti", jti}}, bearer(admin_)).status, 200);
  ASSERT_EQ(client_->get("/auth/me", bearer(bob_.access)).status, 401);

  expect_admin_required(client_->del("/admin/revocations/" + jti, bearer(alice_.access)));
  Reply me = client_->get("/auth/me", bearer(bob_.access));
  EXPECT_EQ(me.status, 401);
  EXPECT_EQ(me.msg(), "Token has been revoked");
  json listed = client_->get("/admin/revocations", bearer(admin_)).json()["revocations"];
  ASSERT_EQ(listed.size(), 1u) << listed.dump();
  EXPECT_EQ(listed[0]["key"], jti);

  EXPECT_EQ(client_->del("/admin/revocations/" + jti, bearer(admin_)).status, 200);
  EXPECT_EQ(client_->get("/auth/me", bearer(bob_.access)).status, 200);
}

TEST_F(AdminRefusalTest, MintTokensRefusesANonAdmin) {
  Reply refused =
      client_->post_json("/admin/tokens", {{"identity", "mallory"}}, bearer(alice_.access));
  expect_admin_required(refused);
  EXPECT_EQ(refused.body.find("access_token"), std::string::npos) << refused.body;
  EXPECT_EQ(client_->post_json("/admin/tokens", {{"identity", "mallory"}}, bearer(admin_)).status,
            200);
}

TEST_F(AdminRefusalTest, IntrospectRefusesANonAdmin) {
  Reply refused =
      client_->post_form("/oauth/introspect", "token=" + bob_.access, bearer(alice_.access));
  expect_admin_required(refused);
  EXPECT_EQ(refused.body.find("active"), std::string::npos) << refused.body;
  EXPECT_EQ(client_->post_form("/oauth/introspect", "token=" + bob_.access, bearer(admin_))
                .json()["active"],
            true);
}

// --- crit ---------------------------------------------------------------------

class CritTest : public HttpTest {
 protected:
  // alice's access token with `crit` (and `member`, when given) added to its
  // header, signed again with the service's own secret.
  std::string with_crit(const json& crit, const char* member = nullptr) {
    auto pair = app_->guard().login("alice");
    EXPECT_TRUE(pair.has_value());
    if (!pair) return {};
    auto token = jwtguard::testing::resign_hs256(pair->access.token, kSecret,
                                                 [&](json& header, json& /*payload*/) {
                                                   if (!crit.is_null()) header["crit"] = crit;
                                                   if (member != nullptr) header[member] = true;
                                                 });
    EXPECT_TRUE(token) << token.error();
    return token ? *token : std::string();
  }

  void expect_unsupported_crit(const std::string& token) {
    HttpClient client(port());
    Reply reply = client.get("/auth/verify", bearer(token));
    EXPECT_EQ(reply.status, 422) << reply.body;
    EXPECT_TRUE(reply.msg().starts_with("Unsupported critical header parameter")) << reply.body;
    EXPECT_EQ(reply.header("X-Auth-Subject"), "");
  }
};

// The re-signed token without "crit" is accepted: the refusals below are
// the "crit" rule's, not the signature's.
TEST_F(CritTest, ResignedTokenWithoutCritIsAccepted) {
  HttpClient client(port());
  Reply reply = client.get("/auth/verify", bearer(with_crit(json())));
  EXPECT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.header("X-Auth-Subject"), "alice");
}

// RFC 7515 §4.1.11: a registered claim name is not a header parameter the
// recipient "understands" as critical.
TEST_F(CritTest, CritNamingExpIsRefused) { expect_unsupported_crit(with_crit({"exp"})); }

TEST_F(CritTest, CritNamingAnUnknownParameterIsRefused) {
  expect_unsupported_crit(with_crit({"x-unknown"}, "x-unknown"));
}

TEST_F(CritTest, MalformedCritIsRefused) {
  expect_unsupported_crit(with_crit(json::array()));
  expect_unsupported_crit(with_crit("x-unknown", "x-unknown"));
}

}  // namespace
}  // namespace jwtguard::server
