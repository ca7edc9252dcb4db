// A Store that hands every call to another one: a test derives from it and
// overrides the one or two calls it wants to fail, delay or watch.
#ifndef JWTGUARD_TESTS_TESTING_FORWARDING_STORE_H_
#define JWTGUARD_TESTS_TESTING_FORWARDING_STORE_H_

#include "jwtguard/store.h"

namespace jwtguard::testing {

class ForwardingStore : public Store {
 public:
  explicit ForwardingStore(Store& inner) : inner_(inner) {}

 protected:
  using seconds = std::chrono::seconds;
  using milliseconds = std::chrono::milliseconds;

  Result<std::uint64_t> do_revoke(const Revocation& r) override { return inner_.revoke(r); }
  Result<bool> do_unrevoke(RevocationKind k, std::string_view key, Timestamp now) override {
    return inner_.unrevoke(k, key, now);
  }
  Result<std::optional<Revocation>> do_find_revocation(RevocationKind k,
                                                       std::string_view key) override {
    return inner_.find_revocation(k, key);
  }
  Result<RevocationPage> do_list_revocations(const RevocationFilter& f,
                                             std::optional<std::int64_t>) override {
    return inner_.list_revocations(f);
  }
  Result<Snapshot> do_snapshot(Timestamp now) override { return inner_.snapshot(now); }
  Result<ChangeBatch> do_changes_since(std::uint64_t after, std::size_t limit,
                                       milliseconds wait) override {
    return inner_.changes_since(after, limit, wait);
  }
  Result<std::size_t> do_purge(Timestamp now, seconds retention) override {
    return inner_.purge(now, retention);
  }
  Result<void> do_create_session(const Session& s) override { return inner_.create_session(s); }
  Result<std::optional<Session>> do_find_session(std::string_view sid) override {
    return inner_.find_session(sid);
  }
  Result<std::vector<Session>> do_list_sessions(std::string_view user, Timestamp now) override {
    return inner_.list_sessions(user, now);
  }
  Result<Rotation> do_rotate_refresh(std::string_view sid, std::string_view presented,
                                     std::string_view next, Timestamp now,
                                     Timestamp expires) override {
    return inner_.rotate_refresh(sid, presented, next, now, expires);
  }
  Result<std::uint64_t> do_revoke_session(const Revocation& r) override {
    return inner_.revoke_session(r);
  }
  Result<void> do_create_user(const User& u) override { return inner_.create_user(u); }
  Result<std::optional<User>> do_find_user(std::string_view name) override {
    return inner_.find_user(name);
  }
  Result<void> do_set_admin(std::string_view name, bool admin) override {
    return inner_.set_admin(name, admin);
  }
  Result<std::vector<User>> do_list_users() override { return inner_.list_users(); }
  Result<void> do_set_password(std::string_view name, std::string_view hash,
                               std::string_view expected) override {
    return inner_.set_password(name, hash, expected);
  }
  Result<void> do_set_disabled(std::string_view name, bool disabled) override {
    return inner_.set_disabled(name, disabled);
  }
  Result<void> do_delete_user(std::string_view name, Timestamp until) override {
    return inner_.delete_user(name, until);
  }
  Result<UserPage> do_list_user_page(const UserFilter& f) override { return inner_.list_users(f); }
  Result<std::uint64_t> do_append_audit(const AuditEvent& e) override {
    return inner_.append_audit(e);
  }
  Result<AuditPage> do_list_audit(const AuditFilter& f, std::optional<std::uint64_t>) override {
    return inner_.list_audit(f);
  }
  Result<Timestamp> do_raise_token_horizon(Timestamp at) override {
    return inner_.raise_token_horizon(at);
  }
  Result<Hits> do_lookup(std::string_view jti, std::string_view sid,
                         std::string_view user) override {
    return inner_.lookup(jti, sid, user);
  }
  Result<void> do_ping() override { return inner_.ping(); }
  Result<std::vector<StatusRef>> do_allocate_status(const std::vector<StatusEntry>& entries,
                                                    const StatusListSpec& spec) override {
    return inner_.allocate_status(entries, spec);
  }
  Result<std::optional<StatusListState>> do_find_status_list(std::uint64_t id) override {
    return inner_.find_status_list(id);
  }

  Store& inner_;
};

}  // namespace jwtguard::testing

#endif  // JWTGUARD_TESTS_TESTING_FORWARDING_STORE_H_
