// Directories other users must not read (util/private_dirs.h).
#include "util/private_dirs.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "testing/fixtures.h"

namespace jwtguard::util {
namespace {

namespace fs = std::filesystem;

class PrivateDirs : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("jwtguard-private-dirs-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directory(root_);
    old_umask_ = ::umask(022);
  }
  void TearDown() override {
    ::umask(old_umask_);
    std::error_code ignored;
    fs::permissions(root_, fs::perms::owner_all, ignored);
    fs::remove_all(root_, ignored);
  }

  static unsigned mode_of(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
    return st.st_mode & 07777;
  }

  fs::path root_;
  mode_t old_umask_ = 0;
};

TEST_F(PrivateDirs, CreatesEveryMissingLevelOwnerOnly) {
  const fs::path dir = root_ / "a" / "b" / "c";
  ASSERT_OK(create_private_directories(dir));
  for (const fs::path& p : {root_ / "a", root_ / "a" / "b", dir}) {
    EXPECT_TRUE(fs::is_directory(p)) << p;
    EXPECT_EQ(mode_of(p), 0700u) << p;
  }
}

TEST_F(PrivateDirs, TheUmaskStillApplies) {
  ::umask(0200);
  ASSERT_OK(create_private_directories(root_ / "masked"));
  EXPECT_EQ(mode_of(root_ / "masked"), 0500u);
}

TEST_F(PrivateDirs, ExistingDirectoriesAreLeftAsTheyAre) {
  const fs::path shared = root_ / "shared";
  ASSERT_EQ(::mkdir(shared.c_str(), 0755), 0);
  ASSERT_OK(create_private_directories(shared / "inner"));
  EXPECT_EQ(mode_of(shared), 0755u);
  EXPECT_EQ(mode_of(shared / "inner"), 0700u);
  // Asking again for what exists changes nothing and succeeds.
  ASSERT_OK(create_private_directories(shared));
  EXPECT_EQ(mode_of(shared), 0755u);
}

TEST_F(PrivateDirs, ARelativePathIsCreatedFromTheWorkingDirectory) {
  const fs::path before = fs::current_path();
  fs::current_path(root_);
  auto created = create_private_directories(fs::path("rel") / "dir");
  fs::current_path(before);
  ASSERT_OK(created);
  EXPECT_EQ(mode_of(root_ / "rel" / "dir"), 0700u);
}

TEST_F(PrivateDirs, AFileInTheWayIsAStoreErrorNamingThePath) {
  const fs::path file = root_ / "file";
  std::ofstream(file) << "x";
  auto r = create_private_directories(file / "sub");
  EXPECT_ERRC(r, Errc::kStore);
  EXPECT_NE(r.error().detail().find((file / "sub").string()), std::string::npos)
      << r.error().detail();
}

TEST_F(PrivateDirs, ANameTooLongIsAStoreErrorWithTheReason) {
  const fs::path parent = root_ / "p";
  const fs::path too_long = parent / std::string(300, 'x');
  auto r = create_private_directories(too_long / "y");
  EXPECT_ERRC(r, Errc::kStore);
  EXPECT_NE(r.error().detail().find(too_long.string()), std::string::npos) << r.error().detail();
  EXPECT_NE(r.error().detail().find("File name too long"), std::string::npos) << r.error().detail();
  // The levels above it were created before it failed, and stay.
  EXPECT_EQ(mode_of(parent), 0700u);
}

}  // namespace
}  // namespace jwtguard::util
