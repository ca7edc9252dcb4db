// The victim of the crash test: revokes from several threads as fast as the
// store lets it and reports each revocation on stdout only after the call
// returned, i.e. after the store acknowledged it. It runs until killed.
//
// usage: jwtguard_crash_writer DB-PATH THREADS PREFIX
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "jwtguard/store.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s DB-PATH THREADS PREFIX\n", argv[0]);
    return 2;
  }
  auto store = jwtguard::open_sqlite_store(argv[1]);
  if (!store) {
    std::fprintf(stderr, "%s\n", store.error().message().c_str());
    return 1;
  }
  const int threads = std::atoi(argv[2]);
  const std::string prefix = argv[3];
  const auto now =
      std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (long i = 0;; ++i) {
        jwtguard::Revocation r;
        r.key = prefix + "-" + std::to_string(t) + "-" + std::to_string(i);
        r.revoked_at = now;
        r.expires_at = now + std::chrono::hours(1);
        auto seq = (*store)->revoke(r);
        if (!seq) {
          std::fprintf(stderr, "revoke failed: %s\n", seq.error().message().c_str());
          std::_Exit(1);
        }
        // One write(2) per line: lines from different threads never mix, and
        // nothing sits in a stdio buffer when the kill comes.
        const std::string line = r.key + "\n";
        if (::write(STDOUT_FILENO, line.data(), line.size()) != ssize_t(line.size())) {
          std::_Exit(1);
        }
      }
    });
  }
  for (auto& w : workers) w.join();
}
