// The `jwtguard` binary, run as a user would: exit codes, stdout, stderr.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "jwtguard/claims.h"
#include "jwtguard/jose.h"
#include "jwtguard/password.h"
#include "jwtguard/store.h"
#include "testing/fixtures.h"
#include "testing/subprocess.h"

namespace jwtguard {
namespace {

using testing::run;
using testing::RunResult;

const std::string kBinary = JWTGUARD_BINARY;
const std::string kSecret = "0123456789abcdef0123456789abcdef-cli-test";

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

RunResult jwtguard(std::vector<std::string> args, const std::string& input = {}) {
  args.insert(args.begin(), kBinary);
  return run(args, input);
}

std::string issue(std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"token", "issue", "--identity", "alice", "--secret", kSecret};
  args.insert(args.end(), extra.begin(), extra.end());
  RunResult r = jwtguard(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return trim(r.out);
}

// `jwtguard serve`, for its start-up errors: it must stop by itself. One that
// starts instead is killed after 20 s (timeout(1)), which fails the test on
// its exit code; the port is a free loopback one.
RunResult serve(std::vector<std::string> args, const std::vector<std::string>& env = {}) {
  args.insert(args.begin(),
              {"timeout", "-s", "KILL", "20", kBinary, "serve", "--listen", "127.0.0.1:0"});
  return run(args, {}, env);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::size_t count(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The tests say where every key comes from; a secret exported in the
    // shell that runs them must not stand in.
    ::unsetenv("JWTGUARD_SECRET");
  }
  std::string write(const std::string& name, const std::string& content) {
    const auto path = dir_ / name;
    std::ofstream(path) << content;
    return path.string();
  }
  testing::ScratchDir scratch_;
  const std::filesystem::path& dir_ = scratch_.path();
};

TEST_F(CliTest, IssueThenVerifyPrintsTheClaims) {
  const std::string token = issue({"--claim", "role=admin", "--claim", "level=3", "--fresh"});
  RunResult r = jwtguard({"token", "verify", "--secret", kSecret, token});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto claims = nlohmann::json::parse(r.out);
  EXPECT_EQ(claims["sub"], "alice");
  EXPECT_EQ(claims["type"], "access");
  EXPECT_EQ(claims["fresh"], true);
  EXPECT_EQ(claims["role"], "admin");
  EXPECT_EQ(claims["level"], 3);
  EXPECT_EQ(claims["exp"].get<double>() - claims["nbf"].get<double>(), 900);
}

TEST_F(CliTest, VerifyFailureExitsOneWithTheReasonOnStderr) {
  const std::string token = issue();
  RunResult r = jwtguard({"token", "verify", "--secret", kSecret + "x", token});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("Signature verification failed"), std::string::npos) << r.err;
}

TEST_F(CliTest, VerifyAtAndLeeway) {
  const std::string token = issue({"--ttl", "60"});
  const auto claims = nlohmann::json::parse(jwtguard({"token", "decode", token}).out)["payload"];
  const long long exp = claims["exp"];
  auto verify_at = [&](long long at, const std::string& leeway) {
    return jwtguard({"token", "verify", "--secret", kSecret, "--at", std::to_string(at), "--leeway",
                     leeway, token});
  };
  EXPECT_EQ(verify_at(exp - 1, "0").exit_code, 0);
  RunResult expired = verify_at(exp, "0");
  EXPECT_EQ(expired.exit_code, 1);
  EXPECT_NE(expired.err.find("Token has expired"), std::string::npos);
  EXPECT_EQ(verify_at(exp + 9, "10").exit_code, 0);
  EXPECT_EQ(verify_at(exp + 10, "10").exit_code, 1);
}

TEST_F(CliTest, RefreshTokenTtl) {
  const std::string token = issue({"--type", "refresh", "--ttl", "1h30m"});
  const auto claims = nlohmann::json::parse(jwtguard({"token", "decode", token}).out)["payload"];
  EXPECT_EQ(claims["type"], "refresh");
  EXPECT_EQ(claims["exp"].get<long long>() - claims["nbf"].get<long long>(), 5400);
}

TEST_F(CliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(jwtguard({}).exit_code, 2);
  EXPECT_EQ(jwtguard({"token"}).exit_code, 2);
  EXPECT_EQ(jwtguard({"token", "verify"}).exit_code, 2);
  EXPECT_EQ(jwtguard({"token", "verify", "abc"}).exit_code, 2);  // no key
  EXPECT_EQ(jwtguard({"token", "verify", "--secret", "s", "--leeway", "x", "t"}).exit_code, 2);
  EXPECT_EQ(jwtguard({"token", "verify", "--secret", "s", "--key", "k.pem", "t"}).exit_code, 2);
  EXPECT_EQ(jwtguard({"token", "issue", "--secret", kSecret}).exit_code, 2);  // no identity
  EXPECT_EQ(
      jwtguard({"token", "issue", "--identity", "a", "--secret", kSecret, "--ttl", "5y"}).exit_code,
      2);
  EXPECT_EQ(jwtguard({"token", "issue", "--identity", "a", "--secret", kSecret, "--type", "id"})
                .exit_code,
            2);
  EXPECT_EQ(jwtguard({"keys", "generate", "--alg", "none"}).exit_code, 2);
  EXPECT_EQ(jwtguard({"token", "verify", "--secret", kSecret, "--leeway", "9223372036854775", "t"})
                .exit_code,
            2);
  EXPECT_EQ(jwtguard({"no-such-command"}).exit_code, 2);
}

TEST_F(CliTest, HelpExitsZeroForEveryCommand) {
  for (const auto& args : std::vector<std::vector<std::string>>{{"--help"},
                                                                {"token", "--help"},
                                                                {"token", "issue", "--help"},
                                                                {"token", "verify", "--help"},
                                                                {"token", "decode", "--help"},
                                                                {"keys", "--help"},
                                                                {"keys", "generate", "--help"}}) {
    RunResult r = jwtguard(args);
    EXPECT_EQ(r.exit_code, 0) << args.back();
    EXPECT_NE(r.out.find("Usage:"), std::string::npos) << args.back();
  }
}

TEST_F(CliTest, ShortSecretCannotIssue) {
  RunResult r = jwtguard({"token", "issue", "--identity", "a", "--secret", "short"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("too weak"), std::string::npos) << r.err;
}

TEST_F(CliTest, GeneratedKeysSignAndVerifyForEveryAlgorithm) {
  for (const char* alg : {"HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384",
                          "PS512", "ES256", "ES384", "ES512", "EdDSA"}) {
    RunResult generated = jwtguard({"keys", "generate", "--alg", alg, "--kid", "k1"});
    ASSERT_EQ(generated.exit_code, 0) << generated.err;
    const auto jwk = nlohmann::json::parse(generated.out);
    EXPECT_EQ(jwk["alg"], alg);
    EXPECT_EQ(jwk["kid"], "k1");
    const std::string path = write(std::string(alg) + ".jwk", generated.out);
    RunResult issued = jwtguard({"token", "issue", "--identity", "bob", "--jwk", path});
    ASSERT_EQ(issued.exit_code, 0) << alg << ": " << issued.err;
    const std::string token = trim(issued.out);
    const auto header = nlohmann::json::parse(jwtguard({"token", "decode", token}).out)["header"];
    EXPECT_EQ(header["alg"], alg);
    EXPECT_EQ(header["kid"], "k1");
    RunResult verified = jwtguard({"token", "verify", "--jwk", path, token});
    EXPECT_EQ(verified.exit_code, 0) << alg << ": " << verified.err;
  }
}

TEST_F(CliTest, AllowedAlgorithmsFollowTheKeyType) {
  // An HS256 token presented to an EC key is refused, whatever its header says.
  const std::string jwk = jwtguard({"keys", "generate", "--alg", "ES256"}).out;
  const std::string path = write("ec.jwk", jwk);
  RunResult r = jwtguard({"token", "verify", "--jwk", path, issue()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("not allowed"), std::string::npos) << r.err;
  // And --alg narrows what a secret accepts.
  RunResult narrowed =
      jwtguard({"token", "verify", "--secret", kSecret, "--alg", "HS512", issue()});
  EXPECT_EQ(narrowed.exit_code, 1);
}

TEST_F(CliTest, JwksPicksTheSigningKeyByKid) {
  const auto a =
      nlohmann::json::parse(jwtguard({"keys", "generate", "--alg", "EdDSA", "--kid", "a"}).out);
  const auto b =
      nlohmann::json::parse(jwtguard({"keys", "generate", "--alg", "ES384", "--kid", "b"}).out);
  const std::string jwks = write("set.jwks", nlohmann::json{{"keys", {a, b}}}.dump());
  EXPECT_EQ(jwtguard({"token", "issue", "--identity", "x", "--jwks", jwks}).exit_code, 2);
  RunResult issued = jwtguard({"token", "issue", "--identity", "x", "--jwks", jwks, "--kid", "b"});
  ASSERT_EQ(issued.exit_code, 0) << issued.err;
  RunResult verified = jwtguard({"token", "verify", "--jwks", jwks, trim(issued.out)});
  EXPECT_EQ(verified.exit_code, 0) << verified.err;
}

TEST_F(CliTest, SecretFromFileAndEnvironmentAndTokenFromStdin) {
  const std::string token = issue();
  const std::string file = write("secret", kSecret + "\n");
  EXPECT_EQ(jwtguard({"token", "verify", "--secret-file", file, token}).exit_code, 0);
  EXPECT_EQ(jwtguard({"token", "verify", "--secret-file", file, "-"}, token + "\n").exit_code, 0);
  RunResult env = run({kBinary, "token", "verify", token}, "", {"JWTGUARD_SECRET=" + kSecret});
  EXPECT_EQ(env.exit_code, 0) << env.err;
}

TEST_F(CliTest, DecodeShowsHeaderAndPayloadWithoutVerifying) {
  const std::string token = issue() + "tampered";
  RunResult r = jwtguard({"token", "decode", token.substr(0, token.rfind('.')) + ".AAAA"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto out = nlohmann::json::parse(r.out);
  EXPECT_EQ(out["header"]["alg"], "HS256");
  EXPECT_EQ(out["payload"]["sub"], "alice");
  EXPECT_EQ(jwtguard({"token", "decode", "not-a-token"}).exit_code, 1);
}

TEST_F(CliTest, KeysFromPemFilesAndCertificates) {
  const std::string dir = dir_.string();
  auto openssl = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "openssl");
    RunResult r = run(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  };
  openssl({"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
           dir + "/priv.pem"});
  openssl({"pkey", "-in", dir + "/priv.pem", "-pubout", "-out", dir + "/pub.pem"});
  openssl({"ecparam", "-genkey", "-name", "prime256v1", "-out", dir + "/ecparam.pem"});
  openssl({"req", "-new", "-x509", "-key", dir + "/priv.pem", "-subj", "/CN=jwtguard", "-days", "1",
           "-out", dir + "/cert.pem"});
  RunResult issued = jwtguard({"token", "issue", "--identity", "c", "--key", dir + "/priv.pem"});
  ASSERT_EQ(issued.exit_code, 0) << issued.err;
  RunResult with_params =
      jwtguard({"token", "issue", "--identity", "c", "--key", dir + "/ecparam.pem"});
  EXPECT_EQ(with_params.exit_code, 0) << with_params.err;
  for (const char* verify_key : {"/pub.pem", "/cert.pem", "/priv.pem"}) {
    RunResult r = jwtguard({"token", "verify", "--key", dir + verify_key, trim(issued.out)});
    EXPECT_EQ(r.exit_code, 0) << verify_key << ": " << r.err;
  }
  EXPECT_EQ(jwtguard({"token", "issue", "--identity", "c", "--key", dir + "/pub.pem"}).exit_code,
            1);
  EXPECT_EQ(jwtguard({"token", "verify", "--key", dir + "/missing.pem", "t"}).exit_code, 1);
}

TEST_F(CliTest, UnknownOptionsAreNamedWithASuggestionAndValuesAreNeverEchoed) {
  const std::string value = "abc-SECRET-value-4711";
  for (const std::string form : {"--secret", "--secret="}) {
    RunResult r =
        form.ends_with("=") ? jwtguard({"serve", form + value}) : jwtguard({"serve", form, value});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_FALSE(contains(r.err, value)) << r.err;
    EXPECT_TRUE(contains(r.err, "--secret is not accepted")) << r.err;
    EXPECT_TRUE(contains(r.err, "JWTGUARD_SECRET")) << r.err;
    EXPECT_TRUE(contains(r.err, "--secret-file")) << r.err;
  }
  RunResult ttl = jwtguard({"serve", "--acess-ttl", "5m"});
  EXPECT_EQ(ttl.exit_code, 2);
  EXPECT_TRUE(contains(ttl.err,
                       "jwtguard serve: unknown option --acess-ttl (did you mean "
                       "--access-ttl?)"))
      << ttl.err;
  EXPECT_FALSE(contains(ttl.err, "5m")) << ttl.err;
  RunResult identity = jwtguard({"token", "issue", "--identiy", "alice", "--secret", kSecret});
  EXPECT_EQ(identity.exit_code, 2);
  EXPECT_TRUE(contains(identity.err, "unknown option --identiy (did you mean --identity?)"))
      << identity.err;
  EXPECT_FALSE(contains(identity.err, kSecret)) << identity.err;
  RunResult password = jwtguard({"user", "create", "bob", "--pasword", value});
  EXPECT_TRUE(contains(password.err, "did you mean --password?")) << password.err;
  EXPECT_FALSE(contains(password.err, value)) << password.err;
  RunResult extra = jwtguard({"token", "verify", "--secret", kSecret, "t1", value});
  EXPECT_EQ(extra.exit_code, 2);
  EXPECT_FALSE(contains(extra.err, kSecret) || contains(extra.err, value)) << extra.err;
  RunResult command = jwtguard({"tokn", "issue"});
  EXPECT_EQ(command.exit_code, 2);
  EXPECT_TRUE(contains(command.err, "unknown command tokn (did you mean token?)")) << command.err;
}

TEST_F(CliTest, VerifyTakesDurationsAsServeDoes) {
  const std::string token = issue({"--ttl", "60"});
  const auto claims = nlohmann::json::parse(jwtguard({"token", "decode", token}).out)["payload"];
  const long long exp = claims["exp"];
  auto verify_at = [&](long long at, const std::string& leeway) {
    return jwtguard({"token", "verify", "--secret", kSecret, "--at", std::to_string(at), "--leeway",
                     leeway, token});
  };
  EXPECT_EQ(verify_at(exp + 29, "30s").exit_code, 0);
  EXPECT_EQ(verify_at(exp + 30, "30s").exit_code, 1);
  EXPECT_EQ(verify_at(exp + 89, "1m30s").exit_code, 0);
  // "1h30" is refused by both, with the same words.
  RunResult cli = verify_at(exp, "1h30");
  EXPECT_EQ(cli.exit_code, 2);
  const std::string rule =
      "expected a duration such as 900, 45s, 15m, 12h, 30d, 2w or 1h30m, got \"1h30\"";
  EXPECT_TRUE(contains(cli.err, "--leeway: " + rule)) << cli.err;
  RunResult service = serve({"--leeway", "1h30"});
  EXPECT_EQ(service.exit_code, 2);
  EXPECT_TRUE(contains(service.err, "tokens.leeway (flag --leeway): " + rule)) << service.err;
}

// A lifetime of 0 is refused by the command line and by serve with the same
// words, from the one duration parser and its bounds.
TEST_F(CliTest, ZeroLifetimesAreRefusedAsServeRefusesThem) {
  RunResult cli =
      jwtguard({"token", "issue", "--identity", "alice", "--secret", kSecret, "--ttl", "0"});
  EXPECT_EQ(cli.exit_code, 2);
  EXPECT_TRUE(contains(cli.err, "--ttl: must be at least 1s, got 0s")) << cli.err;
  RunResult service = serve({"--access-ttl", "0"});
  EXPECT_EQ(service.exit_code, 2);
  EXPECT_TRUE(
      contains(service.err, "tokens.access_ttl (flag --access-ttl): must be at least 1s, got 0s"))
      << service.err;
  RunResult revoke =
      jwtguard({"revoke", "--jti", "j", "--max-lifetime", "0", "--store", "memory:"});
  EXPECT_EQ(revoke.exit_code, 2);
  EXPECT_TRUE(contains(revoke.err, "--max-lifetime: must be at least 1s, got 0s")) << revoke.err;
}

// A leeway over a day is refused by the command line and by serve alike,
// as a usage error in the duration parser's words: serve used to accept the
// setting and then fail to start (exit 1), the command line to print the
// verifier's "leeway over one day".
TEST_F(CliTest, LeewaysOverADayAreRefusedAsServeRefusesThem) {
  RunResult cli = jwtguard({"token", "verify", "--secret", kSecret, "--leeway", "1d1s", "t"});
  EXPECT_EQ(cli.exit_code, 2);
  EXPECT_TRUE(contains(cli.err, "--leeway: must be at most 1d, got 1d1s")) << cli.err;
  RunResult service =
      serve({"--leeway", "1d1s", "--store", "memory:", "--data-dir", (dir_ / "var").string()});
  EXPECT_EQ(service.exit_code, 2);
  EXPECT_TRUE(contains(service.err, "tokens.leeway (flag --leeway): must be at most 1d, got 1d1s"))
      << service.err;
  const std::string token = issue({"--ttl", "60"});
  EXPECT_EQ(jwtguard({"token", "verify", "--secret", kSecret, "--leeway", "1d", token}).exit_code,
            0);
}

// --kid names a JWK as serve's keys.kid does: added to a JWK without one,
// refused when the JWK names another (it used to be ignored for --jwk).
TEST_F(CliTest, AKidGivenWithAJwkNamesItAsServeDoes) {
  const std::string path = write("ec.jwk", jwtguard({"keys", "generate", "--alg", "ES256"}).out);
  RunResult issued =
      jwtguard({"token", "issue", "--identity", "bob", "--jwk", path, "--kid", "k9"});
  ASSERT_EQ(issued.exit_code, 0) << issued.err;
  auto decoded = decode_jws(trim(issued.out));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(nlohmann::json::parse(decoded->header_json)["kid"], "k9");
  const std::string named =
      write("k1.jwk", jwtguard({"keys", "generate", "--alg", "ES256", "--kid", "k1"}).out);
  RunResult other =
      jwtguard({"token", "issue", "--identity", "bob", "--jwk", named, "--kid", "k2"});
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_TRUE(contains(other.err, "its \"kid\" differs from --kid")) << other.err;
}

// --- serve: start-up errors ---------------------------------------------------

TEST_F(CliTest, ServeRefusesKeysFromTwoSourcesNamingEach) {
  const std::string secret_file = write("secret", kSecret + "\n");
  const std::string config =
      write("jwtguard.toml", "dev = false\n[keys]\nsecret_file = \"" + secret_file + "\"\n");
  const std::string store = "sqlite:" + (dir_ / "jwtguard.db").string();
  RunResult r =
      serve({"--config", config, "--store", store}, {"JWTGUARD_SECRET=" + kSecret + "-exported"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(contains(r.err, "keys.secret (environment JWTGUARD_SECRET)")) << r.err;
  EXPECT_TRUE(contains(r.err, "keys.secret_file (" + config + ":3)")) << r.err;
  EXPECT_FALSE(contains(r.err, kSecret)) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "jwtguard.db")) << "nothing is written";
}

TEST_F(CliTest, ServeStartupErrorsNameTheSettingItsSourceAndTheFixOnce) {
  const std::string file = write("a-file", "not a directory");
  const std::string data_dir = "--data-dir=" + (dir_ / "var").string();
  RunResult store = serve({data_dir}, {"JWTGUARD_STORE=sqlite:" + file + "/x.db"});
  EXPECT_EQ(store.exit_code, 1) << store.err;
  EXPECT_EQ(count(store.err, "store (environment JWTGUARD_STORE) \"sqlite:" + file + "/x.db\": "),
            1u)
      << store.err;
  EXPECT_EQ(count(store.err, "Not a directory"), 1u) << "printed once: " << store.err;
  EXPECT_FALSE(contains(store.err, "Store failure: store:")) << store.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "var")) << "no dev key before the store opened";

  RunResult url = serve({data_dir, "--store", "mysql://x"});
  EXPECT_EQ(url.exit_code, 1) << url.err;
  // Named by its scheme: the rest of an unknown URL could hold a password.
  EXPECT_EQ(count(url.err,
                  "store (flag --store) \"mysql:... (not a store URL, rest not shown)\": "
                  "unknown store URL"),
            1u)
      << url.err;

  const std::string missing = (dir_ / "missing.pem").string();
  const std::string config =
      write("jwtguard.toml",
            "dev = false\nstore = \"memory:\"\n[keys]\nkey_file = \"" + missing + "\"\n");
  RunResult key = serve({"--config", config});
  EXPECT_EQ(key.exit_code, 1) << key.err;
  EXPECT_EQ(count(key.err, "keys.key_file (" + config + ":4): cannot read \"" + missing + "\""), 1u)
      << key.err;
  EXPECT_TRUE(contains(key.err, "Fix the path")) << key.err;

  RunResult dir = serve({"--data-dir", file + "/var", "--store", "memory:"});
  EXPECT_EQ(dir.exit_code, 1) << dir.err;
  EXPECT_EQ(count(dir.err, "data_dir (flag --data-dir): "), 1u) << dir.err;
  EXPECT_TRUE(contains(dir.err, "Set data_dir to a directory")) << dir.err;

  RunResult no_key = serve({"--dev", "false", "--store", "memory:"});
  EXPECT_EQ(no_key.exit_code, 1) << no_key.err;
  EXPECT_EQ(count(no_key.err, "dev (flag --dev) is off"), 1u) << no_key.err;
}

TEST_F(CliTest, ServeRefusesAMisspeltErrorNameBeforeWritingAnything) {
  const std::string config =
      write("jwtguard.toml", "store = \"sqlite:" + (dir_ / "var" / "jwtguard.db").string() +
                                 "\"\ndata_dir = \"" + (dir_ / "var").string() +
                                 "\"\n\n[errors.revokd]\nstatus = 401\n");
  RunResult r = serve({"--config", config});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(count(r.err, "errors.revokd (" + config + ":4)"), 1u) << r.err;
  EXPECT_TRUE(contains(r.err, "did you mean revoked?")) << r.err;
  EXPECT_TRUE(contains(r.err, "missing_authorization")) << "the valid names: " << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "var")) << "no dev key, no store";
}

// --- user and revoke: against a real SQLite store -----------------------------

class StoreCliTest : public CliTest {
 protected:
  std::string store() const { return "sqlite:" + (dir_ / "var" / "jwtguard.db").string(); }
  std::unique_ptr<Store> open() {
    auto s = open_store(store());
    EXPECT_TRUE(s.has_value()) << s.error().message();
    return s ? std::move(*s) : nullptr;
  }
};

// A verifier accepts a token until exp + its leeway: the revocation is kept
// that long (the leeway of the configuration the command reads, as serve's).
TEST_F(StoreCliTest, RevokeATokenUntilItsExpiryPlusTheServicesLeeway) {
  const std::string token = issue({"--type", "access"});
  RunResult r = run({kBinary, "revoke", "--token", token, "--create", "--store", store()}, "",
                    {"JWTGUARD_LEEWAY=90s"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto claims = parse_claims(decode_jws(token)->payload);
  ASSERT_TRUE(claims.has_value());
  auto found = open()->find_revocation(RevocationKind::kToken, claims->jti);
  ASSERT_TRUE(found.has_value() && found->has_value());
  EXPECT_EQ((*found)->expires_at, *claims->exp + std::chrono::seconds(90));
}

// The service's rule for names: no control characters (one could pass for a
// minted identity's subject key), no surrounding spaces.
TEST_F(StoreCliTest, UserCommandsRefuseNamesTheServiceRefuses) {
  for (const std::string& name :
       {std::string("app\x1f") + "root", std::string(" root"), std::string("esc\x1b[31m")}) {
    RunResult created =
        jwtguard({"user", "create", name, "--password-stdin", "--create", "--store", store()},
                 "s3cret!-long\n");
    EXPECT_EQ(created.exit_code, 2) << created.err;
    EXPECT_NE(created.err.find("USERNAME must be 1 to 128 bytes"), std::string::npos)
        << created.err;
    EXPECT_EQ(jwtguard({"user", "grant-admin", name, "--store", store()}).exit_code, 2);
  }
}

TEST_F(StoreCliTest, UserCreateListGrantAdmin) {
  RunResult created =
      jwtguard({"user", "create", "alice", "--password-stdin", "--create", "--store", store()},
               "s3cret!-long\n");
  ASSERT_EQ(created.exit_code, 0) << created.err;
  RunResult again =
      jwtguard({"user", "create", "alice", "--password", "other-password", "--store", store()});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("already exists"), std::string::npos) << again.err;
  ASSERT_EQ(jwtguard({"user", "grant-admin", "alice", "--store", store()}).exit_code, 0);
  EXPECT_EQ(jwtguard({"user", "grant-admin", "bob", "--store", store()}).exit_code, 1);

  RunResult list = jwtguard({"user", "list", "--store", store()});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  const auto users = nlohmann::json::parse(list.out);
  ASSERT_EQ(users.size(), 1u);
  EXPECT_EQ(users[0]["name"], "alice");
  EXPECT_EQ(users[0]["admin"], true);
  EXPECT_EQ(list.out.find("argon2"), std::string::npos) << "the hash must not be printed";

  auto user = open()->find_user("alice");
  ASSERT_TRUE(user.has_value() && user->has_value());
  EXPECT_TRUE(verify_password("s3cret!-long", (*user)->password_hash));
}

TEST_F(StoreCliTest, UserCreateNeedsExactlyOnePasswordSource) {
  EXPECT_EQ(jwtguard({"user", "create", "bob", "--store", store()}).exit_code, 2);
  EXPECT_EQ(
      jwtguard({"user", "create", "bob", "--password", "a", "--password-stdin", "--store", store()},
               "b\n")
          .exit_code,
      2);
  EXPECT_EQ(
      jwtguard({"user", "create", "bob", "--password-stdin", "--store", store()}, "\n").exit_code,
      2);  // an empty password
  EXPECT_EQ(jwtguard({"user", "list", "--store", "mysql://x"}).exit_code, 2);
}

TEST_F(StoreCliTest, RevokeWritesEachKindToTheStore) {
  ASSERT_EQ(
      jwtguard({"revoke", "--jti", "j-1", "--reason", "leaked", "--create", "--store", store()})
          .exit_code,
      0);
  ASSERT_EQ(jwtguard({"revoke", "--sid", "s-1", "--store", store()}).exit_code, 0);
  RunResult user = jwtguard({"revoke", "--user", "alice", "--store", store()});
  ASSERT_EQ(user.exit_code, 0) << user.err;
  EXPECT_EQ(trim(user.out), "revoked user alice");

  auto s = open();
  auto jti = s->find_revocation(RevocationKind::kToken, "j-1");
  ASSERT_TRUE(jti.has_value() && jti->has_value());
  EXPECT_EQ((*jti)->reason, "leaked");
  EXPECT_EQ((*jti)->revoked_by, "cli");
  // Kept for the default maximum lifetime of 30 days.
  EXPECT_NEAR(std::chrono::duration<double>((*jti)->expires_at - (*jti)->revoked_at).count(),
              30 * 86400, 1);
  auto sid = s->find_revocation(RevocationKind::kSession, "s-1");
  EXPECT_TRUE(sid.has_value() && sid->has_value());
  auto cutoff = s->find_revocation(RevocationKind::kUser, "alice");
  ASSERT_TRUE(cutoff.has_value() && cutoff->has_value());
  EXPECT_GT((*cutoff)->cutoff, (*cutoff)->revoked_at);
}

// A session or a user revoked from the command line is kept as long as a
// service's Guard would keep it: until the session's recorded expiry (plus
// the leeway), even past --max-lifetime, and the session names its user.
TEST_F(StoreCliTest, RevokeKeepsSessionsAndUsersAsLongAsTheirSessionsLive) {
  ASSERT_EQ(jwtguard({"user", "list", "--create", "--store", store()}).exit_code, 0);
  const Timestamp expires = SystemClock().now() + std::chrono::hours(24 * 60);
  {
    auto s = open();
    ASSERT_TRUE(s->create_session(Session{.sid = "s-long",
                                          .user = "alice",
                                          .created_at = SystemClock().now(),
                                          .refreshed_at = SystemClock().now(),
                                          .expires_at = expires,
                                          .refresh_jti = "r-1"})
                    .has_value());
  }
  const std::vector<std::string> env = {"JWTGUARD_LEEWAY=30s"};
  // The user first: a revoked session is no longer listed among the live ones.
  RunResult user = run({kBinary, "revoke", "--user", "alice", "--store", store()}, "", env);
  ASSERT_EQ(user.exit_code, 0) << user.err;
  RunResult sid = run({kBinary, "revoke", "--sid", "s-long", "--store", store()}, "", env);
  ASSERT_EQ(sid.exit_code, 0) << sid.err;
  auto s = open();
  auto session = s->find_revocation(RevocationKind::kSession, "s-long");
  ASSERT_TRUE(session.has_value() && session->has_value());
  EXPECT_EQ((*session)->expires_at, expires + std::chrono::seconds(30));
  EXPECT_EQ((*session)->user, "alice");
  auto cutoff = s->find_revocation(RevocationKind::kUser, "alice");
  ASSERT_TRUE(cutoff.has_value() && cutoff->has_value());
  EXPECT_EQ((*cutoff)->expires_at, expires + std::chrono::seconds(30));
}

// No revocation key may hold the namespace separator, as the service's
// POST and DELETE /admin/revocations refuse it in a jti, a sid or a user.
TEST_F(StoreCliTest, RevokeRefusesTheNamespaceSeparatorInEveryKey) {
  for (const std::string option : {"--jti", "--sid", "--user"}) {
    RunResult r = jwtguard({"revoke", option, "app\x1froot", "--store", "memory:"});
    EXPECT_EQ(r.exit_code, 2) << option << ": " << r.err;
    EXPECT_TRUE(contains(r.err, option + " must not hold control characters")) << r.err;
  }
}

TEST_F(StoreCliTest, RevokeAWholeTokenUntilItsExpiry) {
  const std::string token = issue({"--type", "refresh"});
  RunResult r = jwtguard({"revoke", "--token", "-", "--create", "--store", store()}, token + "\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto decoded = decode_jws(token);
  ASSERT_TRUE(decoded.has_value());
  auto claims = parse_claims(decoded->payload);
  ASSERT_TRUE(claims.has_value());
  auto found = open()->find_revocation(RevocationKind::kToken, claims->jti);
  ASSERT_TRUE(found.has_value() && found->has_value());
  EXPECT_EQ((*found)->expires_at, claims->exp);
  EXPECT_EQ((*found)->token_type, TokenType::kRefresh);
  EXPECT_EQ((*found)->user, "alice");
}

// `args` run in `dir` (env -C), with `env` added: a command started from
// another directory than the service's.
RunResult jwtguard_in(const std::filesystem::path& dir, std::vector<std::string> args,
                      const std::vector<std::string>& env, const std::string& input = {}) {
  args.insert(args.begin(), {"env", "-C", dir.string(), kBinary});
  return run(args, input, env);
}

TEST_F(StoreCliTest, StoreCommandsFindTheStoreAsServeDoesAndSayWhichOne) {
  const std::string config = write("jwtguard.toml", "store = \"" + store() + "\"\n");
  ASSERT_EQ(
      jwtguard({"user", "create", "alice", "--password-stdin", "--create", "--config", config},
               "s3cret!-long\n")
          .exit_code,
      0);
  const auto elsewhere = dir_ / "elsewhere";
  std::filesystem::create_directories(elsewhere);
  // JWTGUARD_CONFIG, as serve reads it.
  RunResult by_config = jwtguard_in(elsewhere, {"user", "list"}, {"JWTGUARD_CONFIG=" + config});
  ASSERT_EQ(by_config.exit_code, 0) << by_config.err;
  EXPECT_EQ(nlohmann::json::parse(by_config.out)[0]["name"], "alice");
  EXPECT_TRUE(
      contains(by_config.err, "jwtguard: store " + store() + ", from store (" + config + ":1)"))
      << by_config.err;
  // JWTGUARD_STORE.
  RunResult by_env = jwtguard_in(elsewhere, {"user", "list"}, {"JWTGUARD_STORE=" + store()});
  ASSERT_EQ(by_env.exit_code, 0) << by_env.err;
  EXPECT_TRUE(contains(by_env.err, "from store (environment JWTGUARD_STORE)")) << by_env.err;
  // A password in the URL is never printed.
  RunResult redis = run({"timeout", "-s", "KILL", "20", kBinary, "user", "list", "--store",
                         "redis://:hunter2-store-pw@127.0.0.1:1/0"});
  EXPECT_EQ(redis.exit_code, 1) << redis.err;
  EXPECT_TRUE(contains(redis.err,
                       "jwtguard: store redis://:***@127.0.0.1:1/0, from store "
                       "(flag --store)"))
      << redis.err;
  EXPECT_FALSE(contains(redis.err, "hunter2-store-pw")) << redis.err;
}

TEST_F(StoreCliTest, AMissingStoreFileIsCreatedOnlyWithCreate) {
  const auto elsewhere = dir_ / "elsewhere";
  std::filesystem::create_directories(elsewhere);
  RunResult refused =
      jwtguard_in(elsewhere, {"user", "create", "admin2", "--admin", "--password-stdin"}, {},
                  "correct horse battery\n");
  EXPECT_EQ(refused.exit_code, 1) << refused.err;
  EXPECT_TRUE(
      contains(refused.err, (elsewhere / "var" / "jwtguard.db").string() + ") does not exist"))
      << refused.err;
  EXPECT_TRUE(contains(refused.err, "--create")) << refused.err;
  EXPECT_FALSE(contains(refused.out, "created user")) << refused.out;
  EXPECT_FALSE(std::filesystem::exists(elsewhere / "var")) << "no store was created";
  RunResult created = jwtguard_in(
      elsewhere, {"user", "create", "admin2", "--admin", "--password-stdin", "--create"}, {},
      "correct horse battery\n");
  EXPECT_EQ(created.exit_code, 0) << created.err;
  EXPECT_TRUE(std::filesystem::exists(elsewhere / "var" / "jwtguard.db"));
  EXPECT_EQ(jwtguard({"revoke", "--jti", "j", "--store", store()}).exit_code, 1)
      << "revoke refuses a missing store too";
}

TEST_F(StoreCliTest, UserCreateAppliesTheServicePasswordRule) {
  RunResult short_password = jwtguard(
      {"user", "create", "bob", "--password-stdin", "--create", "--store", store()}, "12345\n");
  EXPECT_EQ(short_password.exit_code, 2) << short_password.err;
  EXPECT_TRUE(contains(short_password.err,
                       "'password' must be at least 8 characters and at most 1024 bytes"))
      << short_password.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "var")) << "refused before the store opened";
  // The service's users.min_password_length applies, from wherever it is set.
  RunResult configured = jwtguard_in(
      dir_, {"user", "create", "bob", "--password-stdin", "--create", "--store", store()},
      {"JWTGUARD_MIN_PASSWORD_LENGTH=12"}, "eleven-char\n");
  EXPECT_EQ(configured.exit_code, 2) << configured.err;
  EXPECT_TRUE(contains(configured.err, "at least 12 characters")) << configured.err;
  EXPECT_TRUE(contains(configured.err,
                       "users.min_password_length (environment JWTGUARD_MIN_PASSWORD_LENGTH)"))
      << configured.err;
}

TEST_F(StoreCliTest, RevokeNeedsExactlyOneTarget) {
  EXPECT_EQ(jwtguard({"revoke", "--store", store()}).exit_code, 2);
  EXPECT_EQ(jwtguard({"revoke", "--jti", "a", "--sid", "b", "--store", store()}).exit_code, 2);
  EXPECT_EQ(jwtguard({"revoke", "--token", "not-a-token", "--store", store()}).exit_code, 1);
}

}  // namespace
}  // namespace jwtguard
