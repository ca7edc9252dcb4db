// The keys `jwtguard serve` signs and verifies with, from its settings.
#ifndef JWTGUARD_SERVER_SERVICE_KEYS_H_
#define JWTGUARD_SERVER_SERVICE_KEYS_H_

#include <string>

#include "config.h"
#include "jwtguard/keys.h"

namespace jwtguard::server {

struct ServiceKeys {
  Key signing;
  Algorithm algorithm = Algorithm::kHS256;  // what `signing` signs with
  KeySet verify;                            // every key a presented token may be signed with
  std::string jwks_json;                    // the public keys, for /.well-known/jwks.json
  std::string generated;    // dev mode: the path of a key generated now (else empty)
  std::string loaded_from;  // where the signing key came from, for the log (never the key)
};

// From secret / secret_file / key_file (a PEM private key, or a single JWK
// such as `jwtguard keys generate` prints) / jwks_file (config.h makes sure
// at most one is set). With none: in dev mode, the key in
// <data_dir>/signing-key.jwk, generated (mode 0600) on first start;
// otherwise kInvalidArgument.
//
// A jwks_file verifies with every key of the set and signs with the one
// keys.kid names, else the one the file's "active_kid" member names
// (jose/key_file.h; `jwtguard keys activate` sets it), else the only key.
// Refused: an active_kid naming no key of the set, and keys.kid and
// active_kid naming different keys (the detail names both and the fix).
//
// The algorithm is the key's own when the key allows only one (a JWK's "alg",
// an EC or Ed25519 key); keys.algorithm given anywhere else than its default
// must then name the same one. A key that allows several (an HMAC secret, an
// RSA key without "alg") signs with keys.algorithm.
//
// Errors are kInvalidArgument and their detail is a whole sentence for the
// operator: the setting, where it was set (ServeConfig::sources), the
// problem, and the fix. They name files, never a key's bytes.
Result<ServiceKeys> load_service_keys(const ServeConfig& config);

// What load_service_keys would report, without writing anything: the
// configured key is read and checked; in dev mode with no key generated yet,
// data_dir is checked to be a directory the service can create and write.
Result<void> check_service_keys(const ServeConfig& config);

}  // namespace jwtguard::server

#endif  // JWTGUARD_SERVER_SERVICE_KEYS_H_
