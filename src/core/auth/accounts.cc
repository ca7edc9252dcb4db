#include "auth/accounts.h"

#include <nlohmann/json.hpp>

#include "util/try.h"

namespace jwtguard::accounts {
namespace {

// The audit record's detail: what else matters, as a JSON object.
std::string detail_json(std::size_t sessions_ended, const Change& change) {
  nlohmann::ordered_json detail = {{"sessions_ended", sessions_ended}};
  if (!change.reason.empty()) detail["reason"] = change.reason;
  return detail.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<void> record(Store& store, std::string_view action, std::string_view name,
                    const Change& change, std::string detail) {
  auto id = store.append_audit(AuditEvent{.at = change.now,
                                          .actor = change.actor,
                                          .action = std::string(action),
                                          .subject = std::string(name),
                                          .detail = std::move(detail)});
  if (!id) return tl::unexpected(id.error());
  return {};
}

// The user's live sessions but `keep_sid`, then the cutoff.
Result<std::size_t> end_tokens(Store& store, const EndTokens& end, std::string_view name,
                               const Change& change, std::string_view action,
                               std::string_view keep_sid = {}) {
  auto sessions = store.list_sessions(name, change.now);
  if (!sessions) return tl::unexpected(sessions.error());
  auto cutoff = store.find_revocation(RevocationKind::kUser, name);
  if (!cutoff) return tl::unexpected(cutoff.error());
  std::size_t ended = 0;
  for (const Session& session : *sessions) {
    const bool cut = *cutoff && session.refreshed_at < (*cutoff)->cutoff;
    if (!cut && session.sid != keep_sid) ++ended;
  }
  std::string reason(action);
  if (!change.reason.empty()) reason += ": " + change.reason;
  if (auto cut = end(name, RevokeContext{.revoked_by = change.actor, .reason = reason}); !cut) {
    // The change itself is durable: say so in the record, so that an admin
    // sees a change whose tokens still live (and repeats it), then fail.
    nlohmann::ordered_json detail = {{"sessions_ended", 0}, {"tokens_ended", false}};
    if (!change.reason.empty()) detail["reason"] = change.reason;
    (void)record(store, action, name, change,
                 detail.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    return tl::unexpected(cut.error());
  }
  return ended;
}

Result<void> must_exist(Store& store, std::string_view name) {
  auto user = store.find_user(name);
  if (!user) return tl::unexpected(user.error());
  if (!*user) return fail(Errc::kNotFound, "user");
  return {};
}

}  // namespace

Result<std::size_t> live_sessions(Store& store, std::string_view name, Timestamp now) {
  auto sessions = store.list_sessions(name, now);
  if (!sessions) return tl::unexpected(sessions.error());
  auto cutoff = store.find_revocation(RevocationKind::kUser, name);
  if (!cutoff) return tl::unexpected(cutoff.error());
  std::size_t live = 0;
  for (const Session& session : *sessions) {
    if (!*cutoff || session.refreshed_at >= (*cutoff)->cutoff) ++live;
  }
  return live;
}

Result<std::size_t> disable(Store& store, const EndTokens& end, std::string_view name,
                            const Change& change) {
  JWTGUARD_TRY(store.set_disabled(name, true));
  JWTGUARD_ASSIGN_OR_RETURN(const std::size_t ended,
                            end_tokens(store, end, name, change, kDisable));
  JWTGUARD_TRY(record(store, kDisable, name, change, detail_json(ended, change)));
  return ended;
}

Result<void> enable(Store& store, std::string_view name, const Change& change) {
  JWTGUARD_TRY(store.set_disabled(name, false));
  return record(store, kEnable, name, change, detail_json(0, change));
}

Result<std::size_t> remove(Store& store, const EndTokens& end, std::string_view name,
                           const Change& change, std::string_view action) {
  JWTGUARD_TRY(store.set_disabled(name, true));
  JWTGUARD_ASSIGN_OR_RETURN(const std::size_t ended, end_tokens(store, end, name, change, action));
  // The name stays reserved as long as the cutoff is kept: as long as any
  // token of the deleted user could be presented.
  auto cutoff = store.find_revocation(RevocationKind::kUser, name);
  if (!cutoff) return tl::unexpected(cutoff.error());
  if (!*cutoff) return fail(Errc::kStore, "the user's cutoff is missing");
  JWTGUARD_TRY(store.delete_user(name, (*cutoff)->expires_at));
  JWTGUARD_TRY(record(store, action, name, change, detail_json(ended, change)));
  return ended;
}

Result<std::size_t> set_password(Store& store, const EndTokens& end, std::string_view name,
                                 std::string_view password_hash, const Change& change,
                                 std::string_view action, std::string_view keep_sid,
                                 std::string_view expected_hash) {
  JWTGUARD_TRY(must_exist(store, name));
  JWTGUARD_TRY(store.set_password(name, password_hash, expected_hash));
  JWTGUARD_ASSIGN_OR_RETURN(const std::size_t ended,
                            end_tokens(store, end, name, change, action, keep_sid));
  JWTGUARD_TRY(record(store, action, name, change, detail_json(ended, change)));
  return ended;
}

}  // namespace jwtguard::accounts
