// A user's own account: a new password, a fresh token by re-entering it,
// and deleting the account. Each needs the password as well as the token, so
// that a stolen access token alone changes nothing; changing and deleting
// also need a fresh token (Flask-JWT-Extended's fresh_jwt_required).
#include "jwtguard/password.h"
#include "service_impl.h"

namespace jwtguard::server {

// The token, still unrevoked now that the store's latest changes are in the
// index (a password check takes ~0.1 s; another instance may have ended the
// token meanwhile).
Step<void> ServiceImpl::still_valid(const Request& request, const Claims& claims) const {
  if (auto synced = guard_.sync(); !synced) return tl::unexpected(failure(request, synced.error()));
  if (auto valid = guard_.check_revocation(claims); !valid) {
    return tl::unexpected(errors_.for_error(request, valid.error()));
  }
  return {};
}

Step<ServiceImpl::Confirmed> ServiceImpl::confirm(const Request& request, const Peer& peer,
                                                  Outcome& outcome, bool fresh,
                                                  std::string_view member,
                                                  const BodyCheck& before) const {
  auto token = authenticate_user(request, {.fresh = fresh}, outcome);
  if (!token) return tl::unexpected(std::move(token.error()));
  auto body = json_body(request);
  if (!body) return tl::unexpected(std::move(body.error()));
  auto password = string_member(request, *body, member);
  if (!password) return tl::unexpected(std::move(password.error()));
  if (before) {
    if (auto checked = before(*body); !checked) return tl::unexpected(std::move(checked.error()));
  }
  auto user = check_password(request, token->claims.sub, *password, peer);
  if (!user) return tl::unexpected(std::move(user.error()));
  // The check took a while: a reset, disable or logout that landed meanwhile
  // (on any instance) has ended this token, and then nothing changes.
  if (auto still = still_valid(request, token->claims); !still) {
    return tl::unexpected(std::move(still.error()));
  }
  return Confirmed{std::move(token->claims), std::move(*user), std::move(*body)};
}

Response ServiceImpl::change_password(const Request& request, const Peer& peer,
                                      Outcome& outcome) const {
  std::string next;
  // The new password's rules before the current one is checked: a refused
  // new password costs no attempt and no hash.
  auto rules = [&](const nlohmann::json& body) -> Step<void> {
    auto member = string_member(request, body, "new_password");
    if (!member) return tl::unexpected(std::move(member.error()));
    next = std::move(*member);
    if (auto rule = check_new_password(next, options_.min_password_length); !rule) {
      return tl::unexpected(
          errors_.make(request, ServiceError::kBadRequest, rule.error().detail()));
    }
    return {};
  };
  auto confirmed = confirm(request, peer, outcome, /*fresh=*/true, "current_password", rules);
  if (!confirmed) return std::move(confirmed.error());
  const Claims& claims = confirmed->claims;
  auto hash = new_password_hash(request, next);
  if (!hash) return std::move(hash.error());
  auto ended = accounts::set_password(store_, end_tokens(), claims.sub, *hash,
                                      {.actor = claims.sub, .now = clock_.now(), .reason = {}},
                                      accounts::kChange, claims.sid, confirmed->user.password_hash);
  // Another change (a reset, a disable, the user's own from elsewhere) came
  // first: the current password checked above is no longer the password.
  if (!ended && ended.error().code() == Errc::kRevoked) {
    return errors_.make(request, ServiceError::kBadCredentials);
  }
  if (!ended) return failure(request, ended.error());
  nlohmann::json reply = {{"msg", "Password changed"}, {"sessions_ended", *ended}};
  // Every token the user held has just been ended, this session's too: it
  // goes on with a new pair.
  auto renewed = guard_.renew_session(claims);
  if (!renewed) {
    // The password did change; only this session could not go on (it ended
    // meanwhile, or the store failed): the client logs in again.
    reply["msg"] = "Password changed. Log in again";
    return ok(request, reply);
  }
  // A change that landed after ours (another reset, a disable) ends the
  // pair just issued.
  User changed = confirmed->user;
  changed.password_hash = std::move(*hash);
  auto unchanged = account_unchanged(request, changed, [&] {
    return guard_.revoke_session(claims.sid, {.revoked_by = "password-change",
                                              .reason = "account changed during the change"});
  });
  if (!unchanged) return std::move(unchanged.error());
  if (outcome.by_cookie) {
    outcome.set_cookies = http_.pair_cookies(renewed->access, renewed->refresh);
    reply["expires_in"] = options_.access_ttl.count();
  } else {
    reply.update(tokens_json(renewed->access, &renewed->refresh, options_.access_ttl));
  }
  return ok(request, reply);
}

Response ServiceImpl::fresh_login(const Request& request, const Peer& peer,
                                  Outcome& outcome) const {
  auto confirmed = confirm(request, peer, outcome, /*fresh=*/false, "password");
  if (!confirmed) return std::move(confirmed.error());
  auto fresh = guard_.fresh_access(confirmed->claims);
  if (!fresh) return failure(request, fresh.error());
  auto unchanged = account_unchanged(request, confirmed->user, [&] {
    return guard_.revoke_jti(fresh->jti, {.revoked_by = "fresh-login",
                                          .reason = "account changed during the fresh login"});
  });
  if (!unchanged) return std::move(unchanged.error());
  if (outcome.by_cookie) {
    // The CSRF value stays the session's: the access cookie alone changes.
    outcome.set_cookies = {http_.access_cookies(*fresh).front()};
    return ok(request, {{"msg", "Fresh access token set in a cookie"},
                        {"expires_in", options_.access_ttl.count()}});
  }
  return ok(request, tokens_json(*fresh, nullptr, options_.access_ttl));
}

Response ServiceImpl::delete_account(const Request& request, const Peer& peer,
                                     Outcome& outcome) const {
  auto confirmed = confirm(request, peer, outcome, /*fresh=*/true, "password");
  if (!confirmed) return std::move(confirmed.error());
  const std::string& name = confirmed->claims.sub;
  auto ended =
      accounts::remove(store_, end_tokens(), name,
                       {.actor = name, .now = clock_.now(), .reason = {}}, accounts::kDeleteOwn);
  if (!ended) return failure(request, ended.error());
  return ok(request, {{"msg", "Account deleted"}, {"sessions_ended", *ended}});
}

}  // namespace jwtguard::server
