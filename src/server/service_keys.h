// The keys `jwtguard serve` signs and verifies with, from its settings.
#ifndef JWTGUARD_SERVER_SERVICE_KEYS_H_
#define JWTGUARD_SERVER_SERVICE_KEYS_H_

#include <string>

#include "jwtguard/keys.h"
#include "server/config.h"

namespace jwtguard::server {

struct ServiceKeys {
  Key signing;
  KeySet verify;            // every key a presented token may be signed with
  std::string jwks_json;    // the public keys, for /.well-known/jwks.json
  std::string generated;    // dev mode: the path of a key generated now (else empty)
  std::string loaded_from;  // where the signing key came from, for the log (never the key)
};

// From secret / secret_file / key_file / jwks_file (config.h makes sure at
// most one is set). With none: in dev mode, the key in
// <data_dir>/signing-key.jwk, generated (mode 0600) on first start;
// otherwise kInvalidArgument. Errors name the file, never a key's bytes.
Result<ServiceKeys> load_service_keys(const ServeConfig& config);

}  // namespace jwtguard::server

#endif  // JWTGUARD_SERVER_SERVICE_KEYS_H_
