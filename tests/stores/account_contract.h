// The account side of the Store contract (jwtguard/store.h: passwords,
// disabling, deleting with the name reserved, the paged user listing with
// session counts and last logins, and the audit log), as a typed suite each
// backend instantiates beside StoreContractTest:
//
//   INSTANTIATE_TYPED_TEST_SUITE_P(My, AccountContractTest, MyBackend);
//   INSTANTIATE_TYPED_TEST_SUITE_P(My, DurableAccountTest, MyBackend);  // if durable
#ifndef JWTGUARD_TESTS_STORES_ACCOUNT_CONTRACT_H_
#define JWTGUARD_TESTS_STORES_ACCOUNT_CONTRACT_H_

#include <string>
#include <vector>

#include "stores/store_contract.h"

namespace jwtguard {
namespace {

const char kHash[] = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";

User user(std::string name, Timestamp created = kNow) {
  return User{.name = std::move(name), .password_hash = kHash, .created_at = created};
}

AuditEvent audit_event(std::string action, std::string subject, Timestamp at = kNow) {
  return AuditEvent{.at = at,
                    .actor = "admin",
                    .action = std::move(action),
                    .subject = std::move(subject),
                    .detail = R"({"reason":"test"})"};
}

template <typename Backend>
class AccountContractTest : public StoreContractTest<Backend> {};
TYPED_TEST_SUITE_P(AccountContractTest);

TYPED_TEST_P(AccountContractTest, NewUsersAreEnabledAndHaveNotLoggedIn) {
  ASSERT_OK(this->store_->create_user(user("alice")));
  auto found = this->store_->find_user("alice");
  ASSERT_OK(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_FALSE((*found)->disabled);
  EXPECT_EQ((*found)->last_login_at, std::nullopt);
}

TYPED_TEST_P(AccountContractTest, SetPasswordReplacesTheHashOfThatUserOnly) {
  ASSERT_OK(this->store_->create_user(user("alice")));
  ASSERT_OK(this->store_->create_user(user("bob")));
  ASSERT_OK(this->store_->set_password("alice", "$argon2id$new"));
  EXPECT_EQ(this->store_->find_user("alice").value()->password_hash, "$argon2id$new");
  EXPECT_EQ(this->store_->find_user("bob").value()->password_hash, kHash);
  EXPECT_ERRC(this->store_->set_password("carol", "$argon2id$new"), Errc::kNotFound);
  EXPECT_ERRC(this->store_->set_password("alice", ""), Errc::kInvalidArgument);
  EXPECT_EQ(this->store_->find_user("alice").value()->password_hash, "$argon2id$new");
}

TYPED_TEST_P(AccountContractTest, DisablingAndEnablingKeepEverythingElse) {
  ASSERT_OK(this->store_->create_user(user("alice")));
  ASSERT_OK(this->store_->set_admin("alice", true));
  ASSERT_OK(this->store_->set_disabled("alice", true));
  auto disabled = this->store_->find_user("alice").value();
  ASSERT_TRUE(disabled.has_value());
  EXPECT_TRUE(disabled->disabled);
  EXPECT_TRUE(disabled->admin);
  EXPECT_EQ(disabled->password_hash, kHash);
  ASSERT_OK(this->store_->set_disabled("alice", false));
  EXPECT_FALSE(this->store_->find_user("alice").value()->disabled);
  EXPECT_ERRC(this->store_->set_disabled("carol", true), Errc::kNotFound);
}

TYPED_TEST_P(AccountContractTest, ASessionSetsItsUsersLastLogin) {
  ASSERT_OK(this->store_->create_user(user("alice")));
  ASSERT_OK(this->store_->create_user(user("bob")));
  ASSERT_OK(this->store_->create_session(session("s1", "alice", kNow + seconds(10))));
  EXPECT_EQ(this->store_->find_user("alice").value()->last_login_at, kNow + seconds(10));
  // An older session (created by a slower instance) does not move it back.
  ASSERT_OK(this->store_->create_session(session("s2", "alice", kNow + seconds(5))));
  EXPECT_EQ(this->store_->find_user("alice").value()->last_login_at, kNow + seconds(10));
  ASSERT_OK(this->store_->create_session(session("s3", "alice", kNow + microseconds(20000007))));
  EXPECT_EQ(this->store_->find_user("alice").value()->last_login_at, kNow + microseconds(20000007));
  EXPECT_EQ(this->store_->find_user("bob").value()->last_login_at, std::nullopt);
  // A session of a subject that is no user (a minted identity) is kept.
  ASSERT_OK(this->store_->create_session(session("s4",
                                                 "app\x1f"
                                                 "alice",
                                                 kNow)));
}

TYPED_TEST_P(AccountContractTest, DeletingRemovesTheUserAndItsSessionsAndReservesTheName) {
  ASSERT_OK(this->store_->create_user(user("alice")));
  ASSERT_OK(this->store_->create_user(user("bob")));
  ASSERT_OK(this->store_->create_session(session("s1", "alice", kNow)));
  ASSERT_OK(this->store_->create_session(session("s2", "alice", kNow)));
  ASSERT_OK(this->store_->create_session(session("s3", "bob", kNow)));

  ASSERT_OK(this->store_->delete_user("alice", kNow + hours(2)));
  EXPECT_FALSE(this->store_->find_user("alice").value().has_value());
  EXPECT_FALSE(this->store_->find_session("s1").value().has_value());
  EXPECT_FALSE(this->store_->find_session("s2").value().has_value());
  EXPECT_TRUE(this->store_->find_session("s3").value().has_value());
  EXPECT_TRUE(this->store_->list_sessions("alice", kNow).value().empty());
  EXPECT_ERRC(this->store_->delete_user("alice", kNow + hours(2)), Errc::kNotFound);

  // The name is reserved until then: a registration dated before is refused.
  EXPECT_ERRC(this->store_->create_user(user("alice", kNow + hours(1))), Errc::kAlreadyExists);
  EXPECT_FALSE(this->store_->find_user("alice").value().has_value());
  ASSERT_OK(this->store_->create_user(user("alice", kNow + hours(2))));
  EXPECT_TRUE(this->store_->find_user("alice").value().has_value());
}

TYPED_TEST_P(AccountContractTest, AReservationOnlyGrowsAndPurgeForgetsItOnceItPassed) {
  ASSERT_OK(this->store_->create_user(user("alice")));
  ASSERT_OK(this->store_->delete_user("alice", kNow + hours(3)));
  ASSERT_OK(this->store_->create_user(user("alice", kNow + hours(3))));
  // Deleted again with an earlier reservation: the later one stays.
  ASSERT_OK(this->store_->delete_user("alice", kNow + hours(1)));
  EXPECT_ERRC(this->store_->create_user(user("alice", kNow + hours(2))), Errc::kAlreadyExists);
  ASSERT_OK(this->store_->purge(kNow + hours(2), hours(1)));
  EXPECT_ERRC(this->store_->create_user(user("alice", kNow + hours(2))), Errc::kAlreadyExists);
  ASSERT_OK(this->store_->purge(kNow + hours(3), hours(1)));
  // Purged: no reservation remains, whatever the registration's date.
  ASSERT_OK(this->store_->create_user(user("alice", kNow)));
}

TYPED_TEST_P(AccountContractTest, UserPagesByNameWithLiveSessionsAndNoHash) {
  for (const char* name : {"dave", "alice", "carol", "bob", "erin"}) {
    ASSERT_OK(this->store_->create_user(user(name)));
  }
  ASSERT_OK(this->store_->set_disabled("carol", true));
  ASSERT_OK(this->store_->create_session(session("s1", "bob", kNow)));
  ASSERT_OK(this->store_->create_session(session("s2", "bob", kNow + seconds(1))));
  Session expired = session("s3", "bob", kNow - hours(30));
  ASSERT_OK(this->store_->create_session(expired));  // expired 6 hours ago
  ASSERT_OK(this->store_->create_session(session("s4", "carol", kNow)));
  Revocation ended{.kind = RevocationKind::kSession,
                   .key = "s4",
                   .expires_at = kNow + hours(24),
                   .revoked_at = kNow};
  ASSERT_OK(this->store_->revoke_session(ended));
  // dave logged out everywhere after s5 began, and logged in again (s6):
  // only s6 is live (Guard::list_sessions' rule).
  ASSERT_OK(this->store_->create_session(session("s5", "dave", kNow)));
  ASSERT_OK(this->store_->revoke(Revocation{.kind = RevocationKind::kUser,
                                            .key = "dave",
                                            .cutoff = kNow + seconds(1),
                                            .expires_at = kNow + hours(24),
                                            .revoked_at = kNow + seconds(1)}));
  ASSERT_OK(this->store_->create_session(session("s6", "dave", kNow + seconds(2))));

  auto first = this->store_->list_users(UserFilter{.limit = 2, .now = kNow});
  ASSERT_OK(first);
  ASSERT_EQ(first->entries.size(), 2u);
  EXPECT_EQ(first->entries[0].user.name, "alice");
  EXPECT_EQ(first->entries[1].user.name, "bob");
  EXPECT_EQ(first->entries[1].sessions, 2u);
  EXPECT_EQ(first->entries[1].user.last_login_at, kNow + seconds(1));
  EXPECT_FALSE(first->next_cursor.empty());
  for (const auto& entry : first->entries) EXPECT_TRUE(entry.user.password_hash.empty());

  auto second =
      this->store_->list_users(UserFilter{.limit = 2, .cursor = first->next_cursor, .now = kNow});
  ASSERT_OK(second);
  ASSERT_EQ(second->entries.size(), 2u);
  EXPECT_EQ(second->entries[0].user.name, "carol");
  EXPECT_TRUE(second->entries[0].user.disabled);
  EXPECT_EQ(second->entries[0].sessions, 0u);  // its one session was revoked
  EXPECT_EQ(second->entries[1].user.name, "dave");
  EXPECT_EQ(second->entries[1].sessions, 1u);  // s5 ended by the cutoff

  auto last =
      this->store_->list_users(UserFilter{.limit = 2, .cursor = second->next_cursor, .now = kNow});
  ASSERT_OK(last);
  ASSERT_EQ(last->entries.size(), 1u);
  EXPECT_EQ(last->entries[0].user.name, "erin");
  EXPECT_TRUE(last->next_cursor.empty());

  auto all = this->store_->list_users(UserFilter{.limit = 1000, .now = kNow});
  ASSERT_OK(all);
  EXPECT_EQ(all->entries.size(), 5u);
  EXPECT_TRUE(all->next_cursor.empty());
  EXPECT_ERRC(this->store_->list_users(UserFilter{.limit = 0}), Errc::kInvalidArgument);
  EXPECT_ERRC(this->store_->list_users(UserFilter{.limit = 1001}), Errc::kInvalidArgument);
}

TYPED_TEST_P(AccountContractTest, AUserNameThatNeedsEscapingPagesLikeAnyOther) {
  // Names are bytes: a cursor holding a quote, a percent sign or non-ASCII
  // text reads back as itself.
  const std::vector<std::string> names = {"a'b", "a%b", "a b", "\xc3\xa9t\xc3\xa9", "z"};
  for (const auto& name : names) ASSERT_OK(this->store_->create_user(user(name)));
  std::vector<std::string> seen;
  std::string cursor;
  do {
    auto page = this->store_->list_users(UserFilter{.limit = 1, .cursor = cursor, .now = kNow});
    ASSERT_OK(page);
    for (const auto& entry : page->entries) seen.push_back(entry.user.name);
    cursor = page->next_cursor;
  } while (!cursor.empty() && seen.size() < 10);
  EXPECT_EQ(seen, (std::vector<std::string>{"a b", "a%b", "a'b", "z", "\xc3\xa9t\xc3\xa9"}));
}

TYPED_TEST_P(AccountContractTest, AnExpectedHashMakesSetPasswordACompareAndSet) {
  ASSERT_OK(this->store_->create_user(user("alice")));
  EXPECT_ERRC(this->store_->set_password("alice", "$argon2id$two", "$argon2id$other"),
              Errc::kRevoked);
  ASSERT_OK(this->store_->set_password("alice", "$argon2id$two", kHash));
  EXPECT_ERRC(this->store_->set_password("alice", "$argon2id$three", kHash), Errc::kRevoked);
  ASSERT_OK(this->store_->set_disabled("alice", true));
  // A disabled user's password changes only unconditionally (a reset).
  EXPECT_ERRC(this->store_->set_password("alice", "$argon2id$three", "$argon2id$two"),
              Errc::kRevoked);
  auto found = this->store_->find_user("alice");
  ASSERT_OK(found);
  EXPECT_EQ((*found)->password_hash, "$argon2id$two");
  ASSERT_OK(this->store_->set_password("alice", "$argon2id$four"));
  EXPECT_ERRC(this->store_->set_password("bob", "$argon2id$x", kHash), Errc::kNotFound);
}

TYPED_TEST_P(AccountContractTest, AuditEventsAreKeptAndListedNewestFirst) {
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < 5; ++i) {
    auto id = this->store_->append_audit(
        audit_event("user.disable", i % 2 == 0 ? "alice" : "bob", kNow + seconds(i)));
    ASSERT_OK(id);
    if (!ids.empty()) {
      EXPECT_GT(*id, ids.back());
    }
    ids.push_back(*id);
  }
  auto first = this->store_->list_audit(AuditFilter{.limit = 2});
  ASSERT_OK(first);
  ASSERT_EQ(first->entries.size(), 2u);
  EXPECT_EQ(first->entries[0].id, ids[4]);
  EXPECT_EQ(first->entries[0].at, kNow + seconds(4));
  EXPECT_EQ(first->entries[0].actor, "admin");
  EXPECT_EQ(first->entries[0].action, "user.disable");
  EXPECT_EQ(first->entries[0].subject, "alice");
  EXPECT_EQ(first->entries[0].detail, R"({"reason":"test"})");
  EXPECT_EQ(first->entries[1].id, ids[3]);
  auto rest = this->store_->list_audit(AuditFilter{.limit = 10, .cursor = first->next_cursor});
  ASSERT_OK(rest);
  ASSERT_EQ(rest->entries.size(), 3u);
  EXPECT_EQ(rest->entries[2].id, ids[0]);
  EXPECT_TRUE(rest->next_cursor.empty());

  auto alice = this->store_->list_audit(AuditFilter{.limit = 10, .subject = "alice"});
  ASSERT_OK(alice);
  ASSERT_EQ(alice->entries.size(), 3u);
  for (const auto& event : alice->entries) EXPECT_EQ(event.subject, "alice");

  EXPECT_ERRC(this->store_->append_audit(AuditEvent{.at = kNow}), Errc::kInvalidArgument);
  EXPECT_ERRC(this->store_->list_audit(AuditFilter{.limit = 0}), Errc::kInvalidArgument);
  EXPECT_ERRC(this->store_->list_audit(AuditFilter{.cursor = "x"}), Errc::kInvalidArgument);
  // Purge keeps the audit log: it is a record, not a cache.
  ASSERT_OK(this->store_->purge(kNow + hours(1000), hours(1)));
  EXPECT_EQ(this->store_->list_audit(AuditFilter{.limit = 10}).value().entries.size(), 5u);
}

REGISTER_TYPED_TEST_SUITE_P(AccountContractTest, NewUsersAreEnabledAndHaveNotLoggedIn,
                            SetPasswordReplacesTheHashOfThatUserOnly,
                            DisablingAndEnablingKeepEverythingElse, ASessionSetsItsUsersLastLogin,
                            DeletingRemovesTheUserAndItsSessionsAndReservesTheName,
                            AReservationOnlyGrowsAndPurgeForgetsItOnceItPassed,
                            UserPagesByNameWithLiveSessionsAndNoHash,
                            AUserNameThatNeedsEscapingPagesLikeAnyOther,
                            AuditEventsAreKeptAndListedNewestFirst,
                            AnExpectedHashMakesSetPasswordACompareAndSet);

// Durable backends keep accounts, reservations and the audit log across a
// reopen.
template <typename Backend>
class DurableAccountTest : public StoreContractTest<Backend> {};
TYPED_TEST_SUITE_P(DurableAccountTest);

TYPED_TEST_P(DurableAccountTest, AccountsReservationsAndTheAuditSurviveAReopen) {
  ASSERT_OK(this->store_->create_user(user("alice")));
  ASSERT_OK(this->store_->create_user(user("bob")));
  ASSERT_OK(this->store_->set_disabled("alice", true));
  ASSERT_OK(this->store_->set_password("alice", "$argon2id$new"));
  ASSERT_OK(this->store_->create_session(session("s1", "alice", kNow + seconds(3))));
  ASSERT_OK(this->store_->delete_user("bob", kNow + hours(2)));
  ASSERT_OK(this->store_->append_audit(audit_event("user.delete", "bob")));
  this->reopen();
  auto alice = this->store_->find_user("alice");
  ASSERT_OK(alice);
  ASSERT_TRUE(alice->has_value());
  EXPECT_TRUE((*alice)->disabled);
  EXPECT_EQ((*alice)->password_hash, "$argon2id$new");
  EXPECT_EQ((*alice)->last_login_at, kNow + seconds(3));
  EXPECT_ERRC(this->store_->create_user(user("bob", kNow + hours(1))), Errc::kAlreadyExists);
  auto audit = this->store_->list_audit(AuditFilter{});
  ASSERT_OK(audit);
  ASSERT_EQ(audit->entries.size(), 1u);
  EXPECT_EQ(audit->entries[0].action, "user.delete");
}

REGISTER_TYPED_TEST_SUITE_P(DurableAccountTest, AccountsReservationsAndTheAuditSurviveAReopen);

}  // namespace
}  // namespace jwtguard

#endif  // JWTGUARD_TESTS_STORES_ACCOUNT_CONTRACT_H_
