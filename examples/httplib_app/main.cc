// Flask-JWT-Extended's blocklist app on a real HTTP server (cpp-httplib),
// for browsers too: tokens in the Authorization header or in HttpOnly
// cookies, with the double-submit CSRF value for cookies.
//
//   POST   /login      tokens for "example_user", in the body and in cookies
//   GET    /protected  @jwt_required()
//   POST   /refresh    @jwt_required(refresh=True): a new pair, new cookies
//   DELETE /logout     @jwt_required(verify_type=False): ends the session;
//                      clears the cookies whatever state the token is in
//
// Usage: httplib_app PORT [STORE_URL]  (PORT 0: a free one, printed on
// stdout; STORE_URL "memory:" by default, or "sqlite:PATH").
#include <httplib.h>
#include <jwtguard/guard.h>
#include <jwtguard/http.h>
#include <jwtguard/store.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

using jwtguard::HttpError;
using jwtguard::TokenRequirement;

// jwtguard's view of a cpp-httplib request. The views it hands out point
// into the request's own header map: require() may keep one while it reads
// another header, so they must not be copies.
class HttplibRequest final : public jwtguard::RequestView {
 public:
  explicit HttplibRequest(const httplib::Request& request) : request_(request) {}
  std::string_view method() const override { return request_.method; }
  void header_values(std::string_view name,
                     const std::function<void(std::string_view)>& each) const override {
    auto [begin, end] = request_.headers.equal_range(std::string(name));  // case-insensitive
    for (auto it = begin; it != end; ++it) each(it->second);
  }
  std::optional<std::string> query_parameter(std::string_view name) const override {
    if (!request_.has_param(std::string(name))) return std::nullopt;
    return request_.get_param_value(std::string(name));  // already percent-decoded
  }

 private:
  const httplib::Request& request_;
};

void reply(httplib::Response& response, int status, const std::string& body) {
  response.status = status;
  response.set_content(body, "application/json");
}

void refuse(httplib::Response& response, const HttpError& error) {
  if (auto challenge = error.www_authenticate(); !challenge.empty()) {
    response.set_header("WWW-Authenticate", challenge);
  }
  reply(response, error.status, error.body());
}

void refuse(httplib::Response& response, const jwtguard::Error& error) {
  reply(response, jwtguard::http_status(error.code()),
        jwtguard::message_body(jwtguard::error_message(error.code())));
}

void set_cookies(httplib::Response& response, const std::vector<std::string>& cookies) {
  for (const std::string& cookie : cookies) response.set_header("Set-Cookie", cookie);
}

// Header clients read the tokens from the body, browsers get cookies (JWTs
// need no JSON escaping: base64url and dots).
void send_pair(const jwtguard::HttpGuard& auth, httplib::Response& response,
               const jwtguard::IssuedToken& access, const jwtguard::IssuedToken& refresh) {
  set_cookies(response, auth.pair_cookies(access, refresh));
  reply(response, 200,
        R"({"access_token":")" + access.token + R"(","refresh_token":")" + refresh.token + "\"}");
}

void add_routes(httplib::Server& server, jwtguard::Guard& guard, const jwtguard::HttpGuard& auth) {
  server.Post("/login", [&](const httplib::Request&, httplib::Response& response) {
    auto pair = guard.login("example_user");  // a real app checks a password first
    if (!pair) return refuse(response, pair.error());
    send_pair(auth, response, pair->access, pair->refresh);
  });
  server.Get("/protected", [&](const httplib::Request& request, httplib::Response& response) {
    auto found = auth.require(HttplibRequest(request));
    if (!found) return refuse(response, found.error());
    reply(response, 200, R"({"logged_in_as":")" + found->token.claims.sub + "\"}");
  });
  server.Post("/refresh", [&](const httplib::Request& request, httplib::Response& response) {
    auto found = auth.require(HttplibRequest(request), {.type = TokenRequirement::kRefresh});
    if (!found) return refuse(response, found.error());
    auto refreshed = guard.refresh(found->encoded());
    if (!refreshed) return refuse(response, refreshed.error());
    // Rotation is on (GuardOptions' default): a new refresh token comes back.
    if (!refreshed->refresh) return reply(response, 500, R"({"msg":"rotation is off"})");
    send_pair(auth, response, refreshed->access, *refreshed->refresh);
  });
  server.Delete("/logout", [&](const httplib::Request& request, httplib::Response& response) {
    auto found = auth.require(HttplibRequest(request), {.type = TokenRequirement::kAny});
    // A request that failed the CSRF check may come from another site: it
    // changes nothing, not even the cookies. Otherwise the browser forgets
    // its tokens, expired, revoked or missing.
    const bool csrf = !found && (found.error().kind == HttpError::Kind::kMissingCsrf ||
                                 found.error().kind == HttpError::Kind::kCsrfMismatch);
    if (!csrf) set_cookies(response, auth.unset_cookies());
    if (!found) return refuse(response, found.error());
    const jwtguard::Claims& claims = found->token.claims;
    // The session: the other token of the pair, and any refreshed later.
    auto revoked = guard.revoke_session(claims.sid, {.revoked_by = claims.sub, .reason = "logout"});
    if (!revoked) return refuse(response, revoked.error());
    const bool refresh = claims.type == jwtguard::token_type_name(jwtguard::TokenType::kRefresh);
    reply(response, 200,
          refresh ? R"({"msg":"Refresh token revoked"})" : R"({"msg":"Access token revoked"})");
  });
}

jwtguard::Result<std::unique_ptr<jwtguard::Store>> open_example_store(std::string_view url) {
  if (url == "memory:") return jwtguard::open_memory_store();
  if (url.starts_with("sqlite:")) return jwtguard::open_sqlite_store(std::string(url.substr(7)));
  return jwtguard::fail(jwtguard::Errc::kInvalidArgument, "expected memory: or sqlite:PATH");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: httplib_app PORT [memory: | sqlite:PATH]\n");
    return 2;
  }
  const jwtguard::SystemClock clock;  // declared first: it must outlive the Guard
  jwtguard::GuardOptions options;
  options.issuer.access_ttl = std::chrono::hours(1);
  options.issuer.csrf_claim = true;  // the double-submit value of every token
  jwtguard::HttpOptions http;
  http.locations = {jwtguard::TokenLocation::kHeaders, jwtguard::TokenLocation::kCookies};
  // Secure cookies stay on: browsers keep them for http://localhost too.

  auto store = open_example_store(argc > 2 ? argv[2] : "memory:");
  auto key = jwtguard::Key::from_secret("super-secret-change-me-32-bytes-or-more");  // change it!
  if (!store || !key) return 2;
  auto guard = jwtguard::Guard::open(*std::move(key), {}, *std::move(store), options, clock);
  if (!guard) return std::fprintf(stderr, "%s\n", guard.error().message().c_str()), 2;
  auto auth = jwtguard::HttpGuard::create(**guard, std::move(http));
  if (!auth) return std::fprintf(stderr, "%s\n", auth.error().message().c_str()), 2;

  httplib::Server server;
  add_routes(server, **guard, *auth);
  const int port = std::atoi(argv[1]);
  const int bound = port == 0 ? server.bind_to_any_port("127.0.0.1")
                              : (server.bind_to_port("127.0.0.1", port) ? port : -1);
  if (bound < 0) return 1;
  std::printf("%d\n", bound);
  std::fflush(stdout);
  return server.listen_after_bind() ? 0 : 1;
}
