// The store contract (store_contract.h) run against the in-process
// backends: memory and SQLite. Redis and PostgreSQL run it in their own
// programs, next to the servers they start.
#include "stores/store_contract.h"

#include <filesystem>

#include "stores/account_contract.h"
#include "stores/namespaced_key_contract.h"
#include "stores/snapshot_contract.h"
#include "stores/status_contract.h"

namespace jwtguard {
namespace {

struct MemoryBackend {
  std::unique_ptr<Store> open() { return open_memory_store(); }
};

struct SqliteBackend {
  testing::ScratchDir dir;
  // A directory that does not exist yet: opening creates it.
  std::string db() const { return (dir.path() / "sub" / "jwtguard.db").string(); }
  std::unique_ptr<Store> open() {
    auto store = open_sqlite_store(db());
    EXPECT_TRUE(store.has_value()) << store.error().message();
    return store ? std::move(*store) : nullptr;
  }
};

INSTANTIATE_TYPED_TEST_SUITE_P(Memory, StoreContractTest, MemoryBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(Memory, SnapshotContractTest, MemoryBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(Memory, NamespacedKeyContractTest, MemoryBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, StoreContractTest, SqliteBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, SnapshotContractTest, SqliteBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, NamespacedKeyContractTest, SqliteBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, DurableStoreTest, SqliteBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(Memory, AccountContractTest, MemoryBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, AccountContractTest, SqliteBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, DurableAccountTest, SqliteBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(Memory, StatusContractTest, MemoryBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, StatusContractTest, SqliteBackend);

TEST(OpenStore, Urls) {
  EXPECT_OK(open_store("memory:"));
  EXPECT_ERRC(open_store("sqlite:"), Errc::kInvalidArgument);
  EXPECT_ERRC(open_store("mysql://localhost"), Errc::kInvalidArgument);
  EXPECT_ERRC(open_store(""), Errc::kInvalidArgument);
  testing::ScratchDir dir;
  const std::string db = (dir.path() / "sub" / "jwtguard.db").string();
  auto store = open_store("sqlite:" + db);
  ASSERT_OK(store);
  EXPECT_TRUE(std::filesystem::exists(db));
}

}  // namespace
}  // namespace jwtguard
