#include "jwtguard/algorithm.h"

#include <array>
#include <cctype>

namespace jwtguard {
namespace {

struct AlgorithmInfo {
  Algorithm alg;
  std::string_view name;
  AlgorithmFamily family;
  std::size_t hash_size;
};

constexpr std::array<AlgorithmInfo, 13> kAlgorithms = {{
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
}};

constexpr std::array<Algorithm, 13> kAll = [] {
  std::array<Algorithm, 13> all{};
  for (std::size_t i = 0; i < kAlgorithms.size(); ++i) all[i] = kAlgorithms[i].alg;
  return all;
}();

const AlgorithmInfo& info(Algorithm alg) { return kAlgorithms[static_cast<std::size_t>(alg)]; }

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) return false;
  }
  return true;
}

}  // namespace

std::span<const Algorithm> all_algorithms() { return kAll; }

std::string_view algorithm_name(Algorithm alg) { return info(alg).name; }

Result<Algorithm> parse_algorithm(std::string_view name) {
  for (const auto& a : kAlgorithms) {
    if (a.name == name) return a.alg;
  }
  if (equals_ignoring_case(name, "none")) return fail(Errc::kAlgNone);
  return fail(Errc::kUnsupportedAlg, std::string(name.substr(0, 32)));
}

AlgorithmFamily algorithm_family(Algorithm alg) { return info(alg).family; }

std::size_t algorithm_hash_size(Algorithm alg) { return info(alg).hash_size; }

}  // namespace jwtguard
