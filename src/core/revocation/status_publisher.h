// The Guard's published status lists (docs/status-list.md): each list the
// store holds, as a signed Status List Token and as its JSON form, built
// from the store's record and kept until it is out of date.
//
// The store keeps every entry's status true to its revocations; the
// publisher only reads it. It does not know which list a revocation
// touches, so any change the Guard applies (its index's change count
// moved) makes every kept list out of date. Private to the library.
#ifndef JWTGUARD_REVOCATION_STATUS_PUBLISHER_H_
#define JWTGUARD_REVOCATION_STATUS_PUBLISHER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
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
  // Counts the changes applied so far; a list built before it moved is
  // out of date. Called under the publisher's lock: it must be cheap (an
  // atomic read) and must not call the publisher.
  using ChangeCount = std::function<std::uint64_t()>;

  // Every argument must outlive the publisher.
  StatusPublisher(const StatusListOptions& options, const Key& key, Algorithm alg, Store& store,
                  const Clock& clock, ChangeCount changes);

  // List `id`, built anew when none is kept, when a change was applied
  // after the kept one was built and publish_interval has passed since,
  // or when half its token_lifetime has passed; otherwise the kept one.
  // One caller builds at a time per list: the others get the kept one, or
  // wait for the build when none is kept. kNotFound when the store has no
  // such list (the kept one is dropped); kStore when the store fails and
  // nothing is kept (with one kept, it is returned). Thread-safe.
  Result<std::shared_ptr<const PublishedStatusList>> get(std::uint64_t id);

  // Builds made so far (each is one store read and one signature).
  std::uint64_t builds() const { return builds_.load(); }

 private:
  struct Slot {
    std::shared_ptr<const PublishedStatusList> published;
    std::uint64_t changes = 0;  // the change count the build started from
    Timestamp built_at{};
    bool building = false;
  };

  bool current(const Slot& slot, Timestamp now) const;
  Result<std::shared_ptr<const PublishedStatusList>> build(std::uint64_t id, Timestamp now);

  const StatusListOptions& options_;
  const Key& key_;
  const Algorithm alg_;
  Store& store_;
  const Clock& clock_;
  const ChangeCount changes_;

  std::mutex mu_;
  std::condition_variable built_;
  std::map<std::uint64_t, Slot> slots_;  // under mu_
  std::atomic<std::uint64_t> builds_{0};
};

}  // namespace jwtguard::revocation

#endif  // JWTGUARD_REVOCATION_STATUS_PUBLISHER_H_
