// The parts of a ServeConfig that the Guard and the Service take, for App's
// start and reload alike.
#include "app_options.h"

#include <algorithm>

#include "jwtguard/http.h"

namespace jwtguard::server {
namespace {

auto problem(std::string sentence) { return fail(Errc::kInvalidArgument, std::move(sentence)); }

std::vector<std::string> strings(const std::vector<std::string_view>& views) {
  return {views.begin(), views.end()};
}

}  // namespace

// The settings' checks have passed: every name parses.
HttpOptions http_options(const ServeConfig& config) {
  HttpOptions options;
  options.locations.clear();
  for (std::string_view name : split_list(config.token_locations)) {
    options.locations.push_back(*parse_token_location(name));
  }
  CookieOptions& cookies = options.cookies;
  cookies.secure = config.cookie_secure;
  cookies.same_site = *parse_same_site(config.cookie_samesite);
  cookies.domain = config.cookie_domain;
  cookies.path = config.cookie_path;
  cookies.refresh_path = config.refresh_cookie_path;
  cookies.session_cookies = config.session_cookies;
  cookies.access_cookie = config.access_cookie_name;
  cookies.refresh_cookie = config.refresh_cookie_name;
  cookies.access_csrf_cookie = config.access_csrf_cookie_name;
  cookies.refresh_csrf_cookie = config.refresh_csrf_cookie_name;
  cookies.csrf_protect = config.cookie_csrf_protect;
  cookies.csrf_header = config.csrf_header_name;
  cookies.refresh_access_within = config.refresh_access_within;
  options.token_limit = config.token_limit;
  return options;
}

namespace {

bool cookies_allowed(const ServeConfig& config) {
  const HttpOptions options = http_options(config);
  return std::find(options.locations.begin(), options.locations.end(), TokenLocation::kCookies) !=
         options.locations.end();
}

}  // namespace

GuardOptions guard_options(const ServeConfig& config, Algorithm alg) {
  GuardOptions options;
  options.issuer.algorithm = alg;
  options.issuer.access_ttl = config.access_ttl;
  options.issuer.refresh_ttl = config.refresh_ttl;
  options.issuer.issuer = config.issuer;
  // Every token a browser may hold in a cookie carries its double-submit
  // value; header clients ignore the claim.
  options.issuer.csrf_claim = cookies_allowed(config) && config.cookie_csrf_protect;
  if (!config.audience.empty()) options.issuer.audience = {config.audience};
  options.verify.algorithms = {alg};
  // The one size limit: the service's early check and the verifier's agree.
  options.verify.max_token_size = config.token_limit;
  options.verify.claims.leeway = config.leeway;
  options.verify.claims.issuer = config.issuer;
  if (!config.audience.empty()) options.verify.claims.audience = {config.audience};
  options.rotate_refresh_tokens = config.rotate_refresh_tokens;
  options.refresh_reuse_interval = config.refresh_reuse_interval;
  options.session_max_lifetime = config.session_max_lifetime;
  options.session_idle_timeout = config.session_idle_timeout;
  if (config.check == "store") options.check_mode = GuardOptions::CheckMode::kStore;
  StatusListOptions& lists = options.status_list;
  lists.enabled = config.status_list_enabled;
  lists.base_url = config.status_list_base_url;
  lists.bits = static_cast<int>(config.status_list_bits);
  lists.list_size = config.status_list_size;
  lists.ttl = config.status_list_ttl;
  lists.token_lifetime = config.status_list_token_lifetime;
  lists.publish_interval = config.status_list_publish_interval;
  return options;
}

// Said before the Guard's own refusal, with what to change: a verifier
// elsewhere checks the lists with the public key, which a secret has not.
Result<void> check_status_list_key(const ServeConfig& config, Algorithm alg) {
  if (!config.status_list_enabled || !algorithm_name(alg).starts_with("HS")) return {};
  return problem(setting_origin(config, "status_list.enabled") +
                 ": status lists need an asymmetric signing key (RS*, PS*, ES* or EdDSA), and " +
                 std::string(algorithm_name(alg)) +
                 " is a shared secret that verifiers elsewhere cannot check the lists with. "
                 "Configure keys.key_file or keys.jwks_file with an RSA, EC or Ed25519 private "
                 "key (`jwtguard keys generate --alg ES256` makes one) and set keys.algorithm, "
                 "or turn status_list.enabled off");
}

ServiceOptions service_options(const ServeConfig& config, const ServiceKeys& keys) {
  return ServiceOptions{
      .token_limit = config.token_limit,
      .min_password_length = config.min_password_length,
      .registration = config.registration,
      .login_limits = {.max_failures = config.login_max_failures,
                       .max_failures_per_user = config.login_max_failures_per_user,
                       .max_failures_per_address = config.login_max_failures_per_address,
                       .window = config.login_window},
      .registration_limits = {.max_per_address = config.registration_max_per_address,
                              .max_total = config.registration_max_total,
                              .window = config.registration_window},
      .access_ttl = config.access_ttl,
      .jwks_json = keys.jwks_json,
      .errors = config.errors,
      .trust_forwarded_for = config.trust_forwarded_for,
      .http = http_options(config),
      .cors_origins = strings(split_list(config.cors_allowed_origins)),
      .cors_max_age = config.cors_max_age,
      .issuers = {},
      .log = {},
  };
}

}  // namespace jwtguard::server
