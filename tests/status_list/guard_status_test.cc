// The Guard's status lists: every issuing path stamps its tokens, every
// revocation path ends with the right statuses in the published list, and
// the list token is built, signed and kept as guard.h says.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "jwtguard/guard.h"
#include "jwtguard/jose.h"
#include "jwtguard/status_list.h"
#include "testing/fixtures.h"
#include "testing/status_store.h"

namespace jwtguard {
namespace {

using Json = nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr Algorithm kAlg = Algorithm::kES256;
constexpr std::string_view kBase = "https://auth.example.com";

GuardOptions status_options() {
  GuardOptions options;
  options.background = false;
  options.verify.claims.leeway = seconds(5);
  options.status_list.enabled = true;
  options.status_list.base_url = std::string(kBase);
  options.status_list.list_size = 64;
  options.status_list.ttl = seconds(300);
  options.status_list.token_lifetime = seconds(3600);
  options.status_list.publish_interval = milliseconds(1000);
  return options;
}

Json payload_of(std::string_view token) {
  auto decoded = decode_jws(token);
  EXPECT_TRUE(decoded.has_value());
  return decoded ? Json::parse(decoded->payload) : Json();
}

// The token's "status" claim: (list URI, index).
std::pair<std::string, std::uint64_t> status_of(std::string_view token) {
  const Json payload = payload_of(token);
  if (!payload.contains("status")) return {"", 0};
  const Json& ref = payload["status"]["status_list"];
  return {ref["uri"].get<std::string>(), ref["idx"].get<std::uint64_t>()};
}

class GuardStatusTest : public ::testing::Test {
 protected:
  void SetUp() override { open(status_options()); }

  void open(GuardOptions options) {
    guard_.reset();
    auto guard = Guard::open(testing::private_key_for(kAlg), KeySet(),
                             std::make_unique<testing::StatusStore>(*memory_, lists_),
                             std::move(options), clock_);
    ASSERT_TRUE(guard.has_value()) << guard.error().message();
    guard_ = std::move(*guard);
  }

  Claims claims_of(std::string_view token) {
    auto verified = guard_->require(token, {.type = TokenRequirement::kAny});
    EXPECT_TRUE(verified.has_value()) << verified.error().message();
    return verified ? verified->claims : Claims{};
  }

  // The list, published after publish_interval, decoded.
  StatusList published(std::uint64_t id = 1) {
    clock_.advance(seconds(1));
    auto token = guard_->status_list_token(id);
    EXPECT_TRUE(token.has_value()) << token.error().message();
    if (!token) return StatusList::create(1, 1).value();
    const Json payload = payload_of((*token)->jwt);
    auto list = parse_status_list_claim(payload["status_list"].dump());
    EXPECT_TRUE(list.has_value()) << list.error().message();
    return list ? *list : StatusList::create(1, 1).value();
  }

  // The published status of each token, in order.
  std::vector<int> statuses(std::initializer_list<std::string_view> tokens) {
    const StatusList list = published();
    std::vector<int> out;
    for (std::string_view token : tokens) out.push_back(list.get(status_of(token).second).value());
    return out;
  }

  testing::FakeClock clock_;
  std::unique_ptr<Store> memory_ = open_memory_store();
  std::shared_ptr<testing::StatusStore::Lists> lists_ =
      std::make_shared<testing::StatusStore::Lists>();
  std::unique_ptr<Guard> guard_;
};

TEST_F(GuardStatusTest, EveryIssuingPathStampsItsTokensWithDistinctIndices) {
  auto pair = guard_->login("alice");
  ASSERT_OK(pair);
  TokenRequest one{.subject = "bob"};
  auto issued = guard_->issue(one);
  ASSERT_OK(issued);
  auto refreshed = guard_->refresh(pair->refresh.token);
  ASSERT_OK(refreshed);
  auto fresh = guard_->fresh_access(claims_of(refreshed->access.token));
  ASSERT_OK(fresh);
  auto renewed = guard_->renew_session(claims_of(fresh->token));
  ASSERT_OK(renewed);
  auto implicit = guard_->refresh_access(claims_of(renewed->access.token));
  ASSERT_OK(implicit);
  const std::vector<std::string> tokens = {
      pair->access.token,      pair->refresh.token,       issued->token,
      refreshed->access.token, refreshed->refresh->token, fresh->token,
      renewed->access.token,   renewed->refresh.token,    implicit->token};
  std::set<std::uint64_t> indices;
  for (const std::string& token : tokens) {
    auto [uri, idx] = status_of(token);
    EXPECT_EQ(uri, std::string(kBase) + "/statuslists/1");
    indices.insert(idx);
  }
  EXPECT_EQ(indices.size(), tokens.size());
  EXPECT_EQ(guard_->stats().status_allocations, tokens.size());
  // A caller cannot name an entry of its own (one no revocation would set),
  // with status lists on or off.
  TokenRequest forged{.subject = "mallory"};
  forged.status = StatusClaim{.idx = 0, .uri = std::string(kBase) + "/statuslists/1"};
  EXPECT_ERRC(guard_->issue(forged), Errc::kInvalidArgument);
  GuardOptions off = status_options();
  off.status_list.enabled = false;
  open(off);
  EXPECT_ERRC(guard_->issue(forged), Errc::kInvalidArgument);
}

TEST_F(GuardStatusTest, TheReuseIntervalCopyGetsAnEntryOfItsOwn) {
  GuardOptions options = status_options();
  options.refresh_reuse_interval = seconds(30);
  open(options);
  auto pair = guard_->login("alice");
  ASSERT_OK(pair);
  auto first = guard_->refresh(pair->refresh.token);
  ASSERT_OK(first);
  auto again = guard_->refresh(pair->refresh.token);  // a second tab, within the interval
  ASSERT_OK(again);
  ASSERT_TRUE(again->refresh.has_value());
  EXPECT_EQ(again->refresh->jti, first->refresh->jti);
  EXPECT_NE(status_of(again->refresh->token).second, status_of(first->refresh->token).second);
  EXPECT_NE(status_of(again->access.token).second, status_of(first->access.token).second);
  // Revoking the current refresh token covers its copy too.
  ASSERT_OK(guard_->revoke_jti(first->refresh->jti));
  EXPECT_EQ(statuses({first->refresh->token, again->refresh->token, again->access.token}),
            (std::vector<int>{1, 1, 0}));
}

TEST_F(GuardStatusTest, ListsFillUpAndTheNextOneStarts) {
  GuardOptions options = status_options();
  options.status_list.list_size = 3;
  open(options);
  auto a = guard_->login("alice");
  auto b = guard_->login("bob");
  ASSERT_OK(a);
  ASSERT_OK(b);
  EXPECT_EQ(status_of(a->access.token),
            std::make_pair(std::string(kBase) + "/statuslists/1", std::uint64_t{0}));
  // The third entry fills list 1; the fourth starts list 2.
  EXPECT_EQ(status_of(b->access.token),
            std::make_pair(std::string(kBase) + "/statuslists/1", std::uint64_t{2}));
  EXPECT_EQ(status_of(b->refresh.token),
            std::make_pair(std::string(kBase) + "/statuslists/2", std::uint64_t{0}));
  ASSERT_OK(guard_->status_list_token(2));
}

TEST_F(GuardStatusTest, TokensCarryNoStatusWhenListsAreOff) {
  GuardOptions options = status_options();
  options.status_list.enabled = false;
  open(options);
  auto pair = guard_->login("alice");
  ASSERT_OK(pair);
  EXPECT_FALSE(payload_of(pair->access.token).contains("status"));
  EXPECT_ERRC(guard_->status_list_token(1), Errc::kNotFound);
}

TEST_F(GuardStatusTest, AFailedAllocationFailsTheIssue) {
  lists_->fail_allocate = true;
  EXPECT_ERRC(guard_->login("alice"), Errc::kStore);
  EXPECT_ERRC(guard_->issue({.subject = "bob"}), Errc::kStore);
  EXPECT_EQ(guard_->stats().status_allocation_failures, 2u);
  lists_->fail_allocate = false;
  auto pair = guard_->login("alice");
  ASSERT_OK(pair);
  auto refreshed = guard_->refresh(pair->refresh.token);
  ASSERT_OK(refreshed);
  lists_->fail_allocate = true;
  EXPECT_ERRC(guard_->refresh(refreshed->refresh->token), Errc::kStore);
}

TEST_F(GuardStatusTest, AnApplicationMayNotSetTheStatusClaim) {
  EXPECT_ERRC(guard_->login("alice", R"({"status":{"status_list":{"idx":0,"uri":"x"}}})"),
              Errc::kInvalidArgument);
}

TEST_F(GuardStatusTest, RevokingOneTokenSetsItsBitAlone) {
  auto pair = guard_->login("alice");
  auto other = guard_->login("bob");
  ASSERT_OK(pair);
  ASSERT_OK(other);
  ASSERT_OK(guard_->revoke_token(claims_of(pair->access.token)));
  EXPECT_EQ(statuses({pair->access.token, pair->refresh.token, other->access.token}),
            (std::vector<int>{1, 0, 0}));
  ASSERT_OK(guard_->revoke_jti(other->refresh.jti));
  EXPECT_EQ(statuses({pair->access.token, pair->refresh.token, other->access.token,
                      other->refresh.token}),
            (std::vector<int>{1, 0, 0, 1}));
}

TEST_F(GuardStatusTest, RevokingASessionSetsEveryTokenIssuedInIt) {
  auto pair = guard_->login("alice");
  auto other = guard_->login("alice");
  ASSERT_OK(pair);
  ASSERT_OK(other);
  auto refreshed = guard_->refresh(pair->refresh.token);
  ASSERT_OK(refreshed);
  ASSERT_OK(guard_->revoke_session(pair->access.sid));
  EXPECT_EQ(statuses({pair->access.token, pair->refresh.token, refreshed->access.token,
                      refreshed->refresh->token, other->access.token, other->refresh.token}),
            (std::vector<int>{1, 1, 1, 1, 0, 0}));
}

TEST_F(GuardStatusTest, LogOutEverywhereSetsOnlyTokensIssuedBeforeIt) {
  auto before = guard_->login("alice");
  auto bob = guard_->login("bob");
  ASSERT_OK(before);
  ASSERT_OK(bob);
  ASSERT_OK(guard_->revoke_user("alice"));
  auto after = guard_->login("alice");  // at the same instant: ordered after the cutoff
  ASSERT_OK(after);
  EXPECT_EQ(statuses({before->access.token, before->refresh.token, bob->access.token,
                      after->access.token, after->refresh.token}),
            (std::vector<int>{1, 1, 0, 0, 0}));
}

TEST_F(GuardStatusTest, ReuseDetectionSetsTheWholeSession) {
  auto pair = guard_->login("alice");
  ASSERT_OK(pair);
  auto refreshed = guard_->refresh(pair->refresh.token);
  ASSERT_OK(refreshed);
  EXPECT_ERRC(guard_->refresh(pair->refresh.token), Errc::kRevoked);
  EXPECT_EQ(statuses({pair->access.token, refreshed->access.token, refreshed->refresh->token}),
            (std::vector<int>{1, 1, 1}));
}

TEST_F(GuardStatusTest, UnrevokeClearsTheBit) {
  auto pair = guard_->login("alice");
  ASSERT_OK(pair);
  ASSERT_OK(guard_->revoke_session(pair->access.sid));
  EXPECT_EQ(statuses({pair->access.token}), (std::vector<int>{1}));
  ASSERT_OK(guard_->unrevoke(RevocationKind::kSession, pair->access.sid));
  EXPECT_EQ(statuses({pair->access.token, pair->refresh.token}), (std::vector<int>{0, 0}));
}

TEST_F(GuardStatusTest, TheListTokenIsSignedWithTheDraftsHeaderAndClaims) {
  auto pair = guard_->login("alice");
  ASSERT_OK(pair);
  auto published = guard_->status_list_token(1);
  ASSERT_OK(published);
  const std::string uri = std::string(kBase) + "/statuslists/1";
  EXPECT_EQ((*published)->uri, uri);
  EXPECT_EQ((*published)->list, 1u);
  auto verified = verify_jws((*published)->jwt, KeySet(testing::public_key_for(kAlg)), {});
  ASSERT_OK(verified);
  auto wrong = verify_jws((*published)->jwt, KeySet(testing::other_key_for(kAlg)), {});
  EXPECT_FALSE(wrong.has_value());
  const Json header = Json::parse(decode_jws((*published)->jwt)->header_json);
  EXPECT_EQ(header["typ"], "statuslist+jwt");
  EXPECT_EQ(header["alg"], "ES256");
  const Json claims = Json::parse(verified->payload);
  const std::int64_t now = to_unix_seconds(clock_.now());
  EXPECT_EQ(claims["sub"], uri);
  EXPECT_EQ(claims["iat"], now);
  EXPECT_EQ(claims["exp"], now + 3600);
  EXPECT_EQ(claims["ttl"], 300);
  EXPECT_EQ(claims["status_list"]["bits"], 1);
  EXPECT_EQ(Json::parse((*published)->json), claims["status_list"]);
  EXPECT_EQ((*published)->issued_at, from_unix_seconds(now));
  EXPECT_EQ((*published)->expires_at, from_unix_seconds(now + 3600));
  auto list = parse_status_list_claim((*published)->json);
  ASSERT_OK(list);
  EXPECT_EQ(list->size(), 64u);
}

TEST_F(GuardStatusTest, TwoBitListsCarryTheInvalidStatus) {
  GuardOptions options = status_options();
  options.status_list.bits = 2;
  open(options);
  auto pair = guard_->login("alice");
  ASSERT_OK(pair);
  ASSERT_OK(guard_->revoke_token(claims_of(pair->refresh.token)));
  const StatusList list = published();
  EXPECT_EQ(list.bits(), 2);
  EXPECT_EQ(list.get(status_of(pair->refresh.token).second).value(), 1);
  EXPECT_EQ(list.get(status_of(pair->access.token).second).value(), 0);
}

// --- when a list is built again ---

TEST_F(GuardStatusTest, AChangedListIsReSignedOnlyAfterThePublishInterval) {
  auto pair = guard_->login("alice");
  ASSERT_OK(pair);
  auto first = guard_->status_list_token(1);
  ASSERT_OK(first);
  EXPECT_EQ(guard_->stats().status_list_builds, 1u);
  ASSERT_OK(guard_->revoke_token(claims_of(pair->access.token)));
  clock_.advance(milliseconds(999));
  auto within = guard_->status_list_token(1);
  ASSERT_OK(within);
  EXPECT_EQ(within->get(), first->get());  // the same build, not re-signed per request
  clock_.advance(milliseconds(1));
  auto after = guard_->status_list_token(1);
  ASSERT_OK(after);
  EXPECT_NE(after->get(), first->get());
  EXPECT_EQ(guard_->stats().status_list_builds, 2u);
  auto list = parse_status_list_claim((*after)->json);
  ASSERT_OK(list);
  EXPECT_EQ(list->get(status_of(pair->access.token).second).value(), 1);
}

TEST_F(GuardStatusTest, AnUnchangedListIsReSignedAtHalfItsLifetime) {
  ASSERT_OK(guard_->login("alice"));
  auto first = guard_->status_list_token(1);
  ASSERT_OK(first);
  clock_.advance(seconds(1799));
  auto same = guard_->status_list_token(1);
  ASSERT_OK(same);
  EXPECT_EQ(same->get(), first->get());
  EXPECT_EQ(guard_->stats().status_list_builds, 1u);
  clock_.advance(seconds(1));
  auto renewed = guard_->status_list_token(1);
  ASSERT_OK(renewed);
  EXPECT_NE(renewed->get(), first->get());
  EXPECT_EQ((*renewed)->issued_at, clock_.now());
}

// The store is read again once publish_interval has passed: another
// instance's revocation is published without waiting for the feed, and an
// unchanged list is read but not signed again.
TEST_F(GuardStatusTest, ARevocationByAnotherInstanceIsPublishedWithoutTheFeed) {
  auto pair = guard_->login("alice");
  ASSERT_OK(pair);
  ASSERT_OK(guard_->status_list_token(1));
  clock_.advance(seconds(5));
  ASSERT_OK(guard_->status_list_token(1));
  EXPECT_EQ(guard_->stats().status_list_builds, 1u);  // read again, unchanged
  // A second Guard on the same store (and the same lists) revokes.
  auto other = Guard::open(testing::private_key_for(kAlg), KeySet(),
                           std::make_unique<testing::StatusStore>(*memory_, lists_),
                           status_options(), clock_);
  ASSERT_OK(other);
  ASSERT_OK((*other)->revoke_session(pair->access.sid));
  auto kept = guard_->status_list_token(1);  // within publish_interval of the last read
  ASSERT_OK(kept);
  EXPECT_EQ(guard_->stats().status_list_builds, 1u);
  clock_.advance(seconds(5));
  // This Guard never read the feed (no sync()): the store told.
  EXPECT_EQ(statuses({pair->access.token, pair->refresh.token}), (std::vector<int>{1, 1}));
  EXPECT_EQ(guard_->stats().status_list_builds, 2u);
}

TEST_F(GuardStatusTest, StoreFailuresServeTheKeptBuild) {
  ASSERT_OK(guard_->login("alice"));
  lists_->fail_find = true;
  EXPECT_ERRC(guard_->status_list_token(1), Errc::kStore);
  lists_->fail_find = false;
  auto kept = guard_->status_list_token(1);
  ASSERT_OK(kept);
  lists_->fail_find = true;
  clock_.advance(seconds(1800));  // due for a rebuild
  auto served = guard_->status_list_token(1);
  ASSERT_OK(served);
  EXPECT_EQ(served->get(), kept->get());
}

TEST_F(GuardStatusTest, UnknownListsAreNotFound) {
  EXPECT_ERRC(guard_->status_list_token(1), Errc::kNotFound);
  ASSERT_OK(guard_->login("alice"));
  EXPECT_ERRC(guard_->status_list_token(2), Errc::kNotFound);
  EXPECT_ERRC(guard_->status_list_token(0), Errc::kNotFound);
}

// A revocation re-signs only the list it changed: the others are read
// again after publish_interval (cheap: their non-zero statuses) but not
// encoded nor signed, whatever their size.
TEST_F(GuardStatusTest, OnlyTheListThatChangedIsSignedAgain) {
  GuardOptions options = status_options();
  options.status_list.list_size = 2;  // one login per list
  open(options);
  auto first = guard_->login("alice");
  auto second = guard_->login("bob");
  ASSERT_OK(first);
  ASSERT_OK(second);
  EXPECT_EQ(status_of(second->access.token).first, std::string(kBase) + "/statuslists/2");
  auto one = guard_->status_list_token(1);
  ASSERT_OK(guard_->status_list_token(2));
  ASSERT_OK(one);
  EXPECT_EQ(guard_->stats().status_list_builds, 2u);
  ASSERT_OK(guard_->revoke_session(second->access.sid));
  clock_.advance(seconds(2));
  auto again = guard_->status_list_token(1);
  ASSERT_OK(again);
  EXPECT_EQ(again->get(), one->get());
  EXPECT_EQ(guard_->stats().status_list_builds, 2u);
  ASSERT_OK(guard_->status_list_token(2));
  EXPECT_EQ(guard_->stats().status_list_builds, 3u);
}

// Ids nobody opened cost a bounded number of store reads however many are
// asked for; a list found later (opened by another instance, or from
// before a restart) is served once the next interval begins.
TEST_F(GuardStatusTest, MadeUpIdsCostABoundedNumberOfStoreReads) {
  ASSERT_OK(guard_->login("alice"));
  const int before = lists_->finds.load();
  for (std::uint64_t id = 100; id < 400; ++id) {
    EXPECT_ERRC(guard_->status_list_token(id), Errc::kNotFound);
  }
  const int probes = lists_->finds.load() - before;
  EXPECT_LE(probes, 16);
  EXPECT_GE(probes, 1);
  // A Guard that never allocated (a restarted instance) finds the lists
  // that exist, made-up ids asked of it before or not.
  auto other = Guard::open(testing::private_key_for(kAlg), KeySet(),
                           std::make_unique<testing::StatusStore>(*memory_, lists_),
                           status_options(), clock_);
  ASSERT_OK(other);
  ASSERT_OK((*other)->status_list_token(1));
  // A known id that went missing (retired) is read once per interval.
  ASSERT_OK(guard_->status_list_token(1));
  {
    std::lock_guard lock(lists_->mu);
    lists_->lists.erase(1);
  }
  clock_.advance(seconds(2));
  const int at_retirement = lists_->finds.load();
  for (int i = 0; i < 50; ++i) EXPECT_ERRC(guard_->status_list_token(1), Errc::kNotFound);
  EXPECT_EQ(lists_->finds.load() - at_retirement, 1);
}

TEST_F(GuardStatusTest, ConcurrentCallersShareOneBuild) {
  ASSERT_OK(guard_->login("alice"));
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] { ok += guard_->status_list_token(1).has_value() ? 1 : 0; });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(guard_->stats().status_list_builds, 1u);
  EXPECT_EQ(lists_->finds.load(), 1);
}

// --- open() ---

TEST(GuardStatusOptionsTest, OpenRefusesWhatAVerifierCouldNotUse) {
  testing::FakeClock clock;
  auto refused = [&](const Key& key, GuardOptions options, std::string_view detail) {
    auto guard = Guard::open(key, KeySet(), open_memory_store(), std::move(options), clock);
    ASSERT_FALSE(guard.has_value()) << detail;
    EXPECT_EQ(guard.error().code(), Errc::kInvalidArgument);
    EXPECT_NE(guard.error().detail().find(detail), std::string::npos) << guard.error().detail();
  };
  const Key& key = testing::private_key_for(kAlg);
  refused(testing::private_key_for(Algorithm::kHS256), status_options(), "asymmetric");
  auto with = [](auto change) {
    GuardOptions options = status_options();
    change(options.status_list);
    return options;
  };
  refused(key, with([](auto& s) { s.base_url = "http://auth.example.com"; }), "base_url");
  refused(key, with([](auto& s) { s.base_url = "https://auth.example.com/"; }), "'/'");
  refused(key, with([](auto& s) { s.base_url = "https://auth.example.com?x=1"; }), "query");
  refused(key, with([](auto& s) { s.base_url = ""; }), "base_url");
  refused(key, with([](auto& s) { s.bits = 4; }), "bits");
  refused(key, with([](auto& s) { s.list_size = 0; }), "list_size");
  refused(key, with([](auto& s) { s.list_size = (1ULL << 31) + 1; }), "list_size");
  // Lists no verifier would inflate (over 16 MiB): refused, not published.
  refused(key, with([](auto& s) { s.list_size = (1ULL << 27) + 1; }), "over 16 MiB");
  refused(key, with([](auto& s) { s.bits = 2, s.list_size = (1ULL << 26) + 1; }), "over 16 MiB");
  refused(key, with([](auto& s) { s.ttl = seconds(0); }), "positive");
  refused(key, with([](auto& s) { s.token_lifetime = seconds(-1); }), "positive");
  refused(key, with([](auto& s) { s.publish_interval = milliseconds(0); }), "positive");
  // http to a loopback host is fine (a local test, a sidecar).
  auto local = Guard::open(key, KeySet(), open_memory_store(),
                           with([](auto& s) { s.base_url = "http://127.0.0.1:8080"; }), clock);
  EXPECT_OK(local);
  // Off: nothing is checked.
  GuardOptions off = status_options();
  off.status_list.enabled = false;
  off.status_list.bits = 7;
  EXPECT_OK(Guard::open(testing::private_key_for(Algorithm::kHS256), KeySet(), open_memory_store(),
                        off, clock));
}

}  // namespace
}  // namespace jwtguard
