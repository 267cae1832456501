// A target that fills up mid-write: one client's target is a sparse file of
// the image's raw size on a tmpfs smaller than that, so the size check at
// open passes and ENOSPC comes with a later chunk. That client stops with one
// line, the server marks its node failed with the same reason, and the other
// clients finish byte-identical; with an inventory the node's state is
// failed, with that reason, in the state store and the report. Loopback; the
// tmpfs needs root.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/core/image_builder.h"
#include "tests/e2e/e2e_common.h"
#include "tests/e2e/linux_disk.h"
#include "tests/test_util.h"

namespace fleetcast::e2e {
namespace {

class DiskFullTest : public PackedDiskTest {
 protected:
  void SetUp() override {
    // Every chunk holds data: none is skipped as zero.
    ASSERT_NO_FATAL_FAILURE(PackSampleDisk(8, 0));
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
  ChildProcess* Client(const std::string& node, const std::string& target,
                       const std::string& port = "7520") {
    clients_.push_back(std::make_unique<ChildProcess>(
        std::vector<std::string>{FLEETCAST_CLIENT_BIN, "receive", "--server", "127.0.0.1:" + port,
                                 "--target", target, "--node-id", node}));
    return clients_.back().get();
  }
  // The client's one line, checked; returns the reason it gives.
  static std::string ExpectDiskFull(ChildProcess* client, const std::string& target) {
    const std::string reason =
        "--target " + target + ": No space left on device; free space or choose another folder";
    const ProgramResult r = client->Wait(kTimeout);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(testing::Occurrences(r.err, "No space left on device"), 1u) << r.err;
    const size_t last = r.err.rfind("fleetcast-client:");
    EXPECT_NE(last, std::string::npos) << r.err;
    if (last != std::string::npos) {
      EXPECT_EQ(r.err.substr(last), "fleetcast-client: error: " + reason + "\n");
    }
    return reason;
  }

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

  const std::string reason = ExpectDiskFull(n3, full);

  for (ChildProcess* c : {n1, n2}) {
    const ProgramResult r = c->Wait(kTimeout);
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  EXPECT_EQ(testing::ReadFileBytes(dir_ / "n1.raw"), raw_);
  EXPECT_EQ(testing::ReadFileBytes(dir_ / "n2.raw"), raw_);

  const ProgramResult s = server.Wait(kTimeout);
  EXPECT_EQ(s.exit_code, 1) << s.err;
  EXPECT_NE(s.err.find("n3: " + reason), std::string::npos) << s.err;
  EXPECT_NE(s.out.find("deployed " + img_ + " to 2 of 3 nodes in "), std::string::npos) << s.out;
  EXPECT_NE(s.out.find("n3                   failed: " + reason), std::string::npos) << s.out;
  EXPECT_NE(s.out.find("n1                   verified"), std::string::npos) << s.out;
  EXPECT_NE(s.out.find("n2                   verified"), std::string::npos) << s.out;
  const size_t error = s.err.rfind("fleetcast-server:");
  ASSERT_NE(error, std::string::npos) << s.err;
  EXPECT_EQ(s.err.substr(error),
            "fleetcast-server: error: deployment incomplete: n3 failed: " + reason + "\n");
}

// Two standalone nodes of an inventory; s2's target cannot hold the image.
TEST_F(DiskFullTest, WithAnInventoryTheNodeIsFailedInTheStateAndTheReport) {
  const Bytes data = testing::SampleDisk(8 * kChunk, kChunk, 0);
  const Bytes disk = testing::LinuxDisk(dir_ / "linux.raw", data);
  ASSERT_FALSE(disk.empty());
  testing::WriteFileBytes(dir_ / "inventory.raw", disk);
  const std::string img = dir_ / "inventory.fcimg";
  ASSERT_EQ(
      testing::RunProgram({FLEETCAST_SERVER_BIN, "pack", dir_ / "inventory.raw", img}).exit_code,
      0);
  std::ofstream(dir_ / "nodes.toml")
      << "[defaults]\nprefix = 24\nflavour = \"cloud-init\"\n\n"
         "[[nodes]]\nhostname = \"s1\"\nmac = \"52:54:00:46:00:01\"\nip = \"10.79.1.11\"\n\n"
         "[[nodes]]\nhostname = \"s2\"\nmac = \"52:54:00:46:00:02\"\nip = \"10.79.1.12\"\n";
  ChildProcess server({FLEETCAST_SERVER_BIN, "serve", img, "--interface", "lo", "--port", "7523",
                       "--rate", "300m", "--http", "127.0.0.1:7524", "--nodes",
                       dir_ / "nodes.toml"});
  ASSERT_TRUE(server.WaitForText("waiting for", 30));
  ChildProcess* s1 = Client("s1", dir_ / "s1.raw", "7523");
  const std::string full = small_ + "/s2.raw";
  ChildProcess* s2 = Client("s2", full, "7523");
  const std::string reason = ExpectDiskFull(s2, full);
  const ProgramResult r1 = s1->Wait(kTimeout);
  EXPECT_EQ(r1.exit_code, 0) << r1.err;
  const Bytes written = testing::ReadFileBytes(dir_ / "s1.raw");
  ASSERT_EQ(written.size(), disk.size());
  EXPECT_EQ(Bytes(written.begin() + testing::kLinuxDiskDataOffset, written.end()), data);

  const ProgramResult s = server.Wait(kTimeout);
  EXPECT_EQ(s.exit_code, 1) << s.err;
  EXPECT_NE(s.err.find("s2: failed (" + reason + ")"), std::string::npos) << s.err;
  EXPECT_EQ(s.err.substr(s.err.rfind("fleetcast-server:")),
            "fleetcast-server: error: deployment incomplete: s2 failed: " + reason + "\n");
  std::ifstream in(dir_ / "nodes.report.json");
  const nlohmann::json report = nlohmann::json::parse(in, nullptr, false);
  ASSERT_TRUE(report.is_object()) << s.out;
  for (const auto& n : report["nodes"]) {
    const bool failed = n["hostname"] == "s2";
    EXPECT_EQ(n["state"], failed ? "failed" : "released") << n.dump();
    EXPECT_EQ(n["reason"], failed ? reason : "") << n.dump();
  }
  const ProgramResult stored = testing::RunProgram(
      {"sqlite3", dir_ / "nodes.state", "SELECT state, reason FROM nodes WHERE node = 's2'"}, 30);
  EXPECT_EQ(stored.out, "failed|" + reason + "\n") << stored.err;
}

}  // namespace
}  // namespace fleetcast::e2e
