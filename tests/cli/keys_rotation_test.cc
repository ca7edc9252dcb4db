// `jwtguard keys add | activate | retire | list` on a JWK Set file, run as an
// operator would: each step of a rotation, each refusal, --force, and what
// the file looks like after (docs/operations.md, "Rotating signing keys").
// The time is pinned with --at, so the boundaries are tested to the second.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "keys_file_helpers.h"
#include "testing/fixtures.h"
#include "testing/subprocess.h"

namespace jwtguard {
namespace {

using Json = nlohmann::json;
using testing::run;
using testing::RunResult;

const std::string kBinary = JWTGUARD_BINARY;

using testing::contains;
using testing::mode_of;
using testing::slurp;

class KeysRotationTest : public ::testing::Test {
 protected:
  void SetUp() override { ::unsetenv("JWTGUARD_CONFIG"); }

  RunResult keys(std::vector<std::string> args, const std::vector<std::string>& env = {}) {
    args.insert(args.begin(), {kBinary, "keys"});
    return run(args, {}, env);
  }
  Json set() const { return Json::parse(slurp(file_)); }
  std::int64_t stamp(const std::string& kid, const char* name) const {
    const Json json = set();
    for (const Json& key : json["keys"]) {
      if (key["kid"] == kid) return key.value(name, std::int64_t{-1});
    }
    return -2;
  }
  // A set with k1 active (added at t0) and k2 added at t0 + 100.
  void two_keys() {
    ASSERT_EQ(keys({"add", file_, "--alg", "ES256", "--kid", "k1"}).exit_code, 0);
    ASSERT_EQ(keys({"add", file_, "--alg", "ES256", "--kid", "k2"}).exit_code, 0);
    rewrite([](Json& json) {
      json["keys"][0]["added_at"] = 1'000'000;
      json["keys"][1]["added_at"] = 1'000'100;
    });
  }
  template <typename Edit>
  void rewrite(Edit edit) {
    Json json = set();
    edit(json);
    std::ofstream(file_, std::ios::binary | std::ios::trunc) << json.dump();
  }
  std::string write(const std::string& name, const std::string& content, unsigned mode = 0600) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << content;
    ::chmod(path.c_str(), mode);
    return path;
  }
  std::string generated(const std::string& alg, const std::string& kid) {
    return keys({"generate", "--alg", alg, "--kid", kid}).out;
  }

  testing::ScratchDir scratch_;
  const std::filesystem::path& dir_ = scratch_.path();
  const std::string file_ = (dir_ / "keys.jwks.json").string();
};

TEST_F(KeysRotationTest, AddCreatesAPrivateSetWhoseFirstKeyIsActive) {
  RunResult r = keys({"add", file_, "--alg", "ES256", "--kid", "k1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "as its active key")) << r.out;
  EXPECT_EQ(mode_of(file_), 0600u);
  const Json json = set();
  EXPECT_EQ(json["active_kid"], "k1");
  ASSERT_EQ(json["keys"].size(), 1u);
  EXPECT_EQ(json["keys"][0]["alg"], "ES256");
  EXPECT_TRUE(json["keys"][0].contains("d"));
  EXPECT_GT(json["keys"][0]["added_at"].get<std::int64_t>(), 1'700'000'000);
}

TEST_F(KeysRotationTest, AnAddedKeyOnlyVerifiesAndTheOutputSaysWhatIsNext) {
  ASSERT_EQ(keys({"add", file_, "--alg", "ES256", "--kid", "k1"}).exit_code, 0);
  RunResult r = keys({"add", file_, "--alg", "ES256", "--kid", "k2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(set()["active_kid"], "k1");
  EXPECT_EQ(set()["keys"].size(), 2u);
  EXPECT_TRUE(contains(r.out, "it verifies, it does not sign")) << r.out;
  EXPECT_TRUE(contains(r.out, "jwtguard keys activate " + file_ + " --kid k2")) << r.out;
  EXPECT_EQ(stamp("k2", "signed_until"), -1);
}

// A set made by hand with one key and no active_kid: serve signs with that
// key; once a second key joins, the file must say so or serve would refuse.
TEST_F(KeysRotationTest, AddingToASingleKeySetRecordsItsKeyAsActive) {
  write("keys.jwks.json", Json{{"keys", {Json::parse(generated("EdDSA", "old"))}}}.dump());
  ASSERT_EQ(keys({"add", file_, "--alg", "EdDSA", "--kid", "new"}).exit_code, 0);
  EXPECT_EQ(set()["active_kid"], "old");
}

TEST_F(KeysRotationTest, AddRefusesADuplicateKidABadKidAndMixedKinds) {
  ASSERT_EQ(keys({"add", file_, "--alg", "ES256", "--kid", "k1"}).exit_code, 0);
  const std::string before = slurp(file_);
  RunResult duplicate = keys({"add", file_, "--alg", "ES256", "--kid", "k1"});
  EXPECT_EQ(duplicate.exit_code, 1);
  EXPECT_TRUE(contains(duplicate.err, "already holds a key with kid \"k1\"")) << duplicate.err;
  for (const char* kid : {"a b", "k\n1", "../x", "\"q\""}) {
    RunResult bad = keys({"add", file_, "--alg", "ES256", "--kid", kid});
    EXPECT_EQ(bad.exit_code, 2) << kid;
    EXPECT_TRUE(contains(bad.err, "--kid: use at most 64 letters")) << bad.err;
  }
  RunResult mixed = keys({"add", file_, "--alg", "HS256", "--kid", "h1"});
  EXPECT_EQ(mixed.exit_code, 1);
  EXPECT_TRUE(contains(mixed.err, "Keep one kind of key per set")) << mixed.err;
  EXPECT_EQ(slurp(file_), before);
  const std::string secrets = (dir_ / "secrets.jwks.json").string();
  ASSERT_EQ(keys({"add", secrets, "--alg", "HS256", "--kid", "h1"}).exit_code, 0);
  EXPECT_EQ(keys({"add", secrets, "--alg", "ES256", "--kid", "e1"}).exit_code, 1);
  EXPECT_EQ(keys({"add", secrets, "--alg", "HS512", "--kid", "h2"}).exit_code, 0);
}

TEST_F(KeysRotationTest, AKidIsGeneratedWhenNoneIsGiven) {
  ASSERT_EQ(keys({"add", file_, "--alg", "EdDSA"}).exit_code, 0);
  ASSERT_EQ(keys({"add", file_, "--alg", "EdDSA"}).exit_code, 0);
  const Json json = set();
  const std::string a = json["keys"][0]["kid"], b = json["keys"][1]["kid"];
  EXPECT_EQ(a.size(), 17u) << a;  // YYYY-MM-DD-xxxxxx
  EXPECT_NE(a, b);
  EXPECT_EQ(json["active_kid"], a);
}

TEST_F(KeysRotationTest, ActivateWaitsForTheNewKeyToBePublished) {
  two_keys();
  const std::string before = slurp(file_);
  // k2 was added at 1'000'100: 10 minutes later, not a second earlier.
  RunResult early = keys({"activate", file_, "--kid", "k2", "--at", "1000699"});
  EXPECT_EQ(early.exit_code, 1);
  EXPECT_TRUE(contains(early.err, "Run this again from 1970-01-12T13:58:20Z")) << early.err;
  EXPECT_TRUE(contains(early.err, "or pass --force")) << early.err;
  EXPECT_EQ(slurp(file_), before);
  RunResult r = keys({"activate", file_, "--kid", "k2", "--at", "1000700"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(set()["active_kid"], "k2");
  EXPECT_EQ(stamp("k1", "signed_until"), 1'000'700);
  EXPECT_EQ(stamp("k2", "signed_until"), -1);
  EXPECT_TRUE(contains(r.out, "jwtguard keys retire " + file_ + " --config FILE --kid k1"))
      << r.out;
  // --min-published moves the boundary: k1 was added at 1'000'000.
  EXPECT_EQ(keys({"activate", file_, "--kid", "k1", "--at", "1000700", "--min-published", "701s"})
                .exit_code,
            1);
  EXPECT_EQ(keys({"activate", file_, "--kid", "k1", "--at", "1000700", "--min-published", "700s"})
                .exit_code,
            0);
  // Back to k1: its signed_until goes, k2's is recorded.
  EXPECT_EQ(stamp("k1", "signed_until"), -1);
  EXPECT_EQ(stamp("k2", "signed_until"), 1'000'700);
}

TEST_F(KeysRotationTest, ActivateForceSaysWhatItRisks) {
  two_keys();
  RunResult r = keys({"activate", file_, "--kid", "k2", "--at", "1000101", "--force"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "Forced:")) << r.out;
  EXPECT_EQ(set()["active_kid"], "k2");
}

// --at is recorded as signed_until: one a set cannot hold is refused up
// front, not taken as now (a value past int64) or written as a broken set.
TEST_F(KeysRotationTest, AnAtBeyondWhatAStampHoldsIsAUsageError) {
  two_keys();
  const std::string before = slurp(file_);
  for (const char* at : {"1099511627776", "99999999999999999999", "-1"}) {
    const std::string option = std::string("--at=") + at;
    RunResult r = keys({"activate", file_, "--kid", "k2", option, "--force"});
    EXPECT_EQ(r.exit_code, 2) << at << ": " << r.err;
    EXPECT_TRUE(contains(r.err, "--at")) << r.err;
    EXPECT_EQ(keys({"list", file_, option}).exit_code, 2) << at;
  }
  EXPECT_EQ(slurp(file_), before);
  EXPECT_EQ(keys({"activate", file_, "--kid", "k2", "--at", "1099511627775"}).exit_code, 0);
  EXPECT_EQ(stamp("k1", "signed_until"), 1'099'511'627'775);
}

TEST_F(KeysRotationTest, ActivateRefusesAKeyOfUnknownAgeAnUnknownKidAndANoOp) {
  two_keys();
  rewrite([](Json& json) { json["keys"][1].erase("added_at"); });
  RunResult unknown_age = keys({"activate", file_, "--kid", "k2"});
  EXPECT_EQ(unknown_age.exit_code, 1);
  EXPECT_TRUE(contains(unknown_age.err, "has no \"added_at\"")) << unknown_age.err;
  RunResult missing = keys({"activate", file_, "--kid", "k9"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_TRUE(contains(missing.err, "holds no key with kid \"k9\"")) << missing.err;
  const std::string before = slurp(file_);
  RunResult same = keys({"activate", file_, "--kid", "k1"});
  EXPECT_EQ(same.exit_code, 0) << same.err;
  EXPECT_TRUE(contains(same.out, "nothing changed")) << same.out;
  EXPECT_EQ(slurp(file_), before);
  EXPECT_EQ(keys({"activate", file_, "--kid", "k2", "--force"}).exit_code, 0);
}

TEST_F(KeysRotationTest, RetireWaitsUntilEveryTokenTheKeySignedHasExpired) {
  two_keys();
  ASSERT_EQ(keys({"activate", file_, "--kid", "k2", "--at", "1000700"}).exit_code, 0);
  const std::string before = slurp(file_);
  RunResult early =
      keys({"retire", file_, "--kid", "k1", "--max-token-lifetime", "1h", "--at", "1004299"});
  EXPECT_EQ(early.exit_code, 1);
  EXPECT_TRUE(contains(early.err, "would log those users out 1s early")) << early.err;
  EXPECT_TRUE(contains(early.err, "Run this again from 1970-01-12T14:58:20Z")) << early.err;
  EXPECT_EQ(slurp(file_), before);
  RunResult r =
      keys({"retire", file_, "--kid", "k1", "--max-token-lifetime", "1h", "--at", "1004300"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(contains(r.out, "Forced")) << r.out;
  const Json json = set();
  ASSERT_EQ(json["keys"].size(), 1u);
  EXPECT_EQ(json["keys"][0]["kid"], "k2");
  EXPECT_EQ(json["active_kid"], "k2");
}

// The lifetimes come from the service's own settings: the TOML file, then
// the JWTGUARD_* environment over it, as serve reads them.
TEST_F(KeysRotationTest, RetireTakesTheLongestLifetimeFromTheServiceSettings) {
  two_keys();
  ASSERT_EQ(keys({"activate", file_, "--kid", "k2", "--at", "1000700"}).exit_code, 0);
  const std::string config = write("jwtguard.toml",
                                   "[tokens]\naccess_ttl = \"15m\"\nrefresh_ttl = \"2h\"\n"
                                   "leeway = \"30s\"\n");
  auto retire_at = [&](std::int64_t at, const std::vector<std::string>& env = {}) {
    return keys({"retire", file_, "--kid", "k1", "--config", config, "--at", std::to_string(at)},
                env)
        .exit_code;
  };
  // signed_until 1'000'700 + 2h + 30s = 1'007'930.
  EXPECT_EQ(retire_at(1'007'929), 1);
  EXPECT_EQ(retire_at(1'007'929, {"JWTGUARD_REFRESH_TTL=1h"}), 0);
  ASSERT_EQ(keys({"add", file_, "--alg", "ES256", "--kid", "k3"}).exit_code, 0);
  rewrite([](Json& json) { json["keys"][1]["added_at"] = 1'000'000; });
  ASSERT_EQ(keys({"activate", file_, "--kid", "k3", "--at", "1000700"}).exit_code, 0);
  // Status list tokens are signed with the same key and live a day here.
  const std::string lists = write("lists.toml",
                                  "[tokens]\nrefresh_ttl = \"2h\"\n[status_list]\nenabled = true\n"
                                  "base_url = \"https://auth.example.com\"\n"
                                  "token_lifetime = \"1d\"\n");
  auto retire_k2 = [&](std::int64_t at, const std::string& toml) {
    return keys({"retire", file_, "--kid", "k2", "--config", toml, "--at", std::to_string(at)});
  };
  EXPECT_EQ(retire_k2(1'000'700 + 86'399, lists).exit_code, 1);
  RunResult r = retire_k2(1'000'700 + 86'400, lists);
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(KeysRotationTest, RetireNeedsTheLifetimesAndRefusesTheActiveKeyEvenWhenForced) {
  two_keys();
  ASSERT_EQ(keys({"activate", file_, "--kid", "k2", "--at", "1000700"}).exit_code, 0);
  RunResult no_lifetimes = keys({"retire", file_, "--kid", "k1", "--at", "9000000"});
  EXPECT_EQ(no_lifetimes.exit_code, 2);
  EXPECT_TRUE(contains(no_lifetimes.err, "give --config")) << no_lifetimes.err;
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{"--max-token-lifetime", "1s"}, {"--force"}}) {
    std::vector<std::string> args = {"retire", file_, "--kid", "k2"};
    args.insert(args.end(), extra.begin(), extra.end());
    RunResult active = keys(args);
    EXPECT_EQ(active.exit_code, 1);
    EXPECT_TRUE(contains(active.err, "\"k2\" is the active key")) << active.err;
  }
  EXPECT_EQ(set()["keys"].size(), 2u);
}

TEST_F(KeysRotationTest, RetireRefusesAKeyThatNeverRecordedStoppingUnlessForced) {
  two_keys();
  const std::string before = slurp(file_);
  RunResult never = keys({"retire", file_, "--kid", "k2", "--max-token-lifetime", "1s"});
  EXPECT_EQ(never.exit_code, 1);
  EXPECT_TRUE(contains(never.err, "has no \"signed_until\"")) << never.err;
  EXPECT_EQ(slurp(file_), before);
  RunResult forced = keys({"retire", file_, "--kid", "k2", "--force"});
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_TRUE(contains(forced.out, "its users must log in again")) << forced.out;
  EXPECT_EQ(set()["keys"].size(), 1u);
}

// A set that names no active key (serve picks one by keys.kid): nothing
// tells which key signs, so none is retired without --force.
TEST_F(KeysRotationTest, RetireRefusesWhenTheSetNamesNoActiveKey) {
  two_keys();
  rewrite([](Json& json) {
    json.erase("active_kid");
    json["keys"][0]["signed_until"] = 1'000'000;
  });
  RunResult r = keys({"retire", file_, "--kid", "k1", "--max-token-lifetime", "1s"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.err, "records no \"active_kid\"")) << r.err;
}

// A set edited by hand whose active_kid names a public key: serve refuses
// it, so `keys list` must not say that key signs.
TEST_F(KeysRotationTest, ListSaysAPublicActiveKeyCannotSign) {
  two_keys();
  rewrite([](Json& json) { json["keys"][0].erase("d"); });
  RunResult r = keys({"list", file_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "k1  ES256  active  cannot sign: a public key")) << r.out;
  EXPECT_FALSE(contains(r.out, "k1  ES256  active  signs")) << r.out;
}

TEST_F(KeysRotationTest, ListShowsEachStateAndNoKeyMaterial) {
  two_keys();
  ASSERT_EQ(keys({"add", file_, "--alg", "ES256", "--kid", "k3"}).exit_code, 0);
  rewrite([](Json& json) { json["keys"][2]["added_at"] = 1'000'800; });
  ASSERT_EQ(keys({"activate", file_, "--kid", "k2", "--at", "1000700"}).exit_code, 0);
  RunResult text =
      keys({"list", file_, "--max-token-lifetime", "1h", "--at", std::to_string(1'004'300)});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_TRUE(contains(text.out,
                       "k1  ES256  retiring  signed until 1970-01-12T13:58:20Z; safe to "
                       "retire now (since 1970-01-12T14:58:20Z)"))
      << text.out;
  EXPECT_TRUE(contains(text.out, "k2  ES256  active  signs")) << text.out;
  EXPECT_TRUE(
      contains(text.out, "k3  ES256  next  added 1970-01-12T14:00:00Z; may be activated now"))
      << text.out;
  RunResult json_out =
      keys({"list", file_, "--format", "json", "--max-token-lifetime", "1h", "--at", "1004299"});
  ASSERT_EQ(json_out.exit_code, 0) << json_out.err;
  const Json listed = Json::parse(json_out.out);
  EXPECT_EQ(listed["active_kid"], "k2");
  EXPECT_EQ(listed["keys"][0]["safe_to_retire_at"], 1'004'300);
  EXPECT_TRUE(contains(listed["keys"][0]["detail"].get<std::string>(), "safe to retire at"))
      << json_out.out;
  EXPECT_EQ(listed["keys"][2]["activatable_at"], 1'001'400);
  const std::string d = set()["keys"][0]["d"];
  for (const std::string& out : {text.out, json_out.out}) {
    for (const std::string& secret : {std::string("\"d\""), std::string("\"x\""), d}) {
      EXPECT_FALSE(contains(out, secret)) << out;
    }
  }
  RunResult unknown = keys({"list", file_, "--at", "1004300"});
  EXPECT_TRUE(contains(unknown.out, "give --config or --max-token-lifetime")) << unknown.out;
}

// What /.well-known/jwks.json serves is what `keys public` prints: kid, alg,
// use, kty and the public parameters; no private member, no bookkeeping.
TEST_F(KeysRotationTest, ThePublicSetCarriesNoPrivateMemberAndNoBookkeeping) {
  for (const char* alg : {"ES256", "RS256", "EdDSA"}) {
    const std::string file = (dir_ / (std::string(alg) + ".jwks.json")).string();
    ASSERT_EQ(keys({"add", file, "--alg", alg, "--kid", "a"}).exit_code, 0);
    ASSERT_EQ(keys({"add", file, "--alg", alg, "--kid", "b"}).exit_code, 0);
    ASSERT_EQ(keys({"activate", file, "--kid", "b", "--force"}).exit_code, 0);
    RunResult r = keys({"public", file});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const Json published = Json::parse(r.out);
    EXPECT_EQ(published.size(), 1u) << r.out;  // "keys" alone: no active_kid
    ASSERT_EQ(published["keys"].size(), 2u);
    for (const Json& key : published["keys"]) {
      for (const auto& [name, value] : key.items()) {
        const bool allowed = name == "kid" || name == "alg" || name == "use" || name == "kty" ||
                             name == "crv" || name == "x" || name == "y" || name == "n" ||
                             name == "e";
        EXPECT_TRUE(allowed) << alg << ": " << name;
      }
    }
  }
}

TEST_F(KeysRotationTest, TokenCommandsUseTheRotatedSet) {
  two_keys();
  ASSERT_EQ(keys({"activate", file_, "--kid", "k2", "--force"}).exit_code, 0);
  RunResult issued = run({kBinary, "token", "issue", "--identity", "ann", "--jwks", file_});
  ASSERT_EQ(issued.exit_code, 0) << issued.err;
  const std::string token = issued.out.substr(0, issued.out.find('\n'));
  const Json header = Json::parse(run({kBinary, "token", "decode", token}).out)["header"];
  EXPECT_EQ(header["kid"], "k2");
  RunResult verified = run({kBinary, "token", "verify", "--jwks", file_, token});
  EXPECT_EQ(verified.exit_code, 0) << verified.err;
  RunResult by_k1 =
      run({kBinary, "token", "issue", "--identity", "ann", "--jwks", file_, "--kid", "k1"});
  ASSERT_EQ(by_k1.exit_code, 0) << by_k1.err;
  EXPECT_EQ(
      run({kBinary, "token", "verify", "--jwks", file_, by_k1.out.substr(0, by_k1.out.find('\n'))})
          .exit_code,
      0);
}

TEST_F(KeysRotationTest, EveryCommandHasHelpWithAnExample) {
  for (const char* command : {"add", "activate", "retire", "list"}) {
    RunResult r = keys({command, "--help"});
    EXPECT_EQ(r.exit_code, 0) << command;
    EXPECT_TRUE(contains(r.out, "jwtguard keys " + std::string(command) + " /etc/jwtguard/"))
        << r.out;
  }
  EXPECT_TRUE(contains(keys({"retire", "--help"}).out, "revoking everything it signed"));
}

}  // namespace
}  // namespace jwtguard
