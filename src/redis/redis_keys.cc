#include "redis_keys.h"

namespace jwtguard::redis {
namespace {

char kind_letter(RevocationKind kind) {
  switch (kind) {
    case RevocationKind::kToken:
      return 't';
    case RevocationKind::kSession:
      return 's';
    case RevocationKind::kUser:
      return 'u';
  }
  return '?';
}

}  // namespace

std::string member(RevocationKind kind, std::string_view key) {
  std::string out{kind_letter(kind), ':'};
  out += key;
  return out;
}

std::optional<RevocationKind> member_kind(std::string_view m) {
  if (m.size() < 2 || m[1] != ':') return std::nullopt;
  for (auto kind : {RevocationKind::kToken, RevocationKind::kSession, RevocationKind::kUser}) {
    if (m[0] == kind_letter(kind)) return kind;
  }
  return std::nullopt;
}

}  // namespace jwtguard::redis
