// PLACEHOLDER: being written.
#include "jwtguard/store.h"
namespace jwtguard {
Result<std::unique_ptr<Store>> open_postgres_store(std::string_view, const PostgresOptions&) {
  return fail(Errc::kStore, "postgres store not written yet");
}
}  // namespace jwtguard
