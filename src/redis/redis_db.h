// The Redis server as the store's parts use it: a pool of connections, the
// scripts loaded at open, and which server the feed's positions belong to
// (see "run_id" in redis_keys.h). Thread-safe once open() returned.
#ifndef JWTGUARD_REDIS_REDIS_DB_H_
#define JWTGUARD_REDIS_REDIS_DB_H_

#include <cstddef>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "jwtguard/store.h"
#include "redis_client.h"
#include "redis_records.h"
#include "redis_scripts.h"
#include "util/try.h"

namespace jwtguard::redis {

class RedisDb {
 public:
  // Reads of many records go in pipelines of this many commands; scripts that
  // loop do this many items per call, so that none blocks Redis for long.
  static constexpr std::size_t kBatch = 500;

  RedisDb(Settings settings, const RedisOptions& options)
      : options_(options),
        connector_(std::move(settings)),
        pool_(connector_, options.connections) {}

  // Connects; kStore for a Redis older than 7.0 (the scripts use PEXPIREAT
  // NX/GT, the feed XTRIM MINID), and for one that persists nothing when
  // RedisOptions::require_persistence is set (else that is a warning, like
  // every other finding of inspect_persistence). Loads the scripts, and
  // takes the server reached as the one the feed's positions belong to.
  // Call once, before anything else.
  Result<void> open();

  const RedisOptions& options() const { return options_; }
  Connector& connector() { return connector_; }
  Result<Pool::Lease> acquire() { return pool_.acquire(); }

  // One command on a connection of the pool.
  Result<Reply> call(const Command& command);
  // Runs the script: EVALSHA, or EVAL when Redis lost its script cache
  // (NOSCRIPT means the script did not run, so sending it again cannot apply
  // it twice). An error reply is kStore.
  Result<Reply> eval(Connection& c, const scripts::Call& call);
  Result<Reply> eval(const scripts::Call& call);  // on a connection of the pool
  // A script answering 1 (done) or 0 (nothing done: taken, or not found),
  // where 0 is the error `refusal` with the detail `what`.
  Result<void> eval_flag(const scripts::Call& call, Errc refusal, std::string_view what);

  // The record in the hash prefix + name; nullopt when the key is gone.
  template <typename T>
  Result<std::optional<T>> find_record(const std::string& prefix, std::string_view name,
                                       RecordReader<T> read) {
    JWTGUARD_ASSIGN_OR_RETURN(const Reply reply,
                              call(Command("HGETALL").arg(prefix + std::string(name))));
    return record_of(name, *reply, read);
  }
  // The records of the hashes prefix + names[i], in order, in one round trip
  // per kBatch; nullopt where the key is gone.
  template <typename T>
  Result<std::vector<std::optional<T>>> read_records(Connection& c, const std::string& prefix,
                                                     std::span<const std::string> names,
                                                     RecordReader<T> read);
  // Best effort: removes from `index` the members whose record (prefix +
  // member) Redis expired. A failure leaves them for the next listing or
  // purge.
  void drop_dangling(Connection& c, const std::string& index, const std::string& prefix,
                     std::span<const std::string> members);

  // Whether positions in the feed (which come from snapshots of the server
  // last passed to synced_with, and from feed reads there) mean nothing on
  // the server `c` reached.
  bool other_server(const Connection& c);
  void synced_with(const Connection& c);

  // To RedisOptions::warn, else to stderr.
  void warn(const std::string& message) const;

 private:
  // Fails for a Redis older than 7.0; warns when INFO is refused and nothing
  // can be checked.
  Result<void> check_server(const Connection& c);
  Result<void> check_persistence(Connection& c);
  Result<void> load_scripts(Connection& c);
  // HGETALL of prefix + names[i], pipelined.
  Result<std::vector<Reply>> read_hashes(Connection& c, const std::string& prefix,
                                         std::span<const std::string> names);

  const RedisOptions options_;
  Connector connector_;
  Pool pool_;
  // The scripts' full sources and SHA1s, by script: filled by open(), then
  // read-only.
  struct Loaded {
    std::string source;
    std::string sha;
  };
  std::unordered_map<const scripts::Script*, Loaded> scripts_;

  std::mutex synced_mu_;
  std::string synced_run_id_;
};

template <typename T>
Result<std::vector<std::optional<T>>> RedisDb::read_records(Connection& c,
                                                            const std::string& prefix,
                                                            std::span<const std::string> names,
                                                            RecordReader<T> read) {
  JWTGUARD_ASSIGN_OR_RETURN(const std::vector<Reply> hashes, read_hashes(c, prefix, names));
  std::vector<std::optional<T>> out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    JWTGUARD_ASSIGN_OR_RETURN(std::optional<T> record, record_of(names[i], *hashes[i], read));
    out.push_back(std::move(record));
  }
  return out;
}

}  // namespace jwtguard::redis

#endif  // JWTGUARD_REDIS_REDIS_DB_H_
