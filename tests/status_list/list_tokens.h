// Status List Tokens made to order for the verifier's tests: any header,
// any payload, signed with any key, and a verifier over a FakeClock whose
// fetches the tests count on a JwksServer.
#ifndef JWTGUARD_TESTS_STATUS_LIST_LIST_TOKENS_H_
#define JWTGUARD_TESTS_STATUS_LIST_LIST_TOKENS_H_

#include <nlohmann/json.hpp>
#include <string>

#include "jose/base64url.h"
#include "jwtguard/jose.h"
#include "jwtguard/status_list.h"
#include "testing/fixtures.h"

namespace jwtguard::testing {

// header.payload signed by `key` with `alg`, whatever the header says.
inline std::string signed_token(const Key& key, Algorithm alg, const nlohmann::json& header,
                                const nlohmann::json& payload) {
  std::string input = base64url::encode(header.dump()) + "." + base64url::encode(payload.dump());
  const std::string signature = *jws_signature(key, alg, input);
  return input + "." + signature;
}

// The header a conforming issuer signs a list with.
inline nlohmann::json list_header(const Key& key) {
  return {{"alg", "ES256"}, {"kid", key.kid()}, {"typ", "statuslist+jwt"}};
}

// A conforming payload for `list` at `uri`, issued at `now`.
inline nlohmann::json list_payload(const StatusList& list, const std::string& uri, Timestamp now,
                                   std::int64_t ttl = 300) {
  return {{"sub", uri},
          {"iat", to_unix_seconds(now)},
          {"exp", to_unix_seconds(now) + 86400},
          {"ttl", ttl},
          {"status_list", nlohmann::json::parse(*status_list_claim_json(list))}};
}

// A payload whose token names entry `idx` of the list at `uri`.
inline std::string referencing(std::uint64_t idx, const std::string& uri) {
  return nlohmann::json{{"sub", "alice"},
                        {"status", {{"status_list", {{"idx", idx}, {"uri", uri}}}}}}
      .dump();
}

}  // namespace jwtguard::testing

#endif  // JWTGUARD_TESTS_STATUS_LIST_LIST_TOKENS_H_
