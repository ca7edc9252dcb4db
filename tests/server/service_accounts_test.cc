// Account rules that need a change to land at a chosen moment: a disable or a
// deletion committed while a login is checking the password.
#include <functional>

#include "auth/accounts.h"
#include "server/service_fixture.h"
#include "testing/forwarding_store.h"

namespace jwtguard::server {
namespace {

using namespace service_tests;  // NOLINT(google-build-using-namespace): the fixture's helpers

// Runs `during` right after the first find_user of `name`: as if an admin's
// change committed while the login hashed the password.
class RacingStore final : public testing::ForwardingStore {
 public:
  RacingStore(Store& inner, std::string name, std::function<void()> during)
      : ForwardingStore(inner), name_(std::move(name)), during_(std::move(during)) {}

 private:
  Result<std::optional<User>> do_find_user(std::string_view name) override {
    auto found = inner_.find_user(name);
    if (name == name_ && during_) std::exchange(during_, nullptr)();
    return found;
  }
  std::string name_;
  std::function<void()> during_;
};

class ServiceAccountsTest : public ServiceTest {
 protected:
  // A Service whose store runs `during` inside alice's next login.
  void race(std::function<void()> during) {
    racing_ = std::make_unique<RacingStore>(guard_->store(), "alice", std::move(during));
    auto created = Service::create(Service::Parts{*guard_, *racing_, metrics_, clock_}, {});
    ASSERT_OK(created);
    service_ = std::move(*created);
  }

  accounts::EndTokens end_tokens() {
    return [this](std::string_view user, const RevokeContext& context) {
      return guard_->revoke_user(user, context);
    };
  }

  // The live sessions alice has, by the Guard.
  std::size_t alice_sessions() {
    auto sessions = guard_->list_sessions("alice");
    EXPECT_TRUE(sessions.has_value());
    return sessions ? sessions->size() : 0;
  }

  std::unique_ptr<RacingStore> racing_;
};

TEST_F(ServiceAccountsTest, ALoginThatADisableOvertookEndsItsOwnSession) {
  add_user("alice");
  race([this] {
    ASSERT_OK(accounts::disable(guard_->store(), end_tokens(), "alice", {.actor = "root"}));
  });
  Response response = login("alice", kPassword);
  expect_error(response, 403, "Account disabled");
  EXPECT_EQ(alice_sessions(), 0u);
}

TEST_F(ServiceAccountsTest, ALoginThatADeletionOvertookEndsItsOwnSession) {
  add_user("alice");
  race([this] {
    ASSERT_OK(accounts::remove(guard_->store(), end_tokens(), "alice", {.actor = "root"},
                               accounts::kDelete));
  });
  Response response = login("alice", kPassword);
  expect_error(response, 401, "Bad username or password");
  auto sessions = guard_->store().list_sessions("alice", clock_.now());
  ASSERT_OK(sessions);
  for (const Session& session : *sessions) EXPECT_TRUE(session.revoked_at.has_value());
}

TEST_F(ServiceAccountsTest, ALoginNothingOvertookKeepsItsSession) {
  add_user("alice");
  race([] {});
  Response response = login("alice", kPassword);
  EXPECT_EQ(status(response), 200) << response.body();
  EXPECT_EQ(alice_sessions(), 1u);
}

}  // namespace
}  // namespace jwtguard::server
