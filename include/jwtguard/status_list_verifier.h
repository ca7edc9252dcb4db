// Checking a token's "status" claim against the Status List Token its
// issuer publishes (draft-ietf-oauth-status-list §8, the verifier's side):
// for a verifier that holds the issuer's keys but does not share its store.
//
// The token itself is validated first (signature, times, claims: Verifier,
// Guard::require); then its claim
//   "status": {"status_list": {"idx": N, "uri": "https://..."}}
// names the list. The list token is fetched from the URI over HTTP(S)
// (libcurl; plain http only to a loopback host), its signature checked with
// the configured keys, its header typ "statuslist+jwt", its "sub" equal to
// the URI and its "exp" not passed; it is cached for its "ttl" clamped to
// the configured bounds. The response and the inflated list are both
// bounded: a list is untrusted input until its signature is checked, and a
// few KiB of DEFLATE can inflate to gigabytes.
#ifndef JWTGUARD_STATUS_LIST_VERIFIER_H_
#define JWTGUARD_STATUS_LIST_VERIFIER_H_

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jwtguard/algorithm.h"
#include "jwtguard/clock.h"
#include "jwtguard/error.h"
#include "jwtguard/keys.h"
#include "jwtguard/status_list.h"

namespace jwtguard {

struct StatusVerifierOptions {
  // The keys the list tokens are signed with (the issuer's public keys).
  KeySet keys;
  // Algorithms a list token may use; empty: what the keys allow. "none" is
  // never accepted.
  std::vector<Algorithm> algorithms;
  // Clock skew allowed on the list token's exp and iat.
  std::chrono::seconds leeway{0};
  // A list is cached for its "ttl" (default_cache when it has none),
  // clamped to [min_cache, max_cache], and never past its "exp". A failure
  // to get a list (the fetch, or a list token refused) is remembered for
  // min_cache: tokens naming an unreachable list make one fetch per
  // min_cache, not one each. The cache holds at most 256 lists (failures
  // included) and 64 MiB of decoded lists; past either, the stale and then
  // the least recently used go, never one being fetched nor the one just
  // fetched (docs/status-list.md, Verifying).
  std::chrono::seconds min_cache{10};
  std::chrono::seconds max_cache{3600};
  std::chrono::seconds default_cache{300};
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds timeout{5000};                // the whole fetch
  std::size_t max_response_bytes = std::size_t{1} << 20;  // the list token's size
  DecodeLimits limits;                                    // the inflated list's size
  std::string ca_file;  // extra CA bundle for https; empty: the system's
};

class StatusListVerifier {
 public:
  // kInvalidArgument for an empty key set, a leeway outside [0, kMaxLeeway],
  // min_cache < 0 or > max_cache, a negative default_cache, a timeout or
  // max_response_bytes of zero, limits.max_bytes of zero or over
  // StatusList::kMaxBytes; kNoKeyForAlg when `algorithms` names one no key
  // can verify. The clock decides when a cached list is stale; it must
  // outlive the verifier.
  static Result<std::unique_ptr<StatusListVerifier>> create(StatusVerifierOptions options,
                                                            const Clock& clock);
  virtual ~StatusListVerifier() = default;

  // The status of the (already validated) token whose payload is
  // `payload_json`, from the list its "status" claim names (cached, or
  // fetched now). Errors: kMissingClaim ("status") when the token has no
  // status claim; kBadClaim when the claim is malformed or its idx is out
  // of the list's range; when the list cannot be fetched or is not a valid
  // Status List Token for that URI, the error says why: kInvalidArgument
  // for a URI that may not be fetched (not https, or http to a host that
  // is not loopback), kStore for the fetch (the detail as http_get's:
  // "status 404", "body larger than ...", "timed out ..."), else the code
  // of the rule the list token broke (kBadSignature, kUnknownKid,
  // kAlgNone, kBadHeader for typ, kBadClaim for sub, kExpired, the list's
  // encoding errors), its detail starting "status list token". Thread-safe;
  // concurrent calls naming a list that is not cached wait for one fetch.
  virtual Result<TokenStatus> status(std::string_view payload_json) = 0;

  // status(), as a check: VALID passes; INVALID (0x01) is kRevoked ("Token
  // has been revoked", detail "status list"); SUSPENDED (0x02) is
  // kSuspended; any other value is kRevoked with the value in the detail.
  Result<void> check(std::string_view payload_json);
};

}  // namespace jwtguard

#endif  // JWTGUARD_STATUS_LIST_VERIFIER_H_
