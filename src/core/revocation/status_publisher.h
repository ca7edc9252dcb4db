// The Guard's published status lists (docs/status-list.md): each list the
// store holds, as a signed Status List Token and as its JSON form, built
// from the store's record and kept until it is out of date.
//
// The store keeps every entry's status true to its revocations (made by
// any instance); the publisher only reads it, at most once per
// publish_interval per list, and signs only what changed. Private to the
// library.
#ifndef JWTGUARD_REVOCATION_STATUS_PUBLISHER_H_
#define JWTGUARD_REVOCATION_STATUS_PUBLISHER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "jwtguard/clock.h"
#include "jwtguard/guard.h"
#include "jwtguard/keys.h"
#include "jwtguard/store.h"

namespace jwtguard::revocation {

// The URI of list `id`: base_url + "/statuslists/" + id.
std::string status_list_uri(const StatusListOptions& options, std::uint64_t id);

// open()'s checks of the options, with status lists on: bits 1 or 2,
// list_size 1 .. 2^31, positive ttl, token_lifetime and publish_interval,
// a base_url that is https (or http to a loopback host) without a
// trailing slash, query or fragment, and an asymmetric algorithm (a
// verifier elsewhere checks the list with the public key).
// kInvalidArgument naming the problem.
Result<void> check_status_list_options(const StatusListOptions& options, Algorithm alg);

// The published form of `state` at `now`: the Status List Token signed by
// `key` with `alg` (header alg, typ "statuslist+jwt", kid when the key has
// one; claims sub, iat, exp = iat + token_lifetime, ttl, status_list) and
// the status list as JSON. kInvalidArgument for a state whose statuses do
// not fit it; the signing errors of jws_signature.
Result<PublishedStatusList> build_status_list(const StatusListState& state,
                                              const StatusListOptions& options, const Key& key,
                                              Algorithm alg, Timestamp now);

class StatusPublisher {
 public:
  // `options`, `store` and `clock` must outlive the publisher; `key` is
  // copied.
  StatusPublisher(const StatusListOptions& options, const Key& key, Algorithm alg, Store& store,
                  const Clock& clock);

  // A reload's new signing key: every list is signed again with it at its
  // next get() (a kept build signed by the old key is not returned again,
  // so that verifiers that drop the old key from their JWK Set still
  // verify what they fetch). Thread-safe.
  void rekey(const Key& key, Algorithm alg);

  // List `id` as published. The kept build is returned as it is until
  // publish_interval has passed since the store was last read for it;
  // then the next caller reads the store's record again (only the non-zero
  // statuses: cheap) and builds and signs anew only when the statuses
  // differ from the kept build's, or when half its token_lifetime has
  // passed. So a revocation committed in the store, by any instance, is
  // published within publish_interval; a list costs at most one store read
  // per publish_interval however many ask for it, and a signature only when
  // it changed. While one caller reads or builds, the others get the kept
  // build, or wait when none is kept.
  //
  // kNotFound, without a store read, for a known id (at most the highest
  // list seen: saw(), or found) that was missing at a read within the last
  // publish_interval (a retired list), and for an id beyond the highest
  // once kProbesPerInterval such ids were read within the interval (ids
  // grow one at a time: a real list beyond is one another instance just
  // opened, or one from before a restart, which the first probes find; a
  // flood of made-up ids costs at most that many reads per interval).
  // Otherwise kNotFound when the store has no such list (the kept build is
  // dropped); kStore when the store fails and nothing is kept (with one
  // kept, it is returned, and the store is read again after
  // publish_interval). Thread-safe.
  Result<std::shared_ptr<const PublishedStatusList>> get(std::uint64_t id);

  // A list this instance allocated in: ids up to it exist or existed.
  void saw(std::uint64_t id);

  // Builds made so far (each is one encoding and one signature).
  std::uint64_t builds() const { return builds_.load(); }

  static constexpr int kProbesPerInterval = 16;

 private:
  struct Slot {
    std::shared_ptr<const PublishedStatusList> published;
    StatusListState state;  // what `published` was built from
    Timestamp built_at{};
    Timestamp checked_at{};    // the store's last read for it
    bool busy = false;         // a caller is reading or building it
    std::uint64_t signer = 0;  // signer_'s generation `published` was signed by
  };
  // The key lists are signed with, replaced whole by rekey().
  struct Signer {
    Key key;
    Algorithm alg;
    std::uint64_t generation = 0;
  };

  bool fresh(const Slot& slot, Timestamp now) const;
  Result<void> admit(std::uint64_t id, Timestamp now);  // under mu_
  Result<std::shared_ptr<const PublishedStatusList>> refresh(std::uint64_t id, Timestamp now,
                                                             std::unique_lock<std::mutex>& lock);

  const StatusListOptions& options_;
  std::shared_ptr<const Signer> signer_;  // under mu_
  Store& store_;
  const Clock& clock_;

  std::mutex mu_;
  std::condition_variable done_;
  std::map<std::uint64_t, Slot> slots_;        // under mu_
  std::map<std::uint64_t, Timestamp> misses_;  // under mu_: known id -> when it missed
  std::uint64_t highest_ = 0;                  // under mu_
  std::optional<Timestamp> probe_window_;      // under mu_: ids beyond highest_ read
  int probes_ = 0;                             // under mu_: since probe_window_
  std::atomic<std::uint64_t> builds_{0};
};

}  // namespace jwtguard::revocation

#endif  // JWTGUARD_REVOCATION_STATUS_PUBLISHER_H_
