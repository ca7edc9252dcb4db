// The claims readers side by side (src/core/tokens/flat_claims.h): one
// payload through the fast reader, the reference and parse_claims, and the
// first difference between their answers in words. Shared by the
// differential fuzz target and the unit tests, so both hold the readers to
// the same notion of "the same".
#ifndef JWTGUARD_TESTING_CLAIMS_DIFF_H_
#define JWTGUARD_TESTING_CLAIMS_DIFF_H_

#include <string>
#include <string_view>

#include "jwtguard/claims.h"
#include "tokens/flat_claims.h"

namespace jwtguard::testing {

// The first field in which `a` and `b` differ ("aud", "present", ...), or "".
inline std::string claims_difference(const Claims& a, const Claims& b) {
  if (a.present != b.present) return "present";
  if (a.jti != b.jti) return "jti";
  if (a.sub != b.sub) return "sub";
  if (a.iss != b.iss) return "iss";
  if (a.sid != b.sid) return "sid";
  if (a.type != b.type) return "type";
  if (a.sub_ns != b.sub_ns) return "sub_ns";
  if (a.aud != b.aud) return "aud";
  if (a.exp != b.exp) return "exp";
  if (a.nbf != b.nbf) return "nbf";
  if (a.iat != b.iat) return "iat";
  if (a.iat_ms != b.iat_ms) return "iat_ms";
  if (a.fresh != b.fresh) return "fresh";
  if (a.csrf != b.csrf) return "csrf";
  if (a.payload_json != b.payload_json) return "payload_json";
  return "";
}

struct ClaimsDiff {
  Result<void> reference;  // parse_claims_reference
  Claims reference_claims;
  bool flat_accepted = false;  // parse_flat_claims took the payload itself
  std::string mismatch;        // empty when all the readers agree
};

// Reads `payload` with the reference, with the fast reader and with
// parse_claims (each from its own padded copy, as on the verify path), and
// says where they disagree: the fast reader accepting what the reference
// refuses or reading a claim differently, or parse_claims answering
// otherwise than the reference (accept/reject, error code and detail, claims).
inline ClaimsDiff diff_claims(std::string_view payload) {
  auto padded = [payload] {
    std::string copy;
    copy.reserve(payload.size() + 64);
    copy.assign(payload);
    return copy;
  };
  ClaimsDiff out;
  out.reference = detail::parse_claims_reference(padded(), out.reference_claims);

  Claims flat;
  out.flat_accepted = detail::parse_flat_claims(payload, flat);
  if (out.flat_accepted) {
    flat.payload_json.assign(payload);
    if (!out.reference) {
      out.mismatch = "the fast reader accepts what the reference refuses (" +
                     out.reference.error().message() + ")";
      return out;
    }
    if (auto field = claims_difference(flat, out.reference_claims); !field.empty()) {
      out.mismatch = "the fast reader reads " + field + " differently";
      return out;
    }
  }

  Claims claims;
  const Result<void> answer = parse_claims_into(padded(), claims);
  if (answer.has_value() != out.reference.has_value()) {
    out.mismatch = "parse_claims and the reference disagree on accepting";
  } else if (!answer && (answer.error().code() != out.reference.error().code() ||
                         answer.error().detail() != out.reference.error().detail())) {
    out.mismatch = "parse_claims says " + answer.error().message() + ", the reference " +
                   out.reference.error().message();
  } else if (answer) {
    if (auto field = claims_difference(claims, out.reference_claims); !field.empty()) {
      out.mismatch = "parse_claims reads " + field + " differently";
    }
  }
  return out;
}

}  // namespace jwtguard::testing

#endif  // JWTGUARD_TESTING_CLAIMS_DIFF_H_
