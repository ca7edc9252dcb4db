// PLACEHOLDER: being written.
#include "jwtguard/store.h"
namespace jwtguard {
Result<std::unique_ptr<Store>> open_redis_store(std::string_view, const RedisOptions&) {
  return fail(Errc::kStore, "redis store not written yet");
}
}  // namespace jwtguard
