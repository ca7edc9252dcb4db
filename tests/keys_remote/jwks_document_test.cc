// remote_key_set: what a remote JWK Set document becomes.
#include "keys_remote/jwks_document.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "keys_remote/jwks_server.h"
#include "testing/fixtures.h"

namespace jwtguard::keys_remote {
namespace {

using testing::jwks_document;

std::string public_jwk(const Key& key) { return *key.to_jwk(/*include_private=*/false); }

TEST(JwksDocumentTest, KeepsPublicKeysWithTheirKids) {
  auto ec = Key::generate(Algorithm::kES256, "ec-1");
  auto ed = Key::generate(Algorithm::kEdDSA, "ed-1");
  ASSERT_OK(ec);
  ASSERT_OK(ed);
  auto set = remote_key_set(jwks_document({public_jwk(*ec), public_jwk(*ed)}));
  ASSERT_OK(set);
  ASSERT_EQ(set->keys().size(), 2u);
  EXPECT_NE(set->find("ec-1"), nullptr);
  EXPECT_NE(set->find("ed-1"), nullptr);
}

// A secret in a published set is known to everyone who fetched it.
TEST(JwksDocumentTest, DropsHmacSecrets) {
  auto ec = Key::generate(Algorithm::kES256, "ec-1");
  auto secret = Key::generate(Algorithm::kHS256, "hs-1");
  ASSERT_OK(ec);
  ASSERT_OK(secret);
  auto set =
      remote_key_set(jwks_document({*secret->to_jwk(/*include_private=*/true), public_jwk(*ec)}));
  ASSERT_OK(set);
  EXPECT_EQ(set->find("hs-1"), nullptr);
  EXPECT_NE(set->find("ec-1"), nullptr);
  EXPECT_FALSE(set->allows(Algorithm::kHS256));
}

TEST(JwksDocumentTest, ASetOfSecretsOnlyIsRefused) {
  auto secret = Key::generate(Algorithm::kHS256, "hs-1");
  ASSERT_OK(secret);
  EXPECT_ERRC(remote_key_set(jwks_document({*secret->to_jwk(true)})), Errc::kBadKey);
}

// A set that (wrongly) publishes a private key: jwtguard keeps only what a
// verifier needs.
TEST(JwksDocumentTest, ReducesPrivateKeysToTheirPublicHalves) {
  auto ec = Key::generate(Algorithm::kES384, "ec-private");
  ASSERT_OK(ec);
  auto set = remote_key_set(jwks_document({*ec->to_jwk(/*include_private=*/true)}));
  ASSERT_OK(set);
  const Key* key = set->find("ec-private");
  ASSERT_NE(key, nullptr);
  EXPECT_FALSE(key->is_private());
  EXPECT_EQ(*key->to_jwk(false), public_jwk(*ec));
}

// A JWK's "alg" binds the key to that one algorithm, remote or not.
TEST(JwksDocumentTest, KeepsEveryKeysAlgorithmBinding) {
  auto jwk = nlohmann::json::parse(*testing::public_key_for(Algorithm::kPS256).to_jwk(false));
  jwk["alg"] = "PS256";
  jwk["kid"] = "pss";
  auto set = remote_key_set(jwks_document({jwk.dump()}));
  ASSERT_OK(set);
  const Key* key = set->find("pss");
  ASSERT_NE(key, nullptr);
  EXPECT_TRUE(key->allows(Algorithm::kPS256));
  EXPECT_FALSE(key->allows(Algorithm::kRS256));
}

// One member jwtguard cannot use (a legacy short RSA modulus, a malformed
// key) must not take the identity server's good keys down with it; a local
// key file stays strict.
TEST(JwksDocumentTest, SkipsMembersItCannotUse) {
  auto ec = Key::generate(Algorithm::kES256, "ec-1");
  ASSERT_OK(ec);
  const std::string weak_rsa = R"({"kty":"RSA","kid":"legacy","n":"wVhE2t1w7Q","e":"AQAB"})";
  const std::string broken_ec = R"({"kty":"EC","kid":"broken","crv":"P-256","x":"AAAA"})";
  const std::string document = jwks_document({weak_rsa, broken_ec, public_jwk(*ec)});
  auto set = remote_key_set(document);
  ASSERT_OK(set);
  ASSERT_EQ(set->keys().size(), 1u);
  EXPECT_NE(set->find("ec-1"), nullptr);
  EXPECT_FALSE(KeySet::from_jwks(document).has_value());
  // Nothing usable at all is still a failed fetch.
  EXPECT_ERRC(remote_key_set(jwks_document({weak_rsa, broken_ec})), Errc::kBadKey);
}

// A key published only for encryption never verifies a signature, by "use"
// or by "key_ops"; a second key under a taken kid is skipped, the first
// stays.
TEST(JwksDocumentTest, KeysForOtherUsesAndDuplicateKidsAreSkipped) {
  auto good = Key::generate(Algorithm::kES256, "k");
  auto second = Key::generate(Algorithm::kES256, "k");
  auto enc = Key::generate(Algorithm::kES256, "enc");
  auto wrap = Key::generate(Algorithm::kES256, "wrap");
  ASSERT_OK(good);
  ASSERT_OK(second);
  ASSERT_OK(enc);
  ASSERT_OK(wrap);
  auto with = [](const Key& key, const char* member, nlohmann::json value) {
    auto jwk = nlohmann::json::parse(*key.to_jwk(false));
    jwk.erase("use");
    jwk[member] = std::move(value);
    return jwk.dump();
  };
  auto set = remote_key_set(
      jwks_document({public_jwk(*good), public_jwk(*second), with(*enc, "use", "enc"),
                     with(*wrap, "key_ops", {"encrypt", "wrapKey"})}));
  ASSERT_OK(set);
  ASSERT_EQ(set->keys().size(), 1u);
  EXPECT_EQ(*set->find("k")->to_jwk(false), public_jwk(*good));
  EXPECT_EQ(set->find("enc"), nullptr);
  EXPECT_EQ(set->find("wrap"), nullptr);
  EXPECT_OK(Key::from_jwk(with(*wrap, "key_ops", {"verify"})));
}

TEST(JwksDocumentTest, RefusesWhatIsNotAJwkSet) {
  EXPECT_FALSE(remote_key_set("").has_value());
  EXPECT_FALSE(remote_key_set("<html>down for maintenance</html>").has_value());
  EXPECT_FALSE(remote_key_set(R"({"keys":{}})").has_value());
  EXPECT_FALSE(remote_key_set(R"({"keys":[]})").has_value());
}

}  // namespace
}  // namespace jwtguard::keys_remote
