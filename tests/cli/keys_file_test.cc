// The JWK Set file `jwtguard keys` rotates, attacked: hostile or broken
// files are refused with the reason and never rewritten; writes keep the
// file's mode, owner and symbolic link, leave no temporary file, and two
// commands at once lose neither change.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

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

RunResult keys(std::vector<std::string> args) {
  args.insert(args.begin(), {kBinary, "keys"});
  return run(args);
}

Json jwk(const std::string& alg, const std::string& kid) {
  return Json::parse(keys({"generate", "--alg", alg, "--kid", kid}).out);
}

class KeysFileTest : public ::testing::Test {
 protected:
  std::string write(const std::string& content, unsigned mode = 0600) {
    std::ofstream(file_, std::ios::binary | std::ios::trunc) << content;
    ::chmod(file_.c_str(), mode);
    return file_;
  }
  // Only the set itself: no temporary file left beside it.
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
      names.push_back(entry.path().filename().string());
    }
    return names;
  }
  testing::ScratchDir scratch_;
  const std::filesystem::path& dir_ = scratch_.path();
  const std::string file_ = (dir_ / "keys.jwks.json").string();
};

struct Hostile {
  const char* what;
  std::string text;
  const char* error;
};

TEST_F(KeysFileTest, BrokenAndHostileSetsAreRefusedAndNeverRewritten) {
  const Json a = jwk("ES256", "a"), b = jwk("ES256", "b");
  Json no_kid = a;
  no_kid.erase("kid");
  Json control_kid = a;
  control_kid["kid"] = "a\u001b[2J";
  // U+009B, a single-character CSI that terminals obey as ESC [ does.
  Json c1_control_kid = a;
  c1_control_kid["kid"] = "a\u009b2J";
  // Rewriting indents every level: nesting a set never needs would make a
  // rewrite cost the square of its depth (a 1 MiB file: tens of gigabytes).
  const std::string deep = Json{{"keys", {a, b}}}.dump();
  const std::string nested = deep.substr(0, deep.size() - 1) + ",\"x\":" + std::string(100, '[') +
                             std::string(100, ']') + "}";
  Json encryption = b;
  encryption["use"] = "enc";
  auto with = [](Json member, const char* name, Json value) {
    member[name] = std::move(value);
    return member;
  };
  const std::vector<Hostile> cases = {
      {"not JSON", "{\"keys\": [", "not valid JSON"},
      {"no keys array", R"({"keys": {}})", "with a \"keys\" array"},
      {"empty set", R"({"keys": []})", "no usable signature key"},
      {"duplicate kids", Json{{"keys", {a, a}}}.dump(), "duplicate kid \"a\""},
      {"active_kid pointing nowhere", Json{{"active_kid", "z"}, {"keys", {a, b}}}.dump(),
       "\"active_kid\" is \"z\", but no key of the set has that kid"},
      {"active_kid not a string", Json{{"active_kid", 7}, {"keys", {a, b}}}.dump(),
       "\"active_kid\" is not a non-empty string"},
      {"key without kid", Json{{"keys", {a, no_kid}}}.dump(), "key #2 has no \"kid\""},
      {"kid with control characters", Json{{"keys", {a, control_kid}}}.dump(),
       "without control characters"},
      {"kid with a C1 control character", Json{{"keys", {a, c1_control_kid}}}.dump(),
       "without control characters"},
      {"nested deeper than a set needs", nested, "nested deeper than"},
      {"added_at a string", Json{{"keys", {with(a, "added_at", "yesterday"), b}}}.dump(),
       "\"added_at\" must be a whole number of Unix seconds"},
      {"signed_until negative", Json{{"keys", {a, with(b, "signed_until", -5)}}}.dump(),
       "\"signed_until\" must be a whole number"},
      {"signed_until a fraction", Json{{"keys", {a, with(b, "signed_until", 1.5)}}}.dump(),
       "\"signed_until\" must be a whole number"},
      {"signed_until huge", Json{{"keys", {a, with(b, "signed_until", 1e300)}}}.dump(),
       "\"signed_until\" must be a whole number"},
      {"encryption key", Json{{"keys", {a, encryption}}}.dump(), "remove it from the set"},
      {"broken key", Json{{"keys", {a, with(b, "x", "AAAA")}}}.dump(), "EC coordinates"},
      {"not an object", R"([{"keys": []}])", "with a \"keys\" array"},
  };
  for (const Hostile& c : cases) {
    write(c.text);
    for (const std::vector<std::string>& args :
         std::vector<std::vector<std::string>>{{"add", file_, "--alg", "ES256", "--kid", "n"},
                                               {"activate", file_, "--kid", "b", "--force"},
                                               {"retire", file_, "--kid", "b", "--force"},
                                               {"list", file_}}) {
      RunResult r = keys(args);
      EXPECT_EQ(r.exit_code, 1) << c.what << ": " << args[0] << ": " << r.err;
      EXPECT_TRUE(contains(r.err, file_ + ": ")) << c.what << ": " << r.err;
      EXPECT_TRUE(contains(r.err, c.error)) << c.what << ": " << args[0] << ": " << r.err;
      EXPECT_FALSE(contains(r.err, "\"d\"")) << r.err;
      EXPECT_EQ(slurp(file_), c.text) << c.what << ": " << args[0];
    }
  }
  EXPECT_EQ(entries(), std::vector<std::string>{"keys.jwks.json"});
}

TEST_F(KeysFileTest, AHugeFileIsRefusedBeforeItIsRead) {
  write("{\"keys\": []" + std::string(2 << 20, ' ') + "}");
  RunResult r = keys({"list", file_});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.err, "is too large for a JWK Set (at most 1 MiB)")) << r.err;
}

// A FIFO (or a device) at the path: refused at once, not read until a
// writer comes. `timeout` turns a hang into a failure instead of a stuck run.
TEST_F(KeysFileTest, AFileThatIsNotARegularFileIsRefusedWithoutWaiting) {
  ASSERT_EQ(::mkfifo(file_.c_str(), 0600), 0);
  for (const std::vector<std::string>& step :
       std::vector<std::vector<std::string>>{{"list", file_}, {"activate", file_, "--kid", "a"}}) {
    std::vector<std::string> args = {"timeout", "20", kBinary, "keys"};
    args.insert(args.end(), step.begin(), step.end());
    RunResult r = run(args);
    EXPECT_EQ(r.exit_code, 1) << step[0] << ": " << r.err;
    EXPECT_TRUE(contains(r.err, file_ + ": not a regular file")) << r.err;
  }
}

// The file holds private keys: one others may read is refused (and its
// keys are not trusted to be secret any more).
TEST_F(KeysFileTest, AFileOthersMayReadIsRefused) {
  ASSERT_EQ(keys({"add", file_, "--alg", "ES256", "--kid", "a"}).exit_code, 0);
  ::chmod(file_.c_str(), 0644);
  const std::string before = slurp(file_);
  for (const char* command : {"list", "add"}) {
    std::vector<std::string> args = {command, file_};
    if (std::string(command) == "add") args.insert(args.end(), {"--alg", "ES256"});
    RunResult r = keys(args);
    EXPECT_EQ(r.exit_code, 1) << command;
    EXPECT_TRUE(contains(r.err, "other users may read or write this file of private keys"))
        << r.err;
    EXPECT_TRUE(contains(r.err, "chmod o-rwx " + file_)) << r.err;
  }
  EXPECT_EQ(slurp(file_), before);
}

Json with_added_at(Json member) {
  member["added_at"] = 1'000'000;
  return member;
}

TEST_F(KeysFileTest, MixedSecretsAndKeyPairsLoadButPublishOnlyThePairs) {
  const Json secret = with_added_at(jwk("HS256", "h"));
  write(Json{{"active_kid", "e"}, {"keys", {jwk("ES256", "e"), secret}}}.dump());
  RunResult listed = keys({"list", file_});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_TRUE(contains(listed.out, "h  HS256  next")) << listed.out;
  EXPECT_FALSE(contains(listed.out, secret["k"].get<std::string>())) << listed.out;
  RunResult published = keys({"public", file_});
  ASSERT_EQ(published.exit_code, 0) << published.err;
  EXPECT_FALSE(contains(published.out, secret["k"].get<std::string>()));
  EXPECT_EQ(Json::parse(published.out)["keys"].size(), 1u);
  EXPECT_EQ(keys({"add", file_, "--alg", "ES256", "--kid", "n"}).exit_code, 1);
  // Signing with the secret: no verifier of the published set could check
  // its tokens, so not without --force, however long ago it was added.
  const std::string before = slurp(file_);
  RunResult secret_signs = keys({"activate", file_, "--kid", "h"});
  EXPECT_EQ(secret_signs.exit_code, 1);
  EXPECT_TRUE(
      contains(secret_signs.err, "\"h\" is an HMAC secret and " + file_ + " holds key pairs"))
      << secret_signs.err;
  EXPECT_EQ(slurp(file_), before);
  RunResult forced = keys({"activate", file_, "--kid", "h", "--force"});
  EXPECT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_TRUE(contains(forced.out, "Forced: \"h\" is an HMAC secret")) << forced.out;
  // The other way, a migration to key pairs: the pair may sign.
  write(Json{{"active_kid", "h"}, {"keys", {with_added_at(jwk("ES256", "e")), secret}}}.dump());
  EXPECT_EQ(keys({"activate", file_, "--kid", "e"}).exit_code, 0);
}

// The service reads the set as its own user: a rewrite keeps the mode and
// owner of the file it replaces.
TEST_F(KeysFileTest, AWriteKeepsTheModeAndOwnerAndLeavesNoTemporaryFile) {
  ASSERT_EQ(keys({"add", file_, "--alg", "ES256", "--kid", "a"}).exit_code, 0);
  ::chmod(file_.c_str(), 0640);
  struct stat before {};
  ASSERT_EQ(::stat(file_.c_str(), &before), 0);
  ASSERT_EQ(keys({"add", file_, "--alg", "ES256", "--kid", "b"}).exit_code, 0);
  struct stat after {};
  ASSERT_EQ(::stat(file_.c_str(), &after), 0);
  EXPECT_EQ(after.st_mode & 07777, 0640u);
  EXPECT_EQ(after.st_uid, before.st_uid);
  EXPECT_EQ(after.st_gid, before.st_gid);
  EXPECT_NE(after.st_ino, before.st_ino);  // replaced by a rename, not rewritten in place
  EXPECT_EQ(entries(), std::vector<std::string>{"keys.jwks.json"});
}

TEST_F(KeysFileTest, ASymbolicLinkStaysAndItsTargetIsReplaced) {
  const auto shared = dir_ / "shared";
  std::filesystem::create_directory(shared);
  const std::string target = (shared / "keys.jwks.json").string();
  ASSERT_EQ(keys({"add", target, "--alg", "ES256", "--kid", "a"}).exit_code, 0);
  std::filesystem::create_symlink(target, file_);
  ASSERT_EQ(keys({"add", file_, "--alg", "ES256", "--kid", "b"}).exit_code, 0);
  EXPECT_TRUE(std::filesystem::is_symlink(file_));
  EXPECT_EQ(Json::parse(slurp(target))["keys"].size(), 2u);
  EXPECT_EQ(mode_of(target), 0600u);
}

// A directory everyone may write to, even sticky like /tmp: another user
// could have put the set there, and a rewrite keeps its owner, who would
// receive the new private key. Nothing is written there.
TEST_F(KeysFileTest, ADirectoryOthersMayWriteToIsRefused) {
  const std::filesystem::path shared = dir_ / "shared";
  std::filesystem::create_directory(shared);
  ASSERT_EQ(::chmod(shared.c_str(), 01777), 0);
  const std::string planted = (shared / "keys.jwks.json").string();
  RunResult created = keys({"add", planted, "--alg", "ES256", "--kid", "a"});
  EXPECT_EQ(created.exit_code, 1) << created.err;
  EXPECT_TRUE(contains(created.err, shared.string() + ": other users may create files"))
      << created.err;
  EXPECT_TRUE(std::filesystem::is_empty(shared));
  const std::string theirs = Json{{"keys", {jwk("ES256", "t")}}}.dump();
  std::ofstream(planted) << theirs;
  ::chmod(planted.c_str(), 0600);
  RunResult added = keys({"add", planted, "--alg", "ES256", "--kid", "b"});
  EXPECT_EQ(added.exit_code, 1) << added.err;
  EXPECT_EQ(slurp(planted), theirs);
  // A link there to a set in a private directory: whoever made the link
  // chose the file.
  const std::string target = (dir_ / "theirs.jwks.json").string();
  std::filesystem::rename(planted, target);
  std::filesystem::create_symlink(target, planted);
  RunResult linked = keys({"add", planted, "--alg", "ES256", "--kid", "b"});
  EXPECT_EQ(linked.exit_code, 1) << linked.err;
  EXPECT_TRUE(contains(linked.err, shared.string() + ": other users may create files"))
      << linked.err;
  EXPECT_EQ(slurp(target), theirs);
}

TEST_F(KeysFileTest, AMissingDirectoryIsAPreciseError) {
  RunResult r = keys({"add", (dir_ / "nowhere" / "k.json").string(), "--alg", "ES256"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.err, "nowhere")) << r.err;
  EXPECT_TRUE(contains(r.err, "No such file or directory")) << r.err;
}

// Operators on two terminals: each `keys add` reads, changes and replaces
// the file under a lock, so every key added ends up in the set.
TEST_F(KeysFileTest, ConcurrentAddsLoseNoKey) {
  ASSERT_EQ(keys({"add", file_, "--alg", "EdDSA", "--kid", "first"}).exit_code, 0);
  constexpr int kWriters = 6;
  std::vector<RunResult> results(kWriters);
  std::vector<std::thread> writers;
  for (int i = 0; i < kWriters; ++i) {
    writers.emplace_back([&, i] {
      results[i] = keys({"add", file_, "--alg", "EdDSA", "--kid", "w" + std::to_string(i)});
    });
  }
  for (auto& writer : writers) writer.join();
  for (const RunResult& r : results) EXPECT_EQ(r.exit_code, 0) << r.err;
  const Json set = Json::parse(slurp(file_));
  EXPECT_EQ(set["keys"].size(), static_cast<std::size_t>(kWriters + 1));
  EXPECT_EQ(set["active_kid"], "first");
}

}  // namespace
}  // namespace jwtguard
