// `jwtguard user disable | enable | delete | set-password | list | audit`, run
// as an operator would against a real SQLite store, while a Guard over the
// same file stands for the service: the tokens it issued before a change must
// be refused after it, by an instance that learns the change from the feed
// as by one that starts afterwards.
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "jwtguard/guard.h"
#include "jwtguard/password.h"
#include "jwtguard/store.h"
#include "testing/fixtures.h"
#include "testing/subprocess.h"

namespace jwtguard {
namespace {

using testing::RunResult;

const std::string kBinary = JWTGUARD_BINARY;
const std::string kSecret = "0123456789abcdef0123456789abcdef-accounts-test";
const std::string kPassword = "first-pass-word";

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

class UserAccountsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RunResult created =
        jwtguard({"user", "create", "alice", "--password-stdin", "--create"}, kPassword + "\n");
    ASSERT_EQ(created.exit_code, 0) << created.err;
  }

  std::string store() const {
    return "sqlite:" + (scratch_.path() / "var" / "jwtguard.db").string();
  }

  // The command with --store added (after `args`, so that a positional
  // argument stays where the test put it).
  RunResult jwtguard(std::vector<std::string> args, const std::string& input = {}) {
    args.insert(args.begin(), kBinary);
    args.insert(args.end(), {"--store", store()});
    return testing::run(args, input);
  }

  std::unique_ptr<Store> open() {
    auto s = open_store(store());
    EXPECT_TRUE(s.has_value()) << s.error().message();
    return s ? std::move(*s) : nullptr;
  }

  // A Guard over the store file, as a service instance: its index holds what
  // the store held when it opened, and sync() applies the feed since.
  std::unique_ptr<Guard> instance() {
    GuardOptions options;
    options.background = false;
    auto guard =
        Guard::open(*Key::from_secret(kSecret), KeySet(), open(), std::move(options), clock_);
    EXPECT_TRUE(guard.has_value()) << guard.error().message();
    return guard ? std::move(*guard) : nullptr;
  }

  TokenPair login(Guard& guard, const std::string& user) {
    auto pair = guard.login(user);
    EXPECT_TRUE(pair.has_value()) << pair.error().message();
    return pair ? *pair : TokenPair{};
  }

  std::optional<User> find(const std::string& name) {
    auto user = open()->find_user(name);
    EXPECT_TRUE(user.has_value());
    return user ? *user : std::nullopt;
  }

  nlohmann::json json_of(std::vector<std::string> args) {
    RunResult r = jwtguard(std::move(args));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out, nullptr, false);
  }

  nlohmann::json listed(const std::string& name) {
    for (const auto& user : json_of({"user", "list"})) {
      if (user["name"] == name) return user;
    }
    return nullptr;
  }

  SystemClock clock_;
  testing::ScratchDir scratch_;
};

// The instance running while the change is made learns the cutoff from the
// feed; one opened afterwards from its snapshot. Both refuse the access
// token, and the refresh token cannot be exchanged.
TEST_F(UserAccountsTest, DisableEndsEveryTokenOnEveryInstanceAndBlocksNothingElse) {
  auto running = instance();
  ASSERT_TRUE(running);
  const TokenPair phone = login(*running, "alice");
  const TokenPair laptop = login(*running, "alice");
  const TokenPair bob = login(*running, "bob");

  RunResult r = jwtguard({"user", "disable", "alice", "--reason", "left the team"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(trim(r.out), "disabled alice; 2 sessions ended");

  ASSERT_TRUE(running->sync().has_value());
  auto started_after = instance();
  ASSERT_TRUE(started_after);
  for (Guard* guard : {running.get(), started_after.get()}) {
    for (const TokenPair* pair : {&phone, &laptop}) {
      auto checked = guard->require(pair->access.token);
      ASSERT_FALSE(checked.has_value());
      EXPECT_EQ(checked.error().code(), Errc::kRevoked);
    }
    EXPECT_TRUE(guard->require(bob.access.token).has_value()) << "another user's token stays";
  }
  EXPECT_FALSE(started_after->refresh(laptop.refresh.token).has_value());

  auto user = find("alice");
  ASSERT_TRUE(user);
  EXPECT_TRUE(user->disabled);
  auto cutoff = open()->find_revocation(RevocationKind::kUser, "alice");
  ASSERT_TRUE(cutoff.has_value() && cutoff->has_value());
  EXPECT_EQ((*cutoff)->revoked_by, "cli");
  EXPECT_GE((*cutoff)->expires_at, laptop.refresh.expires_at) << "kept while a token could live";
  const auto shown = listed("alice");
  EXPECT_EQ(shown["disabled"], true);
  EXPECT_EQ(shown["sessions"], 0);
}

TEST_F(UserAccountsTest, EnableLetsTheUserBackButKeepsItsOldTokensEnded) {
  auto guard = instance();
  ASSERT_TRUE(guard);
  const TokenPair before = login(*guard, "alice");
  ASSERT_EQ(jwtguard({"user", "disable", "alice"}).exit_code, 0);
  RunResult r = jwtguard({"user", "enable", "alice"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "enabled alice")) << r.out;

  auto user = find("alice");
  ASSERT_TRUE(user);
  EXPECT_FALSE(user->disabled);
  EXPECT_TRUE(open()->find_revocation(RevocationKind::kUser, "alice")->has_value())
      << "the cutoff stays";
  ASSERT_TRUE(guard->sync().has_value());
  EXPECT_FALSE(guard->require(before.access.token).has_value());
  const TokenPair after = login(*guard, "alice");
  EXPECT_TRUE(guard->require(after.access.token).has_value()) << "a new login works";
  EXPECT_EQ(listed("alice")["disabled"], false);
}

TEST_F(UserAccountsTest, DeleteRemovesTheAccountAndKeepsItsNameFromAnyoneElse) {
  auto guard = instance();
  ASSERT_TRUE(guard);
  const TokenPair pair = login(*guard, "alice");
  RunResult r = jwtguard({"user", "delete", "alice", "--reason", "asked to"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "deleted alice; 1 session ended")) << r.out;

  EXPECT_FALSE(find("alice")) << "the account and its hash are gone";
  auto sessions = open()->list_sessions("alice", clock_.now());
  ASSERT_TRUE(sessions.has_value());
  EXPECT_TRUE(sessions->empty());
  EXPECT_TRUE(listed("alice").is_null());
  ASSERT_TRUE(guard->sync().has_value());
  EXPECT_FALSE(guard->require(pair.access.token).has_value());
  EXPECT_FALSE(instance()->require(pair.access.token).has_value());

  RunResult again = jwtguard({"user", "create", "alice", "--password-stdin"}, "someone-else-pw\n");
  EXPECT_EQ(again.exit_code, 1) << again.err;
  EXPECT_TRUE(contains(again.err, "the name alice belonged to a deleted user and stays reserved"))
      << again.err;
  EXPECT_FALSE(find("alice")) << "nobody else holds the name";
  RunResult twice = jwtguard({"user", "delete", "alice"});
  EXPECT_EQ(twice.exit_code, 1);
  EXPECT_TRUE(contains(twice.err, "jwtguard: no user alice")) << twice.err;
}

TEST_F(UserAccountsTest, SetPasswordReplacesTheHashAndEndsEverySession) {
  auto guard = instance();
  ASSERT_TRUE(guard);
  const TokenPair pair = login(*guard, "alice");
  const std::string fresh = "second-pass-word";
  RunResult r = jwtguard({"user", "set-password", "alice", "--password-stdin"}, fresh + "\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(trim(r.out), "set a new password for alice; 1 session ended");
  EXPECT_FALSE(contains(r.out + r.err, fresh)) << "the password is never printed";

  auto user = find("alice");
  ASSERT_TRUE(user);
  EXPECT_TRUE(verify_password(fresh, user->password_hash));
  EXPECT_FALSE(verify_password(kPassword, user->password_hash));
  ASSERT_TRUE(guard->sync().has_value());
  EXPECT_FALSE(guard->require(pair.access.token).has_value());
  EXPECT_FALSE(guard->refresh(pair.refresh.token).has_value());
}

TEST_F(UserAccountsTest, SetPasswordTakesItFromStandardInputOnlyAndByTheServiceRule) {
  const std::string too_short = "short7!";
  RunResult refused = jwtguard({"user", "set-password", "alice", "--password-stdin"}, too_short);
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_TRUE(contains(refused.err, "'password' must be at least 8 characters")) << refused.err;
  EXPECT_FALSE(contains(refused.out + refused.err, too_short));

  const std::string in_argv = "argv-pass-word-1";
  RunResult argv = jwtguard({"user", "set-password", "alice", "--password", in_argv});
  EXPECT_EQ(argv.exit_code, 2) << argv.err;
  EXPECT_FALSE(contains(argv.out + argv.err, in_argv)) << "never echoed, even when refused";

  RunResult no_source = jwtguard({"user", "set-password", "alice"}, "stdin-pass-word\n");
  EXPECT_EQ(no_source.exit_code, 2) << no_source.err;
  EXPECT_TRUE(contains(no_source.err, "--password-stdin")) << no_source.err;

  auto user = find("alice");
  ASSERT_TRUE(user);
  EXPECT_TRUE(verify_password(kPassword, user->password_hash)) << "nothing was changed";
  EXPECT_FALSE(open()->find_revocation(RevocationKind::kUser, "alice")->has_value());
}

TEST_F(UserAccountsTest, UnknownAndInvalidNamesAreNamed) {
  for (const std::vector<std::string>& command : {std::vector<std::string>{"disable"},
                                                  {"enable"},
                                                  {"delete"},
                                                  {"set-password", "--password-stdin"}}) {
    auto args = [&](const std::string& name) {
      std::vector<std::string> all = {"user", command[0], name};
      all.insert(all.end(), command.begin() + 1, command.end());
      return all;
    };
    RunResult unknown = jwtguard(args("bob"), "bobs-pass-word\n");
    EXPECT_EQ(unknown.exit_code, 1) << command[0] << ": " << unknown.err;
    EXPECT_TRUE(contains(unknown.err, "jwtguard: no user bob\n"))
        << command[0] << ": " << unknown.err;
    RunResult invalid = jwtguard(args("esc\x1b[31m"), "bobs-pass-word\n");
    EXPECT_EQ(invalid.exit_code, 2) << command[0] << ": " << invalid.err;
    EXPECT_TRUE(contains(invalid.err, "USERNAME must be 1 to 128 bytes")) << invalid.err;
  }
  EXPECT_FALSE(open()->find_revocation(RevocationKind::kUser, "bob")->has_value())
      << "no cutoff for a user that does not exist";
}

TEST_F(UserAccountsTest, ListShowsTheFieldsOfTheAdminListing) {
  auto guard = instance();
  ASSERT_TRUE(guard);
  login(*guard, "alice");
  login(*guard, "alice");
  ASSERT_EQ(jwtguard({"user", "create", "bob", "--password-stdin", "--admin"}, "bobs-pass-word\n")
                .exit_code,
            0);
  RunResult r = jwtguard({"user", "list"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(contains(r.out, "argon2")) << "never a hash";
  const auto users = nlohmann::json::parse(r.out);
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[0]["name"], "alice");
  EXPECT_EQ(users[0]["admin"], false);
  EXPECT_EQ(users[0]["disabled"], false);
  EXPECT_EQ(users[0]["sessions"], 2);
  EXPECT_TRUE(users[0]["last_login_at"].is_number()) << users[0];
  EXPECT_GE(users[0]["last_login_at"].get<std::int64_t>(),
            users[0]["created_at"].get<std::int64_t>());
  EXPECT_EQ(users[1]["name"], "bob");
  EXPECT_EQ(users[1]["admin"], true);
  EXPECT_TRUE(users[1]["last_login_at"].is_null()) << "never logged in";
  EXPECT_EQ(users[1]["sessions"], 0);
}

// The store hands out at most 1000 users a page; the command lists them all.
TEST_F(UserAccountsTest, ListPagesThroughEveryUser) {
  {
    auto s = open();
    for (int i = 0; i < 1000; ++i) {
      User user;
      user.name = "u" + std::to_string(10000 + i);
      user.password_hash = "$argon2id$not-a-real-hash";
      user.created_at = clock_.now();
      ASSERT_TRUE(s->create_user(user).has_value());
    }
  }
  const auto users = json_of({"user", "list"});
  ASSERT_EQ(users.size(), 1001u);
  EXPECT_EQ(users[0]["name"], "alice");
  EXPECT_EQ(users[1000]["name"], "u10999");
}

TEST_F(UserAccountsTest, AuditShowsEachChangeNewestFirstWithoutSecrets) {
  ASSERT_EQ(jwtguard({"user", "create", "bob", "--password-stdin"}, "bobs-pass-word\n").exit_code,
            0);
  ASSERT_EQ(jwtguard({"user", "disable", "alice", "--reason", "lost laptop"}).exit_code, 0);
  ASSERT_EQ(jwtguard({"user", "enable", "alice"}).exit_code, 0);
  const std::string fresh = "third-pass-word";
  ASSERT_EQ(jwtguard({"user", "set-password", "alice", "--password-stdin"}, fresh).exit_code, 0);
  ASSERT_EQ(jwtguard({"user", "disable", "bob"}).exit_code, 0);
  ASSERT_EQ(jwtguard({"user", "delete", "alice"}).exit_code, 0);

  RunResult r = jwtguard({"user", "audit", "--user", "alice"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(contains(r.out, "argon2")) << r.out;
  EXPECT_FALSE(contains(r.out, fresh)) << r.out;
  const auto events = nlohmann::json::parse(r.out);
  ASSERT_EQ(events.size(), 4u) << r.out;
  const std::vector<std::string> newest_first = {"user.delete", "password.reset", "user.enable",
                                                 "user.disable"};
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i]["action"], newest_first[i]);
    EXPECT_EQ(events[i]["actor"], "cli");
    EXPECT_EQ(events[i]["subject"], "alice");
    EXPECT_TRUE(events[i]["detail"].is_object()) << events[i];
    if (i > 0) {
      EXPECT_GT(events[i - 1]["id"], events[i]["id"]);
    }
  }
  EXPECT_EQ(events[3]["detail"]["reason"], "lost laptop");

  const auto everyone = json_of({"user", "audit"});
  ASSERT_EQ(everyone.size(), 5u);
  EXPECT_EQ(everyone[1]["subject"], "bob");
  const auto two = json_of({"user", "audit", "--limit", "2"});
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0]["action"], "user.delete");
  EXPECT_EQ(two[1]["subject"], "bob");
  EXPECT_EQ(jwtguard({"user", "audit", "--limit", "0"}).exit_code, 2);
}

TEST_F(UserAccountsTest, HelpExitsZeroForEachCommand) {
  for (const std::string command :
       {"disable", "enable", "delete", "set-password", "list", "audit"}) {
    RunResult r = testing::run({kBinary, "user", command, "--help"});
    EXPECT_EQ(r.exit_code, 0) << command;
    EXPECT_TRUE(contains(r.out, "Usage:")) << command;
  }
}

}  // namespace
}  // namespace jwtguard
