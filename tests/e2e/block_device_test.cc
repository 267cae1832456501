// pack from and unpack to real block devices: loop devices over files in a
// temporary folder, detached at the end.
#include <gtest/gtest.h>

#include "tests/core/image_builder.h"
#include "tests/test_util.h"

namespace fleetcast {
namespace {

using testing::ProgramResult;

constexpr uint32_t kChunk = 64 * 1024;

using testing::LoopDevice;

class BlockDeviceTest : public ::testing::Test {
 protected:
  static ProgramResult Server(std::vector<std::string> args) {
    args.insert(args.begin(), FLEETCAST_SERVER_BIN);
    return testing::RunProgram(args);
  }

  testing::TempDir dir_;
};

TEST_F(BlockDeviceTest, PacksFromAndUnpacksToBlockDevices) {
  const Bytes raw = testing::SampleDisk(32 * kChunk, kChunk);
  testing::WriteFileBytes(dir_ / "src.raw", raw);
  // The target starts non-zero, so zero chunks must really be written.
  testing::WriteFileBytes(dir_ / "dst.raw", Bytes(40 * kChunk, 0xaa));
  LoopDevice src(dir_ / "src.raw");
  LoopDevice dst(dir_ / "dst.raw");
  ASSERT_NE(src.path(), "") << "losetup: " << src.error();
  ASSERT_NE(dst.path(), "") << "losetup: " << dst.error();

  ProgramResult pack = Server({"pack", src.path(), dir_ / "d.fcimg", "--chunk-size", "64K"});
  ASSERT_EQ(pack.exit_code, 0) << pack.err;
  ProgramResult unpack = Server({"unpack", dir_ / "d.fcimg", dst.path()});
  ASSERT_EQ(unpack.exit_code, 0) << unpack.err;

  Bytes disk = testing::ReadFileBytes(dir_ / "dst.raw");
  EXPECT_EQ(Bytes(disk.begin(), disk.begin() + static_cast<long>(raw.size())), raw);
  EXPECT_EQ(disk.back(), 0xaa);  // past the image: untouched
}

TEST_F(BlockDeviceTest, RefusesADiskTooSmall) {
  testing::WriteFileBytes(dir_ / "src.raw", testing::SampleDisk(32 * kChunk, kChunk));
  testing::WriteFileBytes(dir_ / "dst.raw", Bytes(16 * kChunk, 0));
  LoopDevice dst(dir_ / "dst.raw");
  ASSERT_NE(dst.path(), "") << "losetup: " << dst.error();
  ASSERT_EQ(Server({"pack", dir_ / "src.raw", dir_ / "d.fcimg"}).exit_code, 0);
  ProgramResult r = Server({"unpack", dir_ / "d.fcimg", dst.path()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "fleetcast-server: error: " + dst.path() +
                       ": device is 1048576 bytes, the image needs 2097152; use a larger disk\n");
}

}  // namespace
}  // namespace fleetcast
