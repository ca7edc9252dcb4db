// How the command line and the service read key files: one rule for what a
// file holds and one for where a secret in a file ends, so that a key file
// means the same key to `jwtguard token` as to `jwtguard serve`.
#ifndef JWTGUARD_JOSE_KEY_FILE_H_
#define JWTGUARD_JOSE_KEY_FILE_H_

#include <string>
#include <string_view>

#include "jwtguard/keys.h"

namespace jwtguard {

enum class KeyFileFormat {
  kPem,   // anything that does not start with '{' (Key::from_pem says what is wrong)
  kJwk,   // a JSON object without "keys", or text that only starts like one
  kJwks,  // a JSON object with "keys"
};

// What a key file holds, told by its first character other than white space
// and, for JSON, by a "keys" member. Never fails: a file that is none of the
// three is named after the form it starts like, whose parser reports it.
KeyFileFormat key_file_format(std::string_view text);

// The key of a JWK given with a key id (keys.kid, --kid): the id is added to
// a JWK that has none; a JWK whose own "kid" differs is refused with kBadKey,
// whose detail ("its \"kid\" differs from KID_NAME; remove one of them")
// names the setting or option as `kid_name`; an empty `kid` changes nothing.
// Otherwise Key::from_jwk's errors.
Result<Key> key_from_jwk(std::string_view text, const std::string& kid, std::string_view kid_name);

// The member of a JWK Set file that names the key to sign with (RFC 7517 §5
// lets a set carry members of its own; verifiers ignore it).
inline constexpr const char* kActiveKidMember = "active_kid";

// The "active_kid" of a JWK Set text: "" when the member is absent (or the
// text is no JSON object, which the set's own parser reports); kBadKey when
// it is present but not a non-empty string. Whether it names a key of the
// set is the caller's check.
Result<std::string> jwks_active_kid(std::string_view jwks_json);

// The HMAC secret a secret file holds: the file without the one line ending
// ("\n" or "\r\n", or a lone "\r") that `echo` or an editor adds after the
// last line. Anything before it is the secret, trailing spaces, tabs and
// further line endings included: a secret may end in any byte, and a
// secret file written with `printf %s` or by a secret store keeps them.
std::string secret_from_file_text(std::string text);

}  // namespace jwtguard

#endif  // JWTGUARD_JOSE_KEY_FILE_H_
