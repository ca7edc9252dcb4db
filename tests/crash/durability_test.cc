// Every write a store acknowledges is on the disk before the call returns.
//
// The crash test cannot tell: a SIGKILLed process leaves the pages it wrote
// in the operating system's cache, which writes them out later, fsync or
// not. So this test watches SQLite's own I/O instead: a VFS wrapped around
// the default one, registered as the default for this process, sees every
// write to a write-ahead log and every sync of it. After each acknowledged
// write, the WAL must have been written and then synced, with nothing
// written since the last sync. synchronous=NORMAL (WAL synced only at
// checkpoints) or OFF fails it; only FULL passes.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>

#include "jwtguard/store.h"

namespace jwtguard {
namespace {

// What the WAL files of this process have seen.
struct WalIo {
  std::uint64_t writes = 0;
  std::uint64_t syncs = 0;
  bool unsynced = false;  // written since its last sync
};

std::mutex io_mu;
WalIo io;

WalIo wal_io() {
  std::lock_guard lock(io_mu);
  return io;
}

sqlite3_vfs* real_vfs = nullptr;

// Our file: the real VFS's file follows it in the same allocation.
struct ProbeFile {
  sqlite3_file base;
  sqlite3_file* real;
  bool wal;
};

sqlite3_file* real_of(sqlite3_file* f) { return reinterpret_cast<ProbeFile*>(f)->real; }

int probe_close(sqlite3_file* f) { return real_of(f)->pMethods->xClose(real_of(f)); }
int probe_read(sqlite3_file* f, void* buf, int n, sqlite3_int64 at) {
  return real_of(f)->pMethods->xRead(real_of(f), buf, n, at);
}
int probe_write(sqlite3_file* f, const void* buf, int n, sqlite3_int64 at) {
  const int rc = real_of(f)->pMethods->xWrite(real_of(f), buf, n, at);
  if (reinterpret_cast<ProbeFile*>(f)->wal && rc == SQLITE_OK) {
    std::lock_guard lock(io_mu);
    ++io.writes;
    io.unsynced = true;
  }
  return rc;
}
int probe_truncate(sqlite3_file* f, sqlite3_int64 size) {
  return real_of(f)->pMethods->xTruncate(real_of(f), size);
}
int probe_sync(sqlite3_file* f, int flags) {
  const int rc = real_of(f)->pMethods->xSync(real_of(f), flags);
  if (reinterpret_cast<ProbeFile*>(f)->wal && rc == SQLITE_OK) {
    std::lock_guard lock(io_mu);
    ++io.syncs;
    io.unsynced = false;
  }
  return rc;
}
int probe_file_size(sqlite3_file* f, sqlite3_int64* size) {
  return real_of(f)->pMethods->xFileSize(real_of(f), size);
}
int probe_lock(sqlite3_file* f, int level) {
  return real_of(f)->pMethods->xLock(real_of(f), level);
}
int probe_unlock(sqlite3_file* f, int level) {
  return real_of(f)->pMethods->xUnlock(real_of(f), level);
}
int probe_check_reserved(sqlite3_file* f, int* out) {
  return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out);
}
int probe_file_control(sqlite3_file* f, int op, void* arg) {
  return real_of(f)->pMethods->xFileControl(real_of(f), op, arg);
}
int probe_sector_size(sqlite3_file* f) { return real_of(f)->pMethods->xSectorSize(real_of(f)); }
int probe_device(sqlite3_file* f) {
  return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f));
}
int probe_shm_map(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
  return real_of(f)->pMethods->xShmMap(real_of(f), page, size, extend, out);
}
int probe_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  return real_of(f)->pMethods->xShmLock(real_of(f), offset, n, flags);
}
void probe_shm_barrier(sqlite3_file* f) { real_of(f)->pMethods->xShmBarrier(real_of(f)); }
int probe_shm_unmap(sqlite3_file* f, int remove) {
  return real_of(f)->pMethods->xShmUnmap(real_of(f), remove);
}
int probe_fetch(sqlite3_file* f, sqlite3_int64 at, int n, void** out) {
  return real_of(f)->pMethods->xFetch(real_of(f), at, n, out);
}
int probe_unfetch(sqlite3_file* f, sqlite3_int64 at, void* p) {
  return real_of(f)->pMethods->xUnfetch(real_of(f), at, p);
}

const sqlite3_io_methods kProbeMethods = {
    3,
    probe_close,
    probe_read,
    probe_write,
    probe_truncate,
    probe_sync,
    probe_file_size,
    probe_lock,
    probe_unlock,
    probe_check_reserved,
    probe_file_control,
    probe_sector_size,
    probe_device,
    probe_shm_map,
    probe_shm_lock,
    probe_shm_barrier,
    probe_shm_unmap,
    probe_fetch,
    probe_unfetch,
};

int probe_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  auto* probe = reinterpret_cast<ProbeFile*>(f);
  probe->real = reinterpret_cast<sqlite3_file*>(probe + 1);
  probe->wal = (flags & SQLITE_OPEN_WAL) != 0;
  const int rc = real_vfs->xOpen(real_vfs, name, probe->real, flags, out_flags);
  // SQLite calls xClose only on a file whose pMethods is set.
  probe->base.pMethods = probe->real->pMethods != nullptr ? &kProbeMethods : nullptr;
  return rc;
}

// The default VFS with our xOpen; every other method is the real one (they
// take the VFS only for its pAppData, which is copied).
sqlite3_vfs probe_vfs;

void register_probe() {
  real_vfs = sqlite3_vfs_find(nullptr);
  ASSERT_NE(real_vfs, nullptr);
  ASSERT_GE(real_vfs->iVersion, 1);
  probe_vfs = *real_vfs;
  probe_vfs.szOsFile = static_cast<int>(sizeof(ProbeFile)) + real_vfs->szOsFile;
  probe_vfs.zName = "jwtguard-durability-probe";
  probe_vfs.pNext = nullptr;
  probe_vfs.xOpen = probe_open;
  ASSERT_EQ(sqlite3_vfs_register(&probe_vfs, /*makeDflt=*/1), SQLITE_OK);
}

using std::chrono::hours;
const Timestamp kNow = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());

class DurabilityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    register_probe();
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("jwtguard-durability-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    auto store = open_sqlite_store((dir_ / "jwtguard.db").string());
    ASSERT_TRUE(store.has_value()) << store.error().message();
    store_ = std::move(*store);
  }

  void TearDown() override {
    store_.reset();
    sqlite3_vfs_unregister(&probe_vfs);
    std::filesystem::remove_all(dir_);
  }

  // Runs one acknowledged write and checks that the WAL was written and
  // synced before it returned, with nothing left unsynced.
  template <typename Write>
  void expect_durable(const char* what, Write write) {
    const WalIo before = wal_io();
    write();
    const WalIo after = wal_io();
    EXPECT_GT(after.writes, before.writes) << what << ": nothing written to the WAL";
    EXPECT_GT(after.syncs, before.syncs) << what << ": the WAL was not synced before returning";
    EXPECT_FALSE(after.unsynced) << what << ": WAL pages written after its last sync";
  }

  static Revocation revocation(RevocationKind kind, std::string key) {
    Revocation r;
    r.kind = kind;
    r.key = std::move(key);
    r.user = "alice";
    r.revoked_at = kNow;
    r.expires_at = kNow + hours(1);
    if (kind == RevocationKind::kUser) r.cutoff = kNow;
    return r;
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(DurabilityTest, EveryAcknowledgedWriteIsSyncedToTheWalBeforeItReturns) {
  expect_durable("create_user", [&] {
    ASSERT_TRUE(store_->create_user(User{.name = "alice", .password_hash = "h", .created_at = kNow})
                    .has_value());
  });
  expect_durable("set_admin", [&] { ASSERT_TRUE(store_->set_admin("alice", true).has_value()); });
  expect_durable("create_session", [&] {
    ASSERT_TRUE(store_
                    ->create_session(Session{.sid = "s1",
                                             .user = "alice",
                                             .created_at = kNow,
                                             .refreshed_at = kNow,
                                             .expires_at = kNow + hours(24),
                                             .refresh_jti = "r0"})
                    .has_value());
  });
  expect_durable("rotate_refresh", [&] {
    auto rotated = store_->rotate_refresh("s1", "r0", "r1", kNow, kNow + hours(24));
    ASSERT_TRUE(rotated.has_value());
    EXPECT_EQ(*rotated, Rotation::kRotated);
  });
  expect_durable("revoke (token)", [&] {
    ASSERT_TRUE(store_->revoke(revocation(RevocationKind::kToken, "jti-1")).has_value());
  });
  expect_durable("revoke (user)", [&] {
    ASSERT_TRUE(store_->revoke(revocation(RevocationKind::kUser, "alice")).has_value());
  });
  expect_durable("unrevoke", [&] {
    ASSERT_TRUE(store_->unrevoke(RevocationKind::kToken, "jti-1", kNow).has_value());
  });
  expect_durable("revoke_session", [&] {
    ASSERT_TRUE(store_->revoke_session(revocation(RevocationKind::kSession, "s1")).has_value());
  });
}

}  // namespace
}  // namespace jwtguard
