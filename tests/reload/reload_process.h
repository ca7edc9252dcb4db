// What the process-level reload tests share: `jwtguard serve` started from a
// TOML file with a JWK Set of two ES256 keys ("k1", "k2"), the file
// rewritten and SIGHUP sent by the service's PID, and bounded waits for the
// log lines a reload writes.
#ifndef JWTGUARD_TESTS_RELOAD_RELOAD_PROCESS_H_
#define JWTGUARD_TESTS_RELOAD_RELOAD_PROCESS_H_

#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "jwtguard/keys.h"
#include "testing/fixtures.h"
#include "testing/serve_process.h"

namespace jwtguard::reload_tests {

using jwtguard::testing::Attempt;
using jwtguard::testing::Millis;
using jwtguard::testing::ScratchDir;
using jwtguard::testing::ServeOptions;
using jwtguard::testing::ServeProcess;
namespace loopback = jwtguard::testing::loopback;
using nlohmann::json;

inline constexpr std::string_view kPassword = "correct horse battery";

// Occurrences of `needle` in `text`.
inline std::size_t count_of(const std::string& text, std::string_view needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

class ServeWithConfig {
 public:
  explicit ServeWithConfig(const ScratchDir& dir) : dir_(dir) {
    json set{{"keys", json::array()}};
    for (const char* kid : {"k1", "k2"}) {
      auto jwk = Key::generate(Algorithm::kES256, kid).value().to_jwk(true).value();
      set["keys"].push_back(json::parse(jwk));
    }
    std::ofstream(jwks_path()) << set.dump();
  }

  std::string jwks_path() const { return (dir_.path() / "keys.jwks").string(); }
  std::string toml_path() const { return (dir_.path() / "jwtguard.toml").string(); }
  std::string log_path() const { return (dir_.path() / "jwtguard.log").string(); }

  // The TOML file: the key set, then `extra` lines (dotted keys).
  void write_config(std::string_view extra) const {
    std::ofstream(toml_path()) << "keys.jwks_file = \"" << jwks_path() << "\"\n" << extra << "\n";
  }

  Attempt<ServeProcess> start(std::vector<std::string> flags = {}) const {
    flags.insert(flags.begin(), {"--config", toml_path(), "--workers", "2", "--threads", "2"});
    return ServeProcess::start(ServeOptions{.binary = JWTGUARD_BINARY,
                                            .store = "memory:",
                                            .flags = std::move(flags),
                                            .env = {},
                                            .dir = dir_.path(),
                                            .log_file = log_path()});
  }

  std::string log() const { return jwtguard::testing::read_file(log_path()); }

  // Waits (at most `limit`) until the log holds `count` "reloaded" lines;
  // the number it holds then.
  std::size_t wait_for_reloads(std::size_t count, Millis limit = Millis(20'000)) const {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      const std::size_t seen = count_of(log(), "\"event\":\"reloaded\"");
      if (seen >= count || std::chrono::steady_clock::now() > deadline) return seen;
      std::this_thread::sleep_for(Millis(10));
    }
  }

 private:
  const ScratchDir& dir_;
};

// Registers `user` (once) and logs in: the access token, or "".
inline std::string login(std::uint16_t port, std::string_view user, int* expires_in = nullptr) {
  const std::string body = json{{"username", user}, {"password", kPassword}}.dump();
  (void)loopback::fetch(port, loopback::post("/auth/register", {}, body));
  auto reply = loopback::fetch(port, loopback::post("/auth/login", {}, body));
  if (!reply || reply->status != 200) return {};
  json parsed = json::parse(reply->body, nullptr, false);
  if (expires_in != nullptr) *expires_in = parsed.value("expires_in", 0);
  return parsed.value("access_token", "");
}

// GET /auth/verify with `token`: the status, or 0 when no reply came.
inline int verify(std::uint16_t port, const std::string& token) {
  auto reply = loopback::fetch(port, loopback::get("/auth/verify", token));
  return reply ? reply->status : 0;
}

}  // namespace jwtguard::reload_tests

#endif  // JWTGUARD_TESTS_RELOAD_RELOAD_PROCESS_H_
