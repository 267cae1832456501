// SIGTERM in the middle of a deployment. A client stops with one line and
// exit code 130; started again on the same target it keeps the chunks it had
// written and ends byte-identical. A server with an inventory stops with one
// line and exit code 130, its state store saved; started again on the same
// state it resumes: the receiving node's client reconnects and completes, and
// the node that was already done is not done again. Loopback.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/core/image_builder.h"
#include "tests/e2e/e2e_common.h"
#include "tests/e2e/linux_disk.h"
#include "tests/test_util.h"

namespace fleetcast::e2e {
namespace {

// The last line a program wrote on stderr.
std::string LastLine(const std::string& err) {
  const size_t end = err.size() - (err.ends_with('\n') ? 1 : 0);
  const size_t start = err.rfind('\n', end - 1);
  const size_t from = start == std::string::npos ? 0 : start + 1;
  return err.substr(from, end - from);
}

// "node n1: K of N chunks to receive": K, or -1 if the line is missing.
int ChunksToReceive(const std::string& err, const std::string& node) {
  const std::string head = "node " + node + ": ";
  const size_t at = err.find(head);
  if (at == std::string::npos) return -1;
  return std::stoi(err.substr(at + head.size()));
}

class SigtermTest : public ::testing::Test {
 protected:
  void Pack(const Bytes& raw) {
    testing::WriteFileBytes(dir_ / "disk.raw", raw);
    ASSERT_EQ(
        testing::RunProgram({FLEETCAST_SERVER_BIN, "pack", dir_ / "disk.raw", img_}).exit_code, 0);
  }
  // A client that logs each chunk it writes (debug), so the test can act once
  // one is on the disk.
  static std::unique_ptr<ChildProcess> Client(const std::string& port, const std::string& target,
                                              const std::string& node, bool chatty) {
    std::vector<std::string> argv = {
        FLEETCAST_CLIENT_BIN, "receive", "--server",  "127.0.0.1:" + port,
        "--target",           target,    "--node-id", node,
        "--retries",          "20"};
    if (chatty) argv.insert(argv.begin(), {"env", "SPDLOG_LEVEL=debug"});
    return std::make_unique<ChildProcess>(argv);
  }

  testing::TempDir dir_;
  std::string img_ = dir_ / "disk.fcimg";
};

TEST_F(SigtermTest, ClientStopsCleanlyAndItsRestartKeepsWhatItWrote) {
  const Bytes raw = testing::SampleDisk(16 * kChunk, kChunk, 0);
  Pack(raw);
  ChildProcess server({FLEETCAST_SERVER_BIN, "serve", img_, "--interface", "lo", "--port", "7525",
                       "--rate", "8m", "--min-clients", "1"});
  ASSERT_TRUE(server.WaitForText("waiting for", 30));
  const std::string target = dir_ / "t.raw";
  auto first = Client("7525", target, "n1", true);
  ASSERT_TRUE(first->WaitForText(" written", kTimeout));
  first->Signal(SIGTERM);
  const ProgramResult stopped = first->Wait(kTimeout);
  EXPECT_EQ(stopped.exit_code, 130);
  EXPECT_EQ(LastLine(stopped.err),
            "fleetcast-client: error: receive interrupted; run it again with the same --target "
            "to resume");

  auto again = Client("7525", target, "n1", false);
  const ProgramResult r = again->Wait(kTimeout);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // The chunks written before SIGTERM are found correct and not received again.
  const int left = ChunksToReceive(r.err, "n1");
  EXPECT_GE(left, 0) << r.err;
  EXPECT_LT(left, 16) << r.err;
  EXPECT_NE(r.err.find("node n1: " + std::to_string(left) + " of 16 chunks to receive into " +
                       target + " (" + std::to_string(16 - left) + " found already correct on it)"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(testing::ReadFileBytes(target), raw);
  EXPECT_EQ(server.Wait(kTimeout).exit_code, 0);
}

// Two standalone nodes; s1's disk already holds the image, so it is done and
// released at once, while s2 is still receiving when the server is stopped.
class ServerSigtermTest : public SigtermTest {
 protected:
  void SetUp() override {
    tail_ = testing::SampleDisk(16 * kChunk, kChunk, 0);
    const Bytes disk = testing::LinuxDisk(dir_ / "linux.raw", tail_);
    ASSERT_FALSE(disk.empty());
    Pack(disk);
    testing::WriteFileBytes(dir_ / "s1.raw", disk);
    std::ofstream(dir_ / "nodes.toml")
        << "[defaults]\nprefix = 24\nflavour = \"cloud-init\"\n\n"
           "[[nodes]]\nhostname = \"s1\"\nmac = \"52:54:00:45:00:01\"\nip = \"10.79.0.11\"\n\n"
           "[[nodes]]\nhostname = \"s2\"\nmac = \"52:54:00:45:00:02\"\nip = \"10.79.0.12\"\n";
  }
  std::unique_ptr<ChildProcess> Server() {
    return std::make_unique<ChildProcess>(std::vector<std::string>{
        FLEETCAST_SERVER_BIN, "serve", img_, "--interface", "lo", "--port", "7526", "--rate", "8m",
        "--http", "127.0.0.1:7527", "--max-wait", "60", "--nodes", dir_ / "nodes.toml"});
  }
  nlohmann::json Report() {
    std::ifstream in(dir_ / "nodes.report.json");
    return nlohmann::json::parse(in, nullptr, false);
  }
  static std::string State(const nlohmann::json& report, const std::string& node) {
    for (const auto& n : report["nodes"]) {
      if (n["hostname"] == node) return n["state"].get<std::string>();
    }
    return "missing";
  }
  // The part of s2's disk no identity touches: the image's bytes there.
  Bytes Tail(const std::string& target) {
    const Bytes disk = testing::ReadFileBytes(target);
    if (disk.size() < testing::kLinuxDiskDataOffset) return {};
    return Bytes(disk.begin() + testing::kLinuxDiskDataOffset, disk.end());
  }

  Bytes tail_;
};

TEST_F(ServerSigtermTest, StopsCleanlyAndARestartResumesWithoutRedoingDoneNodes) {
  auto server = Server();
  ASSERT_TRUE(server->WaitForText("waiting for", 30));
  auto s1 = Client("7526", dir_ / "s1.raw", "s1", false);
  auto s2 = Client("7526", dir_ / "s2.raw", "s2", true);
  const ProgramResult r1 = s1->Wait(kTimeout);
  EXPECT_EQ(r1.exit_code, 0) << r1.err;
  EXPECT_NE(r1.err.find("released (exit)"), std::string::npos) << r1.err;
  ASSERT_TRUE(s2->WaitForText(" written", kTimeout));
  server->Signal(SIGTERM);
  const ProgramResult first = server->Wait(kTimeout);
  EXPECT_EQ(first.exit_code, 130);
  EXPECT_EQ(LastLine(first.err),
            "fleetcast-server: error: serve interrupted before every node was done; run it again "
            "to resume");
  nlohmann::json report = Report();
  ASSERT_TRUE(report.is_object()) << first.out;
  EXPECT_EQ(State(report, "s1"), "released");
  EXPECT_EQ(State(report, "s2"), "receiving");
  const ProgramResult check =
      testing::RunProgram({"sqlite3", dir_ / "nodes.state", "PRAGMA integrity_check"}, 30);
  EXPECT_EQ(check.out, "ok\n") << check.err;

  auto again = Server();
  const ProgramResult r2 = s2->Wait(kTimeout);
  EXPECT_EQ(r2.exit_code, 0) << r2.err;
  EXPECT_NE(r2.err.find("lost the server"), std::string::npos) << r2.err;
  EXPECT_NE(r2.err.find("released (exit)"), std::string::npos) << r2.err;
  EXPECT_EQ(Tail(dir_ / "s2.raw"), tail_);
  const ProgramResult s = again->Wait(kTimeout);
  EXPECT_EQ(s.exit_code, 0) << s.err;
  EXPECT_NE(s.err.find("s1: resumed as released"), std::string::npos) << s.err;
  EXPECT_NE(s.err.find("s2: resumed as receiving"), std::string::npos) << s.err;
  EXPECT_EQ(s.err.find("s1: released"), std::string::npos) << s.err;
  EXPECT_EQ(s.err.find("s1 joined"), std::string::npos) << s.err;
  report = Report();
  ASSERT_TRUE(report.is_object()) << s.out;
  EXPECT_EQ(State(report, "s1"), "released");
  EXPECT_EQ(State(report, "s2"), "released");
}

}  // namespace
}  // namespace fleetcast::e2e
