// Store's public methods (src/core/store/store.cc): every argument check is
// made there, once, before a backend's do_* method runs. A backend that
// records what reaches it shows that refused arguments never do, and that
// accepted ones arrive unchanged (the cursor decoded).
#include "jwtguard/store.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "testing/fixtures.h"

namespace jwtguard {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Answers every call with an empty success and records its name.
class RecordingStore final : public Store {
 public:
  std::vector<std::string> calls;
  std::optional<std::int64_t> list_start;
  std::optional<std::uint64_t> audit_before;

 private:
  Result<std::uint64_t> do_revoke(const Revocation&) override { return note("revoke", 1u); }
  Result<bool> do_unrevoke(RevocationKind, std::string_view, Timestamp) override {
    return note("unrevoke", false);
  }
  Result<std::optional<Revocation>> do_find_revocation(RevocationKind, std::string_view) override {
    return note("find_revocation", std::optional<Revocation>());
  }
  Result<RevocationPage> do_list_revocations(const RevocationFilter&,
                                             std::optional<std::int64_t> start) override {
    list_start = start;
    return note("list_revocations", RevocationPage{});
  }
  Result<Snapshot> do_snapshot(Timestamp) override { return note("snapshot", Snapshot{}); }
  Result<ChangeBatch> do_changes_since(std::uint64_t, std::size_t, milliseconds) override {
    return note("changes_since", ChangeBatch{});
  }
  Result<std::size_t> do_purge(Timestamp, seconds) override {
    return note("purge", std::size_t{0});
  }
  Result<void> do_create_session(const Session&) override {
    calls.push_back("create_session");
    return {};
  }
  Result<std::optional<Session>> do_find_session(std::string_view) override {
    return note("find_session", std::optional<Session>());
  }
  Result<std::vector<Session>> do_list_sessions(std::string_view, Timestamp) override {
    return note("list_sessions", std::vector<Session>());
  }
  Result<Rotation> do_rotate_refresh(std::string_view, std::string_view, std::string_view,
                                     Timestamp, Timestamp) override {
    return note("rotate_refresh", Rotation::kUnknown);
  }
  Result<std::uint64_t> do_revoke_session(const Revocation&) override {
    return note("revoke_session", 1u);
  }
  Result<void> do_create_user(const User&) override {
    calls.push_back("create_user");
    return {};
  }
  Result<std::optional<User>> do_find_user(std::string_view) override {
    return note("find_user", std::optional<User>());
  }
  Result<void> do_set_admin(std::string_view, bool) override {
    calls.push_back("set_admin");
    return {};
  }
  Result<std::vector<User>> do_list_users() override {
    return note("list_users", std::vector<User>());
  }
  Result<void> do_set_password(std::string_view, std::string_view, std::string_view) override {
    calls.push_back("set_password");
    return {};
  }
  Result<void> do_set_disabled(std::string_view, bool) override {
    calls.push_back("set_disabled");
    return {};
  }
  Result<void> do_delete_user(std::string_view, Timestamp) override {
    calls.push_back("delete_user");
    return {};
  }
  Result<UserPage> do_list_user_page(const UserFilter&) override {
    return note("list_user_page", UserPage{});
  }
  Result<std::uint64_t> do_append_audit(const AuditEvent&) override {
    return note("append_audit", std::uint64_t{1});
  }
  Result<AuditPage> do_list_audit(const AuditFilter&,
                                  std::optional<std::uint64_t> before) override {
    audit_before = before;
    return note("list_audit", AuditPage{});
  }
  Result<Timestamp> do_raise_token_horizon(Timestamp at) override {
    return note("raise_token_horizon", at);
  }
  Result<void> do_ping() override {
    calls.push_back("ping");
    return {};
  }

  template <typename T>
  Result<T> note(const char* name, T value) {
    calls.push_back(name);
    return value;
  }
};

Revocation token_revocation(std::string key) {
  return Revocation{
      .kind = RevocationKind::kToken, .key = std::move(key), .expires_at = Timestamp(seconds(100))};
}

TEST(StoreChecks, ARevocationWithoutKeyNeverReachesTheBackend) {
  RecordingStore store;
  EXPECT_ERRC(store.revoke(token_revocation("")), Errc::kInvalidArgument);
  EXPECT_ERRC(store.revoke_session(Revocation{.kind = RevocationKind::kSession}),
              Errc::kInvalidArgument);
  EXPECT_ERRC(store.unrevoke(RevocationKind::kToken, "", Timestamp{}), Errc::kInvalidArgument);
  EXPECT_TRUE(store.calls.empty());
}

TEST(StoreChecks, AUserRevocationNeedsACutoff) {
  RecordingStore store;
  Revocation user{.kind = RevocationKind::kUser, .key = "alice"};
  EXPECT_ERRC(store.revoke(user), Errc::kInvalidArgument);
  EXPECT_TRUE(store.calls.empty());
  user.cutoff = Timestamp(seconds(5));
  ASSERT_OK(store.revoke(user));
  EXPECT_EQ(store.calls, std::vector<std::string>{"revoke"});
}

TEST(StoreChecks, ASessionRevocationMustBeOfKindSession) {
  RecordingStore store;
  EXPECT_ERRC(store.revoke_session(token_revocation("sid-1")), Errc::kInvalidArgument);
  EXPECT_TRUE(store.calls.empty());
  Revocation session = token_revocation("sid-1");
  session.kind = RevocationKind::kSession;
  ASSERT_OK(store.revoke_session(session));
  EXPECT_EQ(store.calls, std::vector<std::string>{"revoke_session"});
}

TEST(StoreChecks, EmptySessionIdsAndUserNamesAreRefused) {
  RecordingStore store;
  EXPECT_ERRC(store.create_session(Session{.user = "alice"}), Errc::kInvalidArgument);
  EXPECT_ERRC(store.create_user(User{.password_hash = "x"}), Errc::kInvalidArgument);
  EXPECT_TRUE(store.calls.empty());
  ASSERT_OK(store.create_session(Session{.sid = "s", .user = "alice"}));
  ASSERT_OK(store.create_user(User{.name = "alice"}));
  EXPECT_EQ(store.calls, (std::vector<std::string>{"create_session", "create_user"}));
}

TEST(StoreChecks, APageIsCheckedAndItsCursorDecodedBeforeTheBackend) {
  RecordingStore store;
  for (std::size_t limit : {std::size_t{0}, std::size_t{1001}}) {
    EXPECT_ERRC(store.list_revocations(RevocationFilter{.limit = limit}), Errc::kInvalidArgument);
  }
  for (const char* cursor : {"0", "-3", "12x", "x", "99999999999999999999"}) {
    SCOPED_TRACE(cursor);
    EXPECT_ERRC(store.list_revocations(RevocationFilter{.cursor = cursor}), Errc::kInvalidArgument);
  }
  EXPECT_TRUE(store.calls.empty());

  ASSERT_OK(store.list_revocations(RevocationFilter{}));
  EXPECT_EQ(store.list_start, std::nullopt);
  ASSERT_OK(store.list_revocations(RevocationFilter{.limit = 1000, .cursor = "42"}));
  EXPECT_EQ(store.list_start, std::optional<std::int64_t>(42));
  EXPECT_EQ(store.calls.size(), 2u);
}

TEST(StoreChecks, EveryOtherCallReachesTheBackendOnce) {
  RecordingStore store;
  ASSERT_OK(store.find_revocation(RevocationKind::kToken, "j"));
  ASSERT_OK(store.snapshot(Timestamp{}));
  ASSERT_OK(store.changes_since(0, 10, milliseconds(0)));
  ASSERT_OK(store.purge(Timestamp{}, seconds(1)));
  ASSERT_OK(store.find_session("s"));
  ASSERT_OK(store.list_sessions("alice", Timestamp{}));
  ASSERT_OK(store.rotate_refresh("s", "a", "b", Timestamp{}, Timestamp{}));
  ASSERT_OK(store.find_user("alice"));
  ASSERT_OK(store.set_admin("alice", true));
  ASSERT_OK(store.list_users());
  ASSERT_OK(store.raise_token_horizon(Timestamp{}));
  ASSERT_OK(store.ping());
  EXPECT_EQ(store.calls, (std::vector<std::string>{"find_revocation", "snapshot", "changes_since",
                                                   "purge", "find_session", "list_sessions",
                                                   "rotate_refresh", "find_user", "set_admin",
                                                   "list_users", "raise_token_horizon", "ping"}));
}

TEST(StoreChecks, AccountChangesNeedANameAndAHash) {
  RecordingStore store;
  EXPECT_ERRC(store.set_password("", "hash"), Errc::kInvalidArgument);
  EXPECT_ERRC(store.set_password("alice", ""), Errc::kInvalidArgument);
  EXPECT_ERRC(store.set_disabled("", true), Errc::kInvalidArgument);
  EXPECT_ERRC(store.delete_user("", Timestamp{}), Errc::kInvalidArgument);
  EXPECT_ERRC(store.append_audit(AuditEvent{.actor = "cli", .subject = "alice"}),
              Errc::kInvalidArgument);
  EXPECT_TRUE(store.calls.empty());
  ASSERT_OK(store.set_password("alice", "hash"));
  ASSERT_OK(store.set_disabled("alice", true));
  ASSERT_OK(store.delete_user("alice", Timestamp{}));
  ASSERT_OK(store.append_audit(AuditEvent{.action = "user.delete"}));
  EXPECT_EQ(store.calls, (std::vector<std::string>{"set_password", "set_disabled", "delete_user",
                                                   "append_audit"}));
}

TEST(StoreChecks, UserAndAuditPagesAreCheckedBeforeTheBackend) {
  RecordingStore store;
  EXPECT_ERRC(store.list_users(UserFilter{.limit = 0}), Errc::kInvalidArgument);
  EXPECT_ERRC(store.list_users(UserFilter{.limit = 1001}), Errc::kInvalidArgument);
  EXPECT_ERRC(store.list_audit(AuditFilter{.limit = 0}), Errc::kInvalidArgument);
  EXPECT_ERRC(store.list_audit(AuditFilter{.cursor = "-1"}), Errc::kInvalidArgument);
  EXPECT_ERRC(store.list_audit(AuditFilter{.cursor = "7z"}), Errc::kInvalidArgument);
  EXPECT_TRUE(store.calls.empty());
  ASSERT_OK(store.list_users(UserFilter{.limit = 1000, .cursor = "bob"}));
  ASSERT_OK(store.list_audit(AuditFilter{}));
  EXPECT_EQ(store.audit_before, std::nullopt);
  ASSERT_OK(store.list_audit(AuditFilter{.cursor = "42"}));
  EXPECT_EQ(store.audit_before, std::optional<std::uint64_t>(42));
}

// The default lookup asks find_revocation once per key it is given.
TEST(StoreChecks, TheDefaultLookupAsksForEachKeyGiven) {
  RecordingStore store;
  ASSERT_OK(store.lookup("jti", "", "alice"));
  EXPECT_EQ(store.calls, (std::vector<std::string>{"find_revocation", "find_revocation"}));
}

}  // namespace
}  // namespace jwtguard
