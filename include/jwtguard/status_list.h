// Token Status List (draft-ietf-oauth-status-list): the status list itself
// and its JSON form, without any token around it.
//
// A status list is a byte array holding one status of `bits` bits (1, 2, 4
// or 8) per referenced token. The status of index i sits in byte
// i * bits / 8, starting at bit (i * bits) % 8 counted from the least
// significant bit. Its JSON form, the "status_list" claim of a Status List
// Token, is {"bits": n, "lst": "..."} where lst is the byte array compressed
// with DEFLATE in the ZLIB format (RFC 1950/1951) and base64url-encoded
// without padding.
//
// Everything here is a pure function of its arguments or a value type: safe
// to call from any number of threads on distinct objects. A StatusList is not
// synchronised; share one between threads only for reading.
#ifndef JWTGUARD_STATUS_LIST_H_
#define JWTGUARD_STATUS_LIST_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "jwtguard/clock.h"
#include "jwtguard/error.h"

namespace jwtguard {

// The status values the draft defines. Values 3 and above are
// application-specific: get_status() returns them as TokenStatus values
// outside the named ones, which callers treat as they see fit.
enum class TokenStatus : std::uint8_t {
  kValid = 0,      // the token is valid, correct or legal
  kInvalid = 1,    // revoked, annulled, taken back, recalled or cancelled
  kSuspended = 2,  // temporarily invalid
};

class StatusList {
 public:
  // The largest byte array a StatusList holds: 256 MiB, room for 2^31
  // one-bit statuses. A larger list is refused (kInvalidArgument) instead of
  // failing an allocation.
  static constexpr std::size_t kMaxBytes = std::size_t{256} << 20;

  // A list of `size` statuses of `bits` bits, all kValid. kInvalidArgument
  // when bits is not 1, 2, 4 or 8, or the list would exceed kMaxBytes. The
  // byte array is rounded up to whole bytes; its padding bits stay 0.
  static Result<StatusList> create(std::size_t size, int bits);

  // A list over an existing byte array (what decode_lst inflated): its size
  // is bytes.size() * 8 / bits. kInvalidArgument as for create().
  static Result<StatusList> from_bytes(std::string bytes, int bits);

  // Sets the status of `index`. kInvalidArgument when index >= size() or
  // the value does not fit in bits() bits; the list is then unchanged.
  Result<void> set(std::size_t index, std::uint8_t value);
  Result<void> set(std::size_t index, TokenStatus status) {
    return set(index, static_cast<std::uint8_t>(status));
  }

  // The status of `index`, raw. kInvalidArgument when index >= size(): a
  // verifier must refuse a token whose index is out of range (draft 8.3).
  Result<std::uint8_t> get(std::size_t index) const;
  Result<TokenStatus> get_status(std::size_t index) const;

  std::size_t size() const { return size_; }
  int bits() const { return bits_; }
  // The byte array as the draft lays it out (before compression).
  std::string_view bytes() const { return bytes_; }

  // The optional "aggregation_uri" of the claim: where every
  // Status List of the issuer is listed. Empty when absent.
  const std::string& aggregation_uri() const { return aggregation_uri_; }
  void set_aggregation_uri(std::string uri) { aggregation_uri_ = std::move(uri); }

  friend bool operator==(const StatusList&, const StatusList&) = default;

 private:
  StatusList(std::string bytes, std::size_t size, int bits)
      : bytes_(std::move(bytes)), size_(size), bits_(bits) {}

  std::string bytes_;
  std::size_t size_ = 0;
  int bits_ = 1;
  std::string aggregation_uri_;
};

// Bounds on decoding a status list that came from elsewhere. A list is
// untrusted input until its token's signature is checked, and even a signed
// one must not take the verifier down: a few KiB of DEFLATE can inflate to
// gigabytes.
struct DecodeLimits {
  // The most bytes the inflated array may hold (default 16 MiB: 2^27 one-bit
  // statuses, 2^24 eight-bit ones). Never above StatusList::kMaxBytes.
  std::size_t max_bytes = std::size_t{16} << 20;
};

// The "lst" of a list: its byte array compressed at the best level zlib has
// (the draft recommends the highest), base64url without padding. Another
// encoder may produce different bytes for the same list; every conforming
// decoder reads the same statuses from either. Fails (kInvalidArgument) only
// when zlib cannot allocate its state.
Result<std::string> encode_lst(const StatusList& list);

// The list of `bits` bits per status that `lst` encodes; its size is the
// inflated byte count * 8 / bits. Errors, in the order checked:
//   kInvalidArgument  bits is not 1, 2, 4 or 8
//   kBadBase64        lst is not strict base64url (padding, '+', '/',
//                     whitespace, non-canonical trailing bits all refused)
//   kBadClaim         the bytes are not one complete ZLIB stream: not ZLIB,
//                     a preset dictionary, corrupt DEFLATE data, a wrong
//                     checksum, a truncated stream, or bytes after its end;
//                     or it inflates to more than limits.max_bytes (found
//                     while inflating, chunk by chunk: the excess is never
//                     held in memory). The detail says which.
// The length of lst itself is not bounded here: bound the response it came
// in.
Result<StatusList> decode_lst(std::string_view lst, int bits, const DecodeLimits& limits = {});

// The "status_list" claim's value, a JSON object, as a list:
//   {"bits": 1|2|4|8, "lst": "<encoded>", "aggregation_uri"?: "<uri>"}
// Members not named here are ignored (the draft lets the object grow).
// Errors: kBadJson (not JSON, invalid UTF-8, too deep), kNotAnObject,
// kDuplicateMember (a member named twice), kMissingClaim (no bits or no lst;
// the detail names it), kBadClaim (bits not the integer 1, 2, 4 or 8, lst or
// aggregation_uri not a string), then decode_lst's errors for lst.
Result<StatusList> parse_status_list_claim(std::string_view json, const DecodeLimits& limits = {});

// The reverse: {"bits":n,"lst":"..."} with the list's aggregation_uri when it
// has one. Fails as encode_lst does.
Result<std::string> status_list_claim_json(const StatusList& list);

// A list as published: its Status List Token and the same list as a JSON
// Status List (application/statuslist+json).
struct PublishedStatusList {
  std::uint64_t list = 0;
  std::string uri;
  std::string jwt;   // application/statuslist+jwt
  std::string json;  // application/statuslist+json
  Timestamp issued_at{};
  Timestamp expires_at{};
};

}  // namespace jwtguard

#endif  // JWTGUARD_STATUS_LIST_H_
