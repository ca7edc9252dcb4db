#include "key_set_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "jose/key_file.h"
#include "util/try.h"

namespace jwtguard::cli {
namespace {

using Json = nlohmann::ordered_json;
namespace fs = std::filesystem;

constexpr std::size_t kMaxKidBytes = 128;
constexpr off_t kMaxFileBytes = 1 << 20;
// A JWK Set nests four levels (set, "keys", key, "key_ops"); the rewrite
// indents each level, so a deeply nested member would cost the square of
// its depth in memory (tens of gigabytes for a 1 MiB file).
constexpr int kMaxDepth = 16;

std::string json_quoted(const std::string& text) { return Json(text).dump(); }

// "key #2 (kid \"k1\")", or "key #2" before its kid is known to be usable.
std::string key_name(std::size_t index, const Json& member) {
  std::string name = "key #" + std::to_string(index + 1);
  const auto kid = member.find("kid");
  if (kid != member.end() && kid->is_string())
    name += " (kid " + json_quoted(kid->get<std::string>()) + ")";
  return name;
}

// No C0 or C1 control character: `keys list` and every message print the
// kid to a terminal, and U+0080..U+009F (UTF-8 0xC2 0x80..0x9F) hold CSI,
// which terminals obey like ESC [. The parser has checked the UTF-8.
bool printable(const std::string& kid) {
  for (std::size_t i = 0; i < kid.size(); ++i) {
    const auto c = static_cast<unsigned char>(kid[i]);
    if (c < 0x20 || c == 0x7f) return false;
    if (c == 0xc2 && i + 1 < kid.size() && static_cast<unsigned char>(kid[i + 1]) < 0xa0) {
      return false;
    }
  }
  return true;
}

// Why the key member at `index` cannot be rotated, or "" when it can.
std::string member_problem(std::size_t index, const Json& member) {
  if (!member.is_object()) return "key #" + std::to_string(index + 1) + " is not a JSON object";
  const std::string name = key_name(index, member);
  const auto kid = member.find("kid");
  if (kid == member.end() || !kid->is_string() || kid->get_ref<const std::string&>().empty()) {
    return name +
           " has no \"kid\": every key of a rotated set needs one, as tokens name the "
           "key that signed them by its kid";
  }
  const auto& text = kid->get_ref<const std::string&>();
  if (text.size() > kMaxKidBytes || !printable(text)) {
    return name + ": a kid must be at most 128 bytes without control characters";
  }
  for (const char* stamp_name : {kAddedAtMember, kSignedUntilMember}) {
    const auto it = member.find(stamp_name);
    if (it == member.end()) continue;
    if (!it->is_number_integer() || it->get<std::int64_t>() < 0 ||
        it->get<std::int64_t>() >= kStampLimit) {
      return name + ": \"" + stamp_name + "\" must be a whole number of Unix seconds";
    }
  }
  return {};
}

CliResult<void> check_members(const Json& keys, const std::string& path) {
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (auto problem = member_problem(i, keys[i]); !problem.empty()) {
      return failure(path + ": " + problem);
    }
  }
  return {};
}

// The key serve signs with when keys.kid is unset (see KeySetDocument::active).
CliResult<std::string> active_of(const std::string& text, const KeySet& keys,
                                 const std::string& path) {
  auto active = jwks_active_kid(text);
  if (!active) return failure(path + ": " + active.error().message());
  if (!active->empty() && keys.find(*active) == nullptr) {
    return failure(path + ": \"active_kid\" is " + json_quoted(*active) +
                   ", but no key of the set has that kid. Run `jwtguard keys activate " + path +
                   " --kid KID` with a kid of the set, or restore the missing key");
  }
  if (active->empty() && keys.keys().size() == 1) return keys.keys().front().kid();
  return std::move(*active);
}

// The file a path names: a symbolic link's target, so that replacing the
// file keeps the link (e.g. one that points into a shared directory).
std::string resolved(const std::string& path) {
  std::error_code ec;
  const fs::path canonical = fs::canonical(path, ec);
  return ec ? path : canonical.string();
}

std::string directory_of(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

std::string errno_text() { return std::strerror(errno); }

bool write_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// Gives the temporary file what the file it replaces has (a service that
// reads the set as its own user must still be able to), or 0600 and the
// caller's for a new file.
CliResult<void> copy_mode_and_owner(int fd, const std::string& target) {
  struct stat old {};
  if (::stat(target.c_str(), &old) != 0) {
    if (errno != ENOENT) return failure(target + ": " + errno_text());
    return ::fchmod(fd, 0600) == 0 ? CliResult<void>{} : failure(target + ": " + errno_text());
  }
  if (::fchmod(fd, old.st_mode & 07777) != 0) return failure(target + ": " + errno_text());
  if ((old.st_uid != ::geteuid() || old.st_gid != ::getegid()) &&
      ::fchown(fd, old.st_uid, old.st_gid) != 0) {
    return failure(target +
                   ": the new file cannot get the owner and group of the one it "
                   "replaces (" +
                   errno_text() + "). Run the command as the file's owner or as root");
  }
  return {};
}

CliResult<void> sync_directory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return failure(dir + ": " + errno_text());
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) return failure(dir + ": cannot sync the directory: " + errno_text());
  return {};
}

// A directory others may write to (/tmp, even sticky) lets them put a set
// there first, or swap in a link to one: its owner would then receive the
// key a rewrite adds, as a rewrite keeps the owner of the file it replaces.
CliResult<void> check_directory(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return failure(dir + ": " + errno_text());
  if ((st.st_mode & S_IWOTH) == 0) return {};
  return failure(dir +
                 ": other users may create files in this directory, so the set there may be "
                 "theirs. Keep the set in a directory only its owner can write (e.g. "
                 "/etc/jwtguard)");
}

// Writes `text` to a new file beside `target` and renames it over `target`.
CliResult<void> replace_file(const std::string& target, const std::string& text) {
  const std::string dir = directory_of(target);
  JWTGUARD_TRY(check_directory(dir));
  std::string temp =
      (fs::path(dir) / ("." + fs::path(target).filename().string() + ".XXXXXX")).string();
  const int fd = ::mkostemp(temp.data(), O_CLOEXEC);  // mode 0600
  if (fd < 0) return failure(target + ": cannot create a file in " + dir + ": " + errno_text());
  CliResult<void> done = copy_mode_and_owner(fd, target);
  if (done && !write_all(fd, text)) done = failure(temp + ": cannot write: " + errno_text());
  if (done && ::fsync(fd) != 0) done = failure(temp + ": cannot sync: " + errno_text());
  if (::close(fd) != 0 && done) done = failure(temp + ": " + errno_text());
  if (done && ::rename(temp.c_str(), target.c_str()) != 0) {
    done = failure(target + ": cannot replace: " + errno_text());
  }
  if (!done) {
    ::unlink(temp.c_str());
    return done;
  }
  return sync_directory(dir);
}

// Why a file opened as a set may not be read, or "" when it may.
std::string unreadable(const std::string& path, const struct stat& st) {
  // A FIFO or a device would block the read or never end it.
  if (!S_ISREG(st.st_mode)) return path + ": not a regular file, so not a JWK Set file";
  if ((st.st_mode & 0006) != 0) {
    return path + ": other users may read or write this file of private keys. Run `chmod o-rwx " +
           path + "` (and rotate the keys if someone may have copied them)";
  }
  // A set of a few hundred keys stays far below this; more is not a key set.
  if (st.st_size > kMaxFileBytes) {
    return path + ": " + std::to_string(st.st_size) +
           " bytes is too large for a JWK Set (at most 1 MiB)";
  }
  return {};
}

// The text of the set at `path`, checked and read through one descriptor,
// so that the file read is the one checked, and never more than 1 MiB of it
// (a file that grows after the check is cut and then fails to parse).
CliResult<std::string> read_set_text(const std::string& path) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer before it is refused.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return failure(path + ": cannot open: " + errno_text());
  struct stat st {};
  std::string problem = ::fstat(fd, &st) == 0 ? unreadable(path, st) : path + ": " + errno_text();
  std::string text(static_cast<std::size_t>(kMaxFileBytes), '\0');
  std::size_t size = 0;
  while (problem.empty() && size < text.size()) {
    const ssize_t n = ::read(fd, text.data() + size, text.size() - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) problem = path + ": cannot read: " + errno_text();
    if (n <= 0) break;
    size += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (!problem.empty()) return failure(problem);
  text.resize(size);
  return text;
}

}  // namespace

CliResult<KeySetDocument> parse_key_set(const std::string& text, const std::string& path) {
  int deepest = 0;  // the levels: the parser counts the outermost value as 0
  const auto depth = [&deepest](int level, Json::parse_event_t, Json&) {
    deepest = std::max(deepest, level + 1);
    return true;
  };
  Json json = Json::parse(text, depth, /*allow_exceptions=*/false);
  if (json.is_discarded()) return failure(path + ": not valid JSON, so not a JWK Set");
  if (deepest > kMaxDepth) {
    return failure(path + ": nested deeper than " + std::to_string(kMaxDepth) +
                   " levels, which no JWK Set needs");
  }
  if (!json.is_object() || !json.contains("keys") || !json["keys"].is_array()) {
    return failure(path + ": a JWK Set must be a JSON object with a \"keys\" array");
  }
  JWTGUARD_TRY(check_members(json["keys"], path));
  auto keys = or_failure(KeySet::from_jwks(text), path);
  if (!keys) return tl::unexpected(keys.error());
  if (keys->keys().size() != json["keys"].size()) {
    return failure(path +
                   ": holds a key jwtguard cannot sign or verify with (\"use\" other than "
                   "\"sig\", or an unknown \"kty\"); remove it from the set");
  }
  auto active = active_of(text, *keys, path);
  if (!active) return tl::unexpected(active.error());
  return KeySetDocument{.json = std::move(json), .keys = std::move(*keys), .active = *active};
}

CliResult<KeySetDocument> read_key_set_file(const std::string& path) {
  auto text = read_set_text(path);
  if (!text) return tl::unexpected(text.error());
  return parse_key_set(*text, path);
}

Json& key_member(KeySetDocument& doc, const std::string& kid) {
  auto& keys = doc.json["keys"];
  return *std::find_if(keys.begin(), keys.end(), [&](const Json& m) { return m["kid"] == kid; });
}

const Json& key_member(const KeySetDocument& doc, const std::string& kid) {
  const auto& keys = doc.json.at("keys");
  return *std::find_if(keys.begin(), keys.end(), [&](const Json& m) { return m.at("kid") == kid; });
}

std::optional<std::int64_t> stamp(const Json& member, const char* name) {
  const auto it = member.find(name);
  if (it == member.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<std::int64_t>();
}

CliResult<void> write_key_set_file(const std::string& path, const Json& json) {
  const std::string text = json.dump(2) + "\n";
  auto checked = parse_key_set(text, path);
  if (!checked) {
    return failure("refusing to write a set that would not load again: " + checked.error().message);
  }
  // The link's own directory too: a link put in /tmp may lead anywhere.
  JWTGUARD_TRY(check_directory(directory_of(path)));
  return replace_file(resolved(path), text);
}

CliResult<KeySetLock> KeySetLock::acquire(const std::string& path) {
  const std::string dir = directory_of(resolved(path));
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return failure(dir + ": " + errno_text());
  while (::flock(fd, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    const std::string reason = errno_text();
    ::close(fd);
    return failure(dir + ": cannot lock: " + reason);
  }
  return KeySetLock(fd);
}

KeySetLock::~KeySetLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the lock
}

}  // namespace jwtguard::cli
