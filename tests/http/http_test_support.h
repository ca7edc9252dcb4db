// A Guard and an HttpGuard over a memory store and a fake clock, for the
// tests of jwtguard/http.h.
#ifndef JWTGUARD_TESTS_HTTP_HTTP_TEST_SUPPORT_H_
#define JWTGUARD_TESTS_HTTP_HTTP_TEST_SUPPORT_H_

#include <gtest/gtest.h>

#include <memory>
#include <utility>

#include "http/fake_request.h"
#include "jwtguard/guard.h"
#include "jwtguard/http.h"
#include "jwtguard/store.h"
#include "testing/fixtures.h"

// ASSERT_OK and EXPECT_OK for an HttpResult, printing the refusal.
#define ASSERT_PASSES(expr)                                                                   \
  do {                                                                                        \
    const auto& jwtguard_r_ = (expr);                                                         \
    ASSERT_TRUE(jwtguard_r_.has_value())                                                      \
        << #expr << ": " << jwtguard_r_.error().status << " " << jwtguard_r_.error().message; \
  } while (0)
#define EXPECT_PASSES(expr)                                                                   \
  do {                                                                                        \
    const auto& jwtguard_r_ = (expr);                                                         \
    EXPECT_TRUE(jwtguard_r_.has_value())                                                      \
        << #expr << ": " << jwtguard_r_.error().status << " " << jwtguard_r_.error().message; \
  } while (0)

namespace jwtguard::testing {

class HttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    GuardOptions options;
    options.background = false;
    options.issuer.csrf_claim = true;
    auto key = Key::from_secret("0123456789abcdef0123456789abcdef");
    ASSERT_OK(key);
    auto guard = Guard::open(*std::move(key), KeySet(), open_memory_store(), options, clock_);
    ASSERT_OK(guard);
    guard_ = *std::move(guard);
    auto pair = guard_->login("alice");
    ASSERT_OK(pair);
    pair_ = *std::move(pair);
  }

  // An HttpGuard with these options; fails the test when they are refused.
  HttpGuard http(HttpOptions options = {}) {
    auto created = HttpGuard::create(*guard_, std::move(options));
    EXPECT_TRUE(created.has_value()) << created.error().message();
    return *std::move(created);
  }
  static HttpOptions locations(std::vector<TokenLocation> where) {
    HttpOptions options;
    options.locations = std::move(where);
    return options;
  }

  FakeClock clock_;
  std::unique_ptr<Guard> guard_;
  TokenPair pair_;
};

constexpr Requirements kRefreshOnly{.type = TokenRequirement::kRefresh};
constexpr Requirements kAnyType{.type = TokenRequirement::kAny};

}  // namespace jwtguard::testing

#endif  // JWTGUARD_TESTS_HTTP_HTTP_TEST_SUPPORT_H_
