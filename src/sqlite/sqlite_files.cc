#include "sqlite_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "util/private_dirs.h"
#include "util/try.h"

namespace jwtguard::sqlite {
namespace {

constexpr mode_t kPrivateFile = 0600;

tl::unexpected<Error> cannot(std::string_view what, const std::string& path) {
  return fail(Errc::kStore, std::string(what) + " " + path + ": " + std::strerror(errno));
}

std::string octal(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

void warn_if_shared(const std::string& file, const StoreWarning& warn) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return;  // a -wal or -shm not created yet
  const mode_t others = st.st_mode & (S_IRWXG | S_IRWXO);
  if (others == 0) return;
  const std::string message =
      file + " is open to other users (mode " + octal(st.st_mode) +
      "): it holds password hashes and sessions; run chmod 600 on it (and on its -wal and -shm " +
      "files) unless it is shared on purpose";
  if (warn) {
    warn(message);
  } else {
    std::fprintf(stderr, "jwtguard: warning: %s\n", message.c_str());
  }
}

}  // namespace

Result<void> prepare_files(const std::string& path, const StoreWarning& warn) {
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) JWTGUARD_TRY(util::create_private_directories(parent));
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, kPrivateFile);
  if (fd >= 0) {
    ::close(fd);
    return {};
  }
  if (errno != EEXIST) return cannot("cannot create", path);
  for (const char* suffix : {"", "-wal", "-shm"}) warn_if_shared(path + suffix, warn);
  return {};
}

}  // namespace jwtguard::sqlite
