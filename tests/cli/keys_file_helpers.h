// Small helpers of the `jwtguard keys` file tests: what a file holds and its
// mode, read the way the tests check them.
#ifndef JWTGUARD_TESTS_CLI_KEYS_FILE_HELPERS_H_
#define JWTGUARD_TESTS_CLI_KEYS_FILE_HELPERS_H_

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace jwtguard::testing {

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The whole file; empty when it cannot be read.
inline std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The permission bits of `path` (0 when it does not exist).
inline unsigned mode_of(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0;
}

}  // namespace jwtguard::testing

#endif  // JWTGUARD_TESTS_CLI_KEYS_FILE_HELPERS_H_
