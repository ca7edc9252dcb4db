// What the integration tests need to talk to `jwtguard serve`: token pairs
// out of login/refresh/mint replies, and small formatting helpers.
#ifndef JWTGUARD_TESTS_INTEGRATION_SERVICE_CLIENT_H_
#define JWTGUARD_TESTS_INTEGRATION_SERVICE_CLIENT_H_

#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "testing/serve_process.h"

namespace jwtguard::testing {

using loopback::Connection;
using loopback::Reply;

struct TokenPair {
  std::string access;
  std::string refresh;
};

inline std::string random_hex(std::size_t bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device device;
  std::string out;
  for (std::size_t i = 0; i < bytes; ++i) {
    unsigned value = device() & 0xff;
    out += kHex[value >> 4];
    out += kHex[value & 15];
  }
  return out;
}

inline std::string describe(const Reply& reply) {
  return std::to_string(reply.status) + " " + reply.body;
}

inline std::string msg_of(const Reply& reply) {
  auto body = nlohmann::json::parse(reply.body, nullptr, false);
  if (!body.is_object() || !body["msg"].is_string()) return {};
  return body["msg"].get<std::string>();
}

// The pair in a login, refresh or mint reply.
inline Attempt<TokenPair> pair_of(const Attempt<Reply>& reply) {
  if (!reply) return failed(reply.error());
  if (reply->status != 200) return failed(describe(*reply));
  auto body = nlohmann::json::parse(reply->body, nullptr, false);
  if (!body.is_object() || !body["access_token"].is_string() ||
      !body["refresh_token"].is_string()) {
    return failed("no token pair in " + reply->body);
  }
  return TokenPair{body["access_token"].get<std::string>(),
                   body["refresh_token"].get<std::string>()};
}

inline std::string credentials_json(std::string_view user, std::string_view password) {
  return nlohmann::json{{"username", user}, {"password", password}}.dump();
}

// Mints one pair per identity through POST /admin/tokens, from `connections`
// connections at once (the store's group commit makes that much faster).
inline Attempt<std::vector<TokenPair>> mint(std::uint16_t port, const std::string& admin_token,
                                            const std::vector<std::string>& identities,
                                            int connections = 8) {
  std::vector<Attempt<TokenPair>> minted(identities.size(), failed("not minted"));
  std::vector<std::thread> clients;
  for (int c = 0; c < connections; ++c) {
    clients.emplace_back([&, c] {
      auto connection = Connection::open(port);
      for (std::size_t i = c; i < identities.size(); i += connections) {
        if (!connection) {
          minted[i] = failed(connection.error());
          continue;
        }
        std::string body = nlohmann::json{{"identity", identities[i]}}.dump();
        minted[i] =
            pair_of(connection->exchange(loopback::post("/admin/tokens", admin_token, body)));
      }
    });
  }
  for (auto& client : clients) client.join();
  std::vector<TokenPair> pairs;
  for (std::size_t i = 0; i < minted.size(); ++i) {
    if (!minted[i]) return failed("minting for " + identities[i] + ": " + minted[i].error());
    pairs.push_back(std::move(*minted[i]));
  }
  return pairs;
}

}  // namespace jwtguard::testing

#endif  // JWTGUARD_TESTS_INTEGRATION_SERVICE_CLIENT_H_
