#include "redis_persistence.h"

#include <array>
#include <optional>
#include <string_view>

#include "util/try.h"

namespace jwtguard::redis {
namespace {

constexpr std::string_view kFix =
    "set appendonly yes and appendfsync everysec or always in redis.conf (or CONFIG SET "
    "appendonly yes)";

struct Persistence {
  std::string appendonly, appendfsync, save, maxmemory, policy;
};

// The value of a CONFIG GET reply ([name, value]); nullopt for an error
// reply (CONFIG renamed, disabled, or refused by an ACL).
std::optional<std::string> config_value(const redisReply& reply) {
  if (reply.type != REDIS_REPLY_ARRAY || reply.elements != 2) return std::nullopt;
  const redisReply* value = reply.element[1];
  if (value->type != REDIS_REPLY_STRING) return std::nullopt;
  return std::string(value->str, value->len);
}

void judge_eviction(const std::string& where, const std::string& maxmemory,
                    const std::string& policy, PersistenceReport& report) {
  if (maxmemory.empty() || maxmemory == "0" || policy.empty() || policy == "noeviction") return;
  // Every revocation carries a TTL, so volatile-* policies pick them first.
  report.warnings.push_back(where + " may evict keys (maxmemory " + maxmemory +
                            ", maxmemory-policy " + policy +
                            "): an evicted revocation is forgotten before its token expires; "
                            "use maxmemory-policy noeviction (writes then fail when memory is "
                            "full, and jwtguard reports them)");
}

PersistenceReport judge(const std::string& where, const Persistence& s) {
  PersistenceReport report;
  const bool aof = s.appendonly == "yes";
  const bool rdb = !s.save.empty();
  if (!aof && !rdb) {
    report.unsafe = true;
    report.warnings.push_back(where +
                              " persists nothing (appendonly no, save \"\"): a restart of "
                              "Redis forgets every revocation and revoked tokens work again; " +
                              std::string(kFix));
  } else if (!aof) {
    report.warnings.push_back(where + " persists only RDB snapshots (save \"" + s.save +
                              "\"): a crash loses every revocation made since the last "
                              "snapshot; " +
                              std::string(kFix));
  } else if (s.appendfsync == "everysec") {
    report.warnings.push_back(where +
                              " writes its AOF with appendfsync everysec: a crash of Redis's "
                              "host can lose up to about 1 s of acknowledged revocations "
                              "(appendfsync always loses none)");
  } else if (s.appendfsync != "always") {
    report.warnings.push_back(where + " writes its AOF with appendfsync " + s.appendfsync +
                              ": a crash of Redis's host can lose the acknowledged revocations "
                              "the kernel had not written yet (typically up to 30 s); "
                              "appendfsync always loses none, everysec up to about 1 s");
  }
  judge_eviction(where, s.maxmemory, s.policy, report);
  return report;
}

// Without CONFIG, INFO says whether AOF is on, but neither its fsync policy
// nor whether RDB snapshots are configured.
Result<PersistenceReport> judge_from_info(Connection& connection, const std::string& where) {
  const std::array commands = {Command("INFO").arg("persistence"), Command("INFO").arg("memory")};
  JWTGUARD_ASSIGN_OR_RETURN(const std::vector<Reply> replies, connection.run_all(commands));
  PersistenceReport report;
  const redisReply& persistence = *replies[0];
  if (persistence.type != REDIS_REPLY_STRING) {
    report.unsafe = true;
    report.warnings.push_back(where +
                              " does not let jwtguard read its persistence settings (CONFIG and "
                              "INFO both refused), so it could not check that revocations "
                              "survive a restart; " +
                              std::string(kFix));
    return report;
  }
  const std::string_view text(persistence.str, persistence.len);
  const std::string partial = " (CONFIG is renamed or disabled, so the check was partial)";
  if (info_field(text, "aof_enabled") == "1") {
    report.warnings.push_back(where + " has AOF on, but its appendfsync policy is unknown" +
                              partial +
                              ": with everysec a crash can lose about 1 s of acknowledged "
                              "revocations, with always none");
  } else {
    report.unsafe = true;
    report.warnings.push_back(where +
                              " has AOF off, and whether it takes RDB snapshots is "
                              "unknown" +
                              partial + ": without either, a restart forgets every revocation; " +
                              std::string(kFix));
  }
  const redisReply& memory = *replies[1];
  if (memory.type == REDIS_REPLY_STRING) {
    const std::string_view m(memory.str, memory.len);
    judge_eviction(where, info_field(m, "maxmemory").value_or(""),
                   info_field(m, "maxmemory_policy").value_or(""), report);
  }
  return report;
}

}  // namespace

Result<PersistenceReport> inspect_persistence(Connection& connection) {
  const std::string where = "redis at " + connection.address();
  const std::array names = {"appendonly", "appendfsync", "save", "maxmemory", "maxmemory-policy"};
  std::vector<Command> commands;
  for (const char* name : names)
    commands.push_back(std::move(Command("CONFIG").arg("GET").arg(name)));
  JWTGUARD_ASSIGN_OR_RETURN(const std::vector<Reply> replies, connection.run_all(commands));
  std::array<std::string, names.size()> values;
  for (std::size_t i = 0; i < names.size(); ++i) {
    auto value = config_value(*replies[i]);
    if (!value) return judge_from_info(connection, where);
    values[i] = std::move(*value);
  }
  return judge(where, Persistence{.appendonly = values[0],
                                  .appendfsync = values[1],
                                  .save = values[2],
                                  .maxmemory = values[3],
                                  .policy = values[4]});
}

}  // namespace jwtguard::redis
