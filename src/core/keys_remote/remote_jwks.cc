// RemoteJwks: one mutex guards the held set, the statistics and the
// schedule; it is never held across a fetch, so keys() answers at once
// while a fetch runs. At most one fetch runs at a time (single-flight):
// whoever wants one while another is in flight waits for that one's
// outcome instead, which bounds the identity server's load by the
// schedule and the cooldown, however many threads ask.
#include "jwtguard/remote_jwks.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>

#include "keys_remote/http_fetch.h"
#include "keys_remote/jwks_document.h"
#include "util/try.h"

namespace jwtguard {
namespace {

using SteadyClock = std::chrono::steady_clock;
using Seconds = std::chrono::seconds;
using Millis = std::chrono::milliseconds;

// The background thread waits in real time for a moment given by the
// injected clock; it looks at that clock again this often, so that a test's
// FakeClock (or a wall clock that jumps) is followed within this delay.
constexpr Millis kPollInterval{250};
// A scheduled refetch comes at least this long after the last fetch, so
// that a document saying "no-store" (with min_ttl 0) cannot make the
// thread fetch in a loop.
constexpr Seconds kMinRefetchGap{1};

Result<void> check_options(const RemoteJwksOptions& options) {
  JWTGUARD_TRY(keys_remote::fetchable_origin(options.url));
  if (options.min_ttl < Seconds(0) || options.default_ttl < Seconds(0)) {
    return fail(Errc::kInvalidArgument, "negative JWKS cache lifetime");
  }
  // Beyond a year a lifetime is a mistake, and added to a Timestamp (in
  // microseconds) a huge one would overflow.
  const Seconds year = std::chrono::hours(24 * 366);
  if (options.max_ttl > year || options.default_ttl > year || options.cooldown > year) {
    return fail(Errc::kInvalidArgument, "a JWKS lifetime or cooldown is over a year");
  }
  if (options.min_ttl > options.max_ttl) {
    return fail(Errc::kInvalidArgument, "JWKS min_ttl is larger than max_ttl");
  }
  if (options.timeout <= Millis(0) || options.connect_timeout <= Millis(0)) {
    return fail(Errc::kInvalidArgument, "a JWKS fetch needs a positive timeout");
  }
  if (options.max_bytes == 0) return fail(Errc::kInvalidArgument, "JWKS max_bytes is zero");
  if (options.cooldown <= Seconds(0)) {
    return fail(Errc::kInvalidArgument, "a JWKS cooldown must be positive");
  }
  if (options.max_redirects < 0) {
    return fail(Errc::kInvalidArgument, "JWKS max_redirects is negative");
  }
  return {};
}

Seconds ttl_for(const std::string& cache_control, const RemoteJwksOptions& options) {
  const auto asked = cache_control_max_age(cache_control);
  return std::clamp(asked.value_or(options.default_ttl), options.min_ttl, options.max_ttl);
}

keys_remote::FetchLimits limits_of(const RemoteJwksOptions& options) {
  return {.timeout = options.timeout,
          .connect_timeout = options.connect_timeout,
          .max_bytes = options.max_bytes,
          .max_redirects = options.max_redirects,
          .ca_file = options.ca_file};
}

// A fetched and parsed document, or why there is none.
struct Fetched {
  Result<KeySet> keys;
  Seconds ttl{0};
};

Fetched fetch_document(const RemoteJwksOptions& options, const std::atomic<bool>& stop) {
  auto reply = keys_remote::http_get(options.url, limits_of(options), stop);
  if (!reply) return {tl::unexpected(reply.error())};
  auto keys = keys_remote::remote_key_set(reply->body);
  if (!keys) {
    return {fail(keys.error().code(), "unusable JWK Set: " + keys.error().message())};
  }
  return {std::move(keys), ttl_for(reply->cache_control, options)};
}

}  // namespace

class RemoteJwks::Impl {
 public:
  Impl(RemoteJwksOptions options, const Clock* clock)
      : options_(std::move(options)), clock_(clock ? clock : &system_clock_) {}

  ~Impl() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  void start() {
    if (options_.background) thread_ = std::thread([this] { run_background(); });
  }

  std::shared_ptr<const KeySet> keys() const {
    std::lock_guard lock(mu_);
    return keys_;
  }

  std::shared_ptr<const KeySet> keys_with(std::string_view kid) {
    std::unique_lock lock(mu_);
    // Another caller's fetch may have brought the kid since the caller looked.
    if (keys_ && keys_->find(kid) != nullptr) return keys_;
    // Only the caller that starts a fetch waits for it. One that finds a
    // fetch in flight (a scheduled one, or another unknown kid's) answers
    // with what it has: a flood of made-up kids while the identity server
    // is slow must not park every thread that verifies tokens.
    if (fetching_ || (last_attempt_ && clock_->now() - *last_attempt_ < options_.cooldown)) {
      ++stats_.cooldown_refusals;
      return keys_;
    }
    ++stats_.unknown_kid_fetches;
    fetch(lock, "unknown kid");
    return keys_;
  }

  Result<void> refresh() {
    std::unique_lock lock(mu_);
    return fetch(lock, "manual");
  }

  RemoteJwksStats stats() const {
    std::lock_guard lock(mu_);
    return stats_;
  }

  const RemoteJwksOptions& options() const { return options_; }

 private:
  // One fetch, or the outcome of the one in flight. Called and returns with
  // `lock` held; releases it while the fetch runs.
  Result<void> fetch(std::unique_lock<std::mutex>& lock, std::string_view reason) {
    if (fetching_) {
      const std::uint64_t seen = completed_;
      cv_.wait(lock, [&] { return completed_ != seen; });
      return last_outcome_;
    }
    fetching_ = true;
    last_attempt_ = clock_->now();
    ++stats_.fetches;
    lock.unlock();
    const auto started = SteadyClock::now();
    Fetched fetched = fetch_document(options_, stop_);
    const auto took = std::chrono::duration_cast<Millis>(SteadyClock::now() - started);
    lock.lock();
    JwksFetchEvent event;
    event.url = options_.url;
    event.reason = reason;
    event.took = took;
    std::string error = record(std::move(fetched), event);
    fetching_ = false;
    ++completed_;
    cv_.notify_all();
    const Result<void> outcome = last_outcome_;
    if (options_.on_fetch) {
      // Told without the lock, so that an observer may call stats().
      event.error = error;
      lock.unlock();
      options_.on_fetch(event);
      lock.lock();
    }
    return outcome;
  }

  // Takes in a fetch's outcome (with mu_ held) and fills `event`; returns
  // the error text the event points to.
  std::string record(Fetched fetched, JwksFetchEvent& event) {
    const Timestamp now = clock_->now();
    if (!fetched.keys) {
      ++stats_.failures;
      stats_.last_error = fetched.keys.error().detail();
      last_outcome_ = tl::unexpected(fetched.keys.error());
      last_failed_ = true;
      next_due_ = now + options_.cooldown;
      event.keys = keys_ ? keys_->keys().size() : 0;
      return stats_.last_error;
    }
    std::string published = fetched.keys->to_public_jwks();
    event.ok = true;
    event.changed = published != published_;
    event.ttl = fetched.ttl;
    keys_ = std::make_shared<const KeySet>(std::move(*fetched.keys));
    published_ = std::move(published);
    stats_.keys = event.keys = keys_->keys().size();
    stats_.loaded_at = now;
    stats_.expires_at = now + fetched.ttl;
    stats_.last_error.clear();
    last_outcome_ = {};
    last_failed_ = false;
    next_due_ = now + std::max<Seconds>(fetched.ttl * 8 / 10, kMinRefetchGap);
    return {};
  }

  // Fetches at once, then whenever the schedule says (80 % of the set's
  // lifetime; the cooldown after a failure), until the object goes.
  void run_background() {
    std::unique_lock lock(mu_);
    while (!stop_) {
      const Timestamp now = clock_->now();
      if (!next_due_ || now >= *next_due_) {
        const char* reason = !last_attempt_ ? "initial" : last_failed_ ? "retry" : "scheduled";
        fetch(lock, reason);
        continue;
      }
      const auto until_due = std::chrono::duration_cast<Millis>(*next_due_ - now);
      cv_.wait_for(lock, std::clamp(until_due, Millis(1), kPollInterval),
                   [&] { return stop_.load(); });
    }
  }

  const RemoteJwksOptions options_;
  SystemClock system_clock_;
  const Clock* clock_;
  // Read by an in-flight transfer, which gives up when it turns true.
  std::atomic<bool> stop_{false};

  mutable std::mutex mu_;
  // Signals a finished fetch (to those waiting for it) and stop_.
  std::condition_variable cv_;
  std::shared_ptr<const KeySet> keys_;
  std::string published_;  // keys_->to_public_jwks(), to tell a changed set
  RemoteJwksStats stats_;
  std::optional<Timestamp> last_attempt_;  // of any fetch, for the cooldown
  std::optional<Timestamp> next_due_;      // none yet: fetch at once
  bool last_failed_ = false;
  bool fetching_ = false;
  std::uint64_t completed_ = 0;
  Result<void> last_outcome_;
  std::thread thread_;
};

Result<std::shared_ptr<RemoteJwks>> RemoteJwks::create(RemoteJwksOptions options,
                                                       const Clock* clock) {
  JWTGUARD_TRY(check_options(options));
  auto impl = std::make_unique<Impl>(std::move(options), clock);
  Impl* started = impl.get();
  std::shared_ptr<RemoteJwks> jwks(new RemoteJwks(std::move(impl)));
  started->start();
  return jwks;
}

RemoteJwks::RemoteJwks(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RemoteJwks::~RemoteJwks() = default;

std::shared_ptr<const KeySet> RemoteJwks::keys() const { return impl_->keys(); }
std::shared_ptr<const KeySet> RemoteJwks::keys_with(std::string_view kid) {
  return impl_->keys_with(kid);
}
Result<void> RemoteJwks::refresh() { return impl_->refresh(); }
RemoteJwksStats RemoteJwks::stats() const { return impl_->stats(); }
const RemoteJwksOptions& RemoteJwks::options() const { return impl_->options(); }

}  // namespace jwtguard
