// A loopback deployment of a filesystem-aware image (tests/e2e/used_disk.h):
// the wholly free chunks cost nothing on the wire, and the client's disk ends
// byte-identical to what `unpack` writes, filesystems intact: they mount and
// hold the source's files.
#include <gtest/gtest.h>

#include "tests/e2e/e2e_common.h"
#include "tests/e2e/mounted_files.h"
#include "tests/e2e/used_disk.h"
#include "tests/test_util.h"

namespace fleetcast::e2e {
namespace {

TEST(FsAwareDeployTest, LoopbackDeployEqualsUnpack) {
  testing::TempDir dir;
  const testing::UsedDisk disk = testing::BuildUsedDisk(dir);
  ASSERT_FALSE(disk.path.empty());
  const std::string img = dir / "aware.fcimg";
  ProgramResult r = testing::RunProgram({FLEETCAST_SERVER_BIN, "pack", disk.path, img});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = testing::RunProgram({FLEETCAST_SERVER_BIN, "unpack", img, dir / "unpacked.raw"});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  ChildProcess server({FLEETCAST_SERVER_BIN, "serve", img, "--interface", "lo", "--min-clients",
                       "1", "--max-wait", "60", "--rate", "300m", "--port", "7580", "--http",
                       "127.0.0.1:0"});
  ChildProcess client({FLEETCAST_CLIENT_BIN, "receive", "--server", "127.0.0.1:7580", "--target",
                       dir / "node1.raw", "--node-id", "node1"});
  const ProgramResult c = client.Wait(kTimeout);
  EXPECT_EQ(c.exit_code, 0) << c.err;
  const ProgramResult s = server.Wait(kTimeout);
  EXPECT_EQ(s.exit_code, 0) << s.err;
  EXPECT_NE(s.out.find("node1                verified"), std::string::npos) << s.out;

  EXPECT_TRUE(testing::ReadFileBytes(dir / "node1.raw") ==
              testing::ReadFileBytes(dir / "unpacked.raw"))
      << "the deployed disk differs from unpack's";
  ASSERT_NO_FATAL_FAILURE(testing::ExpectFilesystemsIntact(dir, dir / "node1.raw", disk));
  ASSERT_NO_FATAL_FAILURE(testing::ExpectMountedFilesEqual(dir, dir / "node1.raw", disk));
}

}  // namespace
}  // namespace fleetcast::e2e
