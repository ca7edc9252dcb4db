// What the listener takes from a request's framing: trailer fields are not
// header fields, Host is required once in HTTP/1.1, the absolute form's
// scheme is case-insensitive, and one Authorization header at most.
#include "server/http_fixture.h"

namespace jwtguard::server::http_tests {
namespace {

// A chunked request whose head is `head_fields` and whose one-chunk body
// `body` is followed by the trailer section `trailer` (field lines).
std::string chunked_request(std::string_view method, std::string_view target,
                            std::string_view head_fields, std::string_view body,
                            std::string_view trailer) {
  std::string out = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: t\r\n";
  out += head_fields;
  out += "Transfer-Encoding: chunked\r\n\r\n";
  if (!body.empty()) {
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", body.size());
    out += size;
    out += body;
    out += "\r\n";
  }
  out += "0\r\n";
  out += trailer;
  out += "\r\n";
  return out;
}

Reply only_reply(std::uint16_t port, const std::string& bytes) {
  auto replies = parse_replies(raw_exchange(port, bytes, seconds(5)));
  if (replies.size() != 1)
    return Reply{0, "expected one reply, got " + std::to_string(replies.size())};
  return replies[0];
}

class TrailerTest : public HttpTest {
 protected:
  void configure(ServeConfig& config) override { config.trust_forwarded_for = true; }
};

TEST_F(TrailerTest, AuthorizationInATrailerDoesNotAuthenticate) {
  HttpClient client(port());
  Tokens tokens = register_and_login(client, "alice");
  ASSERT_FALSE(tokens.access.empty());
  Reply reply =
      only_reply(port(), chunked_request("GET", "/auth/verify", "", "",
                                         "Authorization: Bearer " + tokens.access + "\r\n"));
  EXPECT_EQ(reply.status, 401) << reply.error << reply.body;
  EXPECT_EQ(reply.msg(), "Missing Authorization Header");
}

TEST_F(TrailerTest, AuthorizationInTheHeadStillWorksWithATrailer) {
  HttpClient client(port());
  Tokens tokens = register_and_login(client, "alice");
  Reply reply =
      only_reply(port(), chunked_request("GET", "/auth/verify",
                                         "Authorization: Bearer " + tokens.access + "\r\n", "",
                                         "Authorization: Bearer not-a-token\r\nX-Extra: 1\r\n"));
  EXPECT_EQ(reply.status, 200) << reply.error << reply.body;
}

TEST_F(TrailerTest, ContentTypeInATrailerIsNotTheBodysType) {
  std::string body = credentials("alice").dump();
  Reply reply = only_reply(port(), chunked_request("POST", "/auth/register", "", body,
                                                   "Content-Type: application/json\r\n"));
  EXPECT_EQ(reply.status, 415) << reply.error << reply.body;
}

TEST_F(TrailerTest, ForwardedForInATrailerIsNotTheClientAddress) {
  HttpClient client(port());
  ASSERT_EQ(client.post_json("/auth/register", credentials("alice")).status, 201);
  std::string body = credentials("alice").dump();
  Reply login = only_reply(
      port(), chunked_request("POST", "/auth/login", "Content-Type: application/json\r\n", body,
                              "X-Forwarded-For: 203.0.113.9\r\n"));
  ASSERT_EQ(login.status, 200) << login.error << login.body;
  Reply reply = client.get("/auth/sessions", bearer(tokens_of(login).access));
  ASSERT_EQ(reply.status, 200) << reply.body;
  json sessions = reply.json()["sessions"];
  ASSERT_EQ(sessions.size(), 1u) << sessions;
  EXPECT_EQ(sessions[0]["client_address"], "127.0.0.1");
}

// RFC 9112 §3.2: a server MUST answer 400 to an HTTP/1.1 request without a
// Host field, or with more than one.
TEST_F(HttpTest, Http11WithoutHostIs400AndCloses) {
  bool closed = false;
  std::string raw = raw_exchange(port(), "GET /healthz HTTP/1.1\r\n\r\n", seconds(5),
                                 AfterSend::kKeepOpen, &closed);
  auto replies = parse_replies(raw);
  ASSERT_EQ(replies.size(), 1u) << raw;
  EXPECT_EQ(replies[0].status, 400);
  EXPECT_EQ(replies[0].msg(), "Missing Host header");
  EXPECT_TRUE(closed);
}

TEST_F(HttpTest, TwoHostHeadersAre400) {
  for (std::string_view version : {"1.1", "1.0"}) {
    std::string request =
        "GET /healthz HTTP/" + std::string(version) + "\r\nHost: a\r\nHost: b\r\n\r\n";
    auto replies = parse_replies(raw_exchange(port(), request, seconds(5)));
    ASSERT_EQ(replies.size(), 1u) << version;
    EXPECT_EQ(replies[0].status, 400) << version;
    EXPECT_EQ(replies[0].msg(), "More than one Host header") << version;
  }
}

TEST_F(HttpTest, Http10WithoutHostIsServed) {
  std::string raw = raw_exchange(port(), "GET /healthz HTTP/1.0\r\n\r\n", seconds(5));
  EXPECT_EQ(status_codes(raw), std::vector<int>{200}) << raw;
}

// RFC 9110 §4.2.3: the scheme and host are case-insensitive.
TEST_F(HttpTest, AbsoluteFormRoutesWhateverTheCaseOfItsScheme) {
  for (std::string_view target :
       {"http://t/healthz", "HTTP://t/healthz", "Http://T/healthz", "HTTPS://t/healthz?x=1"}) {
    Reply reply = only_reply(port(), raw_request("GET", target));
    EXPECT_EQ(reply.status, 200) << target << ": " << reply.error << reply.body;
  }
  // The path "/" has no route; a '/' in the query is not the path's.
  for (std::string_view target : {"HTTP://t", "http://t?x=/healthz"}) {
    Reply reply = only_reply(port(), raw_request("GET", target));
    EXPECT_EQ(reply.status, 404) << target << ": " << reply.body;
  }
}

// Which of two an upstream proxy checked is unknowable: refused, in the 422
// family of malformed Authorization headers.
TEST_F(HttpTest, TwoAuthorizationHeadersAre422) {
  HttpClient client(port());
  Tokens tokens = register_and_login(client, "alice");
  Reply reply = client.get("/auth/verify", {{"Authorization", "Bearer " + tokens.access},
                                            {"Authorization", "Bearer " + tokens.access}});
  EXPECT_EQ(reply.status, 422) << reply.body;
  EXPECT_EQ(reply.msg(),
            "Bad Authorization header: more than one. Expected 'Authorization: Bearer <JWT>'");
  EXPECT_EQ(reply.body.find(tokens.access), std::string::npos);  // never echoed
}

}  // namespace
}  // namespace jwtguard::server::http_tests
