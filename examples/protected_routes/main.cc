// Protected routes with a revocation blocklist: Flask-JWT-Extended's
// "JWT Revoking / Blocklist" app, on jwtguard.
//
// The Flask app has three routes:
//   POST   /login      issues tokens for "example_user"
//   GET    /protected  needs a valid, unrevoked access token
//   DELETE /logout     revokes the token it was called with, access or refresh
//                      (jwt_required(verify_type=False))
// and this example adds POST /refresh, to show why a refresh token must be
// revoked too: until it is, it can mint new access tokens.
//
// There is no HTTP server here, on purpose: the routes are plain functions
// from a Request to a Response, so any server (or none) can sit in front of
// them. main() plays a scripted client against the router, prints every
// exchange, and exits non-zero when a response is not the one expected, so
// the example doubles as a test of the installed library.
//
// Usage: protected_routes [STORE_URL]   (default "memory:"; or "sqlite:PATH",
// which keeps revocations across restarts, as the Flask docs insist on.)
//
// It links jwtguard::core and jwtguard::sqlite only (see CMakeLists.txt), so
// it builds where hiredis and libpq are not installed: it opens its store
// with the backend's own function, not with open_store(url), which is the
// umbrella's and needs every backend.

#include <jwtguard/guard.h>
#include <jwtguard/http.h>
#include <jwtguard/store.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace {

// --- A minimal HTTP model ----------------------------------------------------

struct Request {
  std::string method;
  std::string path;
  std::string authorization;  // the Authorization header's value; empty when absent
};

struct Response {
  int status = 200;
  std::string body;  // JSON
};

// Enough JSON string escaping for the messages and tokens this app sends;
// building the bodies by hand keeps the example's only dependency jwtguard.
std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
          out += escaped;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

Response message(int status, std::string_view msg) {
  return {status, "{\"msg\":" + json_string(msg) + "}"};
}

// The error's status (jwtguard::http_status: Flask-JWT-Extended's) and fixed
// sentence, without Error::message()'s detail: the detail (which rule
// revoked the token, which claim is bad) is for the server's log, and the
// client gets the same text Flask-JWT-Extended would send.
Response error_response(const jwtguard::Error& error) {
  return message(jwtguard::http_status(error.code()), jwtguard::error_message(error.code()));
}

// A refused request, answered as `jwtguard serve` answers it.
Response refusal(const jwtguard::HttpError& error) { return {error.status, error.body()}; }

// jwtguard's view of this app's request (jwtguard/http.h): the one header
// it has, Authorization.
class View final : public jwtguard::RequestView {
 public:
  explicit View(const Request& request) : request_(request) {}
  std::string_view method() const override { return request_.method; }
  void header_values(std::string_view name,
                     const std::function<void(std::string_view)>& each) const override {
    if (!request_.authorization.empty() && name.size() == 13 &&
        std::equal(name.begin(), name.end(), "authorization", [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == b;
        })) {
      each(request_.authorization);
    }
  }
  std::optional<std::string> query_parameter(std::string_view) const override {
    return std::nullopt;
  }

 private:
  const Request& request_;
};

std::string token_pair_body(const jwtguard::IssuedToken& access,
                            const jwtguard::IssuedToken& refresh) {
  return "{\"access_token\":" + json_string(access.token) +
         ",\"refresh_token\":" + json_string(refresh.token) + "}";
}

// --- The routes ----------------------------------------------------------------

class Router {
 public:
  Router(jwtguard::Guard& guard, const jwtguard::HttpGuard& http) : guard_(guard), http_(http) {}

  Response handle(const Request& request) const {
    if (request.path == "/login") return only("POST", request, &Router::login);
    if (request.path == "/refresh") return only("POST", request, &Router::refresh);
    if (request.path == "/protected") return only("GET", request, &Router::protected_route);
    if (request.path == "/logout") return only("DELETE", request, &Router::logout);
    return message(404, "Not found");
  }

 private:
  using Handler = Response (Router::*)(const Request&) const;

  Response only(std::string_view method, const Request& request, Handler handler) const {
    if (request.method != method) return message(405, "Method not allowed");
    return (this->*handler)(request);
  }

  // A real app checks a password first; the Flask example logs everyone in
  // as "example_user", and so does this one. Flask's login returns only the
  // access token; this one returns the refresh token too, for /refresh.
  Response login(const Request&) const {
    auto pair = guard_.login("example_user");
    if (!pair) return error_response(pair.error());
    return {200, token_pair_body(pair->access, pair->refresh)};
  }

  // jwt_required(refresh=True). The Guard rotates refresh tokens: the one
  // presented is retired and a new one comes back with the access token.
  Response refresh(const Request& request) const {
    auto found = http_.require(View(request), {.type = jwtguard::TokenRequirement::kRefresh});
    if (!found) return refusal(found.error());
    auto refreshed = guard_.refresh(found->encoded());
    if (!refreshed) return error_response(refreshed.error());
    // Without rotation (GuardOptions::rotate_refresh_tokens off) the presented
    // refresh token stays valid and no new one is issued.
    if (!refreshed->refresh) {
      return {200, "{\"access_token\":" + json_string(refreshed->access.token) + "}"};
    }
    return {200, token_pair_body(refreshed->access, *refreshed->refresh)};
  }

  // jwt_required(): an access token, checked against the blocklist.
  Response protected_route(const Request& request) const {
    auto found = http_.require(View(request));
    if (!found) return refusal(found.error());
    return {200, "{\"hello\":\"world\"}"};
  }

  // jwt_required(verify_type=False): either token type may be revoked here,
  // so a client logs out by sending both, one request each.
  Response logout(const Request& request) const {
    auto found = http_.require(View(request), {.type = jwtguard::TokenRequirement::kAny});
    if (!found) return refusal(found.error());
    const jwtguard::Claims& claims = found->token.claims;
    // The Guard keeps the jti only until the token expires, as the Flask
    // example does with a Redis TTL.
    auto revoked = guard_.revoke_token(claims, {.revoked_by = claims.sub, .reason = "logout"});
    if (!revoked) return error_response(revoked.error());
    const bool is_refresh = claims.type == jwtguard::token_type_name(jwtguard::TokenType::kRefresh);
    return message(200, is_refresh ? "Refresh token revoked" : "Access token revoked");
  }

  jwtguard::Guard& guard_;
  const jwtguard::HttpGuard& http_;
};

// --- The scripted client -------------------------------------------------------

// Tokens are long; the transcript shows their ends only, enough to tell
// one from another (the start is the same header for every token).
std::string abbreviate_tokens(std::string_view text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text.substr(i, 3) != "eyJ") {
      out += text[i++];
      continue;
    }
    std::size_t end = i;
    while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) ||
                                 text[end] == '-' || text[end] == '_' || text[end] == '.')) {
      ++end;
    }
    if (end - i > 20) {
      out.append(text.substr(i, 6)).append("...").append(text.substr(end - 8, 8));
    } else {
      out.append(text.substr(i, end - i));
    }
    i = end;
  }
  return out;
}

// The value of a top-level string member, for the token bodies above (whose
// strings need no unescaping: JWTs are base64url and dots).
std::string json_member(std::string_view body, std::string_view name) {
  const std::string key = json_string(name) + ":\"";
  const std::size_t start = body.find(key);
  if (start == std::string_view::npos) return {};
  const std::size_t begin = start + key.size();
  const std::size_t end = body.find('"', begin);
  if (end == std::string_view::npos) return {};
  return std::string(body.substr(begin, end - begin));
}

class Client {
 public:
  explicit Client(const Router& router) : router_(router) {}

  // Sends the request, prints the exchange, and records a failure when the
  // status differs, or the body does when `want_body` is given.
  Response send(std::string_view note, Request request, int want_status,
                std::string_view want_body = {}) {
    std::printf("# %.*s\n> %s %s\n", static_cast<int>(note.size()), note.data(),
                request.method.c_str(), request.path.c_str());
    if (!request.authorization.empty()) {
      std::printf("> Authorization: %s\n", abbreviate_tokens(request.authorization).c_str());
    }
    Response response = router_.handle(request);
    std::printf("< %d %s\n", response.status, abbreviate_tokens(response.body).c_str());
    if (response.status != want_status || (!want_body.empty() && response.body != want_body)) {
      std::printf("!! expected %d %.*s\n", want_status, static_cast<int>(want_body.size()),
                  want_body.data());
      ++failures_;
    }
    std::printf("\n");
    return response;
  }

  int failures() const { return failures_; }

 private:
  const Router& router_;
  int failures_ = 0;
};

std::string bearer(std::string_view token) { return "Bearer " + std::string(token); }

// The Flask docs' scenario, then the refresh-token half of logging out.
int run_scenario(const Router& router) {
  Client client(router);
  constexpr std::string_view kHello = R"({"hello":"world"})";
  constexpr std::string_view kRevoked = R"({"msg":"Token has been revoked"})";

  const Response login = client.send("log in", {"POST", "/login", ""}, 200);
  const std::string access = json_member(login.body, "access_token");
  const std::string refresh = json_member(login.body, "refresh_token");

  client.send("the access token opens the route", {"GET", "/protected", bearer(access)}, 200,
              kHello);
  client.send("no token, no entry", {"GET", "/protected", ""}, 401,
              R"({"msg":"Missing Authorization Header"})");
  client.send("log out: revoke the access token", {"DELETE", "/logout", bearer(access)}, 200,
              R"({"msg":"Access token revoked"})");
  client.send("the revoked token is refused", {"GET", "/protected", bearer(access)}, 401, kRevoked);
  client.send("revoking it again needs a token that is not revoked",
              {"DELETE", "/logout", bearer(access)}, 401, kRevoked);

  // The refresh token outlived the logout, so it still mints access tokens:
  // why a client must send it to /logout as well.
  const Response refreshed = client.send("the refresh token still works: a new pair",
                                         {"POST", "/refresh", bearer(refresh)}, 200);
  const std::string access2 = json_member(refreshed.body, "access_token");
  const std::string refresh2 = json_member(refreshed.body, "refresh_token");
  client.send("the new access token opens the route", {"GET", "/protected", bearer(access2)}, 200,
              kHello);
  client.send("log out: revoke the refresh token", {"DELETE", "/logout", bearer(refresh2)}, 200,
              R"({"msg":"Refresh token revoked"})");
  client.send("the revoked refresh token mints nothing", {"POST", "/refresh", bearer(refresh2)},
              401, kRevoked);
  client.send("a refresh token is not an access token", {"GET", "/protected", bearer(refresh2)},
              422, R"({"msg":"Only non-refresh tokens are allowed"})");

  if (access.empty() || refresh.empty() || access2.empty() || refresh2.empty()) {
    std::printf("!! a token response carried no token\n");
    return client.failures() + 1;
  }
  return client.failures();
}

// The store named on the command line, opened by its backend's function.
jwtguard::Result<std::unique_ptr<jwtguard::Store>> open_example_store(std::string_view url) {
  constexpr std::string_view kSqlite = "sqlite:";
  if (url == "memory:") return jwtguard::open_memory_store();
  if (url.starts_with(kSqlite)) {
    return jwtguard::open_sqlite_store(std::string(url.substr(kSqlite.size())));
  }
  return jwtguard::fail(jwtguard::Errc::kInvalidArgument, "expected memory: or sqlite:PATH");
}

}  // namespace

int main(int argc, char** argv) {
  const std::string store_url = argc > 1 ? argv[1] : "memory:";
  const jwtguard::SystemClock clock;  // declared first: it must outlive the Guard

  // Flask's JWT_SECRET_KEY. Change it! HS256 needs at least 32 bytes.
  auto key = jwtguard::Key::from_secret("super-secret-change-me-32-bytes-or-more");
  if (!key) {
    std::fprintf(stderr, "key: %s\n", key.error().message().c_str());
    return 2;
  }
  auto store = open_example_store(store_url);
  if (!store) {
    std::fprintf(stderr, "store %s: %s\n", store_url.c_str(), store.error().message().c_str());
    return 2;
  }
  jwtguard::GuardOptions options;
  options.issuer.access_ttl = std::chrono::hours(1);  // JWT_ACCESS_TOKEN_EXPIRES

  auto guard = jwtguard::Guard::open(*std::move(key), jwtguard::KeySet{}, *std::move(store),
                                     std::move(options), clock);
  if (!guard) {
    std::fprintf(stderr, "guard: %s\n", guard.error().message().c_str());
    return 2;
  }

  // Flask-JWT-Extended's defaults: the Authorization header alone.
  auto http = jwtguard::HttpGuard::create(**guard, {}, &clock);
  if (!http) {
    std::fprintf(stderr, "http: %s\n", http.error().message().c_str());
    return 2;
  }
  const Router router(**guard, *http);
  const int failures = run_scenario(router);
  std::printf("%s: %d unexpected response(s)\n", failures == 0 ? "ok" : "FAILED", failures);
  return failures == 0 ? 0 : 1;
}
