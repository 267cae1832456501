// `fleetcast-server pack` refuses a disk whose Windows is already a clone
// (SYSTEM hive with Setup\CloneTag): resealing a clone corrupts it. Disks and
// hives are made in the test; the hive is placed with libntfs-3g.
#include <gtest/gtest.h>

#include "platform/ntfs_volume.h"
#include "tests/client/disk_builder.h"
#include "tests/client/hive_builder.h"
#include "tests/test_util.h"

namespace fleetcast {
namespace {

using testing::ProgramResult;

class ClonePackTest : public ::testing::Test {
 protected:
  // A GPT disk whose NTFS holds a Windows SYSTEM hive with or without CloneTag.
  std::string WindowsDisk(std::optional<std::string> clone_tag) {
    const std::string disk = testing::BuildDisk(dir_, testing::TableKind::kGpt);
    testing::WriteSystemHive(dir_ / "SYSTEM", {1, clone_tag});
    auto volume = NtfsVolume::Open(disk, testing::kNtfsOffset, testing::kNtfsSize, true);
    EXPECT_TRUE(volume.ok()) << volume.status().ToString();
    EXPECT_TRUE(
        (*volume)
            ->WriteFile("/WINDOWS/system32/config/SYSTEM", testing::ReadFileBytes(dir_ / "SYSTEM"))
            .ok());
    EXPECT_TRUE((*volume)->Close().ok());
    return disk;
  }
  static ProgramResult Pack(const std::string& disk, const std::string& out, bool force = false) {
    std::vector<std::string> args = {FLEETCAST_SERVER_BIN, "pack", disk, out};
    if (force) args.push_back("--force");
    return testing::RunProgram(args);
  }

  testing::TempDir dir_;
};

TEST_F(ClonePackTest, MasterPacks) {
  const ProgramResult r = Pack(WindowsDisk(std::nullopt), dir_ / "master.fcimg");
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(ClonePackTest, CloneIsRefusedUnlessForced) {
  const std::string disk = WindowsDisk("Mon Nov 02 10:11:12 2026");
  ProgramResult r = Pack(disk, dir_ / "clone.fcimg");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "fleetcast-server: error: " + disk +
                       " partition 1: its Windows is already a clone (SYSTEM\\Setup\\CloneTag = "
                       "\"Mon Nov 02 10:11:12 2026\"); resealing a clone corrupts its settings; "
                       "pack the master it was cloned from, or pass --force\n");
  EXPECT_FALSE(testing::FileExists(dir_ / "clone.fcimg"));
  r = Pack(disk, dir_ / "clone.fcimg", true);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("is a clone"), std::string::npos) << r.err;
  EXPECT_TRUE(testing::FileExists(dir_ / "clone.fcimg"));
}

}  // namespace
}  // namespace fleetcast
