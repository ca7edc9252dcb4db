// The functions of jwtguard/revocation.h: kind names, subject keys and
// namespaces, a token's revocation, and the cutoffs of log-out-everywhere.
#include "jwtguard/revocation.h"

#include <gtest/gtest.h>

#include <string>

#include "testing/fixtures.h"

namespace jwtguard {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

TEST(RevocationKinds, NamesReadBack) {
  for (RevocationKind kind :
       {RevocationKind::kToken, RevocationKind::kSession, RevocationKind::kUser}) {
    EXPECT_EQ(parse_revocation_kind(revocation_kind_name(kind)), kind);
  }
  EXPECT_EQ(revocation_kind_name(RevocationKind::kToken), "token");
  EXPECT_EQ(revocation_kind_name(RevocationKind::kSession), "session");
  EXPECT_EQ(revocation_kind_name(RevocationKind::kUser), "user");
  for (const char* name : {"", "Token", "users", "jti", "unknown"}) {
    EXPECT_EQ(parse_revocation_kind(name), std::nullopt) << name;
  }
}

TEST(SubjectKeys, JwtguardsOwnUsersAreKeyedByTheirName) {
  EXPECT_EQ(subject_key("", "root"), "root");
  EXPECT_EQ(split_subject_key("root"), (std::pair<std::string_view, std::string_view>{"", "root"}));
}

TEST(SubjectKeys, OtherNamespacesNeverMeetJwtguardsUsers) {
  const std::string key = subject_key(kAppNamespace, "root");
  EXPECT_EQ(key, std::string("app\x1froot"));
  EXPECT_NE(key, subject_key("", "root"));
  const auto [ns, name] = split_subject_key(key);
  EXPECT_EQ(ns, kAppNamespace);
  EXPECT_EQ(name, "root");
}

TEST(SubjectKeys, SplitStopsAtTheFirstSeparator) {
  const auto [ns, name] =
      split_subject_key(std::string_view("app\x1f"
                                         "a\x1f"
                                         "b"));
  EXPECT_EQ(ns, "app");
  EXPECT_EQ(name, std::string_view("a\x1f"
                                   "b"));
  const auto [empty_ns, empty_name] = split_subject_key("");
  EXPECT_EQ(empty_ns, "");
  EXPECT_EQ(empty_name, "");
}

TEST(SubjectKeys, AClaimsKeyUsesItsNamespace) {
  Claims claims;
  claims.sub = "svc";
  EXPECT_EQ(subject_key(claims), "svc");
  claims.sub_ns = "app";
  EXPECT_EQ(subject_key(claims), std::string("app\x1fsvc"));
}

TEST(SubjectNamespaces, OnlyTheEmptyAndTheAppNamespaceExist) {
  EXPECT_EQ(parse_subject_namespace(""), std::string_view());
  EXPECT_EQ(parse_subject_namespace("app"), kAppNamespace);
  for (const char* name : {"App", "user", "apps", " app", "app\x1f"}) {
    EXPECT_EQ(parse_subject_namespace(name), std::nullopt) << name;
  }
}

TEST(TokenRevocation, TakesWhatTheTokenSays) {
  Claims claims;
  claims.jti = "jti-1";
  claims.sub = "svc";
  claims.sub_ns = "app";
  claims.sid = "sid-1";
  claims.type = "refresh";
  claims.exp = from_unix_seconds(5000);
  claims.iat = from_unix_seconds(4000);
  const Revocation r = token_revocation(claims);
  EXPECT_EQ(r.kind, RevocationKind::kToken);
  EXPECT_EQ(r.key, "jti-1");
  EXPECT_EQ(r.expires_at, from_unix_seconds(5000));
  EXPECT_EQ(r.token_type, TokenType::kRefresh);
  EXPECT_EQ(r.user, std::string("app\x1fsvc"));
  EXPECT_EQ(r.session, "sid-1");
  // The caller's to fill.
  EXPECT_EQ(r.cutoff, Timestamp{});
  EXPECT_EQ(r.revoked_at, Timestamp{});
  EXPECT_EQ(r.revoked_by, "");
  EXPECT_EQ(r.reason, "");
}

TEST(TokenRevocation, WithoutExpOrAKnownTypeThoseStayUnset) {
  Claims claims;
  claims.jti = "jti-2";
  claims.type = "id";
  const Revocation r = token_revocation(claims);
  EXPECT_EQ(r.expires_at, Timestamp{});
  EXPECT_EQ(r.token_type, std::nullopt);
  EXPECT_EQ(r.user, "");
  EXPECT_EQ(r.session, "");
}

TEST(UserCutoff, IsTheNextMillisecondBoundary) {
  const Timestamp second = from_unix_seconds(1'700'000'000);
  EXPECT_EQ(user_cutoff_after(second), second + milliseconds(1));
  EXPECT_EQ(user_cutoff_after(second + microseconds(1)), second + milliseconds(1));
  EXPECT_EQ(user_cutoff_after(second + microseconds(999)), second + milliseconds(1));
  EXPECT_EQ(user_cutoff_after(second + microseconds(1000)), second + milliseconds(2));
  // A token issued within now's millisecond (iat_ms) is ordered before it.
  const Timestamp now = second + microseconds(1500);
  const Timestamp issued_ms = std::chrono::floor<milliseconds>(now);
  EXPECT_LT(issued_ms, user_cutoff_after(now));
}

TEST(UserCutoff, MovesPastAnEarlierCutoffThatIsNotBeforeIt) {
  const Timestamp cutoff = from_unix_seconds(100) + milliseconds(5);
  EXPECT_EQ(cutoff_after_earlier(cutoff, std::nullopt), cutoff);
  EXPECT_EQ(cutoff_after_earlier(cutoff, cutoff - milliseconds(1)), cutoff);
  EXPECT_EQ(cutoff_after_earlier(cutoff, cutoff - microseconds(1)), cutoff);
  EXPECT_EQ(cutoff_after_earlier(cutoff, cutoff), cutoff + milliseconds(1));
  EXPECT_EQ(cutoff_after_earlier(cutoff, cutoff + milliseconds(3)), cutoff + milliseconds(4));
}

TEST(RevocationKeys, OwnAndAppIdsAreBareIssuersAreNamespaced) {
  EXPECT_FALSE(is_issuer_namespace(""));
  EXPECT_FALSE(is_issuer_namespace(kAppNamespace));
  EXPECT_TRUE(is_issuer_namespace("https://idp.example"));
  EXPECT_EQ(revocation_key("", "j1"), "j1");
  EXPECT_EQ(revocation_key(kAppNamespace, "j1"), "j1");
  EXPECT_EQ(revocation_key("idp", "j1"), std::string("idp\x1f") + "j1");
  EXPECT_NE(revocation_key("idp", "j1"), revocation_key("other", "j1"));

  Claims claims;
  claims.jti = "j1";
  claims.sid = "s1";
  claims.sub = "alice";
  EXPECT_EQ(token_key(claims), "j1");
  EXPECT_EQ(session_key(claims), "s1");
  claims.sub_ns = "idp";
  EXPECT_EQ(token_key(claims), std::string("idp\x1f") + "j1");
  EXPECT_EQ(session_key(claims), std::string("idp\x1f") + "s1");
  const Revocation r = token_revocation(claims);
  EXPECT_EQ(r.key, token_key(claims));
  EXPECT_EQ(r.session, session_key(claims));
  EXPECT_EQ(r.user, subject_key(claims));
  claims.jti.clear();
  claims.sid.clear();
  EXPECT_EQ(token_key(claims), "");
  EXPECT_EQ(session_key(claims), "");
}

}  // namespace
}  // namespace jwtguard
