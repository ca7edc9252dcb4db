// A typed test suite every store must pass for the revocation keys of
// trusted issuers' tokens (jwtguard/revocation.h, revocation_key): a
// namespace, U+001F and an id, held, found, fed, listed and removed byte
// for byte, and never confused with the bare id. Include after
// store_contract.h and instantiate as it says:
//   INSTANTIATE_TYPED_TEST_SUITE_P(My, NamespacedKeyContractTest, MyBackend);
#ifndef JWTGUARD_TESTS_STORES_NAMESPACED_KEY_CONTRACT_H_
#define JWTGUARD_TESTS_STORES_NAMESPACED_KEY_CONTRACT_H_

#include "stores/store_contract.h"

namespace jwtguard {
namespace {

template <typename Backend>
class NamespacedKeyContractTest : public StoreContractTest<Backend> {};
TYPED_TEST_SUITE_P(NamespacedKeyContractTest);

TYPED_TEST_P(NamespacedKeyContractTest, KeysWithTheSeparatorAreKeysLikeAnyOther) {
  Store& store = *this->store_;
  const std::string jti = revocation_key("https://idp.example", "j1");
  const std::string sid = revocation_key("idp", "s1");
  const std::string user = subject_key("idp", "alice");
  ASSERT_EQ(jti, std::string("https://idp.example\x1f") + "j1");
  auto start = store.snapshot(kNow);
  ASSERT_OK(start);

  ASSERT_OK(store.revoke(token_revocation(jti)));
  Revocation session = token_revocation(sid);
  session.kind = RevocationKind::kSession;
  ASSERT_OK(store.revoke_session(session));
  ASSERT_OK(store.revoke(user_revocation(user, kNow + seconds(1))));

  auto hits = store.lookup(jti, sid, user);
  ASSERT_OK(hits);
  EXPECT_TRUE(hits->token);
  EXPECT_TRUE(hits->session);
  EXPECT_EQ(hits->cutoff, kNow + seconds(1));
  // The bare ids are other keys.
  auto bare = store.lookup("j1", "s1", "alice");
  ASSERT_OK(bare);
  EXPECT_FALSE(bare->token || bare->session || bare->cutoff);

  auto batch = store.changes_since(start->seq, 100, milliseconds(0));
  ASSERT_OK(batch);
  std::set<std::string> fed;
  for (const Change& c : batch->changes) fed.insert(c.key);
  EXPECT_EQ(fed, (std::set<std::string>{jti, sid, user}));
  auto snapshot = store.snapshot(kNow);
  ASSERT_OK(snapshot);
  std::set<std::string> held;
  for (const Change& c : snapshot->entries) held.insert(c.key);
  EXPECT_EQ(held, fed);
  auto listed = store.list_revocations({.kind = RevocationKind::kUser, .user = user});
  ASSERT_OK(listed);
  ASSERT_EQ(listed->entries.size(), 1u);
  EXPECT_EQ(listed->entries[0].key, user);

  auto removed = store.unrevoke(RevocationKind::kToken, jti, kNow);
  ASSERT_OK(removed);
  EXPECT_TRUE(*removed);
  auto found = store.find_revocation(RevocationKind::kToken, jti);
  ASSERT_OK(found);
  EXPECT_FALSE(found->has_value());
}

REGISTER_TYPED_TEST_SUITE_P(NamespacedKeyContractTest, KeysWithTheSeparatorAreKeysLikeAnyOther);

}  // namespace
}  // namespace jwtguard

#endif  // JWTGUARD_TESTS_STORES_NAMESPACED_KEY_CONTRACT_H_
