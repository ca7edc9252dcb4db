// The stores, measured: durable revocations per second through each
// backend, and how long a revocation made by one Guard takes to reach
// another Guard sharing the store (the propagation delay of the change
// feed). Redis and PostgreSQL are real servers this program starts on free
// loopback ports, with their data in a temporary directory (Redis with AOF
// and appendfsync always; PostgreSQL with fsync and synchronous_commit on),
// and stops when it ends.
//
//   build/release/bench/store_bench [--benchmark_filter=...]
//
// Propagation reports p50/p99/max in microseconds as counters, over every
// iteration of the run: from the moment A's revoke returned (durable) until
// B's index refuses the token. Both Guards live in this process, so the
// figure is the store and the feed, without HTTP (the three-instance
// integration test prints the same distribution end to end over HTTP).
//
// BM_Status* measure what status lists add, on memory and SQLite: the
// allocation a login makes (a batch of two: access and refresh token), and
// each revocation kind with 10,000 entries recorded (500 users with 10
// sessions of 2 tokens each: a user has 20) against the same revocation of
// a key no entry has; and find_status_list of a 100,000-entry list with 1%
// of its statuses set (what publishing the list reads).
#include <benchmark/benchmark.h>
#include <openssl/rand.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "jwtguard/guard.h"
#include "jwtguard/store.h"
#include "store_join.h"
#include "testing/fixtures.h"
#include "testing/store_servers.h"

namespace jwtguard {
namespace {

using std::chrono::milliseconds;

// The URL of each store measured, and one open Store for each that the
// threads of a benchmark share; filled in by main() before any benchmark.
std::map<std::string, std::string>& store_urls() {
  static std::map<std::string, std::string> urls;
  return urls;
}
std::map<std::string, std::unique_ptr<Store>>& shared_stores() {
  static std::map<std::string, std::unique_ptr<Store>> stores;
  return stores;
}

std::unique_ptr<Store> open_or_die(const std::string& url) {
  auto store = open_store(url);
  if (!store) {
    std::fprintf(stderr, "store_bench: %s: %s\n", url.c_str(), store.error().message().c_str());
    std::exit(1);
  }
  return std::move(*store);
}

std::string random_id() {
  unsigned char bytes[12];
  RAND_bytes(bytes, sizeof bytes);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

const SystemClock kClock;

// One revoke() per iteration, each a new jti, acknowledged only once
// durable. With several threads the store may share commits between them;
// 32 threads are the callers the targets in docs/performance.md count.
void BM_DurableRevoke(benchmark::State& state, const std::string& name) {
  Store& store = *shared_stores().at(name);
  const std::string prefix = random_id() + "-";
  std::int64_t i = 0;
  for (auto _ : state) {
    Revocation r;
    r.kind = RevocationKind::kToken;
    r.key = prefix + std::to_string(i++);
    r.revoked_at = kClock.now();
    r.expires_at = r.revoked_at + std::chrono::hours(1);
    r.token_type = TokenType::kAccess;
    r.user = "bench";
    if (auto seq = store.revoke(r); !seq) {
      state.SkipWithError(seq.error().message().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

// A revokes through its Guard; the time until B's Guard (its own Store
// object, its own follower) refuses the token.
void BM_Propagation(benchmark::State& state, const std::string& name) {
  const std::string& url = store_urls().at(name);
  const Key key = Key::from_secret(random_id() + random_id()).value();
  GuardOptions options;
  options.feed_wait = milliseconds(200);
  auto a = Guard::open(key, KeySet(), open_or_die(url), options, kClock);
  auto b = Guard::open(key, KeySet(), open_or_die(url), options, kClock);
  if (!a || !b) {
    state.SkipWithError("cannot open the Guards");
    return;
  }
  std::vector<double> micros;
  for (auto _ : state) {
    Claims claims;
    claims.jti = random_id();
    claims.sub = "bench";
    claims.exp = kClock.now() + std::chrono::hours(1);
    if (auto revoked = (*a)->revoke_jti(claims.jti); !revoked) {
      state.SkipWithError(revoked.error().message().c_str());
      break;
    }
    const auto acknowledged = std::chrono::steady_clock::now();
    const auto limit = acknowledged + std::chrono::seconds(10);
    // Yields between checks: a pure spin would take a core from the store
    // server and the follower on a small machine.
    while ((*b)->check_revocation(claims).has_value()) {
      std::this_thread::yield();
      if (std::chrono::steady_clock::now() > limit) {
        state.SkipWithError("a revocation did not propagate within 10 s");
        return;
      }
    }
    const auto elapsed = std::chrono::steady_clock::now() - acknowledged;
    micros.push_back(std::chrono::duration<double, std::micro>(elapsed).count());
    state.SetIterationTime(std::chrono::duration<double>(elapsed).count());
  }
  if (micros.empty()) return;
  std::sort(micros.begin(), micros.end());
  auto at = [&](double q) {
    return micros[std::min(micros.size() - 1, static_cast<std::size_t>(q * micros.size()))];
  };
  state.counters["p50_us"] = at(0.50);
  state.counters["p99_us"] = at(0.99);
  state.counters["max_us"] = micros.back();
}

// --- Status lists -----------------------------------------------------------

constexpr int kUsers = 500, kSessionsPerUser = 10;  // 2 entries a session

// Records users u0.. with their sessions' entries (one batch per user),
// from 8 threads so that SQLite commits them in groups.
void populate(Store& store, const std::string& prefix, int users) {
  const Timestamp now = kClock.now();
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int u = t; u < users; u += 8) {
        std::vector<StatusEntry> entries;
        const std::string user = prefix + "u" + std::to_string(u);
        for (int s = 0; s < kSessionsPerUser; ++s) {
          const std::string sid = user + "s" + std::to_string(s);
          for (const char* kind : {"a", "r"}) {
            entries.push_back(StatusEntry{.jti = sid + kind,
                                          .session = sid,
                                          .user = user,
                                          .issued_at = now - std::chrono::seconds(1),
                                          .expires_at = now + std::chrono::hours(1)});
          }
        }
        if (!store.allocate_status(entries, StatusListSpec{})) std::exit(1);
      }
    });
  }
  for (auto& t : threads) t.join();
}

std::map<std::string, std::unique_ptr<Store>>& status_stores() {
  static std::map<std::string, std::unique_ptr<Store>> stores;
  return stores;
}

// One allocate_status of two entries (a login's access and refresh token).
void BM_StatusAllocate(benchmark::State& state, const std::string& name) {
  Store& store = *status_stores().at(name);
  const std::string prefix = random_id() + "-";
  std::int64_t i = 0;
  for (auto _ : state) {
    const std::string sid = prefix + std::to_string(i++);
    const Timestamp now = kClock.now();
    std::vector<StatusEntry> entries;
    for (const char* kind : {"a", "r"}) {
      entries.push_back(StatusEntry{.jti = sid + kind,
                                    .session = sid,
                                    .user = "bench",
                                    .issued_at = now,
                                    .expires_at = now + std::chrono::hours(1)});
    }
    if (auto refs = store.allocate_status(entries, StatusListSpec{}); !refs) {
      state.SkipWithError(refs.error().message().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

enum class StatusRevoke { kToken, kTokenWithoutEntry, kSession, kUser };

// One revocation per iteration of a key not revoked before among the
// populated entries (prefix "p-"), each setting entries no other has set:
// 1 (token: session 0's access token of users 0..249), 2 (session: session
// 1 of users 0..249) or 20 (user: users 250..499).
void BM_StatusRevoke(benchmark::State& state, const std::string& name, StatusRevoke what) {
  Store& store = *status_stores().at(name);
  std::int64_t i = 0;
  for (auto _ : state) {
    const std::int64_t n = i++;
    const std::int64_t u = what == StatusRevoke::kUser ? kUsers / 2 + n : n;
    const std::string user = "p-u" + std::to_string(u);
    const std::string sid = user + (what == StatusRevoke::kSession ? "s1" : "s0");
    Revocation r;
    r.revoked_at = kClock.now();
    r.expires_at = r.revoked_at + std::chrono::hours(1);
    r.user = user;
    Result<std::uint64_t> seq;
    switch (what) {
      case StatusRevoke::kToken:
        r.key = sid + "a";
        seq = store.revoke(r);
        break;
      case StatusRevoke::kTokenWithoutEntry:
        r.key = "none-" + std::to_string(n);
        seq = store.revoke(r);
        break;
      case StatusRevoke::kSession:
        r.kind = RevocationKind::kSession;
        r.key = sid;
        seq = store.revoke_session(r);
        break;
      case StatusRevoke::kUser:
        r.kind = RevocationKind::kUser;
        r.key = user;
        r.cutoff = r.revoked_at;
        seq = store.revoke(r);
        break;
    }
    if (!seq) {
      state.SkipWithError(seq.error().message().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

// find_status_list of list 1 in a store holding 100,000 entries (5,000
// users), 1,000 of them revoked one by one.
void BM_StatusFind(benchmark::State& state, const std::string& name) {
  Store& store = *status_stores().at(name + "-find");
  std::size_t set = 0;
  for (auto _ : state) {
    auto list = store.find_status_list(1);
    if (!list || !list->has_value()) {
      state.SkipWithError("no list 1");
      break;
    }
    set = (*list)->statuses.size();
    benchmark::DoNotOptimize(set);
  }
  state.counters["set"] = static_cast<double>(set);
}

void register_status_benchmarks(const std::filesystem::path& dir) {
  for (const std::string name : {"memory", "sqlite"}) {
    const auto url = [&](const char* file) {
      return name == "memory" ? std::string("memory:") : "sqlite:" + (dir / file).string();
    };
    status_stores()[name] = open_or_die(url("status.db"));
    populate(*status_stores()[name], "p-", kUsers);
    Store& find = *(status_stores()[name + "-find"] = open_or_die(url("status_find.db")));
    populate(find, "f-", 10 * kUsers);
    for (int u = 0; u < 10 * kUsers; u += 5) {  // one token in a hundred
      Revocation r;
      r.key = "f-u" + std::to_string(u) + "s0a";
      r.revoked_at = kClock.now();
      r.expires_at = r.revoked_at + std::chrono::hours(1);
      if (!find.revoke(r)) std::exit(1);
    }
    benchmark::RegisterBenchmark(("BM_StatusAllocate/" + name).c_str(), BM_StatusAllocate, name)
        ->UseRealTime();
    for (const auto& [label, what] :
         {std::pair{"token", StatusRevoke::kToken},
          std::pair{"token_without_entry", StatusRevoke::kTokenWithoutEntry},
          std::pair{"session", StatusRevoke::kSession}, std::pair{"user", StatusRevoke::kUser}}) {
      benchmark::RegisterBenchmark(("BM_StatusRevoke/" + std::string(label) + "/" + name).c_str(),
                                   BM_StatusRevoke, name, what)
          ->Iterations(kUsers / 2)
          ->UseRealTime();
    }
    benchmark::RegisterBenchmark(("BM_StatusFind/" + name).c_str(), BM_StatusFind, name)
        ->Unit(benchmark::kMicrosecond);
  }
}

// The console's output, then the durable revocations per second of each
// store and thread count in one table (items_per_second of
// BM_DurableRevoke; the mean when repeated), so that the figures
// docs/performance.md compares are found at a glance.
class RevocationRateReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      const std::string& name = run.run_name.function_name;
      const std::string prefix = "BM_DurableRevoke/";
      if (!name.starts_with(prefix) || run.error_occurred) continue;
      const bool mean = run.run_type == Run::RT_Aggregate && run.aggregate_name == "mean";
      if (run.run_type == Run::RT_Aggregate && !mean) continue;
      const auto rate = run.counters.find("items_per_second");
      if (rate == run.counters.end()) continue;
      rates_[name.substr(prefix.size())][run.threads] = rate->second.value;
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    if (rates_.empty()) return;
    // The console reporter's stream, so that the table follows its lines.
    std::ostream& out = GetOutputStream();
    char line[128];
    out << "\nDurable revocations per second (Store::revoke, acknowledged once durable)\n";
    std::snprintf(line, sizeof line, "%-12s %12s %12s %12s\n", "store", "1 thread", "8 threads",
                  "32 threads");
    out << line;
    for (const auto& [store, by_threads] : rates_) {
      std::snprintf(line, sizeof line, "%-12s", store.c_str());
      out << line;
      for (const std::int64_t threads : {1, 8, 32}) {
        const auto it = by_threads.find(threads);
        if (it == by_threads.end()) {
          std::snprintf(line, sizeof line, " %12s", "-");
        } else {
          std::snprintf(line, sizeof line, " %12.0f", it->second);
        }
        out << line;
      }
      out << "\n";
    }
    out.flush();
  }

 private:
  std::map<std::string, std::map<std::int64_t, double>> rates_;  // store -> threads -> rate
};

}  // namespace
}  // namespace jwtguard

int main(int argc, char** argv) {
  using namespace jwtguard;
  if (const int rc = bench::run_join_if_asked(argc, argv); rc >= 0) return rc;
  benchmark::Initialize(&argc, argv);
  jwtguard::testing::ScratchDir dir;
  store_urls()["sqlite"] = "sqlite:" + (dir.path() / "bench.db").string();
  std::vector<std::unique_ptr<jwtguard::testing::StoreServer>> servers;
  for (const char* kind : {"redis", "postgresql"}) {
    auto server = jwtguard::testing::start_store_server(kind, dir.path());
    if (!server) {
      std::fprintf(stderr, "store_bench: %s\n", server.error().c_str());
      return 1;
    }
    store_urls()[kind] = (*server)->url();
    servers.push_back(std::move(*server));
  }
  register_status_benchmarks(dir.path());
  for (const auto& [name, url] : store_urls()) {
    shared_stores()[name] = open_or_die(url);
    benchmark::RegisterBenchmark(("BM_DurableRevoke/" + name).c_str(), BM_DurableRevoke, name)
        ->Threads(1)
        ->Threads(8)
        ->Threads(32)
        ->UseRealTime();
    benchmark::RegisterBenchmark(("BM_Propagation/" + name).c_str(), BM_Propagation, name)
        ->UseManualTime()
        ->Iterations(1000)
        ->Unit(benchmark::kMicrosecond);
  }
  RevocationRateReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
