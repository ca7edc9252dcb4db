// The settings of `jwtguard serve`: defaults, value kinds, sources and their
// precedence, error overrides, and secrets kept out of describe() and errors.
#include "server/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "testing/fixtures.h"

namespace jwtguard::server {
namespace {

using std::chrono::seconds;
using Json = nlohmann::json;

constexpr const char* kSecret = "s3cr3t-VALUE-that-must-never-leak-0123456789";

class ConfigTest : public ::testing::Test {
 protected:
  // Writes `text` to a file of its own and returns its path.
  std::string write_toml(const std::string& text) {
    const std::string path =
        (dir_.path() / ("config" + std::to_string(files_++) + ".toml")).string();
    std::ofstream(path) << text;
    return path;
  }

  Result<ServeConfig> from_toml(const std::string& text) {
    return load_serve_config(write_toml(text), {}, {});
  }

  static Result<ServeConfig> from_flag(const std::string& key, const std::string& value) {
    return load_serve_config("", {}, {{key, value}});
  }

  static Result<ServeConfig> from_env(const std::string& name, const std::string& value) {
    return load_serve_config("", {{name, value}}, {});
  }

  // The detail of the error `result` holds; a test failure when it holds a value.
  static std::string error_of(const Result<ServeConfig>& result) {
    if (result) {
      ADD_FAILURE() << "loaded, expected an error";
      return {};
    }
    EXPECT_EQ(result.error().code(), Errc::kInvalidArgument);
    return result.error().detail();
  }

  testing::ScratchDir dir_;
  int files_ = 0;
};

// --- the table ---

TEST_F(ConfigTest, LoadingNothingGivesTheDefaults) {
  auto config = load_serve_config("", {}, {});
  ASSERT_OK(config);
  EXPECT_EQ(describe(*config), describe(ServeConfig{}));
  EXPECT_EQ(config->listen, "127.0.0.1:8080");
  EXPECT_EQ(config->access_ttl, seconds(900));
  EXPECT_EQ(config->refresh_ttl, seconds(30 * 24 * 3600));
  EXPECT_EQ(config->body_limit, 64u * 1024);
  EXPECT_TRUE(config->dev);
  EXPECT_TRUE(config->errors.empty());
}

TEST_F(ConfigTest, EverySettingHasAUniqueKeyVariableAndFlag) {
  std::set<std::string> keys, envs, flags;
  for (const SettingInfo& s : serve_settings()) {
    EXPECT_TRUE(keys.insert(s.key).second) << s.key;
    EXPECT_TRUE(envs.insert(s.env).second) << s.env;
    EXPECT_TRUE(s.env.starts_with("JWTGUARD_")) << s.key;
    EXPECT_FALSE(s.help.empty()) << s.key;
    if (s.key == "keys.secret") {
      EXPECT_TRUE(s.flag.empty()) << "secrets on a command line leak into the process list";
      EXPECT_TRUE(s.secret);
    } else {
      EXPECT_TRUE(flags.insert(s.flag).second) << s.flag;
      EXPECT_TRUE(s.flag.starts_with("--")) << s.key;
      EXPECT_FALSE(s.secret) << s.key;
    }
  }
  EXPECT_EQ(keys.size(), 66u);
}

TEST_F(ConfigTest, NamesFollowTheLastPartOfTheKey) {
  std::map<std::string, std::pair<std::string, std::string>> expected = {
      {"tokens.access_ttl", {"JWTGUARD_ACCESS_TTL", "--access-ttl"}},
      {"store", {"JWTGUARD_STORE", "--store"}},
      {"check", {"JWTGUARD_CHECK", "--check"}},
      {"redis.require_persistence", {"JWTGUARD_REQUIRE_PERSISTENCE", "--require-persistence"}},
      {"log.level", {"JWTGUARD_LOG_LEVEL", "--log-level"}},
      {"log.file", {"JWTGUARD_LOG_FILE", "--log-file"}},
      {"log.access_log", {"JWTGUARD_ACCESS_LOG", "--access-log"}},
      {"keys.secret", {"JWTGUARD_SECRET", ""}},
      {"keys.secret_file", {"JWTGUARD_SECRET_FILE", "--secret-file"}},
  };
  for (const SettingInfo& s : serve_settings()) {
    auto it = expected.find(s.key);
    if (it == expected.end()) continue;
    EXPECT_EQ(s.env, it->second.first);
    EXPECT_EQ(s.flag, it->second.second);
    expected.erase(it);
  }
  EXPECT_TRUE(expected.empty());
}

TEST_F(ConfigTest, DefaultTextsAreWrittenAsAUserWouldWriteThem) {
  std::map<std::string, std::string> text;
  for (const SettingInfo& s : serve_settings()) text[s.key] = s.default_text;
  EXPECT_EQ(text["listen"], "127.0.0.1:8080");
  EXPECT_EQ(text["tokens.access_ttl"], "15m");
  EXPECT_EQ(text["tokens.refresh_ttl"], "30d");
  EXPECT_EQ(text["tokens.leeway"], "0s");
  EXPECT_EQ(text["http.body_limit"], "64KiB");
  EXPECT_EQ(text["dev"], "true");
  EXPECT_EQ(text["keys.secret"], "");
}

// Also proves that every setting's kind matches its field.
TEST_F(ConfigTest, EveryDefaultTextLoadsBackToTheDefault) {
  FlagValues flags;
  for (const SettingInfo& s : serve_settings()) {
    if (!s.flag.empty()) flags[s.key] = s.default_text;
  }
  auto config = load_serve_config("", {{"JWTGUARD_SECRET", ""}}, flags);
  ASSERT_OK(config);
  EXPECT_EQ(describe(*config), describe(ServeConfig{}));
}

// The table of docs/configuration.md, found from this file's path.
TEST_F(ConfigTest, TheDocumentationListsEverySettingAsTheTableDoes) {
  const auto path = std::filesystem::path(JWTGUARD_SOURCE_DIR) / "docs/configuration.md";
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  std::map<std::string, std::string> rows;  // by the key in the first column
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("| `")) rows[line.substr(3, line.find('`', 3) - 3)] = line;
  }
  for (const SettingInfo& s : serve_settings()) {
    ASSERT_EQ(rows.count(s.key), 1u) << s.key;
    const std::string& row = rows[s.key];
    const std::string flag = s.flag.empty() ? "| — (none) |" : "| `" + s.flag + "` |";
    const std::string fallback =
        s.default_text.empty() ? "| (empty) |" : "| `" + s.default_text + "` |";
    EXPECT_NE(row.find("| `" + s.env + "` |"), std::string::npos) << row;
    EXPECT_NE(row.find(flag), std::string::npos) << row;
    EXPECT_NE(row.find(fallback), std::string::npos) << row;
    // The restart marker (docs/operations.md, reloading) as the table has it.
    EXPECT_EQ(row.find("**Restart:**") != std::string::npos, s.restart) << row;
  }
}

// --- value kinds ---

TEST_F(ConfigTest, DurationsTakeUnitsAndCombinations) {
  const std::pair<const char*, long> good[] = {
      {"900", 900},    {"45s", 45},     {"15m", 900},      {"12h", 43200},        {"30d", 2592000},
      {"2w", 1209600}, {"1h30m", 5400}, {"1d12h", 129600}, {"1w2d3h4m5s", 788645}};
  for (const auto& [text, value] : good) {
    auto config = from_flag("tokens.access_ttl", text);
    ASSERT_OK(config);
    EXPECT_EQ(config->access_ttl, seconds(value)) << text;
  }
}

TEST_F(ConfigTest, BadDurationsAreRefused) {
  for (const char* text :
       {"", "abc", "15x", "1h30", "-5", "+5", "15 m", "m", "1.5h", "15M", "1234567890s", "3651d"}) {
    EXPECT_NE(error_of(from_flag("tokens.access_ttl", text)).find("tokens.access_ttl"),
              std::string::npos)
        << text;
  }
  EXPECT_NE(error_of(from_flag("tokens.access_ttl", "0")).find("at least 1s"), std::string::npos);
}

TEST_F(ConfigTest, LeewayMayBeZero) {
  auto config = from_flag("tokens.leeway", "0");
  ASSERT_OK(config);
  EXPECT_EQ(config->leeway, seconds(0));
}

TEST_F(ConfigTest, SizesTakeBinarySuffixes) {
  const std::pair<const char*, std::size_t> good[] = {
      {"65536", 65536},  {"64KiB", 65536}, {"64k", 65536},      {"64K", 65536},
      {"1MiB", 1 << 20}, {"2m", 2 << 20},  {"16MiB", 16 << 20}, {"1024", 1024}};
  for (const auto& [text, value] : good) {
    auto config = from_flag("http.body_limit", text);
    ASSERT_OK(config);
    EXPECT_EQ(config->body_limit, value) << text;
  }
}

TEST_F(ConfigTest, BadSizesAndSizesOutOfRangeAreRefused) {
  for (const char* text : {"", "k", "64kb", "64 KiB", "1.5MiB", "-1", "64GiB", "0x100"}) {
    EXPECT_NE(error_of(from_flag("http.body_limit", text)).find("expected a size"),
              std::string::npos)
        << text;
  }
  EXPECT_NE(error_of(from_flag("http.body_limit", "1023")).find("must be 1KiB..16MiB, got 1023"),
            std::string::npos);
  EXPECT_NE(error_of(from_flag("http.body_limit", "17MiB")).find("got 17MiB"), std::string::npos);
  EXPECT_FALSE(from_flag("http.header_limit", "2MiB"));
  EXPECT_FALSE(from_flag("http.token_limit", "65KiB"));
  EXPECT_TRUE(from_flag("http.token_limit", "1KiB"));
}

TEST_F(ConfigTest, BooleansTakeTheUsualWordsInAnyCase) {
  for (const char* text : {"true", "1", "yes", "on", "TRUE", "On", "Yes"}) {
    auto config = from_flag("dev", text);
    ASSERT_OK(config);
    EXPECT_TRUE(config->dev) << text;
  }
  for (const char* text : {"false", "0", "no", "off", "FALSE", "Off"}) {
    auto config = from_flag("dev", text);
    ASSERT_OK(config);
    EXPECT_FALSE(config->dev) << text;
  }
  for (const char* text : {"", "maybe", "2", "y", "truee"}) {
    EXPECT_NE(error_of(from_flag("dev", text)).find("expected true/false"), std::string::npos)
        << text;
  }
}

TEST_F(ConfigTest, CountsAreWholeNumbersInRange) {
  auto config = from_flag("threads", "256");
  ASSERT_OK(config);
  EXPECT_EQ(config->threads, 256u);
  for (const char* text : {"", "-1", "abc", "1e3", " 8", "8 ", "99999999999999999999999"}) {
    EXPECT_NE(error_of(from_flag("threads", text)).find("expected a whole number"),
              std::string::npos)
        << text;
  }
  EXPECT_NE(error_of(from_flag("threads", "257")).find("at most 256"), std::string::npos);
  EXPECT_FALSE(from_flag("workers", "257"));
  EXPECT_FALSE(from_flag("users.min_password_length", "0"));
  EXPECT_FALSE(from_flag("users.min_password_length", "1025"));
  EXPECT_TRUE(from_flag("users.min_password_length", "1024"));
}

TEST_F(ConfigTest, ListenIsHostAndPort) {
  for (const char* text : {"0.0.0.0:80", "[::1]:8080", "[::]:0", "127.0.0.1:0", "10.1.2.3:65535"}) {
    EXPECT_OK(from_flag("listen", text));
  }
  for (const char* text : {"8080", ":8080", "::1:8080", "[::1]", "[::1:80", "host:", "host:65536",
                           "host:http", "host:-1", "[]:80"}) {
    EXPECT_NE(error_of(from_flag("listen", text)).find("listen (flag --listen)"), std::string::npos)
        << text;
  }
}

TEST_F(ConfigTest, CheckModeIsIndexOrStore) {
  EXPECT_EQ(ServeConfig{}.check, "index");  // checks do no I/O unless asked to
  for (const char* text : {"index", "store"}) {
    auto config = from_flag("check", text);
    ASSERT_OK(config);
    EXPECT_EQ(config->check, text);
  }
  for (const char* text : {"", "Store", "strict", "redis"}) {
    EXPECT_NE(error_of(from_flag("check", text)).find("unknown check mode"), std::string::npos)
        << text;
  }
}

TEST_F(ConfigTest, AlgorithmIsOneJwtguardImplements) {
  for (const char* text : {"HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384",
                           "PS512", "ES256", "ES384", "ES512", "EdDSA"}) {
    auto config = from_flag("keys.algorithm", text);
    ASSERT_OK(config);
    EXPECT_EQ(config->algorithm, text);
  }
  for (const char* text : {"none", "hs256", "HS257", "", "ES256K"}) {
    EXPECT_NE(error_of(from_flag("keys.algorithm", text)).find("unknown algorithm"),
              std::string::npos)
        << text;
  }
}

TEST_F(ConfigTest, LogLevelIsOneOfSix) {
  for (const char* text : {"trace", "debug", "info", "warn", "error", "off"}) {
    EXPECT_OK(from_flag("log.level", text));
  }
  EXPECT_NE(error_of(from_flag("log.level", "verbose")).find("log.level (flag --log-level)"),
            std::string::npos);
  EXPECT_FALSE(from_flag("log.level", "INFO"));
}

TEST_F(ConfigTest, StoreMayNotBeEmpty) {
  EXPECT_FALSE(from_env("JWTGUARD_STORE", ""));
  auto config = from_env("JWTGUARD_STORE", "memory:");
  ASSERT_OK(config);
  EXPECT_EQ(config->store, "memory:");
}

// --- sources ---

TEST_F(ConfigTest, FlagBeatsEnvironmentBeatsFileBeatsDefault) {
  const std::string file = write_toml("[tokens]\naccess_ttl = \"10m\"\n");
  const Environment env = {{"JWTGUARD_ACCESS_TTL", "20m"}};
  const FlagValues flags = {{"tokens.access_ttl", "30m"}};
  EXPECT_EQ(load_serve_config("", {}, {})->access_ttl, seconds(15 * 60));
  EXPECT_EQ(load_serve_config(file, {}, {})->access_ttl, seconds(10 * 60));
  EXPECT_EQ(load_serve_config(file, env, {})->access_ttl, seconds(20 * 60));
  EXPECT_EQ(load_serve_config(file, env, flags)->access_ttl, seconds(30 * 60));
  EXPECT_EQ(load_serve_config(file, {}, flags)->access_ttl, seconds(30 * 60));
  EXPECT_EQ(load_serve_config("", env, flags)->access_ttl, seconds(30 * 60));
}

TEST_F(ConfigTest, TomlTakesNativeTypes) {
  auto config = from_toml(
      "threads = 4\ndev = false\n"
      "[tokens]\naccess_ttl = 600\nrefresh_ttl = \"1w\"\nrotate_refresh_tokens = \"off\"\n"
      "[http]\nbody_limit = 2048\nheader_limit = \"8KiB\"\ntoken_limit = \"4k\"\n"
      "[log]\nlevel = \"debug\"\nfile = \"/var/log/jwtguard.log\"\naccess_log = true\n");
  ASSERT_OK(config);
  EXPECT_EQ(config->threads, 4u);
  EXPECT_FALSE(config->dev);
  EXPECT_EQ(config->access_ttl, seconds(600));
  EXPECT_EQ(config->refresh_ttl, seconds(7 * 86400));
  EXPECT_FALSE(config->rotate_refresh_tokens);
  EXPECT_EQ(config->body_limit, 2048u);
  EXPECT_EQ(config->header_limit, 8192u);
  EXPECT_EQ(config->token_limit, 4096u);
  EXPECT_EQ(config->log_level, "debug");
  EXPECT_EQ(config->log_file, "/var/log/jwtguard.log");
}

TEST_F(ConfigTest, TomlDottedKeysAndInlineTablesWork) {
  auto config =
      from_toml("tokens.issuer = \"https://auth.example\"\nusers = { registration = false }\n");
  ASSERT_OK(config);
  EXPECT_EQ(config->issuer, "https://auth.example");
  EXPECT_FALSE(config->registration);
}

// A configuration written before the per-user and registration limits
// existed loads as it did, with the new limits at their defaults.
TEST_F(ConfigTest, RateLimitSettingsLoadAndOlderOnesStayValid) {
  auto old = from_toml(
      "[users]\nlogin_max_failures = 3\nlogin_max_failures_per_address = 50\n"
      "login_window = \"10m\"\n");
  ASSERT_OK(old);
  EXPECT_EQ(old->login_max_failures, 3u);
  EXPECT_EQ(old->login_max_failures_per_address, 50u);
  EXPECT_EQ(old->login_window, seconds(600));
  EXPECT_EQ(old->login_max_failures_per_user, 20u);
  EXPECT_EQ(old->registration_max_per_address, 10u);
  EXPECT_EQ(old->registration_max_total, 1000u);
  EXPECT_EQ(old->registration_window, seconds(3600));
  auto config = load_serve_config(
      "",
      {{"JWTGUARD_LOGIN_MAX_FAILURES_PER_USER", "40"}, {"JWTGUARD_REGISTRATION_MAX_TOTAL", "5000"}},
      {{"users.registration_max_per_address", "3"}, {"users.registration_window", "2h"}});
  ASSERT_OK(config);
  EXPECT_EQ(config->login_max_failures_per_user, 40u);
  EXPECT_EQ(config->registration_max_total, 5000u);
  EXPECT_EQ(config->registration_max_per_address, 3u);
  EXPECT_EQ(config->registration_window, seconds(7200));
  EXPECT_NE(error_of(from_env("JWTGUARD_REGISTRATION_MAX_PER_ADDRESS", "0"))
                .find("registration_max_per_address"),
            std::string::npos);
}

TEST_F(ConfigTest, UnknownTomlKeysAreNamedWithFileAndLine) {
  const std::string path =
      write_toml("listen = \"127.0.0.1:9000\"\n[tokens]\nacess_ttl = \"5m\"\n");
  const std::string error = error_of(load_serve_config(path, {}, {}));
  EXPECT_NE(error.find("unknown key tokens.acess_ttl (" + path + ":3)"), std::string::npos)
      << error;
  EXPECT_NE(error_of(from_toml("colour = \"blue\"\n")).find("unknown key colour"),
            std::string::npos);
  EXPECT_NE(error_of(from_toml("[database]\nurl = \"x\"\n")).find("unknown key database"),
            std::string::npos);
  EXPECT_NE(error_of(from_toml("[tokens.access_ttl]\nx = 1\n")).find("tokens.access_ttl"),
            std::string::npos);
}

TEST_F(ConfigTest, WrongTomlTypesAreNamedWithFileAndLine) {
  const std::string path = write_toml("\nlisten = 8080\n");
  EXPECT_NE(error_of(load_serve_config(path, {}, {}))
                .find("listen (" + path + ":2): expected a string, got integer"),
            std::string::npos);
  EXPECT_NE(error_of(from_toml("dev = 1\n")).find("expected a boolean, got integer"),
            std::string::npos);
  EXPECT_NE(error_of(from_toml("[tokens]\naccess_ttl = 1.5\n")).find("tokens.access_ttl ("),
            std::string::npos);
  EXPECT_NE(error_of(from_toml("[tokens]\naccess_ttl = 1.5\n")).find("got floating-point"),
            std::string::npos);
  EXPECT_NE(error_of(from_toml("threads = [1, 2]\n")).find("expected an integer, got array"),
            std::string::npos);
  EXPECT_NE(error_of(from_toml("tokens = 5\n")).find("tokens ("), std::string::npos);
  EXPECT_NE(error_of(from_toml("threads = -1\n")).find("expected a whole number, got \"-1\""),
            std::string::npos);
}

TEST_F(ConfigTest, TomlSyntaxErrorsAndMissingFilesNameThePath) {
  const std::string path = write_toml("listen = \"127.0.0.1:80\"\n[tokens\n");
  EXPECT_NE(error_of(load_serve_config(path, {}, {})).find(path + ":2"), std::string::npos);
  EXPECT_NE(error_of(from_toml("a = 1\na = 2\n")).find(":2"), std::string::npos);
  const std::string missing = (dir_.path() / "missing.toml").string();
  EXPECT_NE(error_of(load_serve_config(missing, {}, {})).find(missing), std::string::npos);
  EXPECT_NE(error_of(load_serve_config(dir_.path().string(), {}, {})).find("a directory"),
            std::string::npos);
}

TEST_F(ConfigTest, UnknownVariablesAreErrorsButOthersAreIgnored) {
  const std::string error = error_of(from_env("JWTGUARD_ACESS_TTL", "5m"));
  EXPECT_NE(error.find("unknown variable JWTGUARD_ACESS_TTL (environment)"), std::string::npos)
      << error;
  EXPECT_OK(load_serve_config("",
                              {{"JWTGUARD_CONFIG", "/etc/jwtguard.toml"},
                               {"PATH", "/bin"},
                               {"HOME", "/root"},
                               {"JWTGUARDIAN", "x"}},
                              {}));
}

TEST_F(ConfigTest, BadEnvironmentValuesNameTheVariable) {
  EXPECT_NE(error_of(from_env("JWTGUARD_ACCESS_TTL", "soon"))
                .find("tokens.access_ttl (environment JWTGUARD_ACCESS_TTL): expected a duration"),
            std::string::npos);
  EXPECT_NE(error_of(from_env("JWTGUARD_THREADS", "many")).find("JWTGUARD_THREADS"),
            std::string::npos);
}

TEST_F(ConfigTest, FlagsAreNamedAndSecretsAreNotFlags) {
  EXPECT_NE(error_of(from_flag("tokens.access_ttl", "soon")).find("(flag --access-ttl)"),
            std::string::npos);
  EXPECT_NE(error_of(from_flag("tokens.nope", "1")).find("unknown setting tokens.nope (flag)"),
            std::string::npos);
  const std::string error = error_of(from_flag("keys.secret", kSecret));
  EXPECT_NE(error.find("keys.secret (flag)"), std::string::npos);
  EXPECT_EQ(error.find(kSecret), std::string::npos);
}

// --- error overrides ---

TEST_F(ConfigTest, ErrorOverrideWithATableBodyIsJson) {
  auto config = from_toml(
      "[errors.revoked]\nstatus = 401\n"
      "body = { description = \"The token has been revoked.\", error = \"token_revoked\" }\n");
  ASSERT_OK(config);
  ASSERT_EQ(config->errors.count("revoked"), 1u);
  EXPECT_EQ(config->errors.at("revoked").status, 401);
  EXPECT_EQ(Json::parse(config->errors.at("revoked").body),
            Json({{"description", "The token has been revoked."}, {"error", "token_revoked"}}));
}

TEST_F(ConfigTest, ErrorOverrideBodiesMayBeNestedTablesOrJsonStrings) {
  auto config = from_toml(
      "[errors.expired.body]\nerror = \"token_expired\"\ndetail = { retry = false, codes = [1, 2] "
      "}\n"
      "[errors.missing_token]\nbody = '{\"error\": \"missing\", \"n\": 1}'\n");
  ASSERT_OK(config);
  EXPECT_EQ(config->errors.at("expired").status, 0);
  EXPECT_EQ(Json::parse(config->errors.at("expired").body),
            Json::parse(R"({"error":"token_expired","detail":{"retry":false,"codes":[1,2]}})"));
  EXPECT_EQ(config->errors.at("missing_token").body, R"({"error":"missing","n":1})");
}

TEST_F(ConfigTest, ErrorOverrideNamesAreCheckedWithFileLineAndTheValidNames) {
  const std::string path = write_toml("listen = \"127.0.0.1:0\"\n[errors.revokd]\nstatus = 418\n");
  const std::string error = error_of(load_serve_config(path, {}, {}));
  EXPECT_NE(error.find("errors.revokd (" + path + ":"), std::string::npos) << error;
  EXPECT_NE(error.find("did you mean revoked?"), std::string::npos) << error;
  EXPECT_NE(error.find("missing_authorization"), std::string::npos) << "the valid names: " << error;
  EXPECT_OK(from_toml("[errors.revoked]\nstatus = 418\n"));
}

TEST_F(ConfigTest, BadErrorOverridesAreRefused) {
  EXPECT_NE(error_of(from_toml("[errors.revoked]\nstatus = 600\n")).find("errors.revoked.status ("),
            std::string::npos);
  EXPECT_FALSE(from_toml("[errors.revoked]\nstatus = 99\n"));
  // Only error statuses: a 2xx would let a gateway pass a revoked token.
  for (const char* status : {"101", "200", "204", "302", "304", "399"}) {
    EXPECT_FALSE(from_toml(std::string("[errors.revoked]\nstatus = ") + status + "\n")) << status;
  }
  EXPECT_NE(error_of(from_toml("[errors.revoked]\nstatus = \"401\"\n"))
                .find("expected an integer, got string"),
            std::string::npos);
  EXPECT_NE(error_of(from_toml("[errors.revoked]\nbody = \"{not json\"\n")).find("not valid JSON"),
            std::string::npos);
  EXPECT_NE(error_of(from_toml("[errors.revoked]\nbody = '[1, 2]'\n")).find("a JSON object"),
            std::string::npos);
  EXPECT_NE(error_of(from_toml("[errors.revoked]\nbody = 5\n")).find("expected a table"),
            std::string::npos);
  EXPECT_NE(error_of(from_toml("[errors.revoked]\nmessage = \"x\"\n"))
                .find("unknown key errors.revoked.message"),
            std::string::npos);
  EXPECT_FALSE(from_toml("errors = 5\n"));
  EXPECT_FALSE(from_toml("[errors]\nrevoked = 401\n"));
}

// --- secrets and key sources ---

TEST_F(ConfigTest, DescribeNeverShowsASecretFromTheFile) {
  auto config = from_toml(std::string("[keys]\nsecret = \"") + kSecret + "\"\n");
  ASSERT_OK(config);
  EXPECT_EQ(config->secret, kSecret);
  const std::string text = describe(*config);
  EXPECT_EQ(text.find(kSecret), std::string::npos);
  EXPECT_EQ(Json::parse(text)["keys"]["secret"], "(set)");
}

TEST_F(ConfigTest, DescribeNeverShowsASecretFromTheEnvironment) {
  auto config = from_env("JWTGUARD_SECRET", kSecret);
  ASSERT_OK(config);
  EXPECT_EQ(config->secret, kSecret);
  EXPECT_EQ(describe(*config).find(kSecret), std::string::npos);
}

TEST_F(ConfigTest, DescribeShowsEverySettingAndTheOverrides) {
  auto config = from_toml("[errors.revoked]\nstatus = 401\nbody = { error = \"token_revoked\" }\n");
  ASSERT_OK(config);
  const Json json = Json::parse(describe(*config));
  EXPECT_EQ(json["listen"], "127.0.0.1:8080");
  EXPECT_EQ(json["keys"]["secret"], "");
  EXPECT_EQ(json["tokens"]["access_ttl"], "15m");
  EXPECT_EQ(json["http"]["body_limit"], 65536);
  EXPECT_EQ(json["log"]["level"], "info");
  EXPECT_EQ(json["errors"]["revoked"]["status"], 401);
  EXPECT_EQ(json["errors"]["revoked"]["body"]["error"], "token_revoked");
  std::size_t settings = 0;
  for (const auto& [key, value] : json.items()) {
    settings += value.is_object() && key != "errors" ? value.size() : key != "errors";
  }
  EXPECT_EQ(settings, serve_settings().size());
}

TEST_F(ConfigTest, ErrorsNeverQuoteASecret) {
  EXPECT_EQ(error_of(from_toml("[keys]\nsecret = 123456789\n")).find("123456789"),
            std::string::npos);
  const std::string error = error_of(load_serve_config(
      "", {{"JWTGUARD_SECRET", kSecret}, {"JWTGUARD_KEY_FILE", "/etc/jwtguard/key.pem"}}, {}));
  EXPECT_NE(error.find("only one key source"), std::string::npos) << error;
  EXPECT_EQ(error.find(kSecret), std::string::npos);
}

TEST_F(ConfigTest, AtMostOneKeySourceAtTheWinningLevel) {
  const std::string path = write_toml(
      "[keys]\nkey_file = \"/etc/jwtguard/key.pem\"\njwks_file = \"/etc/jwtguard/jwks.json\"\n");
  const std::string error = error_of(load_serve_config(path, {}, {}));
  EXPECT_NE(error.find("keys.key_file (" + path + ":2)"), std::string::npos) << error;
  EXPECT_NE(error.find("keys.jwks_file (" + path + ":3)"), std::string::npos) << error;
  EXPECT_FALSE(load_serve_config(
      "", {}, {{"keys.secret_file", "/run/secret"}, {"keys.jwks_file", "/etc/jwks.json"}}));
  EXPECT_OK(from_flag("keys.jwks_file", "/etc/jwks.json"));
  // A later source may clear what an earlier one set.
  EXPECT_OK(load_serve_config(
      path, {{"JWTGUARD_SECRET", kSecret}, {"JWTGUARD_KEY_FILE", ""}, {"JWTGUARD_JWKS_FILE", ""}},
      {}));
}

TEST_F(ConfigTest, KeySourcesSetInDifferentPlacesAreRefusedTogether) {
  const std::string path = write_toml("[keys]\nsecret_file = \"/run/secrets/jwt\"\n");
  // A secret exported for the token commands must not replace the file's key.
  const std::string error = error_of(load_serve_config(path, {{"JWTGUARD_SECRET", kSecret}}, {}));
  EXPECT_NE(error.find("keys.secret (environment JWTGUARD_SECRET)"), std::string::npos) << error;
  EXPECT_NE(error.find("keys.secret_file (" + path + ":2)"), std::string::npos) << error;
  EXPECT_EQ(error.find(kSecret), std::string::npos);
  // Nor a flag the file's.
  const std::string flag_error =
      error_of(load_serve_config(path, {}, {{"keys.jwks_file", "/etc/jwks.json"}}));
  EXPECT_NE(flag_error.find("keys.jwks_file (flag --jwks-file)"), std::string::npos) << flag_error;
  EXPECT_NE(flag_error.find("keys.secret_file (" + path + ":2)"), std::string::npos) << flag_error;
}

TEST_F(ConfigTest, DescribeRedactsAStorePassword) {
  auto config = from_flag("store", "postgresql://app:hunter2@127.0.0.1/jwt");
  ASSERT_OK(config);
  EXPECT_EQ(describe(*config).find("hunter2"), std::string::npos);
}

TEST_F(ConfigTest, ListenTakesAnAddressNotAName) {
  EXPECT_FALSE(from_flag("listen", "localhost:8080"));
  EXPECT_OK(from_flag("listen", "0.0.0.0:8080"));
  EXPECT_OK(from_flag("listen", "[::1]:0"));
}

TEST_F(ConfigTest, SessionSettingsAreDurationsAndTheIdleLimitNeedsRotation) {
  auto defaults = load_serve_config("", {}, {});
  ASSERT_OK(defaults);
  EXPECT_EQ(defaults->refresh_reuse_interval, seconds(0));
  EXPECT_EQ(defaults->session_max_lifetime, seconds(0));
  EXPECT_EQ(defaults->session_idle_timeout, seconds(0));
  auto set = load_serve_config(
      "", {{"JWTGUARD_REFRESH_REUSE_INTERVAL", "1m"}, {"JWTGUARD_SESSION_MAX_LIFETIME", "12h"}},
      {{"tokens.session_idle_timeout", "2h"}});
  ASSERT_OK(set);
  EXPECT_EQ(set->refresh_reuse_interval, seconds(60));
  EXPECT_EQ(set->session_max_lifetime, seconds(12 * 3600));
  EXPECT_EQ(set->session_idle_timeout, seconds(2 * 3600));
  // A long grace is a stolen token's window.
  EXPECT_FALSE(load_serve_config("", {{"JWTGUARD_REFRESH_REUSE_INTERVAL", "61s"}}, {}));
  const std::string error = error_of(load_serve_config(
      "", {{"JWTGUARD_ROTATE_REFRESH_TOKENS", "false"}}, {{"tokens.session_idle_timeout", "1h"}}));
  EXPECT_NE(error.find("tokens.session_idle_timeout (flag --session-idle-timeout) needs "
                       "tokens.rotate_refresh_tokens (environment JWTGUARD_ROTATE_REFRESH_TOKENS)"),
            std::string::npos)
      << error;
}

TEST_F(ConfigTest, TokenLimitMayNotExceedHeaderLimit) {
  const std::string error =
      error_of(load_serve_config("", {{"JWTGUARD_HEADER_LIMIT", "4KiB"}}, {}));
  EXPECT_NE(error.find("http.token_limit (default) must not exceed http.header_limit (environment "
                       "JWTGUARD_HEADER_LIMIT)"),
            std::string::npos)
      << error;
  EXPECT_OK(
      load_serve_config("", {{"JWTGUARD_HEADER_LIMIT", "4KiB"}}, {{"http.token_limit", "4KiB"}}));
}

TEST(ProcessEnvironmentTest, ReadsOnlyJwtguardVariables) {
  ASSERT_EQ(::setenv("JWTGUARD_CONFIG_TEST_PROBE", "a=b", 1), 0);
  ASSERT_EQ(::setenv("CONFIG_TEST_NOT_OURS", "x", 1), 0);
  const Environment env = process_environment();
  ::unsetenv("JWTGUARD_CONFIG_TEST_PROBE");
  ::unsetenv("CONFIG_TEST_NOT_OURS");
  ASSERT_EQ(env.count("JWTGUARD_CONFIG_TEST_PROBE"), 1u);
  EXPECT_EQ(env.at("JWTGUARD_CONFIG_TEST_PROBE"), "a=b");
  for (const auto& [name, value] : env) EXPECT_TRUE(name.starts_with("JWTGUARD_")) << name;
}

}  // namespace
}  // namespace jwtguard::server
