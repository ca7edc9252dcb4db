// The parts of a ServeConfig that the Guard and the Service take: the same
// for App's start and for its reloads, so a reloaded setting means what it
// meant at start.
#ifndef JWTGUARD_SERVER_APP_OPTIONS_H_
#define JWTGUARD_SERVER_APP_OPTIONS_H_

#include "config.h"
#include "jwtguard/guard.h"
#include "jwtguard/http.h"
#include "service.h"
#include "service_keys.h"

namespace jwtguard::server {

// Token locations, cookies and the token size limit. `config` passed
// load_serve_config's checks (every name parses).
HttpOptions http_options(const ServeConfig& config);

// The Guard's options for keys of algorithm `alg`; trusted_issuers unset.
GuardOptions guard_options(const ServeConfig& config, Algorithm alg);

// kInvalidArgument, with what to change, when status lists are on and `alg`
// is a shared secret: said before the Guard's own refusal, since a verifier
// elsewhere checks the lists with the public key, which a secret has not.
Result<void> check_status_list_key(const ServeConfig& config, Algorithm alg);

// The Service's options; issuers, log and the status list fields unset.
ServiceOptions service_options(const ServeConfig& config, const ServiceKeys& keys);

}  // namespace jwtguard::server

#endif  // JWTGUARD_SERVER_APP_OPTIONS_H_
