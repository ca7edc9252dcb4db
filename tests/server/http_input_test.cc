// The service over real HTTP: bad input over the wire, limits, and timeouts.
#include "server/http_fixture.h"

namespace jwtguard::server {
namespace {

using namespace http_tests;  // NOLINT(google-build-using-namespace): the fixture's helpers

// --- bad input over the wire ----------------------------------------------------

TEST_F(HttpTest, MalformedJsonIs400) {
  HttpClient client(port());
  Reply reply = client.request(http::verb::post, "/auth/register", {}, R"({"username": )",
                               "application/json");
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.msg(), "Body is not valid JSON");
}

TEST_F(HttpTest, WrongJsonTypesAre400) {
  HttpClient client(port());
  Reply reply = client.post_json("/auth/login", {{"username", {"alice"}}, {"password", "x"}});
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.msg(), "'username' must be a string");
}

TEST_F(HttpTest, WrongContentTypeIs415) {
  HttpClient client(port());
  Reply reply = client.request(http::verb::post, "/auth/register", {}, credentials("alice").dump(),
                               "text/plain");
  EXPECT_EQ(reply.status, 415);
}

TEST_F(HttpTest, BodyAtTheLimitIsRead) {
  HttpClient client(port());
  std::string form = "token=" + std::string(kBodyLimit - 6, 'a');
  Reply reply = client.post_form("/oauth/revoke", form);
  EXPECT_EQ(reply.status, 200) << reply.error << reply.body;
}

TEST_F(HttpTest, BodyOverTheLimitIs413) {
  HttpClient client(port());
  std::string form = "token=" + std::string(kBodyLimit - 5, 'a');
  Reply reply = client.post_form("/oauth/revoke", form);
  EXPECT_EQ(reply.status, 413) << reply.error;
  EXPECT_EQ(reply.msg(), "Request body is too large");
  EXPECT_FALSE(reply.keep_alive);
}

TEST_F(HttpTest, BodyOverTheLimitWithExpectContinueIs413WithoutContinue) {
  RawConnection connection(port());
  ASSERT_TRUE(connection.connected());
  ASSERT_TRUE(
      connection.send("POST /oauth/revoke HTTP/1.1\r\nHost: t\r\n"
                      "Content-Type: application/x-www-form-urlencoded\r\n"
                      "Expect: 100-continue\r\nContent-Length: " +
                      std::to_string(kBodyLimit + 1) + "\r\n\r\n"));
  Reply reply = connection.read_reply();
  EXPECT_EQ(reply.status, 413) << reply.error;
  EXPECT_TRUE(connection.read_until_closed(seconds(5)).closed);
}

TEST_F(HttpTest, ExpectContinueGets100ThenTheAnswer) {
  RawConnection connection(port());
  ASSERT_TRUE(connection.connected());
  std::string form = "token=abc";
  ASSERT_TRUE(
      connection.send("POST /oauth/revoke HTTP/1.1\r\nHost: t\r\n"
                      "Content-Type: application/x-www-form-urlencoded\r\n"
                      "Expect: 100-continue\r\nContent-Length: " +
                      std::to_string(form.size()) + "\r\n\r\n"));
  EXPECT_EQ(connection.read_reply().status, 100);
  ASSERT_TRUE(connection.send(form));
  EXPECT_EQ(connection.read_reply().status, 200);
}

TEST_F(HttpTest, ChunkedBodyOverTheLimitIs413) {
  std::string request =
      "POST /oauth/revoke HTTP/1.1\r\nHost: t\r\n"
      "Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 17; ++i) request += "1000\r\n" + std::string(4096, 'a') + "\r\n";
  request += "0\r\n\r\n";
  auto replies = parse_replies(raw_exchange(port(), request, seconds(10)));
  ASSERT_FALSE(replies.empty());
  EXPECT_EQ(replies[0].status, 413);
}

TEST_F(HttpTest, HeaderOverTheLimitIs431) {
  std::string request =
      raw_request("GET", "/healthz", "X-Filler: " + std::string(17 * 1024, 'x') + "\r\n");
  auto replies = parse_replies(raw_exchange(port(), request, seconds(10)));
  ASSERT_FALSE(replies.empty());
  EXPECT_EQ(replies[0].status, 431);
  EXPECT_EQ(replies[0].msg(), "Request header fields are too large");
}

TEST_F(HttpTest, HeaderUnderTheLimitIsServed) {
  HttpClient client(port());
  Reply reply = client.get("/healthz", {{"X-Filler", std::string(15 * 1024, 'x')}});
  EXPECT_EQ(reply.status, 200);
}

TEST_F(HttpTest, TokenOverEightKibIs422) {
  HttpClient client(port());
  Reply reply = client.get("/auth/me", bearer(std::string(8 * 1024 + 1, 'a')));
  EXPECT_EQ(reply.status, 422);
  EXPECT_EQ(reply.msg(), "Token is too large");
}

TEST_F(HttpTest, GarbageIs400AndTheConnectionCloses) {
  bool closed = false;
  std::string raw =
      raw_exchange(port(), "\x01\x02 nonsense\r\n\r\n", seconds(5), AfterSend::kKeepOpen, &closed);
  auto replies = parse_replies(raw);
  ASSERT_FALSE(replies.empty()) << raw;
  EXPECT_EQ(replies[0].status, 400);
  EXPECT_TRUE(closed);
}

TEST_F(HttpTest, PipelinedRequestsAreAnsweredInOrder) {
  // The first goes to a worker (a password hash); the others are answered
  // inline, so answering them as they come would reorder the responses.
  std::string first = raw_request("POST", "/auth/login", "Content-Type: application/json\r\n",
                                  credentials("nobody").dump());
  std::string bytes = first + raw_request("GET", "/healthz") +
                      raw_request("GET", "/nowhere", "Connection: close\r\n");
  auto replies = parse_replies(raw_exchange(port(), bytes, seconds(10)));
  ASSERT_EQ(replies.size(), 3u);
  EXPECT_EQ(replies[0].msg(), "Bad username or password");
  EXPECT_EQ(replies[1].json(), json({{"status", "ok"}}));
  EXPECT_EQ(replies[2].status, 404);
}

TEST_F(HttpTest, ManyPipelinedRequestsAreAllAnswered) {
  std::string bytes;
  for (int i = 0; i < 50; ++i) bytes += raw_request("GET", i % 2 ? "/healthz" : "/nowhere");
  auto replies = parse_replies(raw_exchange(port(), bytes, seconds(10)));
  ASSERT_EQ(replies.size(), 50u);
  for (std::size_t i = 0; i < replies.size(); ++i) {
    EXPECT_EQ(replies[i].status, i % 2 ? 200 : 404) << "response " << i;
  }
}

TEST_F(HttpTest, HeadHasNoBodyAndTheConnectionStaysUsable) {
  HttpClient client(port());
  Reply head = client.request(http::verb::head, "/healthz");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
  EXPECT_EQ(client.get("/healthz").json(), json({{"status", "ok"}}));
  EXPECT_EQ(client.connections_opened(), 1);
}

TEST_F(HttpTest, Http10RequestIsAnsweredAndTheConnectionClosed) {
  bool closed = false;
  std::string raw = raw_exchange(port(), "GET /healthz HTTP/1.0\r\n\r\n", seconds(5),
                                 AfterSend::kKeepOpen, &closed);
  EXPECT_TRUE(raw.starts_with("HTTP/1.0 200 ")) << raw;
  EXPECT_TRUE(closed);
}

TEST_F(HttpTest, ConnectionCloseIsHonoured) {
  bool closed = false;
  std::string raw = raw_exchange(port(), raw_request("GET", "/healthz", "Connection: close\r\n"),
                                 seconds(5), AfterSend::kKeepOpen, &closed);
  EXPECT_EQ(status_codes(raw), std::vector<int>{200});
  EXPECT_TRUE(closed);
}

TEST_F(HttpTest, ChunkedBodyIsRead) {
  std::string bytes =
      "POST /oauth/revoke HTTP/1.1\r\nHost: t\r\n"
      "Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n"
      "6\r\ntoken=\r\n3\r\nabc\r\n0\r\n\r\n";
  auto replies = parse_replies(raw_exchange(port(), bytes, seconds(5)));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].status, 200) << replies[0].body;
}

// RFC 9112 §6.1: a request with both is a smuggling attempt until proven
// otherwise.
TEST_F(HttpTest, ContentLengthWithChunkedIs400AndCloses) {
  bool closed = false;
  std::string raw = raw_exchange(
      port(),
      raw_request("POST", "/oauth/revoke",
                  "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\n"
                  "Transfer-Encoding: chunked\r\n") +
          "3\r\nt=a\r\n0\r\n\r\n",
      seconds(5), AfterSend::kKeepOpen, &closed);
  EXPECT_EQ(status_codes(raw), std::vector<int>{400}) << raw;
  EXPECT_TRUE(closed);
}

TEST_F(HttpTest, ConflictingContentLengthsAre400) {
  std::string raw = raw_exchange(
      port(),
      raw_request("POST", "/oauth/revoke", "Content-Length: 3\r\nContent-Length: 4\r\n") + "t=ab",
      seconds(5));
  EXPECT_EQ(status_codes(raw), std::vector<int>{400}) << raw;
}

// RFC 9112 §6.3: when chunked is not the final transfer coding of a
// request, its length cannot be known; the server MUST answer 400 and
// close. Reading it as bodiless instead makes the body the next request
// (here GET /nowhere), which is how requests get smuggled past a proxy.
TEST_F(HttpTest, TransferEncodingNotEndingInChunkedIs400AndCloses) {
  bool closed = false;
  std::string raw = raw_exchange(port(),
                                 raw_request("GET", "/healthz", "Transfer-Encoding: gzip\r\n") +
                                     raw_request("GET", "/nowhere"),
                                 seconds(3), AfterSend::kKeepOpen, &closed);
  EXPECT_EQ(status_codes(raw), std::vector<int>{400}) << raw;
  EXPECT_TRUE(closed);
}

TEST_F(HttpTest, TransferCodingsOtherThanChunkedAloneAre400) {
  // The body stays gzip-compressed after de-chunking, and nothing here
  // undoes gzip: refused, rather than handed to a handler as JSON.
  std::string body = "5\r\nhello\r\n0\r\n\r\n";
  bool closed = false;
  std::string raw = raw_exchange(
      port(), raw_request("POST", "/auth/login", "Transfer-Encoding: gzip, chunked\r\n") + body,
      seconds(3), AfterSend::kKeepOpen, &closed);
  EXPECT_EQ(status_codes(raw), std::vector<int>{400}) << raw;
  EXPECT_TRUE(closed);
}

TEST_F(HttpTest, StopClosesIdleKeepAliveConnections) {
  RawConnection connection(port());
  ASSERT_TRUE(connection.send(raw_request("GET", "/healthz")));
  ASSERT_EQ(connection.read_reply().status, 200);
  app_->stop();
  EXPECT_TRUE(connection.read_until_closed(seconds(5)).closed);
}

// --- timeouts -------------------------------------------------------------------------

class IdleTimeoutTest : public HttpTest {
 protected:
  void configure(ServeConfig& config) override {
    config.idle_timeout = seconds(1);
    config.read_timeout = seconds(30);
  }
};

TEST_F(IdleTimeoutTest, ConnectionWithoutARequestIsClosed) {
  RawConnection connection(port());
  ASSERT_TRUE(connection.connected());
  RawConnection::Received received = connection.read_until_closed(seconds(10));
  EXPECT_TRUE(received.closed);
  EXPECT_EQ(received.bytes, "");
}

TEST_F(IdleTimeoutTest, KeepAliveConnectionIsClosedAfterItsLastResponse) {
  RawConnection connection(port());
  ASSERT_TRUE(connection.send(raw_request("GET", "/healthz")));
  Reply reply = connection.read_reply();
  ASSERT_EQ(reply.status, 200);
  ASSERT_TRUE(reply.keep_alive);
  EXPECT_TRUE(connection.read_until_closed(seconds(10)).closed);
}

class ReadTimeoutTest : public HttpTest {
 protected:
  void configure(ServeConfig& config) override {
    config.idle_timeout = seconds(60);
    config.read_timeout = seconds(1);
  }
};

TEST_F(ReadTimeoutTest, HalfAHeaderIsClosedAfterTheReadTimeout) {
  RawConnection connection(port());
  ASSERT_TRUE(connection.send("GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow"));
  EXPECT_TRUE(connection.read_until_closed(seconds(10)).closed);
}

TEST_F(ReadTimeoutTest, HalfABodyIsClosedAfterTheReadTimeout) {
  RawConnection connection(port());
  ASSERT_TRUE(
      connection.send("POST /auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                      "Content-Length: 100\r\n\r\n{\"username\": "));
  EXPECT_TRUE(connection.read_until_closed(seconds(10)).closed);
}

}  // namespace
}  // namespace jwtguard::server
