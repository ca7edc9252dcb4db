// How long the command line keeps a revocation: one rule for `revoke` and for
// the account commands that end a user's tokens.
#include <algorithm>

#include "cli.h"

namespace jwtguard::cli {

CliResult<revocation::TokenLives> token_lives(Store& store, const server::ServeConfig& config,
                                              std::chrono::seconds max_lifetime, Timestamp now) {
  auto horizon = store.raise_token_horizon(Timestamp{});
  if (!horizon) return failure(horizon.error().message());
  return revocation::TokenLives{.latest_expiry = std::max(now + max_lifetime, *horizon),
                                .longest = max_lifetime,
                                .leeway = config.leeway,
                                .access_ttl = config.access_ttl,
                                .rotate_refresh_tokens = config.rotate_refresh_tokens};
}

}  // namespace jwtguard::cli
