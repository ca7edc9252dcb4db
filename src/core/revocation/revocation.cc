// The functions of jwtguard/revocation.h: the records' names, subject keys
// and the cutoffs of log-out-everywhere.
#include "jwtguard/revocation.h"

namespace jwtguard {

std::string subject_key(std::string_view subject_namespace, std::string_view subject) {
  if (subject_namespace.empty()) return std::string(subject);
  std::string key;
  key.reserve(subject_namespace.size() + 1 + subject.size());
  key.append(subject_namespace).append(1, kNamespaceSeparator).append(subject);
  return key;
}

std::string subject_key(const Claims& claims) { return subject_key(claims.sub_ns, claims.sub); }

bool is_issuer_namespace(std::string_view ns) { return !ns.empty() && ns != kAppNamespace; }

std::string revocation_key(std::string_view ns, std::string_view id) {
  if (!is_issuer_namespace(ns)) return std::string(id);
  return subject_key(ns, id);
}

std::string token_key(const Claims& claims) {
  return claims.jti.empty() ? std::string() : revocation_key(claims.sub_ns, claims.jti);
}

std::string session_key(const Claims& claims) {
  return claims.sid.empty() ? std::string() : revocation_key(claims.sub_ns, claims.sid);
}

std::pair<std::string_view, std::string_view> split_subject_key(std::string_view key) {
  const auto separator = key.find(kNamespaceSeparator);
  if (separator == std::string_view::npos) return {{}, key};
  return {key.substr(0, separator), key.substr(separator + 1)};
}

std::optional<std::string_view> parse_subject_namespace(std::string_view name) {
  if (name.empty()) return std::string_view{};
  if (name == kAppNamespace) return kAppNamespace;
  return std::nullopt;
}

Revocation token_revocation(const Claims& claims) {
  Revocation r;
  r.kind = RevocationKind::kToken;
  r.key = token_key(claims);
  if (claims.exp) r.expires_at = *claims.exp;
  r.token_type = parse_token_type(claims.type);
  r.user = subject_key(claims);
  r.session = session_key(claims);
  return r;
}

std::string_view revocation_kind_name(RevocationKind kind) {
  switch (kind) {
    case RevocationKind::kToken:
      return "token";
    case RevocationKind::kSession:
      return "session";
    case RevocationKind::kUser:
      return "user";
  }
  return "unknown";
}

std::optional<RevocationKind> parse_revocation_kind(std::string_view name) {
  for (auto kind : {RevocationKind::kToken, RevocationKind::kSession, RevocationKind::kUser}) {
    if (revocation_kind_name(kind) == name) return kind;
  }
  return std::nullopt;
}

// A token issued at the cutoff or later (the Guard raises iat_ms to it) is
// not refused.
Timestamp user_cutoff_after(Timestamp now) {
  return std::chrono::floor<std::chrono::milliseconds>(now) + std::chrono::milliseconds(1);
}

Timestamp cutoff_after_earlier(Timestamp cutoff, std::optional<Timestamp> earlier) {
  if (earlier && *earlier >= cutoff) return *earlier + std::chrono::milliseconds(1);
  return cutoff;
}

}  // namespace jwtguard
