#include <cstdlib>

#include "cli/cli.h"

namespace jwtguard::cli {

void add_store_option(CLI::App& command, std::string& url) {
  command
      .add_option("--store", url,
                  "Store URL: sqlite:PATH, redis://[:PASSWORD@]HOST:PORT/DB, "
                  "postgresql://USER@HOST:PORT/DB or memory: (default " +
                      std::string(kDefaultStore) + ", or $JWTGUARD_STORE)")
      ->envname("JWTGUARD_STORE");
}

std::unique_ptr<Store> open_store_or_fail(const std::string& url) {
  auto store = open_store(url.empty() ? std::string(kDefaultStore) : url);
  if (!store) {
    if (store.error().code() == Errc::kInvalidArgument) {
      throw UsageError("--store: " + store.error().message());
    }
    throw Failure(store.error().message());
  }
  return std::move(*store);
}

}  // namespace jwtguard::cli
