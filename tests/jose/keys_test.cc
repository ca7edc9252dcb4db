#include "jwtguard/keys.h"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <nlohmann/json.hpp>

#include "jose/base64url.h"
#include "jwtguard/jose.h"
#include "testing/fixtures.h"
#include "testing/rfc_vectors.h"

namespace jwtguard {
namespace {

using testing::key_pem;
using testing::private_key_for;
using testing::public_key_for;

class AsymmetricAlgorithm : public ::testing::TestWithParam<Algorithm> {};

INSTANTIATE_TEST_SUITE_P(Keys, AsymmetricAlgorithm,
                         ::testing::Values(Algorithm::kRS256, Algorithm::kPS256, Algorithm::kES256,
                                           Algorithm::kES384, Algorithm::kES512, Algorithm::kEdDSA),
                         testing::algorithm_test_name);

// Signs with `signer` and verifies with `verifier`.
void expect_pair_works(const Key& signer, const Key& verifier, Algorithm alg) {
  auto token = sign_jws(signer, alg, "{}");
  ASSERT_OK(token);
  EXPECT_OK(verify_jws(*token, KeySet(verifier), {}));
}

TEST_P(AsymmetricAlgorithm, LoadsPemSpkiAndPkcs8) {
  const Algorithm alg = GetParam();
  const Key& original = private_key_for(alg);
  auto priv = Key::from_pem(key_pem(original, false), "pem");
  auto pub = Key::from_pem(key_pem(original, true));
  ASSERT_OK(priv);
  ASSERT_OK(pub);
  EXPECT_TRUE(priv->is_private());
  EXPECT_FALSE(pub->is_private());
  EXPECT_EQ(priv->kid(), "pem");
  EXPECT_TRUE(pub->allows(alg));
  expect_pair_works(*priv, *pub, alg);
}

TEST_P(AsymmetricAlgorithm, LoadsTheCertificatesPublicKey) {
  const Algorithm alg = GetParam();
  auto pub = Key::from_pem(testing::self_signed_certificate_pem(private_key_for(alg)));
  ASSERT_OK(pub);
  EXPECT_FALSE(pub->is_private());
  expect_pair_works(private_key_for(alg), *pub, alg);
}

TEST_P(AsymmetricAlgorithm, JwkRoundTripsPublicAndPrivate) {
  const Algorithm alg = GetParam();
  const Key& original = private_key_for(alg);
  auto priv = Key::from_jwk(*original.to_jwk(true));
  auto pub = Key::from_jwk(*original.to_jwk(false));
  ASSERT_OK(priv);
  ASSERT_OK(pub);
  EXPECT_TRUE(priv->is_private());
  EXPECT_FALSE(pub->is_private());
  EXPECT_EQ(pub->bits(), original.bits());
  expect_pair_works(*priv, *pub, alg);
  expect_pair_works(original, *pub, alg);
}

TEST_P(AsymmetricAlgorithm, PemRoundTripsPublicAndPrivate) {
  const Algorithm alg = GetParam();
  const Key& original = private_key_for(alg);
  auto private_pem = original.to_pem(true);
  auto public_pem = original.to_pem(false);
  ASSERT_OK(private_pem);
  ASSERT_OK(public_pem);
  EXPECT_TRUE(private_pem->starts_with("-----BEGIN PRIVATE KEY-----")) << *private_pem;
  EXPECT_TRUE(public_pem->starts_with("-----BEGIN PUBLIC KEY-----")) << *public_pem;
  auto priv = Key::from_pem(*private_pem);
  auto pub = Key::from_pem(*public_pem);
  ASSERT_OK(priv);
  ASSERT_OK(pub);
  EXPECT_TRUE(priv->is_private());
  EXPECT_FALSE(pub->is_private());
  expect_pair_works(*priv, *pub, alg);
  // A public key has no private PEM to give.
  auto again = pub->to_pem(true);
  ASSERT_OK(again);
  EXPECT_EQ(*again, *public_pem);
}

TEST(Keys, AnHmacSecretHasNoPem) {
  auto secret = Key::from_secret("0123456789abcdef0123456789abcdef");
  ASSERT_OK(secret);
  auto pem = secret->to_pem(true);
  ASSERT_FALSE(pem);
  EXPECT_EQ(pem.error().code(), Errc::kInvalidArgument);
}

TEST(Keys, TypeBindsAlgorithms) {
  EXPECT_EQ(private_key_for(Algorithm::kHS256).algorithms().size(), 3u);
  EXPECT_EQ(private_key_for(Algorithm::kRS256).algorithms().size(), 6u);
  EXPECT_TRUE(public_key_for(Algorithm::kES384).allows(Algorithm::kES384));
  EXPECT_FALSE(public_key_for(Algorithm::kES384).allows(Algorithm::kES256));
  EXPECT_FALSE(public_key_for(Algorithm::kES384).allows(Algorithm::kES512));
  EXPECT_FALSE(public_key_for(Algorithm::kRS256).allows(Algorithm::kHS256));
  EXPECT_FALSE(public_key_for(Algorithm::kEdDSA).allows(Algorithm::kES256));
  EXPECT_FALSE(private_key_for(Algorithm::kHS256).allows(Algorithm::kRS256));
}

TEST(Keys, GeneratedKeysHaveTheExpectedSizes) {
  EXPECT_EQ(Key::generate(Algorithm::kHS256)->bits(), 256);
  EXPECT_EQ(Key::generate(Algorithm::kHS512)->bits(), 512);
  EXPECT_EQ(private_key_for(Algorithm::kRS256).bits(), 2048);
  EXPECT_EQ(private_key_for(Algorithm::kES512).bits(), 521);
}

TEST(Keys, RfcJwksLoadWithTheirTypes) {
  EXPECT_EQ(Key::from_jwk(testing::rfc::kA1Jwk)->type(), KeyType::kOct);
  EXPECT_EQ(Key::from_jwk(testing::rfc::kA2Jwk)->type(), KeyType::kRsa);
  EXPECT_EQ(Key::from_jwk(testing::rfc::kA3Jwk)->type(), KeyType::kEc);
  EXPECT_EQ(Key::from_jwk(testing::rfc::kEd25519Jwk)->type(), KeyType::kOkp);
  EXPECT_TRUE(Key::from_jwk(testing::rfc::kA2Jwk)->is_private());
}

TEST(Keys, RefusesBadJwks) {
  EXPECT_ERRC(Key::from_jwk("not json"), Errc::kBadKey);
  EXPECT_ERRC(Key::from_jwk("[]"), Errc::kBadKey);
  EXPECT_ERRC(Key::from_jwk(R"({"k":"AAAA"})"), Errc::kBadKey);
  EXPECT_ERRC(Key::from_jwk(R"({"kty":"oct"})"), Errc::kBadKey);
  EXPECT_ERRC(Key::from_jwk(R"({"kty":"oct","k":"AA=="})"), Errc::kBadKey);
  EXPECT_ERRC(Key::from_jwk(R"({"kty":"XYZ","k":"AAAA"})"), Errc::kUnsupportedKey);
  EXPECT_ERRC(Key::from_jwk(R"({"kty":"OKP","crv":"X25519","x":"AAAA"})"), Errc::kUnsupportedKey);
  EXPECT_ERRC(Key::from_jwk(R"({"kty":"EC","crv":"P-192","x":"AAAA","y":"AAAA"})"),
              Errc::kUnsupportedKey);
  EXPECT_ERRC(Key::from_jwk(R"({"kty":"oct","use":"enc","k":"AAAA"})"), Errc::kBadKey);
  EXPECT_ERRC(Key::from_jwk(R"({"kty":"oct","alg":"RS256","k":"AAAA"})"), Errc::kKeyAlgMismatch);
  EXPECT_ERRC(Key::from_jwk(R"({"kty":"oct","alg":"none","k":"AAAA"})"), Errc::kAlgNone);
}

TEST(Keys, RefusesJwkMembersOfTheWrongTypeWithoutThrowing) {
  EXPECT_ERRC(Key::from_jwk(R"({"kty":"EC","crv":5,"x":"AAAA","y":"AAAA"})"),
              Errc::kUnsupportedKey);
  EXPECT_ERRC(Key::from_jwk(R"({"kty":"OKP","crv":[],"x":"AAAA"})"), Errc::kUnsupportedKey);
  EXPECT_ERRC(Key::from_jwk(R"({"kty":"RSA","n":7,"e":"AQAB"})"), Errc::kBadKey);
  EXPECT_ERRC(Key::from_jwk(R"({"kty":"oct","k":"AAAA","kid":1})"), Errc::kBadKey);
  EXPECT_ERRC(Key::from_jwk(R"({"kty":"oct","k":"AAAA","use":{}})"), Errc::kBadKey);
  EXPECT_ERRC(KeySet::from_jwks(R"({"keys":[{"kty":"EC","crv":5,"x":"AAAA","y":"AAAA"}]})"),
              Errc::kBadKey);
}

TEST(Keys, RefusesRsaPrivateJwkWithoutCrtMembers) {
  auto full = nlohmann::json::parse(testing::rfc::kA2Jwk);
  for (const char* member : {"p", "q", "dp", "dq", "qi"}) full.erase(member);
  EXPECT_ERRC(Key::from_jwk(full.dump()), Errc::kBadKey);
}

TEST(Keys, LeavesNoOpenSslErrorsBehind) {
  ERR_clear_error();
  EXPECT_FALSE(Key::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"));
  EXPECT_FALSE(Key::from_jwk(R"({"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"})"));
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(Keys, SkipsNonKeyPemBlocks) {
  // `openssl ecparam -genkey` writes the curve's parameters before the key.
  const std::string pem =
      "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n"
      "-----END EC PARAMETERS-----\n" +
      key_pem(private_key_for(Algorithm::kES256), false);
  auto key = Key::from_pem(pem);
  ASSERT_OK(key);
  EXPECT_TRUE(key->is_private());
}

TEST(Keys, RefusesAnEcPointOffTheCurve) {
  std::string jwk = *public_key_for(Algorithm::kES256).to_jwk(false);
  const auto x = jwk.find("\"x\":\"") + 5;
  jwk[x + 3] = jwk[x + 3] == 'A' ? 'B' : 'A';
  EXPECT_ERRC(Key::from_jwk(jwk), Errc::kBadKey);
}

TEST(Keys, RefusesAnEd25519PrivateKeyThatDoesNotMatchItsPublicKey) {
  std::string jwk = testing::rfc::kEd25519Jwk;
  const auto x = jwk.find("\"x\":\"") + 5;
  jwk[x] = jwk[x] == 'A' ? 'B' : 'A';
  EXPECT_ERRC(Key::from_jwk(jwk), Errc::kBadKey);
}

TEST(Keys, RefusesSmallRsaKeys) {
  EVP_PKEY* small = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(1024));
  ASSERT_NE(small, nullptr);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, small);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  EXPECT_ERRC(Key::from_pem(std::string_view(data, static_cast<std::size_t>(len))), Errc::kWeakKey);
  BIO_free(bio);
  EVP_PKEY_free(small);
}

TEST(Keys, RefusesBadPem) {
  EXPECT_ERRC(Key::from_pem("hello"), Errc::kBadKey);
  EXPECT_ERRC(Key::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
              Errc::kBadKey);
  EXPECT_ERRC(
      Key::from_pem("-----BEGIN ENCRYPTED PRIVATE KEY-----\n-----END ENCRYPTED PRIVATE KEY-----"),
      Errc::kBadKey);
  EXPECT_ERRC(Key::from_pem("-----BEGIN DH PARAMETERS-----\n-----END DH PARAMETERS-----"),
              Errc::kUnsupportedKey);
}

TEST(Keys, HmacSecretHasNoPublicJwk) {
  EXPECT_ERRC(private_key_for(Algorithm::kHS256).to_jwk(false), Errc::kInvalidArgument);
  EXPECT_ERRC(public_key_for(Algorithm::kES256).to_jwk(true), Errc::kKeyNotPrivate);
}

TEST(KeySets, LoadsAJwkSetAndSkipsForeignMembers) {
  const std::string jwks = R"({"keys":[)" + *Key::generate(Algorithm::kES256, "a")->to_jwk(false) +
                           R"(,{"kty":"RSA","use":"enc","n":"AQAB","e":"AQAB"})" +
                           R"(,{"kty":"OKP","crv":"X448","x":"AAAA"})" + "," +
                           *Key::generate(Algorithm::kEdDSA, "b")->to_jwk(false) + "]}";
  auto set = KeySet::from_jwks(jwks);
  ASSERT_OK(set);
  ASSERT_EQ(set->keys().size(), 2u);
  EXPECT_NE(set->find("a"), nullptr);
  EXPECT_NE(set->find("b"), nullptr);
  EXPECT_EQ(set->find("c"), nullptr);
}

TEST(KeySets, RefusesEmptyAndMalformedSets) {
  EXPECT_ERRC(KeySet::from_jwks(R"({"keys":[]})"), Errc::kBadKey);
  EXPECT_ERRC(KeySet::from_jwks(R"({"kid":"x"})"), Errc::kBadKey);
  EXPECT_ERRC(KeySet::from_jwks(R"({"keys":[{"kty":"oct"}]})"), Errc::kBadKey);
}

TEST(KeySets, PublicJwksNeverContainsSecretsOrPrivateParts) {
  KeySet set;
  ASSERT_OK(set.add(*Key::generate(Algorithm::kHS256, "secret")));
  ASSERT_OK(set.add(*Key::generate(Algorithm::kES256, "ec")));
  ASSERT_OK(set.add(private_key_for(Algorithm::kRS256)));
  const std::string jwks = set.to_public_jwks();
  EXPECT_EQ(jwks.find("\"k\""), std::string::npos);
  EXPECT_EQ(jwks.find("\"d\""), std::string::npos);
  EXPECT_EQ(jwks.find("\"p\""), std::string::npos);
  EXPECT_EQ(jwks.find("secret"), std::string::npos);
  auto reloaded = KeySet::from_jwks(jwks);
  ASSERT_OK(reloaded);
  EXPECT_EQ(reloaded->keys().size(), 2u);
}

}  // namespace
}  // namespace jwtguard
