// What a Redis server's settings mean for the revocations stored in it: read
// once when the store opens.
#ifndef JWTGUARD_REDIS_REDIS_PERSISTENCE_H_
#define JWTGUARD_REDIS_REDIS_PERSISTENCE_H_

#include <string>
#include <vector>

#include "jwtguard/error.h"
#include "redis_client.h"

namespace jwtguard::redis {

struct PersistenceReport {
  // Redis persists nothing, or could not be shown to persist anything: a
  // restart would forget every revocation. RedisOptions::require_persistence
  // turns the first warning into the error that refuses to open.
  bool unsafe = false;
  // Sentences for the operator, each saying what can be lost and, where
  // something should change, how to fix it. Empty with appendfsync always
  // and no eviction.
  std::vector<std::string> warnings;
};

// Reads appendonly, appendfsync, save, maxmemory and maxmemory-policy with
// CONFIG GET; where CONFIG is renamed or disabled, falls back to INFO
// (which tells less, and the warning says the check was partial). kStore
// only when the connection fails.
Result<PersistenceReport> inspect_persistence(Connection& connection);

}  // namespace jwtguard::redis

#endif  // JWTGUARD_REDIS_REDIS_PERSISTENCE_H_
