// `jwtguard token verify --check-status`: the token's status in the list its
// "status" claim names, served on loopback and signed with the token's key.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "jwtguard/status_list.h"
#include "keys_remote/jwks_server.h"
#include "status_list/list_tokens.h"
#include "testing/fixtures.h"
#include "testing/subprocess.h"

namespace jwtguard::testing {
namespace {

const std::string kBinary = JWTGUARD_BINARY;

RunResult jwtguard(std::vector<std::string> args) {
  args.insert(args.begin(), kBinary);
  return run(args, {});
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class CheckStatusTest : public ::testing::Test {
 protected:
  static constexpr const char* kPath = "/statuslists/1";

  CheckStatusTest()
      : key_(*Key::generate(Algorithm::kES256, "issuer-1")),
        uri_(server_.url(kPath)),
        list_(*StatusList::create(8, 2)) {
    jwk_ = (scratch_.path() / "issuer.jwk").string();
    std::ofstream(jwk_) << *key_.to_jwk(/*include_private=*/true);
  }

  // A token of the issuer's whose status sits at `idx` of the list. Signed
  // here: "status" is a claim `jwtguard token issue` keeps to itself.
  std::string token_at(int idx) const {
    const auto now = to_unix_seconds(SystemClock().now());
    const nlohmann::json payload = {
        {"sub", "alice"},   {"jti", "token-" + std::to_string(idx)},
        {"type", "access"}, {"fresh", false},
        {"iat", now},       {"nbf", now},
        {"exp", now + 900}, {"status", {{"status_list", {{"idx", idx}, {"uri", uri_}}}}}};
    return testing::signed_token(key_, Algorithm::kES256,
                                 {{"alg", "ES256"}, {"kid", key_.kid()}, {"typ", "JWT"}}, payload);
  }

  void publish() {
    server_.answer(kPath, Answer{.body = signed_token(key_, Algorithm::kES256, list_header(key_),
                                                      list_payload(list_, uri_, clock_.now()))});
  }

  RunResult verify(const std::string& token, std::vector<std::string> extra = {"--check-status"}) {
    std::vector<std::string> args = {"token", "verify", "--jwk", jwk_, token};
    args.insert(args.end(), extra.begin(), extra.end());
    return jwtguard(args);
  }

  JwksServer server_;
  ScratchDir scratch_;
  SystemClock clock_;
  Key key_;
  std::string uri_;
  StatusList list_;
  std::string jwk_;
};

TEST_F(CheckStatusTest, ValidPassesRevokedAndSuspendedFailDistinctly) {
  ASSERT_OK(list_.set(1, TokenStatus::kInvalid));
  ASSERT_OK(list_.set(2, TokenStatus::kSuspended));
  publish();
  RunResult valid = verify(token_at(0));
  EXPECT_EQ(valid.exit_code, 0) << valid.err;
  EXPECT_EQ(nlohmann::json::parse(valid.out)["sub"], "alice");

  RunResult revoked = verify(token_at(1));
  EXPECT_EQ(revoked.exit_code, 1);
  EXPECT_TRUE(contains(revoked.err, "Token has been revoked")) << revoked.err;
  EXPECT_TRUE(revoked.out.empty());

  RunResult suspended = verify(token_at(2));
  EXPECT_EQ(suspended.exit_code, 1);
  EXPECT_TRUE(contains(suspended.err, "Token has been suspended")) << suspended.err;

  // Without the flag, the list is not consulted.
  EXPECT_EQ(verify(token_at(1), {}).exit_code, 0);
  EXPECT_EQ(server_.requests(kPath), 3);
}

TEST_F(CheckStatusTest, FailsWhenTheStatusCannotBeKnown) {
  publish();
  RunResult beyond = verify(token_at(8));
  EXPECT_EQ(beyond.exit_code, 1);
  EXPECT_TRUE(contains(beyond.err, "index out of range")) << beyond.err;

  RunResult issued = jwtguard({"token", "issue", "--identity", "bob", "--jwk", jwk_});
  RunResult no_claim = verify(issued.out.substr(0, issued.out.size() - 1));
  EXPECT_EQ(no_claim.exit_code, 1);
  EXPECT_TRUE(contains(no_claim.err, "missing the \"status\" claim")) << no_claim.err;

  RunResult small = verify(token_at(0), {"--check-status", "--status-max-bytes", "100"});
  EXPECT_EQ(small.exit_code, 1);
  EXPECT_TRUE(contains(small.err, "body larger than 100 bytes")) << small.err;

  server_.answer(kPath, Answer{.status = 404, .body = "{}"});
  RunResult missing = verify(token_at(0));
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_TRUE(contains(missing.err, "status 404")) << missing.err;
}

TEST_F(CheckStatusTest, ListSignedByAnotherKeyFails) {
  const Key other = *Key::generate(Algorithm::kES256, "issuer-1");
  server_.answer(kPath, Answer{.body = signed_token(other, Algorithm::kES256, list_header(key_),
                                                    list_payload(list_, uri_, clock_.now()))});
  RunResult r = verify(token_at(0));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.err, "Signature verification failed")) << r.err;
}

TEST_F(CheckStatusTest, BadBoundsAreUsageErrorsAndHelpNamesTheFlags) {
  publish();
  EXPECT_EQ(verify(token_at(0), {"--check-status", "--status-timeout", "soon"}).exit_code, 2);
  EXPECT_EQ(verify(token_at(0), {"--check-status", "--status-timeout", "2h"}).exit_code, 2);
  EXPECT_EQ(verify(token_at(0), {"--check-status", "--status-max-bytes", "0"}).exit_code, 2);
  RunResult help = jwtguard({"token", "verify", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* flag : {"--check-status", "--status-timeout", "--status-max-bytes"}) {
    EXPECT_TRUE(contains(help.out, flag)) << flag;
  }
}

}  // namespace
}  // namespace jwtguard::testing
