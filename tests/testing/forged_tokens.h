// Tokens the service never issued but whose signature its key accepts: an
// issued token's header and payload edited, then signed again with the
// service's HS256 secret. For tests of the rules that come after the
// signature (expiry, "crit", ...), over the service's real interface.
#ifndef JWTGUARD_TESTS_TESTING_FORGED_TOKENS_H_
#define JWTGUARD_TESTS_TESTING_FORGED_TOKENS_H_

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "testing/serve_process.h"

namespace jwtguard::testing {

// `token`'s decoded header and payload, changed by `edit`, serialised again
// and signed with HS256 and `secret`. Errors say what could not be decoded
// or signed.
Attempt<std::string> resign_hs256(
    std::string_view token, std::string_view secret,
    const std::function<void(nlohmann::json& header, nlohmann::json& payload)>& edit);

}  // namespace jwtguard::testing

#endif  // JWTGUARD_TESTS_TESTING_FORGED_TOKENS_H_
