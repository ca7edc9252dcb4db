// jwtguard's verifier reads the lists another implementation of the draft
// makes: @sd-jwt/jwt-status-list (npm) builds and compresses 1-, 2- and
// 8-bit lists, `jose` signs them as statuslist+jwt (sd_jwt_lists.mjs).
// Every status the library holds, untouched ones included, must be the one
// jwtguard reads, through the verifier and through decode_lst alike.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "jwtguard/status_list_verifier.h"
#include "keys_remote/jwks_server.h"
#include "status_list/list_tokens.h"
#include "testing/fixtures.h"
#include "testing/subprocess.h"

namespace jwtguard::testing {
namespace {

class SdJwtInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RunResult made = run({JWTGUARD_NODE, JWTGUARD_SD_JWT_LISTS, server_.url("")}, {});
    ASSERT_EQ(made.exit_code, 0) << made.err;
    made_ = nlohmann::json::parse(made.out);
    ASSERT_EQ(made_["lists"].size(), 3u);
    for (const auto& list : made_["lists"]) {
      const std::string uri = list["uri"];
      server_.answer(uri.substr(server_.url("").size()), Answer{.body = list["token"]});
    }
  }

  std::unique_ptr<StatusListVerifier> verifier() {
    StatusVerifierOptions options;
    options.keys = KeySet(*Key::from_jwk(made_["jwk"].dump()));
    auto made = StatusListVerifier::create(std::move(options), clock_);
    EXPECT_TRUE(made.has_value()) << made.error().message();
    return std::move(*made);
  }

  JwksServer server_;
  SystemClock clock_;
  nlohmann::json made_;
};

TEST_F(SdJwtInteropTest, VerifierReadsEveryStatusTheLibrarySet) {
  auto v = verifier();
  for (const auto& list : made_["lists"]) {
    const std::string uri = list["uri"];
    SCOPED_TRACE(uri);
    const auto& statuses = list["statuses"];
    int set = 0;
    for (std::size_t idx = 0; idx < statuses.size(); ++idx) {
      auto status = v->status(referencing(idx, uri));
      ASSERT_OK(status);
      EXPECT_EQ(static_cast<int>(*status), statuses[idx].get<int>()) << "idx " << idx;
      set += statuses[idx].get<int>() != 0;
    }
    EXPECT_GT(set, 3);  // the lists are not all zeros
    EXPECT_LT(set, static_cast<int>(statuses.size()) / 2);
    // The library pads the last byte with zeros; one whole byte further is out.
    const std::size_t past =
        (statuses.size() * list["bits"].get<int>() + 7) / 8 * 8 / list["bits"].get<std::size_t>();
    EXPECT_ERRC(v->status(referencing(past, uri)), Errc::kBadClaim);
  }
  EXPECT_EQ(server_.requests(), 3);  // one fetch per list, however many lookups
}

TEST_F(SdJwtInteropTest, CheckRefusesWhatTheLibraryMarkedInvalidOrSuspended) {
  auto v = verifier();
  const auto& two_bit = made_["lists"][1];
  ASSERT_EQ(two_bit["bits"], 2);
  const auto& statuses = two_bit["statuses"];
  for (std::size_t idx = 0; idx < statuses.size(); ++idx) {
    auto checked = v->check(referencing(idx, two_bit["uri"]));
    switch (statuses[idx].get<int>()) {
      case 0:
        EXPECT_OK(checked);
        break;
      case 2:
        EXPECT_ERRC(checked, Errc::kSuspended);
        break;
      default:
        EXPECT_ERRC(checked, Errc::kRevoked);
    }
  }
}

TEST_F(SdJwtInteropTest, DecodeLstReadsTheLibrarysCompression) {
  for (const auto& list : made_["lists"]) {
    const int bits = list["bits"];
    auto decoded = decode_lst(list["lst"].get<std::string>(), bits);
    ASSERT_OK(decoded);
    const auto& statuses = list["statuses"];
    ASSERT_GE(decoded->size(), statuses.size());
    ASSERT_LT(decoded->size(), statuses.size() + 8);
    for (std::size_t idx = 0; idx < decoded->size(); ++idx) {
      const int expected = idx < statuses.size() ? statuses[idx].get<int>() : 0;
      EXPECT_EQ(*decoded->get(idx), expected) << "bits " << bits << " idx " << idx;
    }
  }
}

}  // namespace
}  // namespace jwtguard::testing
