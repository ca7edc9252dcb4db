// A store's feed that a test scripts: a snapshot it can replace, and the
// answers of changes_since, one per call, each call's time noted.
#ifndef JWTGUARD_TESTS_REVOCATION_FAKE_FEED_H_
#define JWTGUARD_TESTS_REVOCATION_FAKE_FEED_H_

#include <deque>
#include <string>
#include <vector>

#include "revocation/follower.h"
#include "util/scheduler.h"

namespace jwtguard::testing {

// A token revocation with the change feed's position `seq`.
inline Change token_change(std::string jti, std::uint64_t seq) {
  return Change{.seq = seq,
                .op = Change::Op::kRevoke,
                .kind = RevocationKind::kToken,
                .key = std::move(jti),
                .cutoff = {},
                .expires_at = from_unix_seconds(2'000'000'000)};
}

class FakeFeed final : public revocation::Feed {
 public:
  // `clock` times the calls and must outlive the feed.
  explicit FakeFeed(const util::MonotonicClock& clock) : clock_(clock) {}

  Result<Snapshot> snapshot(Timestamp) override {
    ++snapshots;
    return current;
  }

  // The next scripted answer; once the script is done, an empty batch.
  Result<ChangeBatch> changes_since(std::uint64_t after, std::size_t,
                                    std::chrono::milliseconds) override {
    calls.push_back(clock_.now());
    if (script.empty()) return ChangeBatch{.changes = {}, .last_seq = after, .gap = false};
    Result<ChangeBatch> next = std::move(script.front());
    script.pop_front();
    return next;
  }

  static Result<ChangeBatch> down() { return fail(Errc::kStore, "store down"); }
  static Result<ChangeBatch> gap() {
    return ChangeBatch{.changes = {}, .last_seq = 0, .gap = true};
  }
  static Result<ChangeBatch> ok(std::vector<Change> changes) {
    const std::uint64_t last = changes.empty() ? 0 : changes.back().seq;
    return ChangeBatch{.changes = std::move(changes), .last_seq = last, .gap = false};
  }

  Snapshot current;  // what snapshot() returns
  std::deque<Result<ChangeBatch>> script;
  std::vector<util::Instant> calls;  // when changes_since was called
  int snapshots = 0;

 private:
  const util::MonotonicClock& clock_;
};

}  // namespace jwtguard::testing

#endif  // JWTGUARD_TESTS_REVOCATION_FAKE_FEED_H_
