// Strict base64url (RFC 4648 §5) as JWS requires it (RFC 7515 §2): no padding,
// no '+' or '/', no whitespace, and canonical trailing bits, so that every
// byte string has exactly one accepted encoding.
#ifndef JWTGUARD_JOSE_BASE64URL_H_
#define JWTGUARD_JOSE_BASE64URL_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace jwtguard::base64url {

std::string encode(std::string_view bytes);

// Appends the encoding of `bytes` to `out`.
void encode_append(std::string_view bytes, std::string& out);

// Number of bytes `decode` produces for `encoded_size` characters, or nullopt
// when no valid encoding has that length (size % 4 == 1).
std::optional<std::size_t> decoded_size(std::size_t encoded_size);

// Decodes into `out`, which must hold decoded_size(in.size()) bytes. Returns
// false on any character outside the alphabet, an impossible length, or
// non-zero trailing bits; `out` is then unspecified.
bool decode_to(std::string_view in, std::uint8_t* out);

// Convenience wrapper: nullopt on any of the failures of decode_to. The
// string's capacity exceeds its size by at least `padding` bytes (room for a
// parser that reads past the end).
std::optional<std::string> decode(std::string_view in, std::size_t padding = 0);

}  // namespace jwtguard::base64url

#endif  // JWTGUARD_JOSE_BASE64URL_H_
