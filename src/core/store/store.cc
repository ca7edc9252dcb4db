// The parts of the Store interface that every backend shares.
#include "jwtguard/store.h"

namespace jwtguard {

Result<Store::Hits> Store::lookup(std::string_view jti, std::string_view sid,
                                  std::string_view user) {
  Hits hits;
  if (!jti.empty()) {
    auto found = find_revocation(RevocationKind::kToken, jti);
    if (!found) return tl::unexpected(found.error());
    hits.token = found->has_value();
  }
  if (!sid.empty()) {
    auto found = find_revocation(RevocationKind::kSession, sid);
    if (!found) return tl::unexpected(found.error());
    hits.session = found->has_value();
  }
  if (!user.empty()) {
    auto found = find_revocation(RevocationKind::kUser, user);
    if (!found) return tl::unexpected(found.error());
    if (found->has_value()) hits.cutoff = (*found)->cutoff;
  }
  return hits;
}

}  // namespace jwtguard
