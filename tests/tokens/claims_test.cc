// The claims of a token (jwtguard/claims.h): how a payload is read, and the
// rules check_claims applies, at their exact boundaries.
#include "jwtguard/claims.h"

#include <gtest/gtest.h>

#include <string>

#include "testing/fixtures.h"

namespace jwtguard {
namespace {

using std::chrono::microseconds;
using std::chrono::seconds;

constexpr std::int64_t kLastSecondOf9999 = 253402300799;

Claims parsed(const std::string& payload) {
  auto claims = parse_claims(payload);
  EXPECT_TRUE(claims.has_value()) << payload << ": " << claims.error().message();
  return claims.value_or(Claims{});
}

TEST(TokenTypes, NamesReadBack) {
  EXPECT_EQ(token_type_name(TokenType::kAccess), "access");
  EXPECT_EQ(token_type_name(TokenType::kRefresh), "refresh");
  EXPECT_EQ(parse_token_type("access"), TokenType::kAccess);
  EXPECT_EQ(parse_token_type("refresh"), TokenType::kRefresh);
  EXPECT_EQ(parse_token_type("Access"), std::nullopt);
  EXPECT_EQ(parse_token_type(""), std::nullopt);
}

TEST(ParseClaims, ReadsEveryKnownClaim) {
  const Claims c =
      parsed(R"({"jti":"j","sub":"alice","iss":"me","sid":"s","type":"refresh","aud":"api",)"
             R"("exp":2000,"nbf":1000,"iat":1500,"fresh":true,"sub_ns":"app","iat_ms":1500123,)"
             R"("csrf":"c"})");
  EXPECT_EQ(c.jti, "j");
  EXPECT_EQ(c.sub, "alice");
  EXPECT_EQ(c.iss, "me");
  EXPECT_EQ(c.sid, "s");
  EXPECT_EQ(c.type, "refresh");
  EXPECT_EQ(c.sub_ns, "app");
  EXPECT_EQ(c.aud, std::vector<std::string>{"api"});
  EXPECT_EQ(c.exp, from_unix_seconds(2000));
  EXPECT_EQ(c.nbf, from_unix_seconds(1000));
  EXPECT_EQ(c.iat, from_unix_seconds(1500));
  EXPECT_EQ(c.iat_ms, Timestamp(std::chrono::milliseconds(1500123)));
  EXPECT_EQ(c.fresh, true);
  EXPECT_EQ(c.csrf, "c");
  for (std::string_view name : kKnownClaims) EXPECT_TRUE(c.has(name)) << name;
}

TEST(ParseClaims, AbsentClaimsAreNotPresent) {
  const Claims c = parsed(R"({"sub":"","custom":1})");
  EXPECT_TRUE(c.has("sub"));  // present, though empty
  for (std::string_view name : kKnownClaims) {
    if (name != "sub") {
      EXPECT_FALSE(c.has(name)) << name;
    }
  }
  EXPECT_FALSE(c.has("custom"));  // not a known claim
  EXPECT_FALSE(c.has("su"));
  EXPECT_FALSE(c.exp.has_value());
  EXPECT_FALSE(c.fresh.has_value());
}

TEST(ParseClaims, KeepsTheWholePayload) {
  const std::string payload = R"({"sub":"alice","scope":["read","write"]})";
  EXPECT_EQ(parsed(payload).payload_json, payload);
}

TEST(ParseClaims, AnAudienceArrayKeepsEveryMember) {
  EXPECT_EQ(parsed(R"({"aud":["a","b"]})").aud, (std::vector<std::string>{"a", "b"}));
  const Claims empty = parsed(R"({"aud":[]})");
  EXPECT_TRUE(empty.aud.empty());
  EXPECT_TRUE(empty.has("aud"));
}

TEST(ParseClaims, AClaimOfTheWrongTypeIsRefused) {
  for (const char* payload :
       {R"({"jti":1})", R"({"sub":null})", R"({"iss":["me"]})", R"({"sid":true})", R"({"type":{}})",
        R"({"sub_ns":2})", R"({"aud":1})", R"({"aud":["a",1]})", R"({"exp":"2000"})",
        R"({"nbf":true})", R"({"iat":null})", R"({"fresh":1})", R"({"fresh":"true"})",
        R"({"iat_ms":1.5})", R"({"iat_ms":"1"})"}) {
    SCOPED_TRACE(payload);
    EXPECT_ERRC(parse_claims(payload), Errc::kBadClaim);
  }
}

TEST(ParseClaims, DatesFromYearZeroToYear9999) {
  EXPECT_EQ(parsed(R"({"exp":0})").exp, from_unix_seconds(0));
  EXPECT_EQ(parsed(R"({"exp":253402300799})").exp, from_unix_seconds(kLastSecondOf9999));
  for (const char* payload : {R"({"exp":-1})", R"({"exp":253402300800})", R"({"nbf":-0.5})",
                              R"({"iat":253402300799.5})", R"({"exp":1e300})"}) {
    SCOPED_TRACE(payload);
    EXPECT_ERRC(parse_claims(payload), Errc::kBadClaim);
  }
}

TEST(ParseClaims, DecimalDatesKeepTheirMicroseconds) {
  EXPECT_EQ(parsed(R"({"iat":1500.25})").iat, from_unix_seconds(1500) + microseconds(250000));
  EXPECT_EQ(parsed(R"({"exp":1.000001})").exp, from_unix_seconds(1) + microseconds(1));
}

TEST(ParseClaims, IatMsIsAnIntegerWithinTheSameYears) {
  EXPECT_EQ(parsed(R"({"iat_ms":0})").iat_ms, Timestamp{});
  EXPECT_EQ(parsed(R"({"iat_ms":253402300799000})").iat_ms, from_unix_seconds(kLastSecondOf9999));
  for (const char* payload : {R"({"iat_ms":-1})", R"({"iat_ms":253402300799001})"}) {
    SCOPED_TRACE(payload);
    EXPECT_ERRC(parse_claims(payload), Errc::kBadClaim);
  }
}

TEST(ParseClaims, APayloadThatIsNotAnObjectIsRefused) {
  EXPECT_ERRC(parse_claims("[]"), Errc::kNotAnObject);
  EXPECT_ERRC(parse_claims("{"), Errc::kBadJson);
  EXPECT_ERRC(parse_claims(R"({"sub":"a","sub":"b"})"), Errc::kDuplicateMember);
}

TEST(ParseClaimsInto, FillsTheGivenClaims) {
  Claims c;
  ASSERT_OK(parse_claims_into(R"({"sub":"bob","exp":5})", c));
  EXPECT_EQ(c.sub, "bob");
  EXPECT_EQ(c.exp, from_unix_seconds(5));
  EXPECT_TRUE(c.has("exp"));
  Claims bad;
  EXPECT_ERRC(parse_claims_into(R"({"exp":"soon"})", bad), Errc::kBadClaim);
}

TEST(IssueOrder, PrefersMillisecondsOverSeconds) {
  EXPECT_EQ(issue_order(parsed(R"({"iat":10})")), from_unix_seconds(10));
  EXPECT_EQ(issue_order(parsed(R"({"iat":10,"iat_ms":10999})")),
            Timestamp(std::chrono::milliseconds(10999)));
  EXPECT_EQ(issue_order(parsed(R"({"iat_ms":7})")), Timestamp(std::chrono::milliseconds(7)));
  EXPECT_EQ(issue_order(parsed(R"({})")), std::nullopt);
}

class CheckClaims : public ::testing::Test {
 protected:
  const Timestamp now = from_unix_seconds(1000);
  ClaimsRules rules;
};

TEST_F(CheckClaims, ExpIsRequiredUnlessTheRulesSayOtherwise) {
  const Claims none = parsed("{}");
  auto r = check_claims(none, rules, now);
  EXPECT_ERRC(r, Errc::kMissingClaim);
  EXPECT_EQ(r.error().detail(), "exp");
  rules.require_exp = false;
  EXPECT_OK(check_claims(none, rules, now));
}

TEST_F(CheckClaims, RequiredClaimsNameTheMissingOne) {
  rules.required = {"sub", "jti"};
  auto r = check_claims(parsed(R"({"exp":2000,"sub":"a"})"), rules, now);
  EXPECT_ERRC(r, Errc::kMissingClaim);
  EXPECT_EQ(r.error().detail(), "jti");
  EXPECT_OK(check_claims(parsed(R"({"exp":2000,"sub":"a","jti":"j"})"), rules, now));
}

TEST_F(CheckClaims, ExpBoundaries) {
  const Claims c = parsed(R"({"exp":1000})");
  EXPECT_OK(check_claims(c, rules, now - microseconds(1)));
  EXPECT_ERRC(check_claims(c, rules, now), Errc::kExpired);
  rules.leeway = seconds(30);
  EXPECT_OK(check_claims(c, rules, now + seconds(30) - microseconds(1)));
  EXPECT_ERRC(check_claims(c, rules, now + seconds(30)), Errc::kExpired);
}

TEST_F(CheckClaims, NbfBoundaries) {
  rules.require_exp = false;
  const Claims c = parsed(R"({"nbf":1000})");
  EXPECT_OK(check_claims(c, rules, now));
  EXPECT_ERRC(check_claims(c, rules, now - microseconds(1)), Errc::kNotYetValid);
  rules.leeway = seconds(30);
  EXPECT_OK(check_claims(c, rules, now - seconds(30)));
  EXPECT_ERRC(check_claims(c, rules, now - seconds(30) - microseconds(1)), Errc::kNotYetValid);
}

TEST_F(CheckClaims, IatBoundariesInWholeSeconds) {
  rules.require_exp = false;
  // iat 1000.9 counts as 1000: a token issued in the current second passes.
  const Claims c = parsed(R"({"iat":1000.9})");
  EXPECT_OK(check_claims(c, rules, now));
  EXPECT_ERRC(check_claims(c, rules, now - microseconds(1)), Errc::kIssuedInFuture);
  rules.leeway = seconds(5);
  EXPECT_OK(check_claims(c, rules, now - seconds(5)));
  EXPECT_ERRC(check_claims(c, rules, now - seconds(5) - microseconds(1)), Errc::kIssuedInFuture);
}

TEST_F(CheckClaims, TheIssuerIsCheckedWhenExpected) {
  const Claims c = parsed(R"({"exp":2000,"iss":"them"})");
  EXPECT_OK(check_claims(c, rules, now));
  rules.issuer = "me";
  EXPECT_ERRC(check_claims(c, rules, now), Errc::kWrongIssuer);
  EXPECT_OK(check_claims(parsed(R"({"exp":2000,"iss":"me"})"), rules, now));
  auto missing = check_claims(parsed(R"({"exp":2000})"), rules, now);
  EXPECT_ERRC(missing, Errc::kMissingClaim);
  EXPECT_EQ(missing.error().detail(), "iss");
}

TEST_F(CheckClaims, AnAudienceIsRefusedWhenNoneIsExpected) {
  EXPECT_ERRC(check_claims(parsed(R"({"exp":2000,"aud":"api"})"), rules, now),
              Errc::kWrongAudience);
  EXPECT_ERRC(check_claims(parsed(R"({"exp":2000,"aud":[]})"), rules, now), Errc::kWrongAudience);
  EXPECT_OK(check_claims(parsed(R"({"exp":2000})"), rules, now));
}

TEST_F(CheckClaims, AnExpectedAudienceMustBeNamed) {
  rules.audience = {"api", "admin"};
  EXPECT_OK(check_claims(parsed(R"({"exp":2000,"aud":"admin"})"), rules, now));
  EXPECT_OK(check_claims(parsed(R"({"exp":2000,"aud":["other","api"]})"), rules, now));
  EXPECT_ERRC(check_claims(parsed(R"({"exp":2000,"aud":["other"]})"), rules, now),
              Errc::kWrongAudience);
  EXPECT_ERRC(check_claims(parsed(R"({"exp":2000,"aud":[]})"), rules, now), Errc::kWrongAudience);
  auto missing = check_claims(parsed(R"({"exp":2000})"), rules, now);
  EXPECT_ERRC(missing, Errc::kMissingClaim);
  EXPECT_EQ(missing.error().detail(), "aud");
}

TEST_F(CheckClaims, ChecksInTheDocumentedOrder) {
  // Expired, not yet valid, issued in the future, wrong issuer and audience
  // all at once: each failure hides the ones after it.
  rules.issuer = "me";
  rules.audience = {"api"};
  const Claims c = parsed(R"({"exp":900,"nbf":1100,"iat":1200,"iss":"x","aud":"y"})");
  EXPECT_ERRC(check_claims(c, rules, now), Errc::kExpired);
  const Claims no_exp = parsed(R"({"nbf":1100,"iat":1200,"iss":"x","aud":"y"})");
  EXPECT_ERRC(check_claims(no_exp, rules, now), Errc::kMissingClaim);
  rules.require_exp = false;
  EXPECT_ERRC(check_claims(no_exp, rules, now), Errc::kNotYetValid);
  EXPECT_ERRC(check_claims(parsed(R"({"iat":1200,"iss":"x","aud":"y"})"), rules, now),
              Errc::kIssuedInFuture);
  EXPECT_ERRC(check_claims(parsed(R"({"iss":"x","aud":"y"})"), rules, now), Errc::kWrongIssuer);
  EXPECT_ERRC(check_claims(parsed(R"({"iss":"me","aud":"y"})"), rules, now), Errc::kWrongAudience);
}

}  // namespace
}  // namespace jwtguard
