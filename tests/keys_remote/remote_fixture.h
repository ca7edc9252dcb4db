// What the RemoteJwks tests share: keys with kids, a served document, and
// options for a source that only fetches when the test says so.
#ifndef JWTGUARD_TESTS_KEYS_REMOTE_REMOTE_FIXTURE_H_
#define JWTGUARD_TESTS_KEYS_REMOTE_REMOTE_FIXTURE_H_

#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <vector>

#include "jwtguard/remote_jwks.h"
#include "keys_remote/jwks_server.h"
#include "testing/fixtures.h"

namespace jwtguard::testing {

// An ES256 key pair named `kid` (the public JWK is what a server publishes).
inline Key ec_key(const std::string& kid) { return *Key::generate(Algorithm::kES256, kid); }

inline std::string published(const std::vector<Key>& keys) {
  std::vector<std::string> jwks;
  for (const Key& key : keys) jwks.push_back(*key.to_jwk(/*include_private=*/false));
  return jwks_document(jwks);
}

// A 200 with the given keys and Cache-Control.
inline Answer serving(const std::vector<Key>& keys, std::string cache_control = "max-age=300") {
  return Answer{.body = published(keys), .cache_control = std::move(cache_control)};
}

// Every fetch event, as the observer saw it (the views copied).
struct SeenFetch {
  std::string reason;
  bool ok = false;
  bool changed = false;
  std::size_t keys = 0;
  std::string error;
  std::chrono::seconds ttl{0};
};

class FetchLog {
 public:
  std::function<void(const JwksFetchEvent&)> observer() {
    return [this](const JwksFetchEvent& event) {
      std::lock_guard lock(mu_);
      seen_.push_back({std::string(event.reason), event.ok, event.changed, event.keys,
                       std::string(event.error), event.ttl});
    };
  }
  std::vector<SeenFetch> seen() const {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<SeenFetch> seen_;
};

// A source on `url` without the background thread: fetches happen on
// refresh() and keys_with() only, at the times a FakeClock says.
inline RemoteJwksOptions manual_options(std::string url) {
  RemoteJwksOptions options;
  options.url = std::move(url);
  options.background = false;
  options.timeout = std::chrono::milliseconds(3000);
  options.connect_timeout = std::chrono::milliseconds(1000);
  return options;
}

}  // namespace jwtguard::testing

#endif  // JWTGUARD_TESTS_KEYS_REMOTE_REMOTE_FIXTURE_H_
