#include "auth/user_name.h"

namespace jwtguard {

std::string user_name_rule(std::string_view what) {
  return std::string(what).append(
      " must be 1 to 128 bytes, without control characters or surrounding spaces");
}

}  // namespace jwtguard
