// The service over real HTTP: 10,000 random malformed requests.
#include "server/http_fixture.h"

namespace jwtguard::server {
namespace {

using namespace http_tests;  // NOLINT(google-build-using-namespace): the fixture's helpers

// --- fuzzing --------------------------------------------------------------------------

// Random requests, most of them broken in one way: the server must answer
// each with a status below 500 or close the connection, and stay up.
class RequestFuzzer {
 public:
  RequestFuzzer(std::uint32_t seed, std::vector<std::string> tokens)
      : rng_(seed), tokens_(std::move(tokens)) {}

  void set_tokens(std::vector<std::string> tokens) { tokens_ = std::move(tokens); }

  // A request of a random route with random headers and body, framed right.
  std::string well_formed() {
    const Route& route = one_of(kRoutes);
    const char* method = chance(90) ? route.method : one_of(kRoutes).method;
    if (chance(5)) method = "HEAD";
    return request(method, target(route), headers(), body());
  }

  // Most likely broken in one of several ways; well-formed one time in five.
  std::string next() {
    switch (pick(10)) {
      case 0:
        return bytes(pick(200));
      case 1:
        return truncated();
      case 2:
        return with_bad_method();
      case 3:
        return with_bad_version();
      case 4:
        return with_absurd_length();
      case 5:
        return with_broken_chunks();
      case 6:
        return with_header_junk();
      case 7:
        return to_random_path();
      default:
        return well_formed();
    }
  }

 private:
  struct Route {
    const char* method;
    const char* path;  // a trailing '/' takes a parameter
  };
  static constexpr Route kRoutes[] = {
      {"POST", "/auth/register"},
      {"POST", "/auth/login"},
      {"POST", "/auth/refresh"},
      {"DELETE", "/auth/logout"},
      {"POST", "/auth/logout-all"},
      {"GET", "/auth/sessions"},
      {"DELETE", "/auth/sessions/"},
      {"GET", "/auth/me"},
      {"GET", "/auth/verify"},
      {"POST", "/oauth/revoke"},
      {"POST", "/oauth/introspect"},
      {"GET", "/.well-known/jwks.json"},
      {"GET", "/admin/revocations"},
      {"POST", "/admin/revocations"},
      {"DELETE", "/admin/revocations/"},
      {"POST", "/admin/tokens"},
      {"GET", "/healthz"},
      {"GET", "/readyz"},
      {"GET", "/metrics"},
  };

  std::size_t pick(std::size_t n) { return n == 0 ? 0 : rng_() % n; }
  bool chance(int percent) { return static_cast<int>(pick(100)) < percent; }
  template <typename T, std::size_t N>
  const T& one_of(const T (&items)[N]) {
    return items[pick(N)];
  }

  std::string bytes(std::size_t n) {
    std::string out(n, '\0');
    for (char& c : out) c = static_cast<char>(pick(256));
    return out;
  }
  std::string printable(std::size_t n) {
    std::string out(n, ' ');
    for (char& c : out) c = static_cast<char>(0x21 + pick(0x5e));
    return out;
  }
  std::string token() {
    if (!tokens_.empty() && chance(60)) return tokens_[pick(tokens_.size())];
    switch (pick(4)) {
      case 0:
        return printable(pick(60));
      case 1:
        return printable(10) + "." + printable(20) + "." + printable(10);
      case 2:
        return std::string(8 * 1024 + pick(3) - 1, 'a');
      default:
        return "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.";
    }
  }

  std::string segment() {
    static const char* const kSegments[] = {"%",      "%zz", "%00",  "%ff",   "%2F", "..",
                                            "%2e%2e", "a b", "\xff", "x%2Fy", "+"};
    if (!tokens_.empty() && chance(20)) return tokens_[pick(tokens_.size())].substr(0, 22);
    return chance(50) ? printable(1 + pick(30)) : one_of(kSegments);
  }

  std::string target(const Route& route) {
    std::string path = route.path;
    if (path.back() == '/') path += segment();
    if (chance(20)) path += "?" + printable(pick(40));
    if (chance(10))
      path += "?user=" + segment() + "&limit=" + printable(pick(5)) +
              "&type=" + printable(pick(8)) + "&cursor=" + segment() + "&kind=" + segment();
    return path;
  }

  std::string json_value(int depth) {
    switch (depth > 3 ? pick(4) : pick(7)) {
      case 0:
        return "\"" + printable(pick(20)) + "\"";
      case 1:
        return std::to_string(static_cast<int>(rng_()));
      case 2:
        return chance(50) ? "true" : "null";
      case 3:
        return "\"\\ud800\"";
      case 4:
        return "[" + json_value(depth + 1) + "," + json_value(depth + 1) + "]";
      default: {
        static const char* const kKeys[] = {"username", "password", "identity", "claims",
                                            "fresh",    "jti",      "sid",      "user",
                                            "reason",   "token",    "sub"};
        std::string out = "{";
        for (std::size_t i = 0, n = pick(4); i < n; ++i) {
          if (i > 0) out += ",";
          out += "\"" + std::string(one_of(kKeys)) + "\":" + json_value(depth + 1);
        }
        return out + "}";
      }
    }
  }

  std::string body() {
    switch (pick(8)) {
      case 0:
        return {};
      case 1:
        return bytes(pick(300));
      case 2:
        return json_value(0);
      case 3: {
        std::string json = json_value(0);
        return json.substr(0, pick(json.size() + 1));
      }
      case 4:
        return "token=" + token() + (chance(50) ? "&token_type_hint=refresh_token" : "");
      case 5:
        return std::string(1 + pick(5000), '[');
      case 6:  // shaped like a login; mostly short passwords, so rarely hashed
        return "{\"username\":\"" + printable(1 + pick(10)) + "\",\"password\":\"" +
               printable(pick(10)) + "\"}";
      default:
        return "{\"jti\":\"" + segment() + "\",\"reason\":" + json_value(2) + "}";
    }
  }

  std::string headers() {
    static const char* const kTypes[] = {"application/json", "application/x-www-form-urlencoded",
                                         "text/plain",       "application/json; charset=utf-8",
                                         "APPLICATION/JSON", ";",
                                         "application/jsonx"};
    std::string out;
    if (chance(70)) out += "Content-Type: " + std::string(one_of(kTypes)) + "\r\n";
    switch (pick(6)) {
      case 0:
        break;
      case 1:
        out += "Authorization: Token " + token() + "\r\n";
        break;
      case 2:
        out += "Authorization: Bearer\r\n";
        break;
      default:
        out += "Authorization: Bearer " + token() + "\r\n";
        break;
    }
    if (chance(10)) out += "User-Agent: " + printable(pick(600)) + "\r\n";
    if (chance(5)) out += "Expect: 100-continue\r\n";
    if (chance(10)) out += "Connection: close\r\n";
    return out;
  }

  std::string request(std::string_view method, std::string_view target, std::string_view head,
                      std::string_view content) {
    return std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: fuzz\r\n" +
           std::string(head) + "Content-Length: " + std::to_string(content.size()) + "\r\n\r\n" +
           std::string(content);
  }

  std::string truncated() {
    std::string whole = well_formed();
    return whole.substr(0, pick(whole.size()));
  }

  std::string with_bad_method() {
    static const char* const kMethods[] = {"",     "get",      "G ET",    "GET\x01", "PRI",
                                           "BREW", "\xff\xfe", "CONNECT", "OPTIONS", "TRACE"};
    std::string method = chance(50) ? one_of(kMethods) : printable(1 + pick(12));
    return request(method, target(one_of(kRoutes)), headers(), body());
  }

  std::string with_bad_version() {
    static const char* const kVersions[] = {"HTTP/1.2",  "HTTP/2",   "HTTP/1.1x",
                                            "HTTPS/1.1", "http/1.1", "HTTP/0.9",
                                            "HTTP/9.9",  "",         "HTTP/1.10"};
    return "GET " + target(one_of(kRoutes)) + " " + one_of(kVersions) + "\r\nHost: fuzz\r\n\r\n";
  }

  std::string with_absurd_length() {
    static const char* const kLengths[] = {"-1",
                                           "abc",
                                           "99999999999999999999999999",
                                           "1e3",
                                           "0x10",
                                           "18446744073709551615",
                                           "18446744073709551616",
                                           "4294967296",
                                           "65537",
                                           "12, 12",
                                           "",
                                           " 5",
                                           "5\r\nContent-Length: 6"};
    const Route& route = one_of(kRoutes);
    std::string content = body();
    std::string length = chance(70) ? std::string(one_of(kLengths))
                                    : std::to_string(content.size() + pick(100) - 50);
    return std::string(route.method) + " " + target(route) + " HTTP/1.1\r\nHost: fuzz\r\n" +
           headers() + "Content-Length: " + length + "\r\n\r\n" + content;
  }

  std::string with_broken_chunks() {
    static const char* const kSizes[] = {
        "zz", "-5", "ffffffffffffffffff", "10000", "5;\x01", "5 ; ext=\"", "", "0x5", "5\n"};
    static const char* const kEncodings[] = {
        "chunked",           "gzip, chunked",
        "chunked, identity", "chunked\r\nContent-Length: 5",
        "CHUNKED",           "chunked\r\nTransfer-Encoding: chunked"};
    const Route& route = one_of(kRoutes);
    std::string out = std::string(route.method) + " " + target(route) +
                      " HTTP/1.1\r\nHost: fuzz\r\n" + headers() +
                      "Transfer-Encoding: " + one_of(kEncodings) + "\r\n\r\n";
    for (std::size_t i = 0, n = 1 + pick(3); i < n; ++i) {
      std::string data = printable(pick(40));
      std::string size = chance(50) ? one_of(kSizes) : [&] {
        char hex[16];
        std::snprintf(hex, sizeof hex, "%zx", data.size() + pick(3));
        return std::string(hex);
      }();
      out += size + "\r\n" + data + (chance(80) ? "\r\n" : "");
    }
    if (chance(50)) out += "0\r\n" + std::string(chance(50) ? "X-Trailer: \x01\r\n" : "") + "\r\n";
    return out;
  }

  std::string with_header_junk() {
    using namespace std::string_view_literals;  // "\0" inside a literal
    static constexpr std::string_view kJunk[] = {
        "Bad Header: x\r\n"sv,      "NoColon\r\n"sv,      ": empty-name\r\n"sv,
        "X-A: a\r\n  folded\r\n"sv, "X-Nul: a\0b\r\n"sv,  "X-Ctl: \x01\x02\r\n"sv,
        "X-Bare: lf\n"sv,           "Host: second\r\n"sv, "X-High: \xff\xfe\xfd\r\n"sv,
        " X-Lead: space\r\n"sv,     "X-Tab\t: t\r\n"sv,   "Authorization: Bearer a b c\r\n"sv};
    const Route& route = one_of(kRoutes);
    std::string head = headers();
    for (std::size_t i = 0, n = 1 + pick(3); i < n; ++i) head += one_of(kJunk);
    if (chance(10)) head += "X-Big: " + std::string(pick(20'000), 'b') + "\r\n";
    if (chance(5)) {
      for (int i = 0; i < 500; ++i) head += "X-" + std::to_string(i) + ": v\r\n";
    }
    return request(route.method, target(route), head, body());
  }

  std::string to_random_path() {
    static const char* const kTargets[] = {"*",
                                           "http://fuzz/healthz",
                                           "healthz",
                                           "//healthz",
                                           "/healthz/",
                                           "/auth/sessions/",
                                           "/admin/revocations/",
                                           "/auth/sessions/a/b",
                                           "/%",
                                           "/%zz",
                                           "/\x7f",
                                           "/a b",
                                           "/",
                                           "/.well-known/",
                                           "/auth/me#frag",
                                           "/healthz?%"};
    const Route& route = one_of(kRoutes);
    std::string path =
        chance(50) ? std::string(one_of(kTargets)) : "/" + printable(pick(chance(5) ? 10'000 : 50));
    return request(route.method, path, headers(), body());
  }

  std::mt19937 rng_;
  std::vector<std::string> tokens_;
};

std::string escaped(std::string_view bytes, std::size_t limit = 2048) {
  std::string out;
  for (unsigned char c : bytes.substr(0, limit)) {
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c >= 0x7f || c == '\\') {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (bytes.size() > limit) out += "...(" + std::to_string(bytes.size()) + " bytes)";
  return out;
}

class FuzzTest : public HttpTest {
 protected:
  void configure(ServeConfig& config) override {
    // Few password hashes: a login failure or two from the one address, then 429s.
    config.login_max_failures_per_address = 3;
    config.read_timeout = seconds(2);
    config.idle_timeout = seconds(2);
  }

  // Valid tokens of an admin and of a user, renewed now and then (the
  // fuzzer logs them out, revokes them and reuses them).
  std::vector<std::string> fresh_tokens() {
    std::vector<std::string> tokens;
    for (std::string_view user : {"root", "fuzzer"}) {
      auto pair = app_->guard().login(user);
      if (!pair) continue;
      tokens.push_back(pair->access.token);
      tokens.push_back(pair->refresh.token);
    }
    return tokens;
  }
};

TEST_F(FuzzTest, RandomMalformedRequestsGetNo5xxAndTheServiceStaysUp) {
  constexpr int kRequests = 10'000;
  std::uint32_t seed = 20240611;
  if (const char* given = std::getenv("JWTGUARD_FUZZ_SEED")) {
    seed = static_cast<std::uint32_t>(std::strtoul(given, nullptr, 10));
  }
  std::cout << "[ fuzz     ] seed " << seed << " (JWTGUARD_FUZZ_SEED to change it)" << std::endl;
  RecordProperty("seed", std::to_string(seed));
  admin_token("root");
  RequestFuzzer fuzzer(seed, fresh_tokens());
  std::mt19937 batches(seed ^ 0x9e3779b9u);

  int sent = 0, connections = 0, answers = 0, not_closed = 0, failures = 0;
  while (sent < kRequests) {
    if (connections % 200 == 0) fuzzer.set_tokens(fresh_tokens());
    // Well-formed requests first (the connection lives through them), then
    // one that is most likely broken.
    std::string bytes;
    for (int lead = static_cast<int>(batches() % 5); lead > 0 && sent < kRequests - 1; --lead) {
      bytes += fuzzer.well_formed();
      ++sent;
    }
    bytes += fuzzer.next();
    ++sent;
    bool closed = false;
    std::string raw = raw_exchange(port(), bytes, seconds(5), AfterSend::kHalfClose, &closed);
    ++connections;
    not_closed += closed ? 0 : 1;
    for (int code : status_codes(raw)) {
      ++answers;
      if (code < 500 || failures >= 5) continue;
      ++failures;
      ADD_FAILURE() << "seed " << seed << ", connection " << connections << ": status " << code
                    << "\nsent: " << escaped(bytes) << "\ngot: " << escaped(raw);
    }
  }
  std::cout << "[ fuzz     ] " << sent << " requests on " << connections << " connections, "
            << answers << " responses" << std::endl;
  EXPECT_EQ(not_closed, 0) << "connections the server kept open after the client's end of stream";
  EXPECT_GT(answers, kRequests / 4);

  HttpClient client(port());
  Reply health = client.get("/healthz");
  EXPECT_EQ(health.status, 200) << health.error;
  auto pair = app_->guard().login("after-fuzz");
  ASSERT_OK(pair);
  EXPECT_EQ(client.get("/auth/me", bearer(pair->access.token)).status, 200);
}

}  // namespace
}  // namespace jwtguard::server
