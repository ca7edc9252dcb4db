// Pieces of the JWS layer shared with the token layer, which decodes the
// payload itself to avoid a copy.
#ifndef JWTGUARD_JOSE_JWS_INTERNAL_H_
#define JWTGUARD_JOSE_JWS_INTERNAL_H_

#include <memory>
#include <string>
#include <string_view>

#include "jwtguard/jose.h"

namespace jwtguard::detail {

struct VerifiedParts {
  std::shared_ptr<const JoseHeader> header;
  std::string_view payload_b64;  // a view into the token
};

// verify_jws without decoding the payload.
Result<VerifiedParts> verify_parts(std::string_view token, const KeySet& keys,
                                   const JwsOptions& options);

// Decodes one base64url segment; kBadBase64 names `what` on failure. With
// `padding`, the string's capacity exceeds its size by at least that much
// (so that a JSON parser may read past the end).
Result<std::string> decode_segment(std::string_view b64, std::string_view what,
                                   std::size_t padding = 0);

}  // namespace jwtguard::detail

#endif  // JWTGUARD_JOSE_JWS_INTERNAL_H_
