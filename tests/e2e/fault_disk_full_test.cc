// A target that fills up mid-write: one client's target is a sparse file of
// the image's raw size on a tmpfs smaller than that, so the size check at
// open passes and ENOSPC comes with a later chunk. That client stops with one
// line, the server marks its node failed with the same reason, and the other
// clients finish byte-identical. Loopback; the tmpfs needs root.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "tests/core/image_builder.h"
#include "tests/test_util.h"

namespace fleetcast {
namespace {

using testing::ChildProcess;
using testing::ProgramResult;

constexpr uint32_t kChunk = 1024 * 1024;
constexpr double kTimeout = 120;

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class DiskFullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Every chunk holds data: none is skipped as zero.
    raw_ = testing::SampleDisk(8 * kChunk, kChunk, 0);
    testing::WriteFileBytes(dir_ / "disk.raw", raw_);
    ASSERT_EQ(
        testing::RunProgram({FLEETCAST_SERVER_BIN, "pack", dir_ / "disk.raw", img_}).exit_code, 0);
    std::filesystem::create_directory(small_);
    const ProgramResult m =
        testing::RunProgram({"mount", "-t", "tmpfs", "-o", "size=3m", "fcfull", small_}, 30);
    ASSERT_EQ(m.exit_code, 0) << "cannot mount a tmpfs (needs root): " << m.err;
    mounted_ = true;
  }
  void TearDown() override {
    if (mounted_) {
      EXPECT_EQ(testing::RunProgram({"umount", small_}, 30).exit_code, 0);
    }
  }
  ChildProcess* Client(const std::string& node, const std::string& target) {
    clients_.push_back(std::make_unique<ChildProcess>(
        std::vector<std::string>{FLEETCAST_CLIENT_BIN, "receive", "--server", "127.0.0.1:7520",
                                 "--target", target, "--node-id", node}));
    return clients_.back().get();
  }

  testing::TempDir dir_;
  Bytes raw_;
  std::string img_ = dir_ / "disk.fcimg";
  std::string small_ = dir_ / "small";
  bool mounted_ = false;
  std::vector<std::unique_ptr<ChildProcess>> clients_;
};

TEST_F(DiskFullTest, FullTargetFailsItsNodeAndTheOthersFinish) {
  ChildProcess server({FLEETCAST_SERVER_BIN, "serve", img_, "--interface", "lo", "--port", "7520",
                       "--rate", "300m", "--min-clients", "3"});
  ASSERT_TRUE(server.WaitForText("waiting for", 30));
  ChildProcess* n1 = Client("n1", dir_ / "n1.raw");
  ChildProcess* n2 = Client("n2", dir_ / "n2.raw");
  const std::string full = small_ + "/n3.raw";
  ChildProcess* n3 = Client("n3", full);

  const std::string reason =
      "--target " + full + ": No space left on device; free space or choose another folder";
  const ProgramResult r3 = n3->Wait(kTimeout);
  EXPECT_EQ(r3.exit_code, 1);
  EXPECT_EQ(Count(r3.err, "No space left on device"), 1u) << r3.err;
  const size_t last = r3.err.rfind("fleetcast-client:");
  ASSERT_NE(last, std::string::npos) << r3.err;
  EXPECT_EQ(r3.err.substr(last), "fleetcast-client: error: " + reason + "\n");

  for (ChildProcess* c : {n1, n2}) {
    const ProgramResult r = c->Wait(kTimeout);
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  EXPECT_EQ(testing::ReadFileBytes(dir_ / "n1.raw"), raw_);
  EXPECT_EQ(testing::ReadFileBytes(dir_ / "n2.raw"), raw_);

  const ProgramResult s = server.Wait(kTimeout);
  EXPECT_EQ(s.exit_code, 1) << s.err;
  EXPECT_NE(s.err.find("n3: " + reason), std::string::npos) << s.err;
  EXPECT_NE(s.out.find("n3                   failed: " + reason), std::string::npos) << s.out;
  EXPECT_NE(s.out.find("n1                   verified"), std::string::npos) << s.out;
  EXPECT_NE(s.out.find("n2                   verified"), std::string::npos) << s.out;
  const size_t error = s.err.rfind("fleetcast-server:");
  ASSERT_NE(error, std::string::npos) << s.err;
  EXPECT_EQ(s.err.substr(error),
            "fleetcast-server: error: deployment incomplete: n3 failed: " + reason + "\n");
}

}  // namespace
}  // namespace fleetcast
