// Joining a cluster at scale: a store already holds many live revocations
// and sessions, and a new instance opens it and loads its revocation index
// (Guard::open, as `jwtguard serve` does at start) before it can serve.
//
//   build/release/bench/store_bench --join [--join-revocations=1000000]
//       [--join-sessions=1000000] [--join-stores=sqlite,redis,postgresql]
//       [--join-callers=32] [--join-repeat=3] [--join-dir=DIR] [--join-fill=sql]
//
// Each store is filled through the Store interface (create_session,
// revoke_session, revoke) by many concurrent callers: 80 % of the
// revocations are tokens, 15 % sessions (of recorded sessions) and 5 % user
// cutoffs ("log out everywhere"), all live for a week. Then a fresh process
// (this program again, with --join-load=URL) opens the store and the Guard,
// and reports how long each took and its resident memory before and after:
// in a process of its own, the figures hold nothing of the filling. With
// --join-dir the servers' data and the SQLite file stay in DIR, and a store
// already filled to the same counts there is not filled again. With
// --join-fill=sql, PostgreSQL is filled by SQL statements instead
// (store_join_pg.cc says why); the other stores through the interface.
// --join-compare=PROGRAM alternates each load with the same load by another
// build of store_bench (a before/after pair measured in one run).
#include "store_join.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "jwtguard/guard.h"
#include "jwtguard/store.h"
#include "testing/fixtures.h"
#include "testing/postgres_server.h"
#include "testing/redis_server.h"

namespace jwtguard::bench {
namespace {

using Seconds = std::chrono::duration<double>;
using Steady = std::chrono::steady_clock;

struct JoinOptions {
  std::uint64_t revocations = 1'000'000;
  std::uint64_t sessions = 1'000'000;
  std::vector<std::string> stores = {"sqlite", "redis", "postgresql"};
  unsigned callers = 32;
  int repeat = 3;
  std::string dir;  // empty: a scratch directory, removed at the end
  bool sql_fill = false;
  std::string compare;  // another store_bench whose loads alternate with ours
};

std::optional<std::string_view> flag(std::string_view arg, std::string_view name) {
  if (arg.substr(0, name.size()) != name || arg.size() <= name.size() || arg[name.size()] != '=') {
    return std::nullopt;
  }
  return arg.substr(name.size() + 1);
}

std::vector<std::string> split(std::string_view list) {
  std::vector<std::string> out;
  std::stringstream in{std::string(list)};
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

// --- What the store is filled with ------------------------------------------

// A 22-character base64url id of 128 bits, like jwtguard's own jti and sid,
// the same for the same (i, salt): a session revocation names a recorded
// session's sid without keeping a list of them.
std::string id_of(std::uint64_t i, std::uint64_t salt) {
  auto mix = [](std::uint64_t x) {  // splitmix64
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
  };
  const std::uint64_t words[2] = {mix(i * 2 + salt * 0x100000000ULL),
                                  mix(i * 2 + 1 + salt * 0x100000000ULL)};
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve(22);
  unsigned bits = 0, value = 0;
  for (int b = 0; b < 16; ++b) {
    value = (value << 8) | static_cast<unsigned>((words[b / 8] >> (8 * (b % 8))) & 0xff);
    bits += 8;
    while (bits >= 6) out += kAlphabet[(value >> (bits -= 6)) & 63];
  }
  out += kAlphabet[(value << (6 - bits)) & 63];
  return out;
}

constexpr std::uint64_t kSidSalt = 1, kRefreshSalt = 2, kJtiSalt = 3;
constexpr std::uint64_t kUsers = 50'000;

std::string user_of(std::uint64_t i) { return "join-user-" + std::to_string(i % kUsers); }

Result<void> create_session(Store& store, std::uint64_t i, Timestamp now) {
  Session s;
  s.sid = id_of(i, kSidSalt);
  s.user = user_of(i);
  s.created_at = s.refreshed_at = now;
  s.expires_at = now + std::chrono::hours(24 * 7);
  s.client_address = "127.0.0.1";
  s.user_agent = "store_bench";
  s.refresh_jti = id_of(i, kRefreshSalt);
  auto created = store.create_session(s);
  // A retry of a create that did happen.
  if (!created && created.error().code() == Errc::kAlreadyExists) return {};
  return created;
}

// Revocation i of the mix: every 20th a user cutoff, 3 in 20 a session,
// the rest tokens.
Result<void> revoke(Store& store, std::uint64_t i, std::uint64_t sessions, Timestamp now) {
  Revocation r;
  r.revoked_at = now;
  r.expires_at = now + std::chrono::hours(24 * 7);
  r.revoked_by = "store_bench";
  const std::uint64_t slot = i % 20;
  if (slot == 0) {
    r.kind = RevocationKind::kUser;
    r.key = r.user = "join-user-" + std::to_string(i / 20);
    r.cutoff = user_cutoff_after(now);
    return store.revoke(r).map([](std::uint64_t) {});
  }
  if (slot <= 3) {
    const std::uint64_t s = sessions > 0 ? i % sessions : i;
    r.kind = RevocationKind::kSession;
    r.key = id_of(s, kSidSalt);
    r.user = user_of(s);
    return store.revoke_session(r).map([](std::uint64_t) {});
  }
  r.kind = RevocationKind::kToken;
  r.key = id_of(i, kJtiSalt);
  r.token_type = TokenType::kAccess;
  r.user = user_of(i);
  r.session = id_of(i % std::max<std::uint64_t>(sessions, 1), kSidSalt);
  return store.revoke(r).map([](std::uint64_t) {});
}

// Runs work(i) for i in [0, n) from `callers` threads; prints the rate.
// Each item is tried twice (every write here is idempotent or reports
// kAlreadyExists); false after the first item that failed twice.
template <typename Work>
bool run_callers(const char* what, std::uint64_t n, unsigned callers, Work work) {
  std::atomic<std::uint64_t> next{0};
  std::atomic<bool> failed{false};
  const auto start = Steady::now();
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < callers; ++t) {
    threads.emplace_back([&] {
      for (std::uint64_t i; !failed && (i = next.fetch_add(1)) < n;) {
        auto done = work(i);
        if (!done) done = work(i);
        if (!done) {
          std::fprintf(stderr, "store_bench: %s %llu: %s\n", what,
                       static_cast<unsigned long long>(i), done.error().message().c_str());
          failed = true;
        } else if ((i + 1) % (n / 10 + 1) == 0) {
          std::fprintf(stderr, "  %s: %llu of %llu\n", what, static_cast<unsigned long long>(i + 1),
                       static_cast<unsigned long long>(n));
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const double took = Seconds(Steady::now() - start).count();
  std::printf("  fill %-12s %9llu in %7.1f s: %8.0f/s (%u callers)\n", what,
              static_cast<unsigned long long>(n), took, n / std::max(took, 1e-9), callers);
  std::fflush(stdout);
  return !failed;
}

bool fill(const std::string& url, const JoinOptions& o) {
  StoreOptions options;
  options.redis.connections = o.callers;
  options.postgres.connections = std::min(o.callers, 32u);
  auto store = open_store(url, options);
  if (!store) {
    std::fprintf(stderr, "store_bench: %s\n", store.error().message().c_str());
    return false;
  }
  const SystemClock clock;
  const Timestamp now = clock.now();
  if (o.sql_fill && url.starts_with("postgres")) {
    store->reset();  // its schema is made: the rows go in by SQL
    return fill_postgres_with_sql(url, o.revocations, o.sessions, now);
  }
  return run_callers("sessions", o.sessions, o.callers,
                     [&](std::uint64_t i) { return create_session(**store, i, now); }) &&
         run_callers("revocations", o.revocations, o.callers,
                     [&](std::uint64_t i) { return revoke(**store, i, o.sessions, now); });
}

// --- One load, in a process of its own ---------------------------------------

// VmRSS, VmHWM... of this process, in MiB.
double status_mib(std::string_view field) {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(field) && line.size() > field.size() && line[field.size()] == ':') {
      return std::strtod(line.c_str() + field.size() + 1, nullptr) / 1024.0;  // kB
    }
  }
  return 0;
}

// This process's CPU time so far (user and system, all its threads), in
// ms: steadier than the wall clock on a machine shared with other work.
double cpu_ms() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  auto ms = [](const timeval& t) { return t.tv_sec * 1e3 + t.tv_usec / 1e3; };
  return ms(usage.ru_utime) + ms(usage.ru_stime);
}

int load_once(const std::string& url) {
  const double rss_before = status_mib("VmRSS");
  const SystemClock clock;
  const double cpu_before = cpu_ms();
  const auto start = Steady::now();
  auto store = open_store(url);
  if (!store) {
    std::fprintf(stderr, "store_bench: %s\n", store.error().message().c_str());
    return 1;
  }
  const auto opened = Steady::now();
  const Key key = Key::from_secret("store_bench join: any 32-byte secret will do").value();
  auto guard = Guard::open(key, KeySet(), std::move(*store), GuardOptions{}, clock);
  const auto loaded = Steady::now();
  if (!guard) {
    std::fprintf(stderr, "store_bench: Guard::open: %s\n", guard.error().message().c_str());
    return 1;
  }
  const GuardStats stats = (*guard)->stats();
  std::printf("%.1f %.1f %.1f %zu %zu %zu %.1f %.1f %.1f %.1f\n", cpu_ms() - cpu_before,
              Seconds(opened - start).count() * 1e3, Seconds(loaded - opened).count() * 1e3,
              stats.revoked_tokens, stats.revoked_sessions, stats.user_cutoffs,
              stats.index_bytes / 1048576.0, rss_before, status_mib("VmRSS"), status_mib("VmHWM"));
  return 0;
}

// Runs this program with --join-load=URL and returns the line it printed.
std::optional<std::string> load_in_child(const std::string& url, const std::string& program) {
  int out[2];
  if (::pipe(out) != 0) return std::nullopt;
  const pid_t pid = ::fork();
  if (pid < 0) return std::nullopt;
  if (pid == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    const std::string arg = "--join-load=" + url;
    char* argv[] = {const_cast<char*>("store_bench"), const_cast<char*>(arg.c_str()), nullptr};
    ::execv(program.c_str(), argv);
    ::_exit(127);
  }
  ::close(out[1]);
  std::string line;
  char buf[512];
  for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;) line.append(buf, n);
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || line.empty()) return std::nullopt;
  return line;
}

bool measure(const std::string& name, const std::string& url, const JoinOptions& o) {
  std::vector<std::pair<std::string, std::string>> programs = {{name, "/proc/self/exe"}};
  if (!o.compare.empty()) programs.emplace_back(name + "*", o.compare);
  for (int r = 0; r < o.repeat; ++r) {
    for (const auto& [label, program] : programs) {
      const auto line = load_in_child(url, program);
      if (!line) {
        std::fprintf(stderr, "store_bench: loading %s failed\n", label.c_str());
        return false;
      }
      double cpu, open_ms, load_ms, index_mib, rss0, rss1, hwm;
      std::size_t tokens, sessions, users;
      std::istringstream in(*line);
      in >> cpu >> open_ms >> load_ms >> tokens >> sessions >> users >> index_mib >> rss0 >> rss1 >>
          hwm;
      std::printf(
          "  join %-11s open %5.0f ms  load %6.0f ms  total %6.0f ms  CPU %5.0f ms | tokens %zu "
          "sessions %zu users %zu | index %.0f MiB  RSS %.0f -> %.0f MiB  peak %.0f MiB\n",
          label.c_str(), open_ms, load_ms, open_ms + load_ms, cpu, tokens, sessions, users,
          index_mib, rss0, rss1, hwm);
      std::fflush(stdout);
    }
  }
  return true;
}

// --- The stores -------------------------------------------------------------

// The servers live as long as this does (each is stopped by its destructor).
struct Servers {
  std::optional<testing::RedisServer> redis;
  std::optional<testing::PostgresServer> postgres;
};

std::optional<std::string> url_for(const std::string& name, const std::filesystem::path& dir,
                                   Servers& servers) {
  if (name == "sqlite") return "sqlite:" + (dir / "join.db").string();
  if (name == "redis") {
    auto redis = testing::RedisServer::start(dir / "redis");
    if (!redis) return std::fprintf(stderr, "redis: %s\n", redis.error().c_str()), std::nullopt;
    servers.redis.emplace(std::move(*redis));
    return servers.redis->url();
  }
  if (name == "postgresql") {
    auto pg = testing::PostgresServer::start(dir / "postgres");
    if (!pg) return std::fprintf(stderr, "postgresql: %s\n", pg.error().c_str()), std::nullopt;
    servers.postgres.emplace(std::move(*pg));
    // A kept directory has the database already.
    auto url = servers.postgres->create_database("jwtguard_join");
    if (!url && url.error().find("already exists") != std::string::npos) {
      return servers.postgres->url("jwtguard_join");
    }
    if (!url) return std::fprintf(stderr, "postgresql: %s\n", url.error().c_str()), std::nullopt;
    return *url;
  }
  std::fprintf(stderr, "store_bench: unknown store %s\n", name.c_str());
  return std::nullopt;
}

int run_join(const JoinOptions& o) {
  std::optional<testing::ScratchDir> scratch;
  std::filesystem::path dir = o.dir;
  if (dir.empty()) dir = scratch.emplace().path();
  std::filesystem::create_directories(dir);
  if (!o.compare.empty()) std::printf("join: * marks the loads by %s\n", o.compare.c_str());
  std::printf("join: %llu revocations (80%% tokens, 15%% sessions, 5%% users), %llu sessions\n",
              static_cast<unsigned long long>(o.revocations),
              static_cast<unsigned long long>(o.sessions));
  for (const std::string& name : o.stores) {
    Servers servers;
    const auto url = url_for(name, dir, servers);
    if (!url) return 1;
    // Marks a store filled to these counts, so that a kept directory is
    // measured again without filling it again.
    const auto marker = dir / ("filled-" + name + "-" + std::to_string(o.revocations) + "-" +
                               std::to_string(o.sessions));
    if (!std::filesystem::exists(marker)) {
      if (!fill(*url, o)) return 1;
      std::ofstream(marker) << "filled\n";
    }
    if (!measure(name, *url, o)) return 1;
  }
  return 0;
}

}  // namespace

int run_join_if_asked(int argc, char** argv) {
  JoinOptions o;
  bool asked = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (auto url = flag(arg, "--join-load")) return load_once(std::string(*url));
    if (arg == "--join") {
      asked = true;
    } else if (auto v = flag(arg, "--join-revocations")) {
      o.revocations = std::strtoull(std::string(*v).c_str(), nullptr, 10);
    } else if (auto v = flag(arg, "--join-sessions")) {
      o.sessions = std::strtoull(std::string(*v).c_str(), nullptr, 10);
    } else if (auto v = flag(arg, "--join-stores")) {
      o.stores = split(*v);
    } else if (auto v = flag(arg, "--join-callers")) {
      o.callers = std::max(1, std::atoi(std::string(*v).c_str()));
    } else if (auto v = flag(arg, "--join-repeat")) {
      o.repeat = std::max(1, std::atoi(std::string(*v).c_str()));
    } else if (auto v = flag(arg, "--join-fill")) {
      o.sql_fill = *v == "sql";
    } else if (auto v = flag(arg, "--join-compare")) {
      o.compare = std::string(*v);
    } else if (auto v = flag(arg, "--join-dir")) {
      o.dir = std::string(*v);
    }
  }
  return asked ? run_join(o) : -1;
}

}  // namespace jwtguard::bench
