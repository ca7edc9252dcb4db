// The JWS algorithms (jwtguard/algorithm.h): names, families and hash sizes,
// and how an "alg" value is read.
#include "jwtguard/algorithm.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "testing/fixtures.h"

namespace jwtguard {
namespace {

struct Expected {
  Algorithm alg;
  const char* name;
  AlgorithmFamily family;
  std::size_t hash_size;
};

constexpr Expected kTable[] = {
    {Algorithm::kHS256, "HS256", AlgorithmFamily::kHmac, 32},
    {Algorithm::kHS384, "HS384", AlgorithmFamily::kHmac, 48},
    {Algorithm::kHS512, "HS512", AlgorithmFamily::kHmac, 64},
    {Algorithm::kRS256, "RS256", AlgorithmFamily::kRsaPkcs1, 32},
    {Algorithm::kRS384, "RS384", AlgorithmFamily::kRsaPkcs1, 48},
    {Algorithm::kRS512, "RS512", AlgorithmFamily::kRsaPkcs1, 64},
    {Algorithm::kPS256, "PS256", AlgorithmFamily::kRsaPss, 32},
    {Algorithm::kPS384, "PS384", AlgorithmFamily::kRsaPss, 48},
    {Algorithm::kPS512, "PS512", AlgorithmFamily::kRsaPss, 64},
    {Algorithm::kES256, "ES256", AlgorithmFamily::kEcdsa, 32},
    {Algorithm::kES384, "ES384", AlgorithmFamily::kEcdsa, 48},
    {Algorithm::kES512, "ES512", AlgorithmFamily::kEcdsa, 64},
    {Algorithm::kEdDSA, "EdDSA", AlgorithmFamily::kEdDSA, 64},
};

TEST(Algorithms, AllAreListedInDeclarationOrder) {
  const auto all = all_algorithms();
  ASSERT_EQ(all.size(), std::size(kTable));
  for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i], kTable[i].alg) << i;
}

TEST(Algorithms, NamesFamiliesAndHashSizes) {
  for (const Expected& e : kTable) {
    EXPECT_EQ(algorithm_name(e.alg), e.name);
    EXPECT_EQ(algorithm_family(e.alg), e.family) << e.name;
    EXPECT_EQ(algorithm_hash_size(e.alg), e.hash_size) << e.name;
  }
}

TEST(Algorithms, EveryNameParsesBackToItsAlgorithm) {
  std::set<std::string_view> names;
  for (Algorithm alg : all_algorithms()) {
    auto parsed = parse_algorithm(algorithm_name(alg));
    ASSERT_OK(parsed);
    EXPECT_EQ(*parsed, alg);
    names.insert(algorithm_name(alg));
  }
  EXPECT_EQ(names.size(), all_algorithms().size());
}

TEST(Algorithms, NamesAreCaseSensitive) {
  for (const char* name : {"hs256", "Hs256", "rs256", "EDDSA", "eddsa", "es512"}) {
    SCOPED_TRACE(name);
    EXPECT_ERRC(parse_algorithm(name), Errc::kUnsupportedAlg);
  }
}

TEST(Algorithms, NoneInAnySpellingIsTheAttack) {
  for (const char* name : {"none", "None", "NONE", "nOnE", "noNe"}) {
    SCOPED_TRACE(name);
    EXPECT_ERRC(parse_algorithm(name), Errc::kAlgNone);
  }
}

TEST(Algorithms, AnythingElseIsUnsupported) {
  for (const char* name : {"", "none ", " none", "non", "nonee", "HS256 ", "HS1", "ES256K",
                           "RSA-OAEP", "Ed25519", "HS 256"}) {
    SCOPED_TRACE(name);
    EXPECT_ERRC(parse_algorithm(name), Errc::kUnsupportedAlg);
  }
}

}  // namespace
}  // namespace jwtguard
