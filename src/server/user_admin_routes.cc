// Accounts, for admins: list users, disable, enable, delete, reset a
// password, and the audit log of every account change. Changes are made by
// accounts.h, as the command line makes them.
#include "auth/user_name.h"
#include "jose/base64url.h"
#include "jwtguard/password.h"
#include "service_impl.h"

namespace jwtguard::server {
namespace {

constexpr std::size_t kMaxReasonSize = 512;

nlohmann::json optional_time(const std::optional<Timestamp>& at) {
  return at ? nlohmann::json(to_unix_seconds(*at)) : nlohmann::json(nullptr);
}

nlohmann::json user_json(const UserSummary& entry) {
  const User& user = entry.user;
  return {{"username", user.name},
          {"admin", user.admin},
          {"disabled", user.disabled},
          {"created_at", to_unix_seconds(user.created_at)},
          {"last_login_at", optional_time(user.last_login_at)},
          {"sessions", entry.sessions}};
}

nlohmann::json audit_json(const AuditEvent& event) {
  nlohmann::json detail = nlohmann::json::parse(event.detail, nullptr, false);
  if (detail.is_discarded()) detail = nlohmann::json::object();
  return {{"id", event.id},           {"at", to_unix_seconds(event.at)},
          {"actor", event.actor},     {"action", event.action},
          {"subject", event.subject}, {"detail", std::move(detail)}};
}

// GET /admin/users's cursor: the last name of the previous page, as
// base64url, so that any name (with '+', '%', bytes that are not UTF-8)
// survives the trip through a JSON body and a query string.
std::string user_cursor(std::string_view name) {
  return name.empty() ? std::string() : base64url::encode(name);
}

}  // namespace

// The admin's reason, from an optional JSON body {"reason": "..."}.
Step<std::string> ServiceImpl::optional_reason(const Request& request) const {
  if (request.body().empty()) return std::string();
  auto body = json_body(request);
  if (!body) return tl::unexpected(std::move(body.error()));
  auto reason = body->find("reason");
  if (reason == body->end()) return std::string();
  if (!reason->is_string() || reason->get_ref<const std::string&>().size() > kMaxReasonSize) {
    return tl::unexpected(errors_.make(request, ServiceError::kBadRequest,
                                       "'reason' must be a string of at most 512 bytes"));
  }
  return reason->get<std::string>();
}

// The failure of an account change: 404 "No such user" for kNotFound.
Response ServiceImpl::account_failure(const Request& request, const Error& error) const {
  if (error.code() == Errc::kNotFound) {
    return errors_.make(request, ServiceError::kNotFound, "No such user");
  }
  return failure(request, error);
}

Response ServiceImpl::list_users(const Request& request, Outcome& outcome) const {
  auto admin = authenticate_admin(request, outcome);
  if (!admin) return std::move(admin.error());
  const std::string_view query = target_query(request.target());
  auto limit = query_limit(query, 100);
  if (!limit) return errors_.make(request, ServiceError::kBadRequest, limit.error());
  UserFilter filter{.limit = *limit, .cursor = {}, .now = clock_.now()};
  if (query.find("cursor=") != std::string_view::npos) {
    auto cursor = form_value(query, "cursor");
    auto name = cursor ? base64url::decode(*cursor) : std::nullopt;
    if (!name) return errors_.make(request, ServiceError::kBadRequest, "Bad 'cursor'");
    filter.cursor = std::move(*name);
  }
  auto page = store_.list_users(filter);
  if (!page) return failure(request, page.error());
  nlohmann::json users = nlohmann::json::array();
  for (const UserSummary& entry : page->entries) users.push_back(user_json(entry));
  return ok(request,
            {{"users", std::move(users)}, {"next_cursor", user_cursor(page->next_cursor)}});
}

Response ServiceImpl::set_user_disabled(const Request& request, const std::string& name,
                                        bool disabled, Outcome& outcome) const {
  auto admin = authenticate_admin(request, outcome);
  if (!admin) return std::move(admin.error());
  auto reason = optional_reason(request);
  if (!reason) return std::move(reason.error());
  if (!valid_user_name(name)) return account_failure(request, Error(Errc::kNotFound));
  const accounts::Change change{.actor = admin->claims.sub, .now = clock_.now(), .reason = *reason};
  if (!disabled) {
    if (auto enabled = accounts::enable(store_, name, change); !enabled) {
      return account_failure(request, enabled.error());
    }
    return ok(request, {{"msg", "User enabled"}, {"username", name}});
  }
  auto ended = accounts::disable(store_, end_tokens(), name, change);
  if (!ended) return account_failure(request, ended.error());
  return ok(request, {{"msg", "User disabled"}, {"username", name}, {"sessions_ended", *ended}});
}

Response ServiceImpl::delete_user(const Request& request, const std::string& name,
                                  Outcome& outcome) const {
  // A fresh token, as for a user's own deletion: a stolen admin access token
  // alone deletes nobody.
  auto admin = authenticate_admin(request, outcome, /*fresh=*/true);
  if (!admin) return std::move(admin.error());
  auto reason = optional_reason(request);
  if (!reason) return std::move(reason.error());
  if (!valid_user_name(name)) return account_failure(request, Error(Errc::kNotFound));
  const accounts::Change change{.actor = admin->claims.sub, .now = clock_.now(), .reason = *reason};
  auto ended = accounts::remove(store_, end_tokens(), name, change, accounts::kDelete);
  if (!ended) return account_failure(request, ended.error());
  return ok(request, {{"msg", "User deleted"}, {"username", name}, {"sessions_ended", *ended}});
}

Response ServiceImpl::reset_password(const Request& request, const std::string& name,
                                     Outcome& outcome) const {
  // A fresh token: a stolen admin access token alone takes over no account.
  auto admin = authenticate_admin(request, outcome, /*fresh=*/true);
  if (!admin) return std::move(admin.error());
  auto body = json_body(request);
  if (!body) return std::move(body.error());
  auto password = string_member(request, *body, "new_password");
  if (!password) return std::move(password.error());
  if (!valid_user_name(name)) return account_failure(request, Error(Errc::kNotFound));
  // An unknown user costs no hash.
  auto user = store_.find_user(name);
  if (!user) return failure(request, user.error());
  if (!*user) return account_failure(request, Error(Errc::kNotFound));
  auto hash = new_password_hash(request, *password);
  if (!hash) return std::move(hash.error());
  const accounts::Change change{.actor = admin->claims.sub, .now = clock_.now(), .reason = {}};
  auto ended = accounts::set_password(store_, end_tokens(), name, *hash, change, accounts::kReset);
  if (!ended) return account_failure(request, ended.error());
  return ok(request, {{"msg", "Password reset"}, {"username", name}, {"sessions_ended", *ended}});
}

Response ServiceImpl::list_audit(const Request& request, Outcome& outcome) const {
  auto admin = authenticate_admin(request, outcome);
  if (!admin) return std::move(admin.error());
  const std::string_view query = target_query(request.target());
  auto limit = query_limit(query, 100);
  if (!limit) return errors_.make(request, ServiceError::kBadRequest, limit.error());
  AuditFilter filter{.limit = *limit, .cursor = {}, .subject = {}};
  if (auto cursor = form_value(query, "cursor")) filter.cursor = *cursor;
  if (query.find("user=") != std::string_view::npos) {
    auto subject = form_value(query, "user");
    if (!subject) return errors_.make(request, ServiceError::kBadRequest, "Bad 'user'");
    filter.subject = std::move(*subject);
  }
  auto page = store_.list_audit(filter);
  if (!page) return failure(request, page.error());
  nlohmann::json events = nlohmann::json::array();
  for (const AuditEvent& event : page->entries) events.push_back(audit_json(event));
  return ok(request, {{"events", std::move(events)}, {"next_cursor", page->next_cursor}});
}

}  // namespace jwtguard::server
