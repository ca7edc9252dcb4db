// Per-token verification cost (verify + decode + claims check) for every
// algorithm, each beside its floor: the raw OpenSSL operation over the same
// signing input with everything pre-parsed and pre-keyed. Prints Google
// Benchmark's table, then the ratio of each algorithm to its floor. Also
// times encoding and decoding a Token Status List of a million one-bit
// statuses (status_list/*, with the list's raw and compressed sizes).
//
//   build/release/bench/jose_bench [--benchmark_filter=HS256] [--benchmark_min_time=1]
//                                  [--benchmark_repetitions=5]  (the table then uses medians)
//
// The floors use keys made by OpenSSL here and handed to jwtguard as PEM or
// raw secret bytes, so they share nothing with jwtguard's own code.
#include <benchmark/benchmark.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <string>

#include "hmac_floor.h"
#include "jose/jws_internal.h"
#include "jwtguard/issuer.h"
#include "jwtguard/status_list.h"
#include "jwtguard/verifier.h"
#include "tokens/flat_claims.h"

namespace {

using namespace jwtguard;

const Timestamp kNow = from_unix_seconds(1'700'000'000);

struct Fixture {
  Algorithm alg;
  std::string secret;        // HS*
  EVP_PKEY* pkey = nullptr;  // everything else; owned, never freed (process lifetime)
  std::string token;
  std::string signing_input;
  std::string signature;  // raw JWS signature bytes
};

EVP_PKEY* generate_pkey(Algorithm alg) {
  switch (algorithm_family(alg)) {
    case AlgorithmFamily::kRsaPkcs1:
    case AlgorithmFamily::kRsaPss:
      return EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(2048));
    case AlgorithmFamily::kEcdsa:
      return EVP_PKEY_Q_keygen(nullptr, nullptr, "EC",
                               alg == Algorithm::kES256   ? "P-256"
                               : alg == Algorithm::kES384 ? "P-384"
                                                          : "P-521");
    default:
      return EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  }
}

std::string private_pem(EVP_PKEY* pkey) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, pkey, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  return pem;
}

const Fixture& fixture(Algorithm alg) {
  static std::map<Algorithm, Fixture> cache;
  auto it = cache.find(alg);
  if (it != cache.end()) return it->second;
  Fixture f{.alg = alg};
  Result<Key> key = fail(Errc::kInvalidArgument);
  if (algorithm_family(alg) == AlgorithmFamily::kHmac) {
    f.secret.resize(algorithm_hash_size(alg));
    RAND_bytes(reinterpret_cast<unsigned char*>(f.secret.data()),
               static_cast<int>(f.secret.size()));
    key = Key::from_secret(f.secret);
  } else {
    f.pkey = generate_pkey(alg);
    key = Key::from_pem(private_pem(f.pkey));
  }
  // A typical access token: about 280 bytes with HS256.
  f.token = Issuer::create(*key, {.algorithm = alg})
                ->issue({.subject = "user-1234567", .fresh = true}, kNow)
                ->token;
  f.signing_input = f.token.substr(0, f.token.rfind('.'));
  f.signature = decode_jws(f.token)->signature;
  return cache.emplace(alg, std::move(f)).first->second;
}

// --- jwtguard: the whole verification ----------------------------------------

void verify_bench(benchmark::State& state, Algorithm alg) {
  const Fixture& f = fixture(alg);
  const Key key = f.pkey ? *Key::from_pem(private_pem(f.pkey)) : *Key::from_secret(f.secret);
  const Verifier verifier = *Verifier::create(KeySet(key));
  for (auto _ : state) {
    auto result = verifier.verify(f.token, kNow);
    if (!result) state.SkipWithError(result.error().message().c_str());
    benchmark::DoNotOptimize(result);
  }
  state.counters["token_bytes"] = static_cast<double>(f.token.size());
}

// --- Floors: raw OpenSSL -------------------------------------------------------

const char* digest_name(Algorithm alg) {
  switch (algorithm_hash_size(alg)) {
    case 32:
      return "SHA256";
    case 48:
      return "SHA384";
    default:
      return "SHA512";
  }
}

// The floor: see hmac_floor.h.
void hmac_floor(benchmark::State& state, Algorithm alg) {
  const Fixture& f = fixture(alg);
  HmacFloor floor(digest_name(alg), f.secret);
  unsigned char out[EVP_MAX_MD_SIZE];
  for (auto _ : state) {
    floor.mac(f.signing_input, out);
    benchmark::DoNotOptimize(out);
  }
}

// For reference: an EVP_MAC_CTX keyed once and re-initialised per token
// (EVP_MAC_init with a NULL key keeps the key).
void hmac_mac_reinit(benchmark::State& state, Algorithm alg) {
  const Fixture& f = fixture(alg);
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(
                                   OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digest_name(alg)), 0),
                               OSSL_PARAM_construct_end()};
  EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(f.secret.data()), f.secret.size(),
               params);
  unsigned char out[EVP_MAX_MD_SIZE];
  for (auto _ : state) {
    std::size_t len = 0;
    EVP_MAC_init(ctx, nullptr, 0, nullptr);
    EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(f.signing_input.data()),
                   f.signing_input.size());
    EVP_MAC_final(ctx, out, &len, sizeof out);
    benchmark::DoNotOptimize(out);
  }
  EVP_MAC_CTX_free(ctx);
  EVP_MAC_free(mac);
}

// For reference: one-shot HMAC(), which re-keys on every call.
void hmac_oneshot(benchmark::State& state, Algorithm alg) {
  const Fixture& f = fixture(alg);
  const EVP_MD* md = EVP_get_digestbyname(digest_name(alg));
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  for (auto _ : state) {
    HMAC(md, f.secret.data(), static_cast<int>(f.secret.size()),
         reinterpret_cast<const unsigned char*>(f.signing_input.data()), f.signing_input.size(),
         out, &len);
    benchmark::DoNotOptimize(out);
  }
}

std::string der_signature(const Fixture& f) {
  if (algorithm_family(f.alg) != AlgorithmFamily::kEcdsa) return f.signature;
  const std::size_t half = f.signature.size() / 2;
  const auto* raw = reinterpret_cast<const unsigned char*>(f.signature.data());
  ECDSA_SIG* sig = ECDSA_SIG_new();
  ECDSA_SIG_set0(sig, BN_bin2bn(raw, static_cast<int>(half), nullptr),
                 BN_bin2bn(raw + half, static_cast<int>(half), nullptr));
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  ECDSA_SIG_free(sig);
  return out;
}

// EVP_DigestVerify with a pre-parsed key, a pre-fetched digest, a reused
// context, and (for ECDSA) a signature already in DER.
void digest_verify_floor(benchmark::State& state, Algorithm alg) {
  const Fixture& f = fixture(alg);
  const std::string sig = der_signature(f);
  EVP_MD* md =
      alg == Algorithm::kEdDSA ? nullptr : EVP_MD_fetch(nullptr, digest_name(alg), nullptr);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool pss = algorithm_family(alg) == AlgorithmFamily::kRsaPss;
  for (auto _ : state) {
    EVP_MD_CTX_reset(ctx);
    EVP_PKEY_CTX* pctx = nullptr;
    EVP_DigestVerifyInit(ctx, &pctx, md, nullptr, f.pkey);
    if (pss) {
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
    }
    const int ok = EVP_DigestVerify(
        ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
        reinterpret_cast<const unsigned char*>(f.signing_input.data()), f.signing_input.size());
    if (ok != 1) state.SkipWithError("floor verification failed");
  }
  EVP_MD_CTX_free(ctx);
  EVP_MD_free(md);
}

// --- Where the time goes: the stages of verify/HS256 on their own -----------

// Split, header (cached), allowlist, key choice, signature decode and HMAC.
void stage_signature(benchmark::State& state) {
  const Fixture& f = fixture(Algorithm::kHS256);
  const KeySet keys(*Key::from_secret(f.secret));
  const JwsOptions options;
  for (auto _ : state) benchmark::DoNotOptimize(detail::verify_parts(f.token, keys, options));
}

void stage_payload_base64(benchmark::State& state) {
  const Fixture& f = fixture(Algorithm::kHS256);
  const auto first = f.token.find('.');
  const std::string payload_b64 = f.signing_input.substr(first + 1);
  for (auto _ : state) {
    benchmark::DoNotOptimize(detail::decode_segment(payload_b64, "payload", 64));
  }
}

// Includes copying the payload (about 16 ns): PauseTiming would cost more
// than what it leaves out. `reference` reads with simdjson alone, the path
// parse_claims falls back to for payloads the fast reader declines.
void stage_claims(benchmark::State& state, bool reference) {
  const Fixture& f = fixture(Algorithm::kHS256);
  std::string payload = decode_jws(f.token)->payload;
  payload.reserve(payload.size() + 64);  // padded, as on the verify path
  for (auto _ : state) {
    std::string copy;
    copy.reserve(payload.capacity());
    copy = payload;
    Claims claims;
    benchmark::DoNotOptimize(reference ? detail::parse_claims_reference(std::move(copy), claims)
                                       : parse_claims_into(std::move(copy), claims));
  }
}

// --- Token Status Lists: a list of a million one-bit statuses -------------

// One token in a hundred revoked, at random places: the compressed size is
// reported as a counter beside the time.
StatusList million_statuses() {
  StatusList list = *StatusList::create(1'000'000, 1);
  std::mt19937_64 random(7);
  for (int i = 0; i < 10'000; ++i) (void)list.set(random() % list.size(), 1);
  return list;
}

void status_list_encode(benchmark::State& state) {
  const StatusList list = million_statuses();
  std::size_t lst_size = 0;
  for (auto _ : state) {
    auto lst = encode_lst(list);
    lst_size = lst->size();
    benchmark::DoNotOptimize(lst);
  }
  state.counters["bytes"] = static_cast<double>(list.bytes().size());
  state.counters["lst_chars"] = static_cast<double>(lst_size);
}

void status_list_decode(benchmark::State& state) {
  const std::string lst = *encode_lst(million_statuses());
  for (auto _ : state) benchmark::DoNotOptimize(decode_lst(lst, 1));
  state.counters["lst_chars"] = static_cast<double>(lst.size());
}

// Collects each benchmark's CPU time per iteration for the ratio table.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  // Colours only on a terminal, so that redirected output stays plain text.
  RatioReporter() : ConsoleReporter(isatty(STDOUT_FILENO) ? OO_ColorTabular : OO_Tabular) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    // With --benchmark_repetitions the median (reported after the runs)
    // replaces the single runs: this machine's timings wander by 10-20 %.
    for (const Run& run : runs) {
      const bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
      if (!median && (run.run_type != Run::RT_Iteration || run.iterations == 0)) continue;
      ns_[run.run_name.str()] =
          run.GetAdjustedCPUTime() * (run.time_unit == benchmark::kMicrosecond ? 1e3 : 1.0);
    }
  }

  void PrintRatios() const {
    std::printf("\n%-7s %14s %14s %8s %8s\n", "alg", "jwtguard (ns)", "floor (ns)", "ratio",
                "target");
    for (Algorithm alg : all_algorithms()) {
      const std::string name(algorithm_name(alg));
      auto ours = ns_.find("verify/" + name);
      auto floor = ns_.find("floor/" + name);
      if (ours == ns_.end() || floor == ns_.end()) continue;
      const char* target =
          alg == Algorithm::kHS256 ? "1.30"
          : (alg == Algorithm::kRS256 || alg == Algorithm::kES256 || alg == Algorithm::kEdDSA)
              ? "1.10"
              : "-";
      std::printf("%-7s %14.1f %14.1f %8.3f %8s\n", name.c_str(), ours->second, floor->second,
                  ours->second / floor->second, target);
    }
  }

 private:
  std::map<std::string, double> ns_;
};

}  // namespace

int main(int argc, char** argv) {
  for (Algorithm alg : all_algorithms()) {
    const std::string name(algorithm_name(alg));
    benchmark::RegisterBenchmark(("verify/" + name).c_str(), verify_bench, alg);
    if (algorithm_family(alg) == AlgorithmFamily::kHmac) {
      benchmark::RegisterBenchmark(("floor/" + name).c_str(), hmac_floor, alg);
      benchmark::RegisterBenchmark(("mac_reinit/" + name).c_str(), hmac_mac_reinit, alg);
      benchmark::RegisterBenchmark(("oneshot_HMAC/" + name).c_str(), hmac_oneshot, alg);
    } else {
      benchmark::RegisterBenchmark(("floor/" + name).c_str(), digest_verify_floor, alg);
    }
  }
  benchmark::RegisterBenchmark("stage/HS256_signature", stage_signature);
  benchmark::RegisterBenchmark("stage/HS256_payload_base64", stage_payload_base64);
  benchmark::RegisterBenchmark("stage/HS256_claims_json", stage_claims, false);
  benchmark::RegisterBenchmark("stage/HS256_claims_json_reference", stage_claims, true);
  benchmark::RegisterBenchmark("status_list/encode_1M", status_list_encode)
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("status_list/decode_1M", status_list_decode)
      ->Unit(benchmark::kMicrosecond);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintRatios();
  benchmark::Shutdown();
  return 0;
}
