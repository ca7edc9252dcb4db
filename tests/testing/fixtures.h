// Shared test fixtures: a fake clock, one key per algorithm, result matchers.
#ifndef JWTGUARD_TESTS_TESTING_FIXTURES_H_
#define JWTGUARD_TESTS_TESTING_FIXTURES_H_

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <string>

#include "jwtguard/algorithm.h"
#include "jwtguard/clock.h"
#include "jwtguard/error.h"
#include "jwtguard/keys.h"

// Asserts that a Result holds a value, printing the error otherwise.
#define ASSERT_OK(expr)                                                                     \
  do {                                                                                      \
    const auto& jwtguard_r_ = (expr);                                                       \
    ASSERT_TRUE(jwtguard_r_.has_value()) << #expr << ": " << jwtguard_r_.error().message(); \
  } while (0)

#define EXPECT_OK(expr)                                                                     \
  do {                                                                                      \
    const auto& jwtguard_r_ = (expr);                                                       \
    EXPECT_TRUE(jwtguard_r_.has_value()) << #expr << ": " << jwtguard_r_.error().message(); \
  } while (0)

// Expects a Result to hold an error with exactly this code.
#define EXPECT_ERRC(expr, errc)                                                                 \
  do {                                                                                          \
    const auto& jwtguard_r_ = (expr);                                                           \
    ASSERT_FALSE(jwtguard_r_.has_value()) << #expr << " succeeded";                             \
    EXPECT_EQ(::jwtguard::error_name(jwtguard_r_.error().code()), ::jwtguard::error_name(errc)) \
        << jwtguard_r_.error().message();                                                       \
  } while (0)

namespace jwtguard::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(Timestamp start = from_unix_seconds(1'700'000'000)) : now_(start) {}
  Timestamp now() const override { return now_.load(); }
  void set(Timestamp t) { now_.store(t); }
  void advance(std::chrono::microseconds d) { now_.store(now_.load() + d); }

 private:
  std::atomic<Timestamp> now_;
};

// A private key for `alg`, generated once per test process and shared (RSA
// generation is slow). HS* gets a 64-byte secret, enough for HS512.
const Key& private_key_for(Algorithm alg);
// The public half of private_key_for(alg) (for HS*, the same secret).
const Key& public_key_for(Algorithm alg);

// A second, unrelated key of the same kind.
const Key& other_key_for(Algorithm alg);

// A self-signed X.509 certificate for `key` (asymmetric), as PEM.
std::string self_signed_certificate_pem(const Key& key);
// The key as PEM: SPKI when public_only, PKCS#8 otherwise.
std::string key_pem(const Key& key, bool public_only);

// Names parameterised tests by algorithm: "Suite/Test/HS256".
inline std::string algorithm_test_name(const ::testing::TestParamInfo<Algorithm>& info) {
  return std::string(algorithm_name(info.param));
}

// Returns `text` with the bit `bit` (0 = most significant bit of byte 0) flipped.
std::string flip_bit(std::string text, std::size_t bit);

// An empty directory of its own for the current test (named after it, the
// process and a counter), removed with everything in it at destruction.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // A database file path inside it (not created).
  std::string db() const { return (path_ / "jwtguard.db").string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace jwtguard::testing

#endif  // JWTGUARD_TESTS_TESTING_FIXTURES_H_
