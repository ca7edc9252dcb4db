// What the umbrella library needs of the PostgreSQL backend besides
// open_postgres_store: a URL as it may be shown (declared again, for the
// umbrella, in umbrella/backend_urls.h).
#ifndef JWTGUARD_POSTGRES_POSTGRES_URL_H_
#define JWTGUARD_POSTGRES_POSTGRES_URL_H_

#include <string>
#include <string_view>

namespace jwtguard::pg {

// `url` as it may be shown: read by the same parser as Connector::create,
// with the password (and any other value libpq marks secret) replaced by
// "***", wherever the URL put it (user information or query string,
// percent-encoded or not). A URL that create() refuses is shown as its
// scheme and "(malformed, not shown)": it cannot be told where its password
// ends.
std::string redact_url(std::string_view url);

}  // namespace jwtguard::pg

#endif  // JWTGUARD_POSTGRES_POSTGRES_URL_H_
