// The trusted identity servers at run time: one RemoteJwks per [[issuers]]
// table, the TrustedIssuers the Guard checks their tokens with, and what
// /readyz and /metrics report of their key sets.
#ifndef JWTGUARD_SERVER_ISSUERS_H_
#define JWTGUARD_SERVER_ISSUERS_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config.h"
#include "jwtguard/clock.h"
#include "jwtguard/remote_jwks.h"
#include "jwtguard/trusted_issuers.h"

namespace jwtguard::server {

// One issuer's key source, by the issuer's name (its subject namespace).
struct IssuerKeys {
  std::string name;
  std::shared_ptr<RemoteJwks> jwks;
};

struct Issuers {
  std::shared_ptr<const TrustedIssuers> trusted;  // null when none are configured
  std::vector<IssuerKeys> keys;                   // in the file's order
};

// Told of every JWKS fetch with the issuer's name (for the log); called on
// the fetching thread.
using FetchObserver = std::function<void(std::string_view name, const JwksFetchEvent& event)>;

// One RemoteJwks per issuer (each starts its first fetch in the background:
// the service starts while an identity server is down), then
// TrustedIssuers::create. kInvalidArgument, naming the table's index, for
// options RemoteJwks or TrustedIssuers refuse. `clock` must outlive the
// result.
Result<Issuers> open_issuers(const std::vector<IssuerConfig>& configs, const FetchObserver& observe,
                             const Clock& clock);

// The names of the issuers whose first key set has not been loaded yet.
std::vector<std::string> issuers_not_ready(const std::vector<IssuerKeys>& keys);

// The key sets' metrics in the Prometheus text format (label `issuer`):
// jwtguard_jwks_fetches_total{outcome}, jwtguard_jwks_unknown_kid_fetches_total,
// jwtguard_jwks_cooldown_refusals_total, jwtguard_jwks_keys and
// jwtguard_jwks_age_seconds (since the current set was loaded; absent
// before the first). Empty without issuers.
std::string render_issuer_metrics(const std::vector<IssuerKeys>& keys, Timestamp now);

// The fields of a "jwks_fetch" log line (never key material).
std::vector<std::pair<std::string, std::string>> fetch_fields(std::string_view name,
                                                              const JwksFetchEvent& event);

}  // namespace jwtguard::server

#endif  // JWTGUARD_SERVER_ISSUERS_H_
