#include "util/private_dirs.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace jwtguard::util {

Result<void> create_private_directories(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> missing;
  for (auto at = dir; !at.empty() && at != at.root_path(); at = at.parent_path()) {
    struct stat st {};
    if (::stat(at.c_str(), &st) == 0) break;
    missing.push_back(at);
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), 0700) != 0 && errno != EEXIST) {
      return fail(Errc::kStore, "cannot create " + it->string() + ": " + std::strerror(errno));
    }
  }
  return {};
}

}  // namespace jwtguard::util
