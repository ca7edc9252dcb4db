// StatusListVerifier: the statuses it reads, the status claims and the list
// tokens it refuses (draft-ietf-oauth-status-list §8.3).
#include <gtest/gtest.h>

#include "status_list/verifier_fixture.h"

namespace jwtguard::testing {
namespace {

using Json = nlohmann::json;

TEST_F(StatusVerifierTest, ReadsTheStatusAtEachIndex) {
  ASSERT_OK(list_.set(1, TokenStatus::kInvalid));
  ASSERT_OK(list_.set(2, TokenStatus::kSuspended));
  ASSERT_OK(list_.set(3, std::uint8_t{3}));
  ASSERT_OK(list_.set(15, TokenStatus::kInvalid));
  serve_list();
  auto v = verifier();
  const TokenStatus expected[16] = {TokenStatus::kValid, TokenStatus::kInvalid,
                                    TokenStatus::kSuspended, TokenStatus{3}};
  for (std::uint64_t idx = 0; idx < 15; ++idx) {
    auto status = v->status(token_at(idx));
    ASSERT_OK(status);
    EXPECT_EQ(*status, expected[idx]) << "idx " << idx;
  }
  EXPECT_EQ(*v->status(token_at(15)), TokenStatus::kInvalid);
  EXPECT_EQ(fetches(), 1);
}

TEST_F(StatusVerifierTest, CheckTellsRevokedFromSuspended) {
  ASSERT_OK(list_.set(1, TokenStatus::kInvalid));
  ASSERT_OK(list_.set(2, TokenStatus::kSuspended));
  ASSERT_OK(list_.set(3, std::uint8_t{3}));
  serve_list();
  auto v = verifier();
  EXPECT_OK(v->check(token_at(0)));
  EXPECT_ERRC(v->check(token_at(1)), Errc::kRevoked);
  EXPECT_EQ(v->check(token_at(1)).error().message(), "Token has been revoked: status list");
  EXPECT_ERRC(v->check(token_at(2)), Errc::kSuspended);
  EXPECT_EQ(v->check(token_at(2)).error().message(), "Token has been suspended: status list");
  // An application-specific value is no reason to let the token through.
  EXPECT_ERRC(v->check(token_at(3)), Errc::kRevoked);
  EXPECT_NE(v->check(token_at(3)).error().detail().find("status 3"), std::string::npos);
}

TEST_F(StatusVerifierTest, RefusesAnIndexOutOfRange) {
  serve_list();
  auto v = verifier();
  EXPECT_OK(v->status(token_at(15)));
  auto beyond = v->status(token_at(16));
  EXPECT_ERRC(beyond, Errc::kBadClaim);
  EXPECT_NE(beyond.error().detail().find("index out of range"), std::string::npos);
  EXPECT_ERRC(v->status(token_at(std::uint64_t{1} << 63)), Errc::kBadClaim);
}

TEST_F(StatusVerifierTest, RefusesMalformedStatusClaimsWithoutFetching) {
  auto v = verifier();
  const std::string uri = "\"" + uri_ + "\"";
  struct Case {
    std::string payload;
    Errc code;
    std::string detail;
  };
  const Case cases[] = {
      {R"({"sub":"a"})", Errc::kMissingClaim, "status"},
      {R"({"status":[]})", Errc::kBadClaim, "status must be an object"},
      {R"({"status":{"other":{}}})", Errc::kMissingClaim, "status.status_list"},
      {R"({"status":{"status_list":"x"}})", Errc::kBadClaim,
       "status.status_list must be an object"},
      {R"({"status":{"status_list":{"uri":)" + uri + "}}}", Errc::kMissingClaim,
       "status.status_list.idx"},
      {R"({"status":{"status_list":{"idx":-1,"uri":)" + uri + "}}}", Errc::kBadClaim,
       "status.status_list.idx must be a non-negative integer"},
      {R"({"status":{"status_list":{"idx":1.0,"uri":)" + uri + "}}}", Errc::kBadClaim,
       "status.status_list.idx must be a non-negative integer"},
      {R"({"status":{"status_list":{"idx":"1","uri":)" + uri + "}}}", Errc::kBadClaim,
       "status.status_list.idx must be a non-negative integer"},
      {R"({"status":{"status_list":{"idx":1}}})", Errc::kMissingClaim, "status.status_list.uri"},
      {R"({"status":{"status_list":{"idx":1,"uri":7}}})", Errc::kBadClaim,
       "status.status_list.uri must be a non-empty string"},
      {R"({"status":{"status_list":{"idx":1,"uri":""}}})", Errc::kBadClaim,
       "status.status_list.uri must be a non-empty string"},
      {"[1]", Errc::kNotAnObject, ""},
  };
  for (const Case& c : cases) {
    auto status = v->status(c.payload);
    EXPECT_ERRC(status, c.code);
    if (!c.detail.empty()) {
      EXPECT_EQ(status.error().detail(), c.detail) << c.payload;
    }
  }
  EXPECT_EQ(server_.requests(), 0);
}

// Each refusal on its own verifier: a refusal is remembered for min_cache.
TEST_F(StatusVerifierTest, RefusesListTokensThatBreakTheDraftsRules) {
  struct Case {
    const char* what;
    void (*edit)(Json& header, Json& payload);
    Errc code;
  };
  const Case cases[] = {
      {"typ JWT", [](Json& h, Json&) { h["typ"] = "JWT"; }, Errc::kBadHeader},
      {"no typ", [](Json& h, Json&) { h.erase("typ"); }, Errc::kBadHeader},
      {"another sub", [](Json&, Json& p) { p["sub"] = p["sub"].get<std::string>() + "/"; },
       Errc::kBadClaim},
      {"no sub", [](Json&, Json& p) { p.erase("sub"); }, Errc::kMissingClaim},
      {"no iat", [](Json&, Json& p) { p.erase("iat"); }, Errc::kMissingClaim},
      {"expired", [](Json&, Json& p) { p["exp"] = p["iat"].get<std::int64_t>() - 1; },
       Errc::kExpired},
      {"ttl 0", [](Json&, Json& p) { p["ttl"] = 0; }, Errc::kBadClaim},
      {"ttl text", [](Json&, Json& p) { p["ttl"] = "300"; }, Errc::kBadClaim},
      {"no status_list", [](Json&, Json& p) { p.erase("status_list"); }, Errc::kMissingClaim},
      {"bits 3", [](Json&, Json& p) { p["status_list"]["bits"] = 3; }, Errc::kBadClaim},
      {"unknown kid", [](Json& h, Json&) { h["kid"] = "issuer-2"; }, Errc::kUnknownKid},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    serve_edited(c.edit);
    EXPECT_ERRC(verifier()->status(token_at(0)), c.code);
  }
}

TEST_F(StatusVerifierTest, RefusesAListSignedByAnotherKey) {
  const Key other = *Key::generate(Algorithm::kES256, issuer_.kid());
  serve(signed_token(other, Algorithm::kES256, list_header(issuer_),
                     list_payload(list_, uri_, clock_.now())));
  EXPECT_ERRC(verifier()->status(token_at(0)), Errc::kBadSignature);
}

TEST_F(StatusVerifierTest, RefusesAlgNoneAndAlgorithmsOffTheList) {
  nlohmann::json header = list_header(issuer_);
  header["alg"] = "none";
  const nlohmann::json payload = list_payload(list_, uri_, clock_.now());
  serve(base64url::encode(header.dump()) + "." + base64url::encode(payload.dump()) + ".");
  EXPECT_ERRC(verifier()->status(token_at(0)), Errc::kAlgNone);
  serve(base64url::encode(header.dump()) + "." + base64url::encode(payload.dump()) + ".AAAA");
  EXPECT_ERRC(verifier()->status(token_at(0)), Errc::kAlgNone);

  serve_list();
  StatusVerifierOptions only_es384 = options();
  only_es384.keys = KeySet(*Key::generate(Algorithm::kES384, "other"));
  only_es384.algorithms = {Algorithm::kES384};
  EXPECT_ERRC(verifier(only_es384)->status(token_at(0)), Errc::kAlgNotAllowed);
}

TEST_F(StatusVerifierTest, AcceptsTheApplicationPrefixedTypAndATrailingNewline) {
  ASSERT_OK(list_.set(4, TokenStatus::kInvalid));
  serve_edited([](Json& h, Json&) { h["typ"] = "application/statuslist+jwt"; });
  EXPECT_EQ(*verifier()->status(token_at(4)), TokenStatus::kInvalid);
  serve(signed_token(issuer_, Algorithm::kES256, list_header(issuer_),
                     list_payload(list_, uri_, clock_.now())) +
        "\r\n");
  EXPECT_EQ(*verifier()->status(token_at(4)), TokenStatus::kInvalid);
}

TEST_F(StatusVerifierTest, ExpiryAllowsTheLeewayAndNoMore) {
  const std::int64_t now = to_unix_seconds(clock_.now());
  serve_edited([now](Json&, Json& p) { p["exp"] = now - 5; });
  StatusVerifierOptions lax = options();
  lax.leeway = std::chrono::seconds(6);
  EXPECT_OK(verifier(lax)->status(token_at(0)));
  lax.leeway = std::chrono::seconds(5);
  EXPECT_ERRC(verifier(lax)->status(token_at(0)), Errc::kExpired);
}

TEST_F(StatusVerifierTest, RefusesPlainHttpToAnotherHost) {
  auto v = verifier();
  auto status = v->status(referencing(0, "http://status.example.com/statuslists/1"));
  EXPECT_ERRC(status, Errc::kInvalidArgument);
  EXPECT_NE(status.error().detail().find("loopback"), std::string::npos);
  EXPECT_ERRC(v->status(referencing(0, "ftp://127.0.0.1/statuslists/1")), Errc::kInvalidArgument);
}

TEST_F(StatusVerifierTest, CreateRefusesUnusableOptions) {
  StatusVerifierOptions o = options();
  o.keys = KeySet();
  EXPECT_ERRC(StatusListVerifier::create(o, clock_), Errc::kInvalidArgument);
  o = options();
  o.min_cache = std::chrono::seconds(100);
  o.max_cache = std::chrono::seconds(10);
  EXPECT_ERRC(StatusListVerifier::create(o, clock_), Errc::kInvalidArgument);
  o = options();
  o.max_response_bytes = 0;
  EXPECT_ERRC(StatusListVerifier::create(o, clock_), Errc::kInvalidArgument);
  o = options();
  o.algorithms = {Algorithm::kRS256};
  EXPECT_ERRC(StatusListVerifier::create(o, clock_), Errc::kNoKeyForAlg);
}

}  // namespace
}  // namespace jwtguard::testing
