// Keys that live elsewhere: a KeySource, and RemoteJwks, the one that
// follows an identity server's JWK Set URL.
//
// What the users of other JWT libraries learned to want from a remote key
// set (libjwt's, panva/jose's createRemoteJWKSet): the set is cached for
// the document's Cache-Control max-age, clamped to configured bounds, and
// fetched again in the background before it expires; a token naming a kid
// the cached set lacks triggers one fetch at once, but at most one per
// cooldown, so a flood of made-up kids cannot make jwtguard hammer the
// identity server; while the identity server is down, the last good set
// stays in use; every fetch is bounded in time and size, and never follows a
// redirect to another host. The document is untrusted input: it is read by
// KeySet::from_jwks, which binds every key to its algorithms as for local
// keys (jwtguard/keys.h), and a set that yields no usable key is a failed
// fetch, not an empty set.
#ifndef JWTGUARD_REMOTE_JWKS_H_
#define JWTGUARD_REMOTE_JWKS_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "jwtguard/clock.h"
#include "jwtguard/error.h"
#include "jwtguard/keys.h"

namespace jwtguard {

// Where a verifier finds the keys of one issuer. Thread-safe.
class KeySource {
 public:
  virtual ~KeySource() = default;

  // The keys known now; null until a first set has been loaded.
  virtual std::shared_ptr<const KeySet> keys() const = 0;

  // The keys after trying to learn `kid`, a kid keys() lacks: a source that
  // can fetch does so at once unless its cooldown forbids it, and waits for
  // that fetch (bounded by its timeout); a caller that asks while a fetch is
  // in flight neither starts another nor waits: it gets what the source
  // holds at once (so a flood of made-up kids while the identity server is
  // slow parks one thread, not all). Returns what it holds afterwards
  // (maybe still without `kid`; null when it never loaded a set).
  virtual std::shared_ptr<const KeySet> keys_with(std::string_view kid) = 0;
};

// A fixed set of keys (a local JWK Set file, tests).
class StaticKeySource final : public KeySource {
 public:
  explicit StaticKeySource(KeySet keys) : keys_(std::make_shared<const KeySet>(std::move(keys))) {}
  std::shared_ptr<const KeySet> keys() const override { return keys_; }
  std::shared_ptr<const KeySet> keys_with(std::string_view) override { return keys_; }

 private:
  std::shared_ptr<const KeySet> keys_;
};

// One fetch of a RemoteJwks, as its observer sees it (for logs and metrics).
struct JwksFetchEvent {
  std::string_view url;
  // What asked for it: "initial", "scheduled" (before expiry), "unknown kid",
  // "retry" (after a failure), "manual" (refresh()).
  std::string_view reason;
  bool ok = false;
  bool changed = false;    // ok, and the set differs from the one before
  std::size_t keys = 0;    // in the set now held
  std::string_view error;  // why it failed; never holds key material
  std::chrono::milliseconds took{0};
  std::chrono::seconds ttl{0};  // ok: how long the set is kept (clamped)
};

struct RemoteJwksOptions {
  // https://…; http://… only when the host is a loopback address
  // (127.0.0.0/8, ::1, or "localhost"). No user info, no fragment.
  std::string url;
  // Cache lifetime bounds: a document's max-age is clamped into
  // [min_ttl, max_ttl]; a document without one is kept for default_ttl
  // (clamped too). The set is refetched in the background when 80 % of its
  // lifetime has passed (but never sooner than 1 s after the fetch, so that
  // "no-store" with min_ttl 0 is no busy loop), and after a failure every
  // `cooldown`. HMAC ("oct") members of the document are ignored, and a
  // private key published by mistake is kept as its public half only.
  std::chrono::seconds min_ttl{60};
  std::chrono::seconds max_ttl{std::chrono::hours(24)};
  std::chrono::seconds default_ttl{std::chrono::minutes(10)};
  // A fetch for an unknown kid comes at least this long after the previous
  // fetch of any kind; retries after a failure are this far apart.
  std::chrono::seconds cooldown{30};
  // Bounds of one fetch: the whole exchange, the connection alone, and the
  // body's size (a larger body fails the fetch).
  std::chrono::milliseconds timeout{5000};
  std::chrono::milliseconds connect_timeout{2000};
  std::size_t max_bytes = 256 * 1024;
  // Redirects followed, each to the same scheme, host and port only.
  int max_redirects = 3;
  // PEM bundle of the certificate authorities to trust for https; empty:
  // the system's.
  std::string ca_file;
  // Called after every fetch on the thread that made it; must be quick,
  // thread-safe and must not throw. Null: nobody is told.
  std::function<void(const JwksFetchEvent&)> on_fetch;
  // Run the background refresh thread. Off only in tests that call
  // refresh() themselves.
  bool background = true;
};

// What a RemoteJwks did so far, for metrics and /readyz.
struct RemoteJwksStats {
  std::uint64_t fetches = 0;              // HTTP exchanges attempted
  std::uint64_t failures = 0;             // of which failed (any reason)
  std::uint64_t unknown_kid_fetches = 0;  // fetches a kid lookup triggered
  std::uint64_t cooldown_refusals =
      0;                 // unknown kids answered without a fetch (cooldown, or one in flight)
  std::size_t keys = 0;  // keys in the current set
  std::optional<Timestamp> loaded_at;   // when the current set was fetched
  std::optional<Timestamp> expires_at;  // when it is due for a refetch at the latest
  std::string last_error;               // the latest failure, empty after a success
};

class RemoteJwks final : public KeySource {
 public:
  // Checks the options (kInvalidArgument: a URL that is not https, or http
  // to a host that is not loopback, or one with user info or a fragment;
  // min_ttl > max_ttl, a negative lifetime, or one (or a cooldown) over a
  // year; a zero timeout, connect_timeout, max_bytes or cooldown; negative
  // max_redirects). Does not fetch: the first fetch runs on the background
  // thread at once (or on the first refresh() call), so that a server can
  // start while its identity server is down; keys() is null until it
  // succeeds. `clock` (null: the system clock) must outlive the object; it
  // stamps loaded_at and expires_at, and schedules refetches.
  static Result<std::shared_ptr<RemoteJwks>> create(RemoteJwksOptions options,
                                                    const Clock* clock = nullptr);

  // Stops the background thread (an in-flight fetch is abandoned within
  // its timeout).
  ~RemoteJwks() override;

  std::shared_ptr<const KeySet> keys() const override;
  std::shared_ptr<const KeySet> keys_with(std::string_view kid) override;

  // One fetch now, whatever the schedule and cooldown say (or, when a fetch
  // is already in flight, that fetch's outcome); the set is replaced only
  // when it succeeds. For tests and the first load. Fails with kStore when
  // the exchange fails, the detail starting with the kind: "cannot
  // connect", "timed out", "TLS", "body larger than", "status <code>",
  // "redirect", "fetch failed", "abandoned" (the object is going); or with
  // the parser's code (kBadKey, kBadJson, ...) when the document is no
  // usable JWK Set, the detail starting with "unusable JWK Set". The same
  // detail becomes stats().last_error and the observer's event.error; it
  // never holds the document.
  Result<void> refresh();

  bool loaded() const { return keys() != nullptr; }
  RemoteJwksStats stats() const;
  const RemoteJwksOptions& options() const;

  class Impl;

 private:
  explicit RemoteJwks(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The lifetime a Cache-Control header value asks for ("max-age=N"; "no-store"
// or "no-cache" count as 0; nullopt when it says nothing), before clamping.
// Exposed for tests.
std::optional<std::chrono::seconds> cache_control_max_age(std::string_view header);

}  // namespace jwtguard

#endif  // JWTGUARD_REMOTE_JWKS_H_
