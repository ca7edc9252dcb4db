// Directories for files other users must not read (password hashes,
// sessions, signing keys).
#ifndef JWTGUARD_UTIL_PRIVATE_DIRS_H_
#define JWTGUARD_UTIL_PRIVATE_DIRS_H_

#include <filesystem>

#include "jwtguard/error.h"

namespace jwtguard::util {

// Creates `dir` and any missing parent, each with mode 0700 (less the
// umask), outermost first. Directories that exist are left as they are,
// including one another process creates meanwhile. kStore when one cannot be
// created, with its path and the reason. std::filesystem::create_directories
// would make them 0777 less the umask: 0755 with the usual umask.
Result<void> create_private_directories(const std::filesystem::path& dir);

}  // namespace jwtguard::util

#endif  // JWTGUARD_UTIL_PRIVATE_DIRS_H_
