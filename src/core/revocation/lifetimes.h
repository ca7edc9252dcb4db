// How long a revocation must be kept: until every token it can block has
// expired, whatever lifetimes are configured by then.
//
// A revocation that knows its token keeps the token's exp (plus the
// leeway). One that does not (a bare jti, a user cutoff, an unknown
// session) keeps the later of now + this Guard's longest lifetime and the
// store's token horizon (Store::raise_token_horizon), which carries the
// longer lifetimes earlier Guards on the store issued under.
#ifndef JWTGUARD_REVOCATION_LIFETIMES_H_
#define JWTGUARD_REVOCATION_LIFETIMES_H_

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>

#include "jwtguard/error.h"
#include "jwtguard/issuer.h"
#include "jwtguard/store.h"

namespace jwtguard::revocation {

// Raises `value` to `candidate` when that is larger; never lowers it.
inline void raise_to(std::atomic<std::int64_t>& value, std::int64_t candidate) {
  std::int64_t seen = value.load();
  while (seen < candidate && !value.compare_exchange_weak(seen, candidate)) {
  }
}

class Lifetimes {
 public:
  // `longest`: the longest lifetime a token this Guard issues can have, plus
  // the leeway a verifier grants past exp. `raise_every`: how often raise()
  // is called (the purge interval), which the horizon must cover.
  // `foreign`: the longest a trusted issuer's token can live, leeway
  // included (GuardOptions::trusted_issuers): revocations of its sessions
  // and subjects must outlive its tokens too, though this Guard never
  // issues anything that long.
  Lifetimes(std::chrono::seconds longest, std::chrono::seconds raise_every,
            std::chrono::seconds foreign = std::chrono::seconds(0))
      : raise_every_(raise_every),
        foreign_(foreign),
        longest_(longest.count()),
        kept_(std::max(longest, foreign).count()) {}

  // A reload's new longest lifetime (leeway included): taken when longer,
  // ignored when shorter. Tokens issued under the longer lifetime live on
  // after the reload, and so must the revocations that block them: the
  // horizon only ever grows until the next start. raise() must follow for
  // the store to hold it. Thread-safe.
  void widen(std::chrono::seconds longest);

  // Raises the store's token horizon to cover every token this Guard may
  // issue until the next raise, and remembers what the store holds.
  // Thread-safe; kStore when the store cannot be written.
  Result<void> raise(Store& store, Timestamp now);

  // The latest a token issued before `now` can expire. Thread-safe.
  Timestamp latest_expiry_before(Timestamp now) const;

  // The longest a token this Guard issues can live (leeway included).
  std::chrono::seconds longest() const { return std::chrono::seconds(longest_.load()); }
  // The longest any token it checks can live: longest(), or a trusted
  // issuer's longer lifetime.
  std::chrono::seconds kept() const { return std::chrono::seconds(kept_.load()); }

  // When the last token of a pair expires: what a session records, so that
  // revoking it later knows how long the revocation must be kept.
  static Timestamp last_expiry(const TokenPair& pair) {
    return std::max(pair.access.expires_at, pair.refresh.expires_at);
  }

 private:
  // How far ahead of now raise() sets the store's horizon.
  std::chrono::seconds ahead() const { return kept() + raise_every_ + std::chrono::seconds(60); }

  const std::chrono::seconds raise_every_;
  const std::chrono::seconds foreign_;
  std::atomic<std::int64_t> longest_;        // seconds; only grows (widen)
  std::atomic<std::int64_t> kept_;           // seconds; only grows (widen)
  std::atomic<std::int64_t> horizon_us_{0};  // the store's horizon, in µs
};

}  // namespace jwtguard::revocation

#endif  // JWTGUARD_REVOCATION_LIFETIMES_H_
