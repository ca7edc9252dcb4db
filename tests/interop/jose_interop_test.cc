// Interop with an independent implementation, node's `jose`: tokens it signs
// verify here, and tokens issued here verify there, for every algorithm.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "jwtguard/issuer.h"
#include "jwtguard/verifier.h"
#include "testing/fixtures.h"
#include "testing/subprocess.h"

namespace jwtguard {
namespace {

using Json = nlohmann::json;

Json run_peer(const std::string& mode, const std::string& input = {}) {
  const testing::RunResult r = testing::run({JWTGUARD_NODE, JWTGUARD_JOSE_PEER, mode}, input);
  EXPECT_EQ(r.exit_code, 0) << "node jose_peer.mjs " << mode << " failed: " << r.err;
  return r.exit_code == 0 ? Json::parse(r.out) : Json::array();
}

TEST(JoseInterop, TokensSignedByJoseVerifyHere) {
  const Json items = run_peer("sign");
  ASSERT_EQ(items.size(), all_algorithms().size());
  for (const Json& item : items) {
    const std::string alg = item["alg"];
    SCOPED_TRACE(alg);
    auto key = Key::from_jwk(item["jwk"].dump());
    ASSERT_OK(key);
    auto verifier = Verifier::create(KeySet(*key), {.algorithms = {*parse_algorithm(alg)}});
    ASSERT_OK(verifier);
    auto verified = verifier->verify(item["token"].get<std::string>(), SystemClock().now());
    ASSERT_OK(verified);
    EXPECT_EQ(verified->claims.sub, "interop-" + alg);
    EXPECT_EQ(verified->claims.jti, "jti-" + alg);
    EXPECT_EQ(verified->claims.type, "access");
    EXPECT_EQ(verified->claims.sid, "jose-session");
    // And a wrong key of the same kind refuses it.
    auto other = Key::generate(*parse_algorithm(alg));
    ASSERT_OK(other);
    EXPECT_FALSE(Verifier::create(KeySet(*other))
                     ->verify(item["token"].get<std::string>(), SystemClock().now()));
  }
}

TEST(JoseInterop, TokensIssuedHereVerifyWithJose) {
  Json items = Json::array();
  for (Algorithm alg : all_algorithms()) {
    auto key = Key::generate(alg, "k-" + std::string(algorithm_name(alg)));
    ASSERT_OK(key);
    auto issuer = Issuer::create(*key, {.algorithm = alg});
    ASSERT_OK(issuer);
    auto pair = issuer->issue_pair("alice-" + std::string(algorithm_name(alg)), R"({"n":1})",
                                   SystemClock().now());
    ASSERT_OK(pair);
    const bool secret = key->type() == KeyType::kOct;
    auto jwk = key->to_jwk(/*include_private=*/secret);
    ASSERT_OK(jwk);
    for (const IssuedToken* token : {&pair->access, &pair->refresh}) {
      items.push_back(
          {{"alg", algorithm_name(alg)}, {"jwk", Json::parse(*jwk)}, {"token", token->token}});
    }
  }
  const Json results = run_peer("verify", items.dump());
  ASSERT_EQ(results.size(), items.size());
  for (std::size_t i = 0; i < results.size(); ++i) {
    const Json& r = results[i];
    const std::string alg = r["alg"];
    SCOPED_TRACE(alg);
    ASSERT_TRUE(r["ok"].get<bool>()) << r.value("error", "");
    EXPECT_EQ(r["payload"]["sub"], "alice-" + alg);
    EXPECT_EQ(r["payload"]["type"], i % 2 == 0 ? "access" : "refresh");
    EXPECT_EQ(r["payload"]["n"], 1);
  }
}

TEST(JoseInterop, JoseRefusesTamperedTokensIssuedHere) {
  // Guards the test itself: the peer must be able to say no.
  const Key key = *Key::generate(Algorithm::kES256);
  std::string token =
      Issuer::create(key)->issue({.subject = "mallory"}, SystemClock().now())->token;
  token[token.find('.') + 3] ^= 1;
  const Json results = run_peer(
      "verify",
      Json::array({{{"alg", "ES256"}, {"jwk", Json::parse(*key.to_jwk(false))}, {"token", token}}})
          .dump());
  ASSERT_EQ(results.size(), 1u);
  EXPECT_FALSE(results[0]["ok"].get<bool>());
}

}  // namespace
}  // namespace jwtguard
