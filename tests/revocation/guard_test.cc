#include "jwtguard/guard.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "testing/fixtures.h"

namespace jwtguard {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

const Key& secret() {
  static const Key key = Key::from_secret("0123456789abcdef0123456789abcdef").value();
  return key;
}

GuardOptions quiet_options() {
  GuardOptions options;
  options.background = false;  // tests drive sync() and purge() themselves
  return options;
}

class GuardTest : public ::testing::Test {
 protected:
  void SetUp() override { open(open_memory_store(), quiet_options()); }

  void open(std::unique_ptr<Store> store, GuardOptions options) {
    guard_.reset();
    auto guard = Guard::open(secret(), KeySet(), std::move(store), std::move(options), clock_);
    ASSERT_TRUE(guard.has_value()) << guard.error().message();
    guard_ = std::move(*guard);
  }

  TokenPair login(std::string_view user = "alice") {
    auto pair = guard_->login(user);
    EXPECT_TRUE(pair.has_value()) << pair.error().message();
    return pair.value_or(TokenPair{});
  }

  testing::FakeClock clock_;
  std::unique_ptr<Guard> guard_;
};

constexpr Requirements kAnyType{.type = TokenRequirement::kAny};
constexpr Requirements kRefresh{.type = TokenRequirement::kRefresh};

TEST_F(GuardTest, LoginTokensPassTheirOwnRoutes) {
  const TokenPair pair = login();
  auto access = guard_->require(pair.access.token);
  ASSERT_OK(access);
  EXPECT_EQ(access->claims.sub, "alice");
  EXPECT_EQ(access->claims.fresh, true);
  EXPECT_EQ(access->header->alg, Algorithm::kHS256);
  EXPECT_OK(guard_->require(pair.refresh.token, kRefresh));
  EXPECT_OK(guard_->require(pair.access.token, {.type = TokenRequirement::kAccess, .fresh = true}));
  EXPECT_EQ(pair.access.sid, pair.refresh.sid);
  auto session = guard_->store().find_session(pair.refresh.sid);
  ASSERT_OK(session);
  ASSERT_TRUE(session->has_value());
  EXPECT_EQ((*session)->refresh_jti, pair.refresh.jti);
  EXPECT_EQ((*session)->user, "alice");
}

TEST_F(GuardTest, TypeAndFreshness) {
  const TokenPair pair = login();
  EXPECT_ERRC(guard_->require(pair.refresh.token), Errc::kRefreshTokenNotAllowed);
  EXPECT_ERRC(guard_->require(pair.access.token, kRefresh), Errc::kAccessTokenNotAllowed);
  EXPECT_OK(guard_->require(pair.refresh.token, kAnyType));
  EXPECT_ERRC(guard_->require(pair.refresh.token, {.type = TokenRequirement::kAny, .fresh = true}),
              Errc::kFreshTokenRequired);
  auto refreshed = guard_->refresh(pair.refresh.token);
  ASSERT_OK(refreshed);
  EXPECT_OK(guard_->require(refreshed->access.token));
  EXPECT_ERRC(guard_->require(refreshed->access.token, {.fresh = true}), Errc::kFreshTokenRequired);
}

TEST_F(GuardTest, MissingAndOptionalTokens) {
  EXPECT_ERRC(guard_->require(""), Errc::kMissingToken);
  auto none = guard_->require("", {.optional = true});
  ASSERT_OK(none);
  EXPECT_TRUE(none->empty());
  // optional does not excuse a bad token.
  EXPECT_ERRC(guard_->require("a.b.c", {.optional = true}), Errc::kBadBase64);
}

TEST_F(GuardTest, ChecksRunInFlaskJwtExtendedOrder) {
  const TokenPair pair = login();
  ASSERT_OK(guard_->revoke_session(pair.access.sid));
  // Revoked, but the type is checked first...
  EXPECT_ERRC(guard_->require(pair.refresh.token), Errc::kRefreshTokenNotAllowed);
  // ...and freshness before revocation...
  auto refresh_claims = guard_->require(
      pair.refresh.token, {.type = TokenRequirement::kAny, .skip_revocation_check = true});
  ASSERT_OK(refresh_claims);
  EXPECT_ERRC(guard_->require(pair.refresh.token, {.type = TokenRequirement::kAny, .fresh = true}),
              Errc::kFreshTokenRequired);
  // ...and time claims before everything.
  clock_.advance(minutes(15));
  EXPECT_ERRC(guard_->require(pair.access.token), Errc::kExpired);
  // A tampered token fails on its signature. (A character inside the
  // signature: the last one also carries padding bits that must be zero.)
  std::string tampered = pair.access.token;
  char& c = tampered[tampered.size() - 5];
  c = c == 'A' ? 'B' : 'A';
  EXPECT_ERRC(guard_->require(tampered, kAnyType), Errc::kBadSignature);
}

TEST_F(GuardTest, RevokingOneTokenLeavesTheOthers) {
  const TokenPair pair = login();
  const TokenPair other = login();
  auto verified = guard_->require(pair.access.token);
  ASSERT_OK(verified);
  ASSERT_OK(guard_->revoke_token(verified->claims, {.revoked_by = "alice", .reason = "logout"}));
  ASSERT_OK(guard_->revoke_token(verified->claims));  // idempotent
  auto refused = guard_->require(pair.access.token);
  EXPECT_ERRC(refused, Errc::kRevoked);
  EXPECT_EQ(refused.error().detail(), "token");
  EXPECT_OK(guard_->require(pair.refresh.token, kRefresh));
  EXPECT_OK(guard_->require(other.access.token));
  EXPECT_OK(guard_->require(pair.access.token, {.skip_revocation_check = true}));

  auto stored = guard_->store().find_revocation(RevocationKind::kToken, pair.access.jti);
  ASSERT_OK(stored);
  ASSERT_TRUE(stored->has_value());
  EXPECT_EQ((*stored)->reason, "logout");
  EXPECT_EQ((*stored)->user, "alice");
  EXPECT_EQ((*stored)->token_type, TokenType::kAccess);
  EXPECT_EQ((*stored)->session, pair.access.sid);
  // Kept until the token expires, not longer.
  EXPECT_EQ((*stored)->expires_at, pair.access.expires_at);
}

TEST_F(GuardTest, UnrevokeLetsTheTokenBackIn) {
  const TokenPair pair = login();
  ASSERT_OK(guard_->revoke_jti(pair.access.jti));
  EXPECT_ERRC(guard_->require(pair.access.token), Errc::kRevoked);
  auto removed = guard_->unrevoke(RevocationKind::kToken, pair.access.jti);
  ASSERT_OK(removed);
  EXPECT_TRUE(*removed);
  EXPECT_OK(guard_->require(pair.access.token));
  EXPECT_ERRC(guard_->revoke_jti(""), Errc::kInvalidArgument);
}

TEST_F(GuardTest, UnrevokingASessionLetsItRefreshAgain) {
  const TokenPair pair = login();
  ASSERT_OK(guard_->revoke_session(pair.refresh.sid));
  EXPECT_ERRC(guard_->refresh(pair.refresh.token), Errc::kRevoked);
  ASSERT_OK(guard_->unrevoke(RevocationKind::kSession, pair.refresh.sid));
  EXPECT_OK(guard_->require(pair.access.token));
  EXPECT_OK(guard_->refresh(pair.refresh.token));
}

TEST_F(GuardTest, ARevokedTokenIsKeptUntilItsOwnExpiryEvenPastTheGuardsLifetimes) {
  // Issued under older settings (30-day refresh tokens); the Guard now
  // issues 1-day ones.
  auto old_issuer = Issuer::create(secret());
  ASSERT_OK(old_issuer);
  auto old_token = old_issuer->issue(TokenRequest{.subject = "alice", .type = TokenType::kRefresh},
                                     clock_.now());
  ASSERT_OK(old_token);
  GuardOptions options = quiet_options();
  options.issuer.refresh_ttl = hours(24);
  open(open_memory_store(), options);
  auto verified = guard_->require(old_token->token, kRefresh);
  ASSERT_OK(verified);
  ASSERT_OK(guard_->revoke_token(verified->claims));
  clock_.advance(hours(24 * 29));
  ASSERT_OK(guard_->purge());
  EXPECT_ERRC(guard_->require(old_token->token, kRefresh), Errc::kRevoked);
}

TEST_F(GuardTest, RevokingASessionKillsBothTokensAndEverythingRefreshedFromIt) {
  const TokenPair pair = login();
  const TokenPair other_session = login();
  auto refreshed = guard_->refresh(pair.refresh.token);
  ASSERT_OK(refreshed);
  ASSERT_TRUE(refreshed->refresh.has_value());
  ASSERT_OK(guard_->revoke_session(pair.access.sid));
  for (const std::string& token : {pair.access.token, pair.refresh.token, refreshed->access.token,
                                   refreshed->refresh->token}) {
    auto r = guard_->require(token, kAnyType);
    EXPECT_ERRC(r, Errc::kRevoked);
    EXPECT_EQ(r.error().detail(), "session");
  }
  EXPECT_ERRC(guard_->refresh(refreshed->refresh->token), Errc::kRevoked);
  EXPECT_OK(guard_->require(other_session.access.token));
  auto listed = guard_->store().list_sessions("alice", clock_.now());
  ASSERT_OK(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].sid, other_session.access.sid);
}

TEST_F(GuardTest, LogoutEverywhereSeparatesTokensOfTheSameMillisecond) {
  // Tokens issued earlier in the same second, and in the very same
  // millisecond as the cutoff (the clock does not move here).
  clock_.set(from_unix_seconds(1'700'000'000) + milliseconds(250));
  const TokenPair early = login();
  clock_.advance(milliseconds(500));
  const TokenPair same_ms = login();
  const TokenPair bob = login("bob");
  ASSERT_OK(guard_->revoke_user("alice", {.reason = "password changed"}));
  for (const TokenPair* pair : {&early, &same_ms}) {
    auto r = guard_->require(pair->access.token);
    EXPECT_ERRC(r, Errc::kRevoked);
    EXPECT_EQ(r.error().detail(), "user");
    EXPECT_ERRC(guard_->refresh(pair->refresh.token), Errc::kRevoked);
  }
  EXPECT_OK(guard_->require(bob.access.token));
  // A login right after, with the clock still in the same millisecond, works.
  const TokenPair after = login();
  EXPECT_OK(guard_->require(after.access.token));
  EXPECT_OK(guard_->refresh(after.refresh.token));
  // So does one a second later, and the cutoff moves on with a later logout.
  clock_.advance(seconds(1));
  const TokenPair later = login();
  EXPECT_OK(guard_->require(later.access.token));
  ASSERT_OK(guard_->revoke_user("alice"));
  EXPECT_ERRC(guard_->require(later.access.token), Errc::kRevoked);
}

TEST_F(GuardTest, SessionsEndedByLogoutEverywhereAreNotListed) {
  const TokenPair before = login();
  ASSERT_OK(guard_->revoke_user("alice"));
  const TokenPair after = login();  // in the cutoff's millisecond: iat is the cutoff
  auto sessions = guard_->list_sessions("alice");
  ASSERT_OK(sessions);
  ASSERT_EQ(sessions->size(), 1u);
  EXPECT_EQ(sessions->front().sid, after.refresh.sid);
  EXPECT_NE(sessions->front().sid, before.refresh.sid);
}

TEST_F(GuardTest, RotationRetiresTheOldRefreshTokenAndReuseKillsTheSession) {
  const TokenPair pair = login();
  clock_.advance(seconds(30));
  auto first = guard_->refresh(pair.refresh.token);
  ASSERT_OK(first);
  ASSERT_TRUE(first->refresh.has_value());
  EXPECT_EQ(first->refresh->sid, pair.refresh.sid);
  EXPECT_NE(first->refresh->jti, pair.refresh.jti);
  EXPECT_EQ(first->access.sid, pair.access.sid);
  auto session = guard_->store().find_session(pair.refresh.sid);
  ASSERT_OK(session);
  EXPECT_EQ((*session)->refresh_jti, first->refresh->jti);
  EXPECT_EQ((*session)->refreshed_at, clock_.now());

  // The retired token comes back: a thief or a replay. The session dies.
  auto replay = guard_->refresh(pair.refresh.token);
  EXPECT_ERRC(replay, Errc::kRevoked);
  EXPECT_ERRC(guard_->require(first->access.token), Errc::kRevoked);
  EXPECT_ERRC(guard_->refresh(first->refresh->token), Errc::kRevoked);
  auto revocation = guard_->store().find_revocation(RevocationKind::kSession, pair.refresh.sid);
  ASSERT_OK(revocation);
  ASSERT_TRUE(revocation->has_value());
  EXPECT_EQ((*revocation)->revoked_by, "reuse-detection");
  EXPECT_EQ((*revocation)->user, "alice");
}

TEST_F(GuardTest, RefreshNeedsARefreshTokenOfAKnownSession) {
  const TokenPair pair = login();
  EXPECT_ERRC(guard_->refresh(pair.access.token), Errc::kAccessTokenNotAllowed);
  auto orphan = guard_->issue(TokenRequest{.subject = "alice", .type = TokenType::kRefresh});
  ASSERT_OK(orphan);
  auto r = guard_->refresh(orphan->token);
  EXPECT_ERRC(r, Errc::kRevoked);
  EXPECT_EQ(r.error().detail(), "unknown session");
}

TEST_F(GuardTest, WithoutRotationTheRefreshTokenStaysValid) {
  GuardOptions options = quiet_options();
  options.rotate_refresh_tokens = false;
  open(open_memory_store(), options);
  const TokenPair pair = login();
  for (int i = 0; i < 2; ++i) {
    auto refreshed = guard_->refresh(pair.refresh.token);
    ASSERT_OK(refreshed);
    EXPECT_FALSE(refreshed->refresh.has_value());
    EXPECT_OK(guard_->require(refreshed->access.token));
  }
}

TEST_F(GuardTest, TheApplicationsCallbackSeesHeaderAndClaims) {
  GuardOptions options = quiet_options();
  std::atomic<int> calls{0};
  options.blocklist_callback = [&](const JoseHeader& header, const Claims& claims) {
    ++calls;
    EXPECT_EQ(header.alg, Algorithm::kHS256);
    return claims.sub == "mallory";
  };
  open(open_memory_store(), options);
  EXPECT_OK(guard_->require(login("alice").access.token));
  auto r = guard_->require(login("mallory").access.token);
  EXPECT_ERRC(r, Errc::kRevoked);
  EXPECT_EQ(r.error().detail(), "callback");
  EXPECT_OK(guard_->require(login("mallory").access.token, {.skip_revocation_check = true}));
  EXPECT_EQ(calls.load(), 2);
}

TEST_F(GuardTest, IssueRefusesLifetimesLongerThanRevocationsAreKept) {
  EXPECT_ERRC(guard_->issue(TokenRequest{.subject = "a", .ttl = hours(24 * 31)}),
              Errc::kInvalidArgument);
  EXPECT_OK(guard_->issue(TokenRequest{.subject = "a", .ttl = hours(24 * 30)}));
}

TEST_F(GuardTest, PurgeForgetsRevocationsOnceTheirTokensExpired) {
  const TokenPair pair = login();
  auto verified = guard_->require(pair.access.token);
  ASSERT_OK(verified);
  ASSERT_OK(guard_->revoke_token(verified->claims));
  ASSERT_OK(guard_->revoke_session(pair.access.sid));
  EXPECT_EQ(guard_->stats().revoked_tokens, 1u);
  EXPECT_EQ(guard_->stats().revoked_sessions, 1u);
  clock_.advance(minutes(15) - seconds(1));
  ASSERT_OK(guard_->purge());
  EXPECT_EQ(guard_->stats().revoked_tokens, 1u);
  clock_.advance(seconds(1));  // the access token's exp
  ASSERT_OK(guard_->purge());
  EXPECT_EQ(guard_->stats().revoked_tokens, 0u);
  EXPECT_EQ(guard_->stats().revoked_sessions, 1u);  // refresh tokens live 30 days
  auto gone = guard_->store().find_revocation(RevocationKind::kToken, pair.access.jti);
  ASSERT_OK(gone);
  EXPECT_FALSE(gone->has_value());
  clock_.advance(hours(24 * 30));
  ASSERT_OK(guard_->purge());
  EXPECT_EQ(guard_->stats().revoked_sessions, 0u);
}

TEST_F(GuardTest, LeewayExtendsHowLongARevocationIsKept) {
  GuardOptions options = quiet_options();
  options.verify.claims.leeway = seconds(30);
  open(open_memory_store(), options);
  const TokenPair pair = login();
  auto verified = guard_->require(pair.access.token);
  ASSERT_OK(verified);
  ASSERT_OK(guard_->revoke_token(verified->claims));
  clock_.advance(minutes(15) + seconds(29));
  ASSERT_OK(guard_->purge());
  // Still inside the leeway: the token would verify, so it must stay revoked.
  EXPECT_ERRC(guard_->require(pair.access.token), Errc::kRevoked);
  clock_.advance(seconds(1));
  ASSERT_OK(guard_->purge());
  EXPECT_EQ(guard_->stats().revoked_tokens, 0u);
}

// Two Guards over one SQLite file: two processes of one service, or the
// service and the `jwtguard revoke` command.
class SharedSqliteTest : public GuardTest {
 protected:
  void SetUp() override { open(sqlite(), quiet_options()); }
  void TearDown() override { guard_.reset(); }
  std::unique_ptr<Store> sqlite() {
    auto store = open_sqlite_store(scratch_.db());
    EXPECT_TRUE(store.has_value()) << store.error().message();
    return store ? std::move(*store) : nullptr;
  }
  std::unique_ptr<Guard> second(GuardOptions options) {
    auto guard = Guard::open(secret(), KeySet(), sqlite(), std::move(options), clock_);
    EXPECT_TRUE(guard.has_value()) << guard.error().message();
    return guard ? std::move(*guard) : nullptr;
  }
  testing::ScratchDir scratch_;
};

TEST_F(SharedSqliteTest, RevocationsSurviveARestart) {
  const TokenPair pair = login();
  ASSERT_OK(guard_->revoke_jti(pair.access.jti));
  ASSERT_OK(guard_->revoke_user("bob"));
  open(sqlite(), quiet_options());
  EXPECT_ERRC(guard_->require(pair.access.token), Errc::kRevoked);
  EXPECT_EQ(guard_->stats().revoked_tokens, 1u);
  EXPECT_EQ(guard_->stats().user_cutoffs, 1u);
}

TEST_F(SharedSqliteTest, AnotherInstanceLearnsOfRevocationsThroughTheFeed) {
  auto other = second(quiet_options());
  ASSERT_NE(other, nullptr);
  const TokenPair pair = login();
  EXPECT_OK(other->require(pair.access.token));
  ASSERT_OK(guard_->revoke_session(pair.access.sid));
  EXPECT_OK(other->require(pair.access.token));  // not synced yet: no I/O on checks
  ASSERT_OK(other->sync());
  EXPECT_ERRC(other->require(pair.access.token), Errc::kRevoked);
  ASSERT_OK(guard_->unrevoke(RevocationKind::kSession, pair.access.sid));
  ASSERT_OK(other->sync());
  EXPECT_OK(other->require(pair.access.token));
}

// Instance B has not heard of A's "log out everywhere" yet when the refresh
// token reaches it: the refresh must still not produce a pair that lives on.
TEST_F(SharedSqliteTest, ARefreshRacingALogoutEverywhereOnAnotherInstanceFails) {
  auto other = second(quiet_options());
  ASSERT_NE(other, nullptr);
  const TokenPair pair = login();
  ASSERT_OK(guard_->revoke_user("alice"));
  EXPECT_OK(other->require(pair.refresh.token, kRefresh));  // B does not know yet
  auto refreshed = other->refresh(pair.refresh.token);
  EXPECT_ERRC(refreshed, Errc::kRevoked);
  auto session = other->store().find_session(pair.refresh.sid);
  ASSERT_OK(session);
  ASSERT_TRUE(session->has_value());
  EXPECT_TRUE((*session)->revoked_at.has_value());
}

// Without rotation, a refresh near the end of the refresh token's life
// issues an access token that outlives the session's record; a later
// instance with shorter lifetimes must still keep the session revoked as
// long as that token lives.
TEST_F(SharedSqliteTest, WithoutRotationASessionRevocationOutlivesEveryRefreshedToken) {
  GuardOptions long_lived = quiet_options();
  long_lived.rotate_refresh_tokens = false;
  long_lived.issuer.access_ttl = minutes(20);
  long_lived.issuer.refresh_ttl = minutes(30);
  open(sqlite(), long_lived);
  const TokenPair pair = login();
  clock_.advance(minutes(29));
  auto refreshed = guard_->refresh(pair.refresh.token);
  ASSERT_OK(refreshed);  // its access token lives until minute 49

  GuardOptions short_lived = long_lived;
  short_lived.issuer.access_ttl = seconds(2);
  short_lived.issuer.refresh_ttl = seconds(3);
  open(sqlite(), short_lived);
  clock_.advance(minutes(2));
  ASSERT_OK(guard_->revoke_session(pair.access.sid));
  clock_.advance(minutes(10));  // minute 41: past the session's record, not the token
  ASSERT_OK(guard_->purge());
  open(sqlite(), short_lived);
  EXPECT_ERRC(guard_->require(refreshed->access.token), Errc::kRevoked);
}

// Two instances log the same user out within one millisecond, with a login
// through the first in between: the second cutoff must still refuse it.
TEST_F(SharedSqliteTest, ASecondCutoffInTheSameMillisecondOnAnotherInstanceCutsOffTheLoginBetween) {
  auto other = second(quiet_options());
  ASSERT_NE(other, nullptr);
  ASSERT_OK(guard_->revoke_user("alice"));
  const TokenPair between = login();       // ordered at the first cutoff
  ASSERT_OK(other->revoke_user("alice"));  // the same clock reading
  ASSERT_OK(guard_->sync());
  EXPECT_ERRC(guard_->require(between.access.token), Errc::kRevoked);
  const TokenPair after = login();
  EXPECT_OK(guard_->require(after.access.token));
}

TEST_F(SharedSqliteTest, TheBackgroundFollowerAppliesChangesByItself) {
  GuardOptions options;
  options.feed_wait = milliseconds(50);
  auto other = second(options);
  ASSERT_NE(other, nullptr);
  const TokenPair pair = login();
  ASSERT_OK(guard_->revoke_user("alice"));
  // Bounded wait: the follower polls every 50 ms.
  bool refused = false;
  for (int i = 0; i < 200 && !refused; ++i) {
    refused = !other->require(pair.access.token).has_value();
    if (!refused) std::this_thread::sleep_for(milliseconds(25));
  }
  EXPECT_TRUE(refused);
  EXPECT_EQ(other->stats().feed_errors, 0u);
}

TEST_F(SharedSqliteTest, AFollowerThatMissedPurgedChangesReloads) {
  auto other = second(quiet_options());
  ASSERT_NE(other, nullptr);
  const TokenPair pair = login();
  ASSERT_OK(guard_->revoke_jti(pair.access.jti));
  // Feed retention of zero: the change leaves the feed at once.
  ASSERT_OK(guard_->store().purge(clock_.now(), seconds(0)));
  ASSERT_OK(other->sync());
  EXPECT_ERRC(other->require(pair.access.token), Errc::kRevoked);
}

// Strict mode asks the store on every check: another instance's revocation
// counts before the feed has brought it.
TEST_F(SharedSqliteTest, StrictModeSeesAnotherInstancesRevocationsBeforeTheFeed) {
  GuardOptions strict = quiet_options();
  strict.check_mode = GuardOptions::CheckMode::kStore;
  auto other = second(strict);
  ASSERT_NE(other, nullptr);
  const TokenPair one = login();
  const TokenPair two = login();
  const TokenPair bob = login("bob");
  EXPECT_OK(other->require(one.access.token));
  ASSERT_OK(guard_->revoke_jti(one.access.jti));
  EXPECT_ERRC(other->require(one.access.token), Errc::kRevoked);  // no sync()
  EXPECT_OK(other->require(two.access.token));
  ASSERT_OK(guard_->revoke_session(two.access.sid));
  EXPECT_ERRC(other->require(two.refresh.token, kRefresh), Errc::kRevoked);
  EXPECT_OK(other->require(bob.access.token));
  ASSERT_OK(guard_->revoke_user("bob"));
  EXPECT_ERRC(other->require(bob.access.token), Errc::kRevoked);
  // A login after the cutoff's millisecond passes.
  clock_.advance(milliseconds(1));
  EXPECT_OK(other->require(login("bob").access.token));
  EXPECT_EQ(other->stats().strict_fallbacks, 0u);
  // In the default mode a check does no I/O: until the feed brings it, a
  // Guard has not heard of a revocation made elsewhere.
  auto relaxed = second(quiet_options());
  ASSERT_NE(relaxed, nullptr);
  const TokenPair three = login();
  ASSERT_OK(guard_->revoke_jti(three.access.jti));
  EXPECT_OK(relaxed->require(three.access.token));
  EXPECT_ERRC(other->require(three.access.token), Errc::kRevoked);
}

// A store that fails every lookup: strict checks fall back to the index.
class FailingLookupStore : public Store {
 public:
  explicit FailingLookupStore(std::unique_ptr<Store> inner) : inner_(std::move(inner)) {}
  Result<Hits> do_lookup(std::string_view, std::string_view, std::string_view) override {
    return fail(Errc::kStore, "down");
  }
  Result<std::uint64_t> do_revoke(const Revocation& r) override { return inner_->revoke(r); }
  Result<bool> do_unrevoke(RevocationKind k, std::string_view key, Timestamp now) override {
    return inner_->unrevoke(k, key, now);
  }
  Result<std::optional<Revocation>> do_find_revocation(RevocationKind k,
                                                       std::string_view key) override {
    return inner_->find_revocation(k, key);
  }
  Result<RevocationPage> do_list_revocations(const RevocationFilter& f,
                                             std::optional<std::int64_t>) override {
    return inner_->list_revocations(f);
  }
  Result<Snapshot> do_snapshot(Timestamp now) override { return inner_->snapshot(now); }
  Result<ChangeBatch> do_changes_since(std::uint64_t after, std::size_t limit,
                                       milliseconds max_wait) override {
    return inner_->changes_since(after, limit, max_wait);
  }
  Result<std::size_t> do_purge(Timestamp now, seconds retention) override {
    return inner_->purge(now, retention);
  }
  Result<Timestamp> do_raise_token_horizon(Timestamp at) override {
    return inner_->raise_token_horizon(at);
  }
  Result<void> do_create_session(const Session& s) override { return inner_->create_session(s); }
  Result<std::optional<Session>> do_find_session(std::string_view sid) override {
    return inner_->find_session(sid);
  }
  Result<std::vector<Session>> do_list_sessions(std::string_view user, Timestamp now) override {
    return inner_->list_sessions(user, now);
  }
  Result<Rotation> do_rotate_refresh(std::string_view sid, std::string_view presented,
                                     std::string_view next, Timestamp now,
                                     Timestamp expires) override {
    return inner_->rotate_refresh(sid, presented, next, now, expires);
  }
  Result<std::uint64_t> do_revoke_session(const Revocation& r) override {
    return inner_->revoke_session(r);
  }
  Result<void> do_create_user(const User& u) override { return inner_->create_user(u); }
  Result<std::optional<User>> do_find_user(std::string_view name) override {
    return inner_->find_user(name);
  }
  Result<void> do_set_admin(std::string_view name, bool admin) override {
    return inner_->set_admin(name, admin);
  }
  Result<std::vector<User>> do_list_users() override { return inner_->list_users(); }
  Result<void> do_set_password(std::string_view name, std::string_view hash,
                               std::string_view expected) override {
    return inner_->set_password(name, hash, expected);
  }
  Result<void> do_set_disabled(std::string_view name, bool disabled) override {
    return inner_->set_disabled(name, disabled);
  }
  Result<void> do_delete_user(std::string_view name, Timestamp until) override {
    return inner_->delete_user(name, until);
  }
  Result<UserPage> do_list_user_page(const UserFilter& f) override { return inner_->list_users(f); }
  Result<std::uint64_t> do_append_audit(const AuditEvent& e) override {
    return inner_->append_audit(e);
  }
  Result<AuditPage> do_list_audit(const AuditFilter& f, std::optional<std::uint64_t>) override {
    return inner_->list_audit(f);
  }
  Result<void> do_ping() override { return inner_->ping(); }

 private:
  std::unique_ptr<Store> inner_;
};

TEST_F(GuardTest, StrictModeFallsBackToTheIndexWhenTheStoreCannotAnswer) {
  GuardOptions strict = quiet_options();
  strict.check_mode = GuardOptions::CheckMode::kStore;
  open(std::make_unique<FailingLookupStore>(open_memory_store()), strict);
  const TokenPair pair = login();
  EXPECT_OK(guard_->require(pair.access.token));
  EXPECT_EQ(guard_->stats().strict_fallbacks, 1u);
  ASSERT_OK(guard_->revoke_jti(pair.access.jti));
  EXPECT_ERRC(guard_->require(pair.access.token), Errc::kRevoked);  // from the index
}

}  // namespace
}  // namespace jwtguard
