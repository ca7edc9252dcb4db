// Account rules that need a change to land at a chosen moment: a disable or a
// deletion committed while a login is checking the password.
#include <functional>

#include "auth/accounts.h"
#include "server/service_fixture.h"
#include "testing/forwarding_store.h"

namespace jwtguard::server {
namespace {

using namespace service_tests;  // NOLINT(google-build-using-namespace): the fixture's helpers

// Runs `during` right after the `at`-th find_user of `name` (1: the
// password check's): as if an admin's change committed at that moment.
class RacingStore final : public testing::ForwardingStore {
 public:
  RacingStore(Store& inner, std::string name, std::function<void()> during, int at)
      : ForwardingStore(inner), name_(std::move(name)), during_(std::move(during)), at_(at) {}

 private:
  Result<std::optional<User>> do_find_user(std::string_view name) override {
    auto found = inner_.find_user(name);
    if (name == name_ && during_ && --at_ == 0) std::exchange(during_, nullptr)();
    return found;
  }
  std::string name_;
  std::function<void()> during_;
  int at_;
};

class ServiceAccountsTest : public ServiceTest {
 protected:
  // A Service whose store runs `during` inside alice's next login.
  void race(std::function<void()> during, int at = 1) {
    racing_ = std::make_unique<RacingStore>(guard_->store(), "alice", std::move(during), at);
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

  // The hash an admin's reset sets.
  static const std::string& reset_hash() {
    static const std::string hash = hash_password("the admin's reset password").value();
    return hash;
  }
  void reset_alice() {
    ASSERT_OK(accounts::set_password(guard_->store(), end_tokens(), "alice", reset_hash(),
                                     {.actor = "root"}, accounts::kReset));
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

// An admin's reset lands while alice's login checks the old password: the
// login's tokens come after the reset's cutoff, so the login must end them.
TEST_F(ServiceAccountsTest, ALoginThatAResetOvertookEndsItsOwnSession) {
  add_user("alice");
  race([this] { reset_alice(); });
  Response response = login("alice", kPassword);
  expect_error(response, 401, "Bad username or password");
  EXPECT_EQ(alice_sessions(), 0u);
}

// A reset lands after alice's change checked her old password and her token,
// just before the change is written: the change must not overwrite it.
TEST_F(ServiceAccountsTest, APasswordChangeThatAResetOvertookChangesNothing) {
  add_user("alice");
  const std::string access = tokens("alice").access.token;
  race([this] { reset_alice(); }, /*at=*/2);
  Response response = post_json(
      "/auth/password",
      json{{"current_password", kPassword}, {"new_password", "the attacker's password"}}.dump(),
      bearer(access));
  expect_error(response, 401, "Bad username or password");
  auto alice = guard_->store().find_user("alice");
  ASSERT_OK(alice);
  EXPECT_EQ((*alice)->password_hash, reset_hash());
  EXPECT_EQ(alice_sessions(), 0u);
}

// A disable lands during a fresh login's password check: no fresh token.
TEST_F(ServiceAccountsTest, AFreshLoginThatADisableOvertookGivesNoToken) {
  add_user("alice");
  const std::string access = tokens("alice").access.token;
  race([this] {
    ASSERT_OK(accounts::disable(guard_->store(), end_tokens(), "alice", {.actor = "root"}));
  });
  Response response =
      post_json("/auth/fresh-login", json{{"password", kPassword}}.dump(), bearer(access));
  EXPECT_EQ(status(response), 401) << response.body();
  EXPECT_EQ(msg(response), "Token has been revoked");
}

// The name of a deleted user is reserved as long as a token it held could be
// presented (its refresh token's life plus the leeway), and not for ever.
TEST_F(ServiceAccountsTest, ADeletedNameIsReservedUntilItsLastTokenCannotBePresented) {
  const std::string admin = admin_token();
  add_user("alice");
  const TokenPair alice = tokens("alice");
  Response deleted = del("/admin/users/alice", bearer(admin));
  ASSERT_EQ(status(deleted), 200) << deleted.body();
  const auto leeway = guard_options().verify.claims.leeway;
  const Timestamp last_presentable = alice.refresh.expires_at + leeway;

  clock_.set(last_presentable - seconds(1));
  EXPECT_ERRC(guard_->require(alice.refresh.token, {.type = TokenRequirement::kRefresh}),
              Errc::kRevoked);
  EXPECT_EQ(status(register_user("alice", "a newcomer's password")), 409);

  // The store's token horizon runs a purge interval and a minute ahead of
  // the clock (Lifetimes): the reservation may last that much longer, never
  // less.
  clock_.set(last_presentable + guard_options().purge_interval + seconds(61));
  EXPECT_ERRC(guard_->require(alice.refresh.token, {.type = TokenRequirement::kRefresh}),
              Errc::kExpired);
  EXPECT_EQ(status(register_user("alice", "a newcomer's password")), 201);
}

// A refresh token of a disabled user that no cutoff ends (here the flag is
// set in the store alone, as a token issued in a race would find it) is
// refused, and its session ended.
TEST_F(ServiceAccountsTest, ARefreshOfADisabledUserIsRefusedEvenWithoutACutoff) {
  add_user("alice");
  const TokenPair pair = tokens("alice");
  ASSERT_OK(guard_->store().set_disabled("alice", true));
  Response response = post("/auth/refresh", bearer(pair.refresh.token));
  expect_error(response, 403, "Account disabled");
  EXPECT_EQ(alice_sessions(), 0u);
  EXPECT_ERRC(guard_->require(pair.access.token), Errc::kRevoked);
}

// The cutoff that ends a disabled or deleted user's tokens cannot be
// removed; an enabled user's can.
TEST_F(ServiceAccountsTest, TheCutoffOfADisabledOrDeletedUserStays) {
  const std::string admin = admin_token();
  add_user("alice");
  add_user("bob");
  const TokenPair alice = tokens("alice");
  ASSERT_OK(accounts::disable(guard_->store(), end_tokens(), "alice", {.actor = "root"}));
  expect_error(del("/admin/revocations/alice?kind=user", bearer(admin)), 400,
               "The user is disabled: its cutoff stays (enable it, then remove it)");
  EXPECT_ERRC(guard_->require(alice.access.token), Errc::kRevoked);

  ASSERT_OK(
      accounts::remove(guard_->store(), end_tokens(), "bob", {.actor = "root"}, accounts::kDelete));
  expect_error(del("/admin/revocations/bob?kind=user", bearer(admin)), 400,
               "No such user: a deleted user's cutoff stays until it expires");

  ASSERT_OK(accounts::enable(guard_->store(), "alice", {.actor = "root"}));
  EXPECT_EQ(status(del("/admin/revocations/alice?kind=user", bearer(admin))), 200);
}

}  // namespace
}  // namespace jwtguard::server
