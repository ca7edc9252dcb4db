// How the PostgreSQL store reads its URL, with no server: what
// Connector::create accepts and refuses, where it will connect, and how the
// URL and messages are shown without the password (redact_url, redact).
#include <gtest/gtest.h>

#include <string>

#include "postgres/pg_connector.h"
#include "postgres/postgres_url.h"
#include "testing/fixtures.h"

namespace jwtguard::pg {
namespace {

constexpr char kSecret[] = "Secr3tW0rd";

void expect_no_secret(const std::string& shown, const std::string& url) {
  EXPECT_EQ(shown.find(kSecret), std::string::npos) << url << " shown as " << shown;
}

TEST(PgRedactUrl, APasswordInTheUserInformationIsHidden) {
  EXPECT_EQ(redact_url("postgresql://app:Secr3tW0rd@db.internal:5432/jwt"),
            "postgresql://app:***@db.internal:5432/jwt");
  EXPECT_EQ(redact_url("postgresql://app:Secr3t%40W0rd%2F@db.internal/jwt"),
            "postgresql://app:***@db.internal/jwt");
}

TEST(PgRedactUrl, APasswordInTheQueryStringIsHidden) {
  // With a user, it is shown where a password usually is.
  EXPECT_EQ(redact_url("postgresql://app@db.internal/jwt?password=Secr3tW0rd"),
            "postgresql://app:***@db.internal/jwt");
  // Without one, it stays in the query string.
  EXPECT_EQ(redact_url("postgresql://db.internal/jwt?password=Secr3tW0rd"),
            "postgresql://db.internal/jwt?password=***");
}

TEST(PgRedactUrl, EveryOptionLibpqMarksSecretIsHidden) {
  const std::string url = "postgresql://app@db.internal/jwt?sslpassword=Secr3tW0rd&sslmode=require";
  const std::string shown = redact_url(url);
  expect_no_secret(shown, url);
  EXPECT_NE(shown.find("sslpassword=***"), std::string::npos) << shown;
  EXPECT_NE(shown.find("sslmode=require"), std::string::npos) << shown;
}

TEST(PgRedactUrl, TheSchemeIsKeptAsWritten) {
  EXPECT_EQ(redact_url("postgres://app:pw@db/jwt"), "postgres://app:***@db/jwt");
  EXPECT_EQ(redact_url("postgresql://app:pw@db/jwt"), "postgresql://app:***@db/jwt");
}

TEST(PgRedactUrl, AUrlWithoutAPasswordIsShownWhole) {
  EXPECT_EQ(redact_url("postgresql://app@db.internal:5433/jwt"),
            "postgresql://app@db.internal:5433/jwt");
  EXPECT_EQ(redact_url("postgresql://[::1]:5433/jwt"), "postgresql://[::1]:5433/jwt");
  EXPECT_EQ(redact_url("postgresql:///jwt?host=/run/postgresql"),
            "postgresql:///jwt?host=%2Frun%2Fpostgresql");
}

TEST(PgRedactUrl, AListOfHostsGoesToTheQueryString) {
  const std::string shown = redact_url("postgresql://app:Secr3tW0rd@h1:5432,h2:5433/jwt");
  expect_no_secret(shown, "hosts");
  EXPECT_TRUE(shown.starts_with("postgresql://app:***@/jwt?")) << shown;
  EXPECT_NE(shown.find("host=h1%2Ch2"), std::string::npos) << shown;
  EXPECT_NE(shown.find("port=5432%2C5433"), std::string::npos) << shown;
}

TEST(PgRedactUrl, AUrlCreateRefusesIsNotShown) {
  EXPECT_EQ(redact_url("postgresql://app:Secr3t@W0rd@db/jwt"),
            "postgresql://(malformed, not shown)");
  EXPECT_EQ(redact_url("postgres://app:Secr3t@W0rd@db/jwt"), "postgres://(malformed, not shown)");
  EXPECT_EQ(redact_url("postgresql://app:Secr3tW0rd@db/jwt?nosuchoption=1"),
            "postgresql://(malformed, not shown)");
  EXPECT_EQ(redact_url("postgresql://app:Secr3tW0rd@[db/jwt"),
            "postgresql://(malformed, not shown)");
  EXPECT_EQ(redact_url("host=db password=Secr3tW0rd"), "postgresql://(malformed, not shown)");
}

TEST(PgConnectorCreate, NamesTheServerItWillConnectTo) {
  auto c = Connector::create("postgresql://app:pw@db.internal:6543/jwt", PostgresOptions{});
  ASSERT_OK(c);
  EXPECT_EQ((*c)->target(), "db.internal:6543");
  c = Connector::create("postgres://db.internal/jwt", PostgresOptions{});
  ASSERT_OK(c);
  EXPECT_EQ((*c)->target(), "db.internal:5432");
  c = Connector::create("postgresql:///jwt", PostgresOptions{});
  ASSERT_OK(c);
  EXPECT_EQ((*c)->target(), "localhost:5432");
  c = Connector::create("postgresql:///jwt?hostaddr=10.1.2.3&port=7000", PostgresOptions{});
  ASSERT_OK(c);
  EXPECT_EQ((*c)->target(), "10.1.2.3:7000");
}

TEST(PgConnectorCreate, RefusesWhatLibpqWouldReadOtherwise) {
  for (const char* url : {
           "postgresql://app:Secr3t@W0rd@db/jwt",  // '@' in the password
           "postgresql://app:Secr3t/W0rd@db/jwt",  // '/' in the password
           "postgresql://app:Secr3t%zzW0rd@db/jwt",
           "postgresql://app@db/jwt?password=Secr3tW0rd&nosuch=1",
           "postgresql://app:Secr3tW0rd@[db/jwt",
           "host=db password=Secr3tW0rd",
           "mysql://app:Secr3tW0rd@db/jwt",
           "",
       }) {
    auto c = Connector::create(url, PostgresOptions{});
    ASSERT_FALSE(c.has_value()) << url;
    EXPECT_EQ(c.error().code(), Errc::kInvalidArgument) << url;
    // libpq's own messages may quote the URL; the password never shows.
    expect_no_secret(c.error().message(), url);
  }
}

TEST(PgConnectorRedact, HidesThePasswordAsWrittenAndAsDecoded) {
  auto c = Connector::create("postgresql://app:Secr3t%2FW0rd@db/jwt", PostgresOptions{});
  ASSERT_OK(c);
  EXPECT_EQ((*c)->redact("auth failed for Secr3t/W0rd (Secr3t%2FW0rd)"),
            "auth failed for *** (***)");
  EXPECT_EQ((*c)->redact("nothing to hide"), "nothing to hide");
}

TEST(PgConnectorRedact, HidesEverySecretOfTheUrl) {
  auto c = Connector::create("postgresql://app@db/jwt?password=Secr3tW0rd&sslpassword=Key9Pass",
                             PostgresOptions{});
  ASSERT_OK(c);
  EXPECT_EQ((*c)->redact("Secr3tW0rd and Key9Pass"), "*** and ***");
}

TEST(PgConnectorRedact, ASecretHoldingAnotherIsHiddenWhole) {
  // "pw" is inside "pwXYZ": replacing the shorter first would leave "XYZ".
  auto c = Connector::create("postgresql://app:pw@db/jwt?sslpassword=pwXYZ", PostgresOptions{});
  ASSERT_OK(c);
  EXPECT_EQ((*c)->redact("key pwXYZ"), "key ***");
}

}  // namespace
}  // namespace jwtguard::pg
