// What the StatusListVerifier tests share: an ES256 issuer key, a loopback
// server publishing list tokens, a FakeClock, and a verifier over them.
#ifndef JWTGUARD_TESTS_STATUS_LIST_VERIFIER_FIXTURE_H_
#define JWTGUARD_TESTS_STATUS_LIST_VERIFIER_FIXTURE_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "jwtguard/status_list_verifier.h"
#include "keys_remote/jwks_server.h"
#include "status_list/list_tokens.h"

namespace jwtguard::testing {

class StatusVerifierTest : public ::testing::Test {
 protected:
  static constexpr const char* kPath = "/statuslists/1";

  StatusVerifierTest()
      : issuer_(*Key::generate(Algorithm::kES256, "issuer-1")),
        uri_(server_.url(kPath)),
        list_(*StatusList::create(16, 2)) {}

  // The issuer's public key, as a verifier is configured with it.
  KeySet public_keys() const {
    return KeySet(*Key::from_jwk(*issuer_.to_jwk(/*include_private=*/false)));
  }

  StatusVerifierOptions options() const {
    StatusVerifierOptions options;
    options.keys = public_keys();
    options.timeout = std::chrono::milliseconds(3000);
    options.connect_timeout = std::chrono::milliseconds(1000);
    return options;
  }

  std::unique_ptr<StatusListVerifier> verifier(StatusVerifierOptions options) const {
    auto made = StatusListVerifier::create(std::move(options), clock_);
    EXPECT_TRUE(made.has_value()) << made.error().message();
    return made ? std::move(*made) : nullptr;
  }
  std::unique_ptr<StatusListVerifier> verifier() const { return verifier(options()); }

  // Publishes `token` at kPath.
  void serve(std::string token) { server_.answer(kPath, Answer{.body = std::move(token)}); }
  // Publishes list_ as the issuer would, with `ttl`.
  void serve_list(std::int64_t ttl = 300) {
    serve(signed_token(issuer_, Algorithm::kES256, list_header(issuer_),
                       list_payload(list_, uri_, clock_.now(), ttl)));
  }
  // Publishes list_ with `payload` changed by `edit`.
  template <typename Edit>
  void serve_edited(Edit edit) {
    nlohmann::json header = list_header(issuer_);
    nlohmann::json payload = list_payload(list_, uri_, clock_.now());
    edit(header, payload);
    serve(signed_token(issuer_, Algorithm::kES256, header, payload));
  }

  int fetches() const { return server_.requests(kPath); }
  std::string token_at(std::uint64_t idx) const { return referencing(idx, uri_); }

  JwksServer server_;
  FakeClock clock_;
  Key issuer_;
  std::string uri_;
  StatusList list_;
};

}  // namespace jwtguard::testing

#endif  // JWTGUARD_TESTS_STATUS_LIST_VERIFIER_FIXTURE_H_
