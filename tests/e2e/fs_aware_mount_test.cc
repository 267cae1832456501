// Filesystem-aware pack judged the way a booting machine judges it: the
// unpacked disk's ext4 mounts in the kernel and its NTFS in ntfs-3g, and
// every file reads back as in the source tree, modes, owners and symlinks
// included (tests/e2e/mounted_files.h). Root: loop devices and mounts.
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include "tests/client/disk_builder.h"
#include "tests/e2e/mounted_files.h"
#include "tests/e2e/used_disk.h"
#include "tests/test_util.h"

namespace fleetcast {
namespace {

using testing::ProgramResult;

class FsAwareMountTest : public ::testing::Test {
 protected:
  void SetUp() override {
    disk_ = testing::BuildUsedDisk(dir_);
    ASSERT_FALSE(disk_.path.empty());
  }
  // Packs disk with filesystem-aware packing and unpacks it; the raw path.
  std::string PackAndUnpack(const std::string& disk) {
    const std::string image = dir_ / "aware.fcimg";
    const std::string raw = dir_ / "unpacked.raw";
    ProgramResult r =
        testing::RunProgram({FLEETCAST_SERVER_BIN, "pack", disk, image, "--chunk-size", "64K"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "") << "no filesystem should be copied whole";
    r = testing::RunProgram({FLEETCAST_SERVER_BIN, "unpack", image, raw});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return raw;
  }

  // After the mounts: no loop device on disk, no mount under dir_, no mount
  // folder left.
  void ExpectNothingLeftMounted(const std::string& disk) {
    const ProgramResult loops = testing::RunProgram({"losetup", "--associated", disk});
    EXPECT_EQ(loops.exit_code, 0) << loops.err;
    EXPECT_EQ(loops.out, "");
    const Bytes mounts = testing::ReadFileBytes("/proc/self/mountinfo");
    EXPECT_EQ(std::string(mounts.begin(), mounts.end()).find(dir_.path()), std::string::npos);
    EXPECT_FALSE(testing::FileExists(dir_ / "mnt-ext"));
    EXPECT_FALSE(testing::FileExists(dir_ / "mnt-ntfs"));
  }

  testing::TempDir dir_;
  testing::UsedDisk disk_;
};

TEST_F(FsAwareMountTest, UnpackedFilesystemsMountWithEveryFileAsInTheSource) {
  const std::string raw = PackAndUnpack(disk_.path);
  // The free space was noise and is zeros now: the mounts read a disk that
  // differs from the source everywhere but in what the filesystems use.
  ASSERT_FALSE(testing::ReadFileBytes(raw) == testing::ReadFileBytes(disk_.path));
  ASSERT_NO_FATAL_FAILURE(testing::ExpectFilesystemsIntact(dir_, raw, disk_));
  ASSERT_NO_FATAL_FAILURE(testing::ExpectMountedFilesEqual(dir_, raw, disk_));
  ExpectNothingLeftMounted(raw);
}

// The check is not vacuous: a mode bit changed in the ext4 and a file's
// bytes changed in the NTFS (same size) are both caught, and the mounts are
// cleaned up after the failures.
TEST_F(FsAwareMountTest, MountedCheckCatchesAChangedModeAndAChangedFile) {
  const std::string changed = dir_ / "changed.img";
  testing::WriteFileBytes(changed, testing::ReadFileBytes(disk_.path));
  const std::string ext = dir_ / "ext.part";
  ASSERT_TRUE(testing::ExtractPartition(changed, testing::kExtOffset, testing::kExtSize, ext));
  testing::RunTool({"debugfs", "-w", "-R", "sif /run.sh mode 0100644", ext});
  ASSERT_TRUE(testing::InsertPartition(ext, changed, testing::kExtOffset));
  const std::string ntfs = dir_ / "ntfs.part";
  ASSERT_TRUE(testing::ExtractPartition(changed, testing::kNtfsOffset, testing::kNtfsSize, ntfs));
  const Bytes& hello = disk_.ntfs_files.at("/hello.txt");
  testing::WriteFileBytes(dir_ / "hello.txt", Bytes(hello.size(), 'x'));
  testing::RunTool({"ntfscp", "-q", "-f", ntfs, dir_ / "hello.txt", "/hello.txt"});
  ASSERT_TRUE(testing::InsertPartition(ntfs, changed, testing::kNtfsOffset));

  ::testing::TestPartResultArray failures;
  {
    const ::testing::ScopedFakeTestPartResultReporter reporter(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &failures);
    testing::ExpectMountedFilesEqual(dir_, changed, disk_);
  }
  std::string messages;
  for (int i = 0; i < failures.size(); ++i) {
    messages += failures.GetTestPartResult(i).message() + std::string("\n---\n");
  }
  ASSERT_EQ(failures.size(), 2) << messages;
  EXPECT_NE(messages.find("\"/run.sh\", \"file size 25 mode 0644 "), std::string::npos) << messages;
  EXPECT_NE(messages.find("NTFS /hello.txt differs when mounted"), std::string::npos) << messages;
  ExpectNothingLeftMounted(changed);
}

}  // namespace
}  // namespace fleetcast
