// The revocation engine's figures (issue targets in brackets):
//
//  * index_lookup: the jti lookup alone at 10M              [<= 100 ns]
//  * index_check/N: one revocation check (jti, sid and user rules) against an
//    index of N revoked jtis, for a token that is not revoked (miss) and one
//    that is (hit)                                        [<= 100 ns at 10M]
//  * index bytes per entry at N                          [<= 32 B at 10M]
//  * index/check_while_revoking: checks from 1 and 2 threads while another
//    thread revokes 10,000 tokens a second               [scales to 2 threads]
//  * guard/require/HS256 beside floor/HS256: a whole HS256 check (verify,
//    claims, type, revocation, with 1M revoked) against the bare HMAC
//                                                        [<= 1.5x]
//  * sqlite/revoke: durable revocations per second, 1 and 32 callers
//                                                        [>= 10,000/s with 32]
//  * sqlite/open_1M: opening a Guard over a store of 1M revocations
//                                                        [<= 1 s]
//  * status_list/publish_1M: building and signing (ES256) the Status List
//    Token of a million one-bit entries, 1 % of them revoked, from the
//    store's record (status_list/publish_1M_from_store: the memory store's
//    find_status_list included, as Guard::status_list_token does it);
//    counters: the raw list's bytes, lst's characters, the token's bytes
//
//   build/release/bench/revocation_bench [--benchmark_filter=index]
//
// Databases go to $TMPDIR (or /tmp) and are removed at exit.
#include <benchmark/benchmark.h>
#include <openssl/rand.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "hmac_floor.h"
#include "jwtguard/guard.h"
#include "revocation/index.h"
#include "revocation/status_publisher.h"

namespace {

using namespace jwtguard;
using revocation::Fingerprint;

const SystemClock kClock;

std::string scratch_dir() {
  const char* tmp = std::getenv("TMPDIR");
  auto dir = std::filesystem::path(tmp != nullptr ? tmp : "/tmp") /
             ("jwtguard-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir.string();
}

struct ScratchCleanup {
  ~ScratchCleanup() { std::filesystem::remove_all(scratch_dir()); }
} cleanup;

Fingerprint random_fingerprint() {
  Fingerprint fp;
  RAND_bytes(reinterpret_cast<unsigned char*>(fp.word), sizeof fp.word);
  return fp;
}

// Resident memory of this process, from /proc.
std::size_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

// Memory on transparent huge pages (the index asks for them), from /proc.
std::size_t huge_page_bytes() {
  std::ifstream rollup("/proc/self/smaps_rollup");
  for (std::string line; std::getline(rollup, line);) {
    if (line.rfind("AnonHugePages:", 0) == 0) return std::stoul(line.substr(14)) * 1024;
  }
  return 0;
}

// Lookup keys, many more than the caches hold, so lookups go to memory as
// they would in a service checking many users' tokens.
constexpr std::size_t kProbes = 1 << 16;

struct IndexFixture {
  revocation::Index index;
  std::vector<std::string> hits;    // revoked jtis
  std::vector<std::string> misses;  // jtis never revoked
  std::size_t rss_growth = 0;
};

// One index per size, built once.
IndexFixture& index_fixture(std::size_t n) {
  static std::map<std::size_t, std::unique_ptr<IndexFixture>> cache;
  auto& slot = cache[n];
  if (slot) return *slot;
  slot = std::make_unique<IndexFixture>();
  IndexFixture& f = *slot;
  const std::uint32_t expires = revocation::expiry_seconds(kClock.now()) + 3600;
  const std::size_t before = rss_bytes();
  f.index.mutable_tokens().reserve(n);
  for (std::size_t i = 0; i + kProbes < n; ++i) {
    f.index.mutable_tokens().insert(random_fingerprint(), expires);
  }
  for (std::size_t i = 0; i < kProbes; ++i) {
    f.misses.push_back(random_id().value());
    if (n < kProbes) continue;
    f.hits.push_back(random_id().value());
    f.index.mutable_tokens().insert(f.hits.back(), kClock.now() + std::chrono::hours(1));
  }
  f.rss_growth = rss_bytes() - before;
  return f;
}

void index_check(benchmark::State& state, bool hit) {
  const auto n = static_cast<std::size_t>(state.range(0));
  IndexFixture& f = index_fixture(n);
  if (hit && f.hits.empty()) {
    state.SkipWithError("no revoked entries to hit");
    return;
  }
  const std::vector<std::string>& probes = hit ? f.hits : f.misses;
  const std::string sid = random_id().value();
  const Timestamp iat = kClock.now();
  std::size_t i = 0, revoked = 0;
  for (auto _ : state) {
    revoked += !f.index.revoked_by(probes[i], sid, "user-1234567", iat).empty();
    i = (i + 1) & (kProbes - 1);
  }
  if (revoked != (hit ? static_cast<std::size_t>(state.iterations()) : 0)) {
    state.SkipWithError("wrong answers");
  }
  const std::size_t entries = f.index.tokens().size();
  state.counters["entries"] = static_cast<double>(entries);
  if (entries > 0) {
    state.counters["table_B_per_entry"] =
        static_cast<double>(f.index.tokens().bytes()) / static_cast<double>(entries);
    state.counters["rss_B_per_entry"] =
        static_cast<double>(f.rss_growth) / static_cast<double>(entries);
    state.counters["huge_MiB"] = static_cast<double>(huge_page_bytes() >> 20);
  }
}

// The jti lookup alone (fingerprint, shard lock, hash-table probe).
void index_lookup(benchmark::State& state, bool hit) {
  IndexFixture& f = index_fixture(static_cast<std::size_t>(state.range(0)));
  const std::vector<std::string>& probes = hit ? f.hits : f.misses;
  const revocation::IdSet& tokens = f.index.tokens();
  std::size_t i = 0, found = 0;
  for (auto _ : state) {
    found += tokens.contains(probes[i]);
    i = (i + 1) & (kProbes - 1);
  }
  if (found != (hit ? static_cast<std::size_t>(state.iterations()) : 0)) {
    state.SkipWithError("wrong answers");
  }
}

// A revoker thread for the concurrency benchmark: 10,000 revocations a
// second into the 1M index, until told to stop.
std::atomic<bool> revoker_running{false};
std::atomic<std::size_t> revoked_meanwhile{0};
std::thread revoker;

void index_check_while_revoking(benchmark::State& state) {
  IndexFixture& f = index_fixture(1'000'000);
  if (state.thread_index() == 0) {
    revoker_running = true;
    revoker = std::thread([&f] {
      const std::uint32_t expires = revocation::expiry_seconds(kClock.now()) + 3600;
      auto next = std::chrono::steady_clock::now();
      while (revoker_running.load()) {
        for (int i = 0; i < 100; ++i)
          f.index.mutable_tokens().insert(random_fingerprint(), expires);
        revoked_meanwhile += 100;
        next += std::chrono::milliseconds(10);
        std::this_thread::sleep_until(next);
      }
    });
  }
  const std::string sid = random_id().value();
  const Timestamp iat = kClock.now();
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 7919;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        f.index.revoked_by(f.misses[i & (kProbes - 1)], sid, "user-1234567", iat));
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    revoker_running = false;
    revoker.join();
  }
}

// --- The whole check through a Guard, against the HMAC floor -------------------

const std::string kSecret = "0123456789abcdef0123456789abcdef";

std::unique_ptr<Guard> memory_guard() {
  GuardOptions options;
  options.background = false;
  auto guard = Guard::open(*Key::from_secret(kSecret), KeySet(), open_memory_store(),
                           std::move(options), kClock);
  return std::move(*guard);
}

void guard_require(benchmark::State& state) {
  static std::unique_ptr<Guard> guard = [] {
    auto g = memory_guard();
    // 1M revoked tokens of other users in the index, applied as the feed would.
    for (int i = 0; i < 1'000'000; ++i) {
      if (!g->revoke_jti(random_id().value())) std::abort();
    }
    return g;
  }();
  const std::string token = guard->login("user-1234567")->access.token;
  for (auto _ : state) {
    auto verified = guard->require(token);
    if (!verified) state.SkipWithError(verified.error().message().c_str());
    benchmark::DoNotOptimize(verified);
  }
  state.counters["revoked"] = static_cast<double>(guard->stats().revoked_tokens);
}

void hmac_floor(benchmark::State& state) {
  auto guard = memory_guard();
  const std::string token = guard->login("user-1234567")->access.token;
  const std::string signing_input = token.substr(0, token.rfind('.'));
  HmacFloor floor("SHA256", kSecret);
  unsigned char out[EVP_MAX_MD_SIZE];
  for (auto _ : state) {
    floor.mac(signing_input, out);
    benchmark::DoNotOptimize(out);
  }
}

// --- SQLite --------------------------------------------------------------------

void sqlite_revoke(benchmark::State& state) {
  static std::unique_ptr<Guard> guard;
  if (state.thread_index() == 0) {
    const std::string path = scratch_dir() + "/revoke-" + std::to_string(state.threads()) + ".db";
    std::filesystem::remove(path);
    GuardOptions options;
    options.background = false;
    guard = std::move(*Guard::open(*Key::from_secret(kSecret), KeySet(),
                                   std::move(*open_sqlite_store(path)), options, kClock));
  }
  // Google Benchmark starts the timed loops of all threads together, after
  // thread 0's setup above.
  for (auto _ : state) {
    if (auto ok = guard->revoke_jti(random_id().value()); !ok) {
      state.SkipWithError(ok.error().message().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) guard.reset();
}

// A database of n revocations, written directly in one transaction (through
// the store it would take minutes of fsyncs).
std::string database_with(std::size_t n) {
  const std::string path = scratch_dir() + "/open-" + std::to_string(n) + ".db";
  if (std::filesystem::exists(path)) return path;
  { auto created = open_sqlite_store(path); }  // schema
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
  sqlite3_stmt* insert = nullptr;
  sqlite3_prepare_v2(db,
                     "INSERT INTO revocations (kind, key, expires_at, revoked_at, token_type,"
                     " subject) VALUES (0, ?1, ?2, ?3, 'access', 'someone')",
                     -1, &insert, nullptr);
  const auto now = kClock.now().time_since_epoch().count();
  for (std::size_t i = 0; i < n; ++i) {
    const std::string jti = random_id().value();
    sqlite3_bind_text(insert, 1, jti.data(), static_cast<int>(jti.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int64(insert, 2, now + 3'600'000'000);
    sqlite3_bind_int64(insert, 3, now);
    sqlite3_step(insert);
    sqlite3_reset(insert);
  }
  sqlite3_finalize(insert);
  sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  return path;
}

void sqlite_open(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::string path = database_with(n);
  std::size_t loaded = 0;
  for (auto _ : state) {
    GuardOptions options;
    options.background = false;
    auto store = open_sqlite_store(path);
    auto guard =
        Guard::open(*Key::from_secret(kSecret), KeySet(), std::move(*store), options, kClock);
    if (!guard) {
      state.SkipWithError(guard.error().message().c_str());
      break;
    }
    loaded = (*guard)->stats().revoked_tokens;
  }
  state.counters["loaded"] = static_cast<double>(loaded);
}

// --- Status lists -------------------------------------------------------------

constexpr std::uint64_t kStatusEntries = 1'000'000;
constexpr std::uint64_t kStatusRevoked = kStatusEntries / 100;

jwtguard::StatusListOptions status_options() {
  jwtguard::StatusListOptions options;
  options.enabled = true;
  options.base_url = "https://auth.example.com";
  options.list_size = kStatusEntries;
  return options;
}

// A million-entry list with 1 % of its statuses set at random places.
jwtguard::StatusListState million_entry_state() {
  jwtguard::StatusListState state;
  state.id = 1;
  state.bits = 1;
  state.size = kStatusEntries;
  state.allocated = kStatusEntries;
  std::vector<bool> set(kStatusEntries);
  std::uint64_t placed = 0;
  while (placed < kStatusRevoked) {
    std::uint32_t r = 0;
    RAND_bytes(reinterpret_cast<unsigned char*>(&r), sizeof r);
    const std::uint64_t index = r % kStatusEntries;
    if (!set[index]) set[index] = true, ++placed;
  }
  for (std::uint64_t i = 0; i < kStatusEntries; ++i) {
    if (set[i]) state.statuses.emplace_back(i, 1);
  }
  return state;
}

void report_sizes(benchmark::State& bench, const jwtguard::PublishedStatusList& published) {
  const auto claim = nlohmann::json::parse(published.json);
  bench.counters["list_bytes"] = static_cast<double>(kStatusEntries / 8);
  bench.counters["lst_chars"] = static_cast<double>(claim["lst"].get<std::string>().size());
  bench.counters["token_bytes"] = static_cast<double>(published.jwt.size());
}

void status_list_publish(benchmark::State& bench) {
  using namespace jwtguard;
  const Key key = *Key::generate(Algorithm::kES256, "status-1");
  const StatusListOptions options = status_options();
  const StatusListState state = million_entry_state();
  SystemClock clock;
  Result<PublishedStatusList> published = fail(Errc::kInvalidArgument, "not built");
  for (auto _ : bench) {
    published = revocation::build_status_list(state, options, key, Algorithm::kES256, clock.now());
    if (!published) return bench.SkipWithError(published.error().message().c_str());
  }
  report_sizes(bench, *published);
}

// The Guard's path: the store's record read, then built and signed. The
// memory store holds the million entries (allocated 64 at a time, as
// logins would have, and 1 % revoked by jti, at random places) before the timing starts.
void status_list_publish_from_store(benchmark::State& bench) {
  using namespace jwtguard;
  const Key key = *Key::generate(Algorithm::kES256, "status-1");
  const StatusListOptions options = status_options();
  auto store = open_memory_store();
  SystemClock clock;
  const Timestamp now = clock.now();
  std::vector<StatusEntry> batch;
  for (std::uint64_t i = 0; i < kStatusEntries; ++i) {
    batch.push_back({.jti = "jti-" + std::to_string(i),
                     .session = "sid-" + std::to_string(i / 2),
                     .user = "user-" + std::to_string(i % 1000),
                     .issued_at = now,
                     .expires_at = now + std::chrono::hours(1)});
    if (batch.size() == 64 || i + 1 == kStatusEntries) {
      if (auto refs = store->allocate_status(batch, {.bits = 1, .size = kStatusEntries}); !refs) {
        return bench.SkipWithError(refs.error().message().c_str());
      }
      batch.clear();
    }
  }
  // The same random 1 % as status_list/publish_1M: index i holds jti-i.
  for (const auto& [index, status] : million_entry_state().statuses) {
    Revocation revocation{.kind = RevocationKind::kToken, .key = "jti-" + std::to_string(index)};
    revocation.expires_at = now + std::chrono::hours(1);
    revocation.revoked_at = now;
    if (auto done = store->revoke(revocation); !done) {
      return bench.SkipWithError(done.error().message().c_str());
    }
  }
  Result<PublishedStatusList> published = fail(Errc::kInvalidArgument, "not built");
  for (auto _ : bench) {
    auto state = store->find_status_list(1);
    if (!state || !*state) return bench.SkipWithError("no list 1");
    published = revocation::build_status_list(**state, options, key, Algorithm::kES256, now);
    if (!published) return bench.SkipWithError(published.error().message().c_str());
  }
  report_sizes(bench, *published);
}

}  // namespace

BENCHMARK_CAPTURE(index_check, miss, false)->Arg(0)->Arg(1'000'000)->Arg(10'000'000);
BENCHMARK_CAPTURE(index_check, hit, true)->Arg(1'000'000)->Arg(10'000'000);
BENCHMARK_CAPTURE(index_lookup, miss, false)->Arg(10'000'000);
BENCHMARK_CAPTURE(index_lookup, hit, true)->Arg(10'000'000);
BENCHMARK(index_check_while_revoking)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(guard_require)->Name("guard/require/HS256");
BENCHMARK(hmac_floor)->Name("floor/HS256");
BENCHMARK(sqlite_revoke)->Name("sqlite/revoke")->Threads(1)->Threads(32)->UseRealTime()->MinTime(2);
BENCHMARK(sqlite_open)
    ->Name("sqlite/open")
    ->Arg(1'000'000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3)
    ->UseRealTime();

BENCHMARK(status_list_publish)->Name("status_list/publish_1M")->Unit(benchmark::kMillisecond);
BENCHMARK(status_list_publish_from_store)
    ->Name("status_list/publish_1M_from_store")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
