// A fixture for the Guard's session rules (reuse interval, session limits,
// implicit refresh), run against the memory and the SQLite store: one
// store, which every Guard a test opens shares (as instances sharing a
// store do), and a fake clock at a whole second.
#ifndef JWTGUARD_TESTS_REVOCATION_SESSION_GUARD_FIXTURE_H_
#define JWTGUARD_TESTS_REVOCATION_SESSION_GUARD_FIXTURE_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "jwtguard/guard.h"
#include "testing/fixtures.h"
#include "testing/forwarding_store.h"

namespace jwtguard::testing {

enum class Backend { kMemory, kSqlite };

inline std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kMemory ? "Memory" : "Sqlite";
}

// What a refresh's answer or a login holds, read back from the tokens.
struct SessionGuardTest : public ::testing::TestWithParam<Backend> {
  void SetUp() override {
    if (GetParam() == Backend::kMemory) {
      shared_ = open_memory_store();
    } else {
      auto store = open_sqlite_store(scratch_.db());
      ASSERT_TRUE(store.has_value()) << store.error().message();
      shared_ = std::move(*store);
    }
  }
  void TearDown() override {
    guards_.clear();
    guard_ = nullptr;
  }

  static GuardOptions options() {
    GuardOptions options;
    options.background = false;  // the tests drive sync() themselves
    return options;
  }

  static const Key& secret() {
    static const Key key = Key::from_secret("0123456789abcdef0123456789abcdef").value();
    return key;
  }

  // A Guard on the shared store; the first one opened is guard_.
  Guard* open(GuardOptions options) {
    auto guard = Guard::open(secret(), KeySet(), std::make_unique<ForwardingStore>(*shared_),
                             std::move(options), clock_);
    EXPECT_TRUE(guard.has_value()) << guard.error().message();
    if (!guard) return nullptr;
    guards_.push_back(std::move(*guard));
    if (!guard_) guard_ = guards_.back().get();
    return guards_.back().get();
  }

  Claims claims_of(const std::string& token, TokenRequirement type = TokenRequirement::kAny) {
    auto verified = guard_->require(token, {.type = type});
    EXPECT_TRUE(verified.has_value()) << verified.error().message();
    return verified ? verified->claims : Claims{};
  }

  Session session_of(const std::string& sid) {
    auto found = shared_->find_session(sid);
    EXPECT_TRUE(found.has_value() && found->has_value());
    return found && *found ? **found : Session{};
  }

  Timestamp exp_of(const std::string& token) { return claims_of(token).exp.value_or(Timestamp{}); }

  FakeClock clock_;  // at a whole second
  ScratchDir scratch_;
  std::unique_ptr<Store> shared_;
  std::vector<std::unique_ptr<Guard>> guards_;
  Guard* guard_ = nullptr;
};

}  // namespace jwtguard::testing

#endif  // JWTGUARD_TESTS_REVOCATION_SESSION_GUARD_FIXTURE_H_
