// The one rule on a status list's width, shared by the list and its codec.
#ifndef JWTGUARD_STATUS_LIST_STATUS_LIST_BITS_H_
#define JWTGUARD_STATUS_LIST_STATUS_LIST_BITS_H_

#include "jwtguard/error.h"

namespace jwtguard::status_list {

// 1, 2, 4 or 8: the draft keeps every status inside one byte.
constexpr bool is_valid_bits(int bits) { return bits == 1 || bits == 2 || bits == 4 || bits == 8; }

// kInvalidArgument naming the width unless is_valid_bits(bits).
Result<void> check_bits(int bits);

}  // namespace jwtguard::status_list

#endif  // JWTGUARD_STATUS_LIST_STATUS_LIST_BITS_H_
