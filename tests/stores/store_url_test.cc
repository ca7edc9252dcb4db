// redact_store_url: every form of a password the backends read is hidden,
// and what is shown still says where the store is.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "jwtguard/store.h"

namespace jwtguard {
namespace {

// Each word of the password must be absent: a redaction that stops at one of
// its special characters would leave a word behind.
const std::vector<std::string> kWords = {"Alpha7", "Bravo7", "Charlie7", "Delta7", "Echo7", "Fox7"};

void expect_hidden(const std::string& url) {
  const std::string shown = redact_store_url(url);
  for (const std::string& word : kWords) {
    EXPECT_EQ(shown.find(word), std::string::npos) << url << " shown as " << shown;
  }
}

TEST(RedactStoreUrl, RedisPasswordsInEveryFormAreHidden) {
  const std::vector<std::string> urls = {
      "redis://:Alpha7Bravo7@127.0.0.1:6379/0",
      "redis://app:Alpha7Bravo7@127.0.0.1:6379/0",
      "redis://:Alpha7%2FBravo7%40Charlie7%3FDelta7%23Echo7%3AFox7@127.0.0.1:6379/2",
      "redis://app:Alpha7@Bravo7:Charlie7@[::1]:6380",
      // Refused by the parser (unencoded /, ? or #): hidden whole.
      "redis://:Alpha7/Bravo7@127.0.0.1:6379/0",
      "redis://:Alpha7?Bravo7@127.0.0.1:6379/0",
      "redis://:Alpha7#Bravo7@127.0.0.1:6379/0",
      "redis://app:Alpha7/Bravo7@Charlie7/0",
      "redis://:Alpha7%zzBravo7@127.0.0.1:6379/0",
  };
  for (const std::string& url : urls) expect_hidden(url);
  EXPECT_EQ(redact_store_url("redis://:Alpha7%2FBravo7@127.0.0.1:6379/3"),
            "redis://:***@127.0.0.1:6379/3");
  EXPECT_EQ(redact_store_url("redis://app:Alpha7@Bravo7@[::1]"), "redis://app:***@[::1]:6379/0");
  EXPECT_EQ(redact_store_url("redis://127.0.0.1:6379/1"), "redis://127.0.0.1:6379/1");
  EXPECT_EQ(redact_store_url("redis://:Alpha7/Bravo7@127.0.0.1/0"),
            "redis://(malformed, not shown)");
}

TEST(RedactStoreUrl, PostgresqlPasswordsInEveryFormAreHidden) {
  const std::vector<std::string> urls = {
      "postgresql://app:Alpha7Bravo7@db.internal:5432/jwt",
      "postgres://app:Alpha7%40Bravo7%2FCharlie7%3ADelta7%3FEcho7%23Fox7@db.internal/jwt",
      "postgresql://app@db.internal/jwt?password=Alpha7Bravo7",
      "postgresql://app@db.internal/jwt?password=Alpha7%26Bravo7%20Charlie7",
      "postgresql://app@db.internal/jwt?password=Alpha7@Bravo7/Charlie7:Delta7",
      "postgresql:///jwt?host=/run/postgresql&user=app&password=Alpha7Bravo7",
      "postgresql:///jwt?host=127.0.0.1&password=Alpha7&sslpassword=Bravo7&port=5433",
      "postgresql://app:Alpha7@db.internal/jwt?sslpassword=Bravo7&sslmode=require",
      // Refused by the store (libpq would read them otherwise): hidden whole.
      "postgresql://app:Alpha7@Bravo7@db.internal/jwt",
      "postgresql://app:Alpha7/Bravo7@db.internal/jwt",
      "postgresql://app:Alpha7%zzBravo7@db.internal/jwt",
      "postgresql://app@db.internal/jwt?password=Alpha7Bravo7&passwd=Charlie7",
      // Not a URL: a libpq keyword/value string is not a store URL.
      "host=db.internal password=Alpha7Bravo7 dbname=jwt",
      "mysql://app:Alpha7Bravo7@db.internal/jwt",
  };
  for (const std::string& url : urls) expect_hidden(url);
  EXPECT_EQ(redact_store_url("postgresql://app:Alpha7@db.internal:5432/jwt?sslmode=require"),
            "postgresql://app:***@db.internal:5432/jwt?sslmode=require");
  EXPECT_EQ(redact_store_url("postgres://app@db.internal/jwt?password=Alpha7"),
            "postgres://app:***@db.internal/jwt");
  EXPECT_EQ(redact_store_url("postgresql:///jwt?host=/run/postgresql&password=Alpha7&passfile=/"
                             "etc/pgpass"),
            "postgresql:///jwt?password=***&passfile=%2Fetc%2Fpgpass&host=%2Frun%2Fpostgresql");
  EXPECT_EQ(redact_store_url("postgresql://app@[::1]:5433/jwt"), "postgresql://app@[::1]:5433/jwt");
  EXPECT_EQ(redact_store_url("postgresql://app:Alpha7@Bravo7@db.internal/jwt"),
            "postgresql://(malformed, not shown)");
  EXPECT_EQ(redact_store_url("host=db password=Alpha7"), "(not a store URL, not shown)");
  EXPECT_EQ(redact_store_url("mysql://root:Alpha7@db/x"),
            "mysql:... (not a store URL, rest not shown)");
  EXPECT_EQ(redact_store_url("password=Alpha7:x"), "(not a store URL, not shown)");
}

TEST(RedactStoreUrl, StoresWithoutPasswordsAreShownAsGiven) {
  EXPECT_EQ(redact_store_url("sqlite:./var/jwtguard.db"), "sqlite:./var/jwtguard.db");
  EXPECT_EQ(redact_store_url("memory:"), "memory:");
}

}  // namespace
}  // namespace jwtguard
