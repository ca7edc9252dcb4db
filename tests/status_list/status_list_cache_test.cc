// StatusListVerifier's cache and bounds: one fetch per ttl (clamped, never
// past exp), failures remembered for min_cache, concurrent callers sharing
// one fetch, lists too large to hold refused, and the cache's own bounds
// (256 lists, 64 MiB of decoded lists; least recently used out first).
#include <gtest/gtest.h>

#include <random>
#include <thread>
#include <vector>

#include "status_list/verifier_fixture.h"

namespace jwtguard::testing {
namespace {

using std::chrono::seconds;

TEST_F(StatusVerifierTest, FetchesOncePerTtl) {
  serve_list(/*ttl=*/60);
  auto v = verifier();
  EXPECT_EQ(*v->status(token_at(7)), TokenStatus::kValid);
  ASSERT_OK(list_.set(7, TokenStatus::kInvalid));
  serve_list(60);
  clock_.advance(seconds(59));
  EXPECT_EQ(*v->status(token_at(7)), TokenStatus::kValid);  // still the cached list
  EXPECT_EQ(fetches(), 1);
  clock_.advance(seconds(1));
  EXPECT_EQ(*v->status(token_at(7)), TokenStatus::kInvalid);
  EXPECT_EQ(fetches(), 2);
}

TEST_F(StatusVerifierTest, ClampsTheTtlToTheConfiguredBounds) {
  StatusVerifierOptions o = options();
  o.min_cache = seconds(10);
  o.max_cache = seconds(100);
  serve_list(/*ttl=*/1);
  auto v = verifier(o);
  ASSERT_OK(v->status(token_at(0)));
  clock_.advance(seconds(9));
  ASSERT_OK(v->status(token_at(0)));
  EXPECT_EQ(fetches(), 1);
  clock_.advance(seconds(1));
  serve_list(/*ttl=*/100000);
  ASSERT_OK(v->status(token_at(0)));
  EXPECT_EQ(fetches(), 2);
  clock_.advance(seconds(99));
  ASSERT_OK(v->status(token_at(0)));
  EXPECT_EQ(fetches(), 2);
  clock_.advance(seconds(1));
  ASSERT_OK(v->status(token_at(0)));
  EXPECT_EQ(fetches(), 3);
}

TEST_F(StatusVerifierTest, UsesTheDefaultWithoutTtlAndNeverCachesPastExp) {
  StatusVerifierOptions o = options();
  o.default_cache = seconds(30);
  serve_edited([](auto&, auto& p) { p.erase("ttl"); });
  auto v = verifier(o);
  ASSERT_OK(v->status(token_at(0)));
  clock_.advance(seconds(29));
  ASSERT_OK(v->status(token_at(0)));
  EXPECT_EQ(fetches(), 1);
  clock_.advance(seconds(1));
  const std::int64_t exp = to_unix_seconds(clock_.now()) + 20;
  serve_edited([exp](auto&, auto& p) { p["exp"] = exp; });  // ttl 300, exp in 20 s
  ASSERT_OK(v->status(token_at(0)));
  EXPECT_EQ(fetches(), 2);
  clock_.advance(seconds(19));
  ASSERT_OK(v->status(token_at(0)));
  EXPECT_EQ(fetches(), 2);
  clock_.advance(seconds(1));
  serve_list();
  ASSERT_OK(v->status(token_at(0)));
  EXPECT_EQ(fetches(), 3);
}

TEST_F(StatusVerifierTest, RemembersAFailedFetchForMinCache) {
  StatusVerifierOptions o = options();
  o.min_cache = seconds(10);
  server_.answer(kPath, Answer{.status = 500, .body = "{}"});
  auto v = verifier(o);
  for (int i = 0; i < 20; ++i) {
    auto status = v->status(token_at(0));
    EXPECT_ERRC(status, Errc::kStore);
    EXPECT_NE(status.error().detail().find("status 500"), std::string::npos);
  }
  EXPECT_EQ(fetches(), 1);
  serve_list();
  clock_.advance(seconds(9));
  EXPECT_ERRC(v->status(token_at(0)), Errc::kStore);
  clock_.advance(seconds(1));
  EXPECT_OK(v->status(token_at(0)));  // a failure is not kept as a success, nor forever
  EXPECT_EQ(fetches(), 2);
}

TEST_F(StatusVerifierTest, RemembersARefusedListForMinCache) {
  serve_edited([](auto& h, auto&) { h["typ"] = "JWT"; });
  auto v = verifier();
  for (int i = 0; i < 5; ++i) EXPECT_ERRC(v->status(token_at(0)), Errc::kBadHeader);
  EXPECT_EQ(fetches(), 1);
}

TEST_F(StatusVerifierTest, ConcurrentCallersShareOneFetch) {
  const std::string token = signed_token(issuer_, Algorithm::kES256, list_header(issuer_),
                                         list_payload(list_, uri_, clock_.now()));
  server_.answer(kPath, Answer{.body = token, .delay = std::chrono::milliseconds(300)});
  auto v = verifier();
  std::vector<std::thread> callers;
  std::atomic<int> valid{0};
  for (int i = 0; i < 8; ++i) {
    callers.emplace_back([&] {
      auto status = v->status(token_at(0));
      if (status && *status == TokenStatus::kValid) ++valid;
    });
  }
  for (std::thread& caller : callers) caller.join();
  EXPECT_EQ(valid.load(), 8);
  EXPECT_EQ(fetches(), 1);
}

// Serves `list` at /statuslists/many/<n> for each n in [0, count).
class ManyListsTest : public StatusVerifierTest {
 protected:
  static std::string path(int n) { return "/statuslists/many/" + std::to_string(n); }

  void serve_many(int count, const StatusList& list) {
    for (int n = 0; n < count; ++n) {
      const std::string uri = server_.url(path(n));
      server_.answer(path(n),
                     Answer{.body = signed_token(issuer_, Algorithm::kES256, list_header(issuer_),
                                                 list_payload(list, uri, clock_.now()))});
    }
  }

  // Asks `v` for list n's entry 0, then says how often list n was fetched.
  int ask(StatusListVerifier& v, int n) {
    EXPECT_OK(v.status(referencing(0, server_.url(path(n)))));
    return server_.requests(path(n));
  }
};

TEST_F(ManyListsTest, KeepsAtMost256ListsDroppingTheLeastRecentlyUsed) {
  serve_many(300, list_);
  auto v = verifier();
  for (int n = 0; n < 256; ++n) ASSERT_EQ(ask(*v, n), 1) << n;
  EXPECT_EQ(ask(*v, 0), 1);  // all 256 kept; list 0 is now the most recent
  for (int n = 256; n < 300; ++n) ASSERT_EQ(ask(*v, n), 1) << n;
  // The 44 lists past the bound pushed out lists 1 to 44: asked before all
  // others, and not since. Still cached lists are asked first: a refetch
  // pushes out another one.
  EXPECT_EQ(ask(*v, 0), 1);
  EXPECT_EQ(ask(*v, 45), 1);
  EXPECT_EQ(ask(*v, 299), 1);
  EXPECT_EQ(ask(*v, 44), 2);
  EXPECT_EQ(ask(*v, 1), 2);
}

TEST_F(ManyListsTest, KeepsAtMost64MebibytesOfDecodedLists) {
  const StatusList big = *StatusList::create(std::size_t{16} << 23, 1);  // 16 MiB of zeros
  serve_many(5, big);
  auto v = verifier();
  for (int n = 0; n < 4; ++n) ASSERT_EQ(ask(*v, n), 1) << n;
  EXPECT_EQ(ask(*v, 0), 1);  // 64 MiB kept; list 0 is now the most recent
  EXPECT_EQ(ask(*v, 4), 1);  // over 64 MiB: list 1 goes
  EXPECT_EQ(ask(*v, 0), 1);
  EXPECT_EQ(ask(*v, 2), 1);
  EXPECT_EQ(ask(*v, 4), 1);
  EXPECT_EQ(ask(*v, 1), 2);
}

TEST_F(ManyListsTest, AFetchInFlightOutlastsAFloodOfOtherLists) {
  server_.answer(kPath,
                 Answer{.body = signed_token(issuer_, Algorithm::kES256, list_header(issuer_),
                                             list_payload(list_, uri_, clock_.now())),
                        .delay = std::chrono::milliseconds(2000)});
  serve_many(300, list_);
  auto v = verifier();
  std::thread first([&] { EXPECT_OK(v->status(token_at(0))); });
  while (fetches() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  for (int n = 0; n < 300; ++n) ask(*v, n);
  // Still the one fetch in flight (or its list): the flood pushed out
  // lists, not the entry callers of kPath share.
  EXPECT_OK(v->status(token_at(0)));
  first.join();
  EXPECT_EQ(fetches(), 1);
}

TEST_F(StatusVerifierTest, RefusesAResponseOverTheSizeBound) {
  list_ = *StatusList::create(100000, 8);
  std::mt19937 random(16);  // incompressible statuses: the token is over 100 KiB
  for (std::size_t i = 0; i < list_.size(); ++i) {
    ASSERT_OK(list_.set(i, static_cast<std::uint8_t>(random())));
  }
  serve_list();
  StatusVerifierOptions o = options();
  o.max_response_bytes = 4096;
  auto refused = verifier(o)->status(token_at(0));
  EXPECT_ERRC(refused, Errc::kStore);
  EXPECT_NE(refused.error().detail().find("body larger than 4096 bytes"), std::string::npos);
  o.max_response_bytes = std::size_t{1} << 20;
  EXPECT_OK(verifier(o)->status(token_at(0)));
}

TEST_F(StatusVerifierTest, RefusesADeflateBombOverTheInflatedBound) {
  list_ = *StatusList::create(std::size_t{64} << 23, 1);  // 64 MiB of zeros
  serve_list();
  StatusVerifierOptions o = options();
  o.limits.max_bytes = std::size_t{1} << 20;
  auto refused = verifier(o)->status(token_at(0));
  EXPECT_ERRC(refused, Errc::kBadClaim);
  EXPECT_NE(refused.error().detail().find("status list token"), std::string::npos);
}

}  // namespace
}  // namespace jwtguard::testing
