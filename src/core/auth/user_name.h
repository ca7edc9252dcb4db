// The sentence of the rule for user names (valid_user_name in
// jwtguard/password.h), so that registration, minting and `jwtguard user`
// state one rule in the same words.
#ifndef JWTGUARD_AUTH_USER_NAME_H_
#define JWTGUARD_AUTH_USER_NAME_H_

#include <string>
#include <string_view>

namespace jwtguard {

// "WHAT must be 1 to 128 bytes, without control characters or surrounding
// spaces", `what` naming the field as its reader knows it ("'username'",
// "'identity'", "USERNAME").
std::string user_name_rule(std::string_view what);

}  // namespace jwtguard

#endif  // JWTGUARD_AUTH_USER_NAME_H_
