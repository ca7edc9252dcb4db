// The two functions of the shared-store backends that the umbrella calls
// besides their open_*_store, declared here so that the umbrella needs none
// of the backends' headers on its include path. Each is defined by its
// backend and documented there (postgres/postgres_url.h, redis/redis_url.h);
// a declaration that drifts from its definition fails to link.
#ifndef JWTGUARD_UMBRELLA_BACKEND_URLS_H_
#define JWTGUARD_UMBRELLA_BACKEND_URLS_H_

#include <string>
#include <string_view>

namespace jwtguard::pg {
std::string redact_url(std::string_view url);
}  // namespace jwtguard::pg

namespace jwtguard::redis {
std::string redact_url(std::string_view url);
}  // namespace jwtguard::redis

#endif  // JWTGUARD_UMBRELLA_BACKEND_URLS_H_
