#include "redis_db.h"

#include <algorithm>
#include <array>
#include <cstdio>

#include "redis_persistence.h"
#include "redis_status_scripts.h"

namespace jwtguard::redis {
namespace {

constexpr std::array<const scripts::Script*, 14> kScripts = {
    &scripts::kRevoke,         &scripts::kUnrevoke,        &scripts::kCreateSession,
    &scripts::kRotate,         &scripts::kCreateUser,      &scripts::kSetUserField,
    &scripts::kDeleteUser,     &scripts::kAppendAudit,     &scripts::kPurge,
    &scripts::kDropDangling,   &scripts::kRaiseHorizon,    &scripts::kAllocateStatus,
    &scripts::kFindStatusList, &scripts::kPurgeStatusLists};

Command script_command(std::string_view verb, std::string_view body, const scripts::Call& call) {
  Command out(verb);
  out.label(call.script->name).arg(body).arg(static_cast<std::int64_t>(call.keys.size()));
  for (const auto& key : call.keys) out.arg(key);
  for (const auto& arg : call.args) out.arg(arg);
  return out;
}

}  // namespace

Result<void> RedisDb::open() {
  JWTGUARD_ASSIGN_OR_RETURN(const Pool::Lease c, pool_.acquire());
  JWTGUARD_TRY(check_server(*c));
  synced_with(*c);
  JWTGUARD_TRY(check_persistence(*c));
  return load_scripts(*c);
}

Result<void> RedisDb::check_server(const Connection& c) {
  const std::string& version = c.server().version;
  if (version.empty()) {
    warn("redis at " + c.address() +
         " refuses INFO, so jwtguard can neither check its version (7.0 or later is needed) nor "
         "notice that Redis restarted and lost changes that followers had already passed; "
         "allow INFO for jwtguard's user");
    return {};
  }
  if (!version_at_least(version, 7, 0)) {
    return fail(Errc::kStore, "redis at " + c.address() +
                                  ": jwtguard needs Redis 7.0 or later (found " + version + ")");
  }
  return {};
}

Result<void> RedisDb::check_persistence(Connection& c) {
  JWTGUARD_ASSIGN_OR_RETURN(const PersistenceReport report, inspect_persistence(c));
  if (report.unsafe && options_.require_persistence) {
    return fail(Errc::kStore, report.warnings.front() +
                                  " (refusing to open: RedisOptions::require_persistence is set)");
  }
  for (const std::string& warning : report.warnings) warn(warning);
  return {};
}

Result<void> RedisDb::load_scripts(Connection& c) {
  for (const scripts::Script* script : kScripts) {
    Loaded loaded{script->source(), ""};
    JWTGUARD_ASSIGN_OR_RETURN(
        const Reply reply,
        redis::call(c, Command("SCRIPT").arg("LOAD").arg(loaded.source).label(script->name)));
    loaded.sha = std::string(text_of(*reply));
    scripts_.emplace(script, std::move(loaded));
  }
  return {};
}

Result<Reply> RedisDb::call(const Command& command) {
  JWTGUARD_ASSIGN_OR_RETURN(const Pool::Lease c, pool_.acquire());
  return redis::call(*c, command);
}

Result<Reply> RedisDb::eval(Connection& c, const scripts::Call& call) {
  const auto found = scripts_.find(call.script);
  if (found == scripts_.end()) {
    return fail(Errc::kStore, std::string(call.script->name) + " is not among the scripts loaded");
  }
  const Loaded& loaded = found->second;
  const Command evalsha = script_command("EVALSHA", loaded.sha, call);
  JWTGUARD_ASSIGN_OR_RETURN(Reply reply, c.run(evalsha));
  if (reply->type == REDIS_REPLY_ERROR &&
      std::string_view(reply->str, reply->len).starts_with("NOSCRIPT")) {
    return redis::call(c, script_command("EVAL", loaded.source, call));
  }
  JWTGUARD_TRY(check(c, evalsha, *reply));
  return reply;
}

Result<Reply> RedisDb::eval(const scripts::Call& call) {
  JWTGUARD_ASSIGN_OR_RETURN(const Pool::Lease c, pool_.acquire());
  return eval(*c, call);
}

Result<void> RedisDb::eval_flag(const scripts::Call& call, Errc refusal, std::string_view what) {
  JWTGUARD_ASSIGN_OR_RETURN(const Reply reply, eval(call));
  if (reply->type != REDIS_REPLY_INTEGER) return unexpected_reply(call.script->name);
  if (reply->integer == 0) return fail(refusal, std::string(what));
  return {};
}

Result<std::vector<Reply>> RedisDb::read_hashes(Connection& c, const std::string& prefix,
                                                std::span<const std::string> names) {
  std::vector<Reply> out;
  for (std::size_t at = 0; at < names.size(); at += kBatch) {
    std::vector<Command> commands;
    for (std::size_t i = at; i < std::min(names.size(), at + kBatch); ++i) {
      commands.push_back(std::move(Command("HGETALL").arg(prefix + names[i])));
    }
    JWTGUARD_ASSIGN_OR_RETURN(std::vector<Reply> replies, call_all(c, commands));
    for (Reply& reply : replies) out.push_back(std::move(reply));
  }
  return out;
}

void RedisDb::drop_dangling(Connection& c, const std::string& index, const std::string& prefix,
                            std::span<const std::string> members) {
  for (std::size_t at = 0; at < members.size(); at += kBatch) {
    const auto batch = members.subspan(at, std::min(kBatch, members.size() - at));
    if (!eval(c, scripts::drop_dangling(index, prefix, batch))) return;
  }
}

bool RedisDb::other_server(const Connection& c) {
  std::lock_guard lock(synced_mu_);
  return c.server().run_id != synced_run_id_;
}

void RedisDb::synced_with(const Connection& c) {
  std::lock_guard lock(synced_mu_);
  synced_run_id_ = c.server().run_id;
}

void RedisDb::warn(const std::string& message) const {
  if (options_.warn) {
    options_.warn(message);
  } else {
    std::fprintf(stderr, "jwtguard: warning: %s\n", message.c_str());
  }
}

}  // namespace jwtguard::redis
