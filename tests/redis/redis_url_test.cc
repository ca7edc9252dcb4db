// How a Redis store URL is read (parse_url) and shown (redact_url).
#include "redis/redis_url.h"

#include <gtest/gtest.h>

#include <string>

#include "testing/fixtures.h"

namespace jwtguard::redis {
namespace {

TEST(RedisUrl, AHostAloneTakesTheDefaults) {
  auto e = parse_url("redis://cache.internal");
  ASSERT_OK(e);
  EXPECT_EQ(e->host, "cache.internal");
  EXPECT_EQ(e->port, 6379);
  EXPECT_EQ(e->user, "");
  EXPECT_EQ(e->password, "");
  EXPECT_EQ(e->db, 0);
}

TEST(RedisUrl, ReadsEveryPart) {
  auto e = parse_url("redis://app:s3cret@10.0.0.7:6380/5");
  ASSERT_OK(e);
  EXPECT_EQ(e->host, "10.0.0.7");
  EXPECT_EQ(e->port, 6380);
  EXPECT_EQ(e->user, "app");
  EXPECT_EQ(e->password, "s3cret");
  EXPECT_EQ(e->db, 5);
}

TEST(RedisUrl, APasswordWithoutAUserAuthenticatesWithThePasswordOnly) {
  auto e = parse_url("redis://:s3cret@localhost");
  ASSERT_OK(e);
  EXPECT_EQ(e->user, "");
  EXPECT_EQ(e->password, "s3cret");
}

TEST(RedisUrl, CredentialsArePercentDecoded) {
  auto e = parse_url("redis://a%40b:p%2Fq%3Fr%23s%3At%25u%zz@localhost");
  EXPECT_ERRC(e, Errc::kInvalidArgument);  // %zz is no escape
  e = parse_url("redis://a%40b:p%2Fq%3Fr%23s%3At%25u%2f@localhost");
  ASSERT_OK(e);
  EXPECT_EQ(e->user, "a@b");
  EXPECT_EQ(e->password, "p/q?r#s:t%u/");
}

TEST(RedisUrl, TheLastAtEndsTheCredentials) {
  auto e = parse_url("redis://app:pa@ss:wo@rd@localhost:7000");
  ASSERT_OK(e);
  EXPECT_EQ(e->user, "app");
  EXPECT_EQ(e->password, "pa@ss:wo@rd");
  EXPECT_EQ(e->host, "localhost");
  EXPECT_EQ(e->port, 7000);
}

TEST(RedisUrl, ReadsABracketedIpv6Address) {
  auto e = parse_url("redis://[::1]:6390/2");
  ASSERT_OK(e);
  EXPECT_EQ(e->host, "::1");
  EXPECT_EQ(e->port, 6390);
  EXPECT_EQ(e->db, 2);
  EXPECT_EQ(e->address(), "[::1]:6390");
  e = parse_url("redis://[fe80::1]");
  ASSERT_OK(e);
  EXPECT_EQ(e->host, "fe80::1");
  EXPECT_EQ(e->port, 6379);
}

TEST(RedisUrl, PortBoundaries) {
  auto low = parse_url("redis://h:1");
  ASSERT_OK(low);
  EXPECT_EQ(low->port, 1);
  auto high = parse_url("redis://h:65535");
  ASSERT_OK(high);
  EXPECT_EQ(high->port, 65535);
  for (const char* url : {"redis://h:0", "redis://h:65536", "redis://h:-1", "redis://h:+80",
                          "redis://h:80x", "redis://h:", "redis://h:99999999999",
                          "redis://[::1]:", "redis://[::1]:0", "redis://[::1]:65536"}) {
    SCOPED_TRACE(url);
    EXPECT_ERRC(parse_url(url), Errc::kInvalidArgument);
  }
}

TEST(RedisUrl, TheDatabaseIsANonNegativeNumber) {
  auto zero = parse_url("redis://h/0");
  ASSERT_OK(zero);
  EXPECT_EQ(zero->db, 0);
  auto big = parse_url("redis://h/2147483647");
  ASSERT_OK(big);
  EXPECT_EQ(big->db, 2147483647);
  auto slash = parse_url("redis://h/");  // an empty path: the default database
  ASSERT_OK(slash);
  EXPECT_EQ(slash->db, 0);
  for (const char* url :
       {"redis://h/-1", "redis://h/x", "redis://h/1/2", "redis://h/2147483648", "redis://h/1x"}) {
    SCOPED_TRACE(url);
    EXPECT_ERRC(parse_url(url), Errc::kInvalidArgument);
  }
}

TEST(RedisUrl, RefusesWhatItDoesNotRead) {
  for (const char* url : {
           "",
           "rediss://h",  // TLS is not supported
           "REDIS://h",   // the scheme as written
           "http://h",
           "redis://",             // no host
           "redis://:6379",        // no host before the port
           "redis://h?db=1",       // query strings
           "redis://h#frag",       // fragments
           "redis://app@h",        // a user without a password
           "redis://app:@h",       // an empty password
           "redis://::1",          // IPv6 without brackets
           "redis://[::1",         // unclosed bracket
           "redis://[::1]x",       // junk after the brackets
           "redis://[]",           // nothing between the brackets
           "redis://[host.name]",  // not an IPv6 address
           "redis://h st",         // a space in the host
           "redis://h%41",         // an escape in the host
           "redis://:pa/ss@h",     // an unescaped '/' in the password
           "redis://:pa?ss@h",     // an unescaped '?'
           "redis://:pa#ss@h",     // an unescaped '#'
           "redis://:p%4@h",       // a truncated escape
           "redis://:p%@h",
       }) {
    SCOPED_TRACE(url);
    EXPECT_ERRC(parse_url(url), Errc::kInvalidArgument);
  }
}

TEST(RedisUrl, AnErrorNeverRepeatsTheUrl) {
  for (const char* url : {"redis://:Secr3tW0rd/x@h", "redis://app:Secr3tW0rd@h:0",
                          "redis://:Secr3tW0rd%zz@h", "redis://app:Secr3tW0rd@h/db",
                          "redis://app:Secr3tW0rd@h?x=1", "redis://app:Secr3tW0rd@[::1"}) {
    auto e = parse_url(url);
    ASSERT_FALSE(e.has_value()) << url;
    EXPECT_EQ(e.error().message().find("Secr3tW0rd"), std::string::npos)
        << url << ": " << e.error().message();
    EXPECT_NE(e.error().detail().find("bad redis URL"), std::string::npos);
  }
}

TEST(RedisUrl, AddressNeverCarriesThePassword) {
  auto e = parse_url("redis://app:s3cret@cache:6380/1");
  ASSERT_OK(e);
  EXPECT_EQ(e->address(), "cache:6380");
}

TEST(RedisRedactUrl, ShowsEveryPartButThePassword) {
  EXPECT_EQ(redact_url("redis://app:s3cret@cache:6380/4"), "redis://app:***@cache:6380/4");
  EXPECT_EQ(redact_url("redis://:s3cret@cache"), "redis://:***@cache:6379/0");
  EXPECT_EQ(redact_url("redis://cache"), "redis://cache:6379/0");
  EXPECT_EQ(redact_url("redis://[::1]:7000/3"), "redis://[::1]:7000/3");
}

TEST(RedisRedactUrl, TheUserIsShownPercentEncoded) {
  EXPECT_EQ(redact_url("redis://a%40b%3Ac:pw@h/1"), "redis://a%40b%3Ac:***@h:6379/1");
}

TEST(RedisRedactUrl, AMalformedUrlIsNotShown) {
  for (const char* url : {"redis://:pa/ss@h", "redis://app:pw@h:0", "redis://app@h", "redis://",
                          "rediss://app:pw@h"}) {
    EXPECT_EQ(redact_url(url), "redis://(malformed, not shown)") << url;
  }
}

}  // namespace
}  // namespace jwtguard::redis
