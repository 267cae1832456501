// The soak: one `fleetcast-server serve --deployments 0` process runs ten
// deployments in a row on a namespace LAN, eight receivers each losing 5% of
// the datagrams. Every client's disk must end byte-identical to the source,
// and the server must not grow: after each deployment (at its "deployment N
// finished" line, once that deployment's sessions are closed and its state
// freed) its open file descriptors and resident memory are read from /proc.
// The table is printed; bench/RESULTS.md keeps a measured one.
//
// --deployments 0 (until interrupted) rather than 10, so the server is still
// alive to be measured after the tenth; it is then stopped with SIGTERM
// while it waits for an eleventh, which is a clean end.
#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "tests/core/image_builder.h"
#include "tests/e2e/e2e_common.h"
#include "tests/e2e/netns_lan.h"
#include "tests/test_util.h"

namespace fleetcast::e2e {
namespace {

constexpr int kReceivers = 8;
constexpr int kDeployments = 10;
constexpr uint16_t kPort = 7540;
// Growth of the resident set allowed from deployment 2 (the first after
// every buffer has been sized once) to the last. A deployment's own state
// holds at least a chunk's blocks in the sender (1 MiB) and a copy of the
// manifest in its session; keeping that of each finished deployment would
// add 8 MiB over the eight rounds compared, while allocator noise (arenas,
// spdlog's buffers) stays far below 2 MiB (measured: bench/RESULTS.md).
constexpr long kRssGrowthBoundKib = 2048;

// Resident memory of `pid` in KiB (VmRSS), or -1.
long RssKib(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// Open file descriptors of `pid`, or -1.
int OpenFds(int pid) {
  DIR* dir = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
  if (dir == nullptr) return -1;
  int n = 0;
  while (const dirent* e = ::readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  ::closedir(dir);
  return n;
}

struct Sample {
  long rss_kib = 0;
  int fds = 0;
};

class SoakTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // 32 MiB: a quarter random bytes (incompressible), the rest text, and
    // every fifth chunk zero (not sent).
    raw_ = testing::SampleDisk(size_t{32} * kChunk, kChunk, 5);
    testing::WriteFileBytes(dir_ / "disk.raw", raw_);
    ProgramResult r = testing::RunProgram(
        {FLEETCAST_SERVER_BIN, "pack", dir_ / "disk.raw", img_, "--label", "soak"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    lan_ = std::make_unique<testing::NamespaceLan>(kReceivers);
    ASSERT_TRUE(lan_->ok()) << "cannot build the namespace LAN (needs root): " << lan_->error();
    for (int i = 1; i <= kReceivers; ++i) ASSERT_TRUE(lan_->SetLoss(i, 0.05)) << lan_->error();
  }
  void TearDown() override { lan_.reset(); }

  std::unique_ptr<ChildProcess> StartServer() const {
    return std::make_unique<ChildProcess>(lan_->InServer(
        {FLEETCAST_SERVER_BIN, "serve", img_, "--interface", testing::NamespaceLan::kInterface,
         "--min-clients", std::to_string(kReceivers), "--max-wait", "60", "--rate", "100m",
         "--port", std::to_string(kPort), "--deployments", "0", "--no-announce"}));
  }
  std::string Target(int deployment, int i) const {
    return dir_ / ("d" + std::to_string(deployment) + "-node" + std::to_string(i) + ".raw");
  }
  // Eight clients, each into a fresh target; all must succeed.
  void Deploy(int deployment) {
    std::vector<std::unique_ptr<ChildProcess>> clients;
    for (int i = 1; i <= kReceivers; ++i) {
      clients.push_back(std::make_unique<ChildProcess>(
          lan_->InReceiver(i, {FLEETCAST_CLIENT_BIN, "receive", "--server",
                               lan_->server_address() + ":" + std::to_string(kPort), "--target",
                               Target(deployment, i), "--node-id", "node" + std::to_string(i)})));
    }
    for (int i = 1; i <= kReceivers; ++i) {
      ProgramResult r = clients[i - 1]->Wait(kTimeout);
      EXPECT_FALSE(r.timed_out) << "deployment " << deployment << " node " << i << "\n" << r.err;
      EXPECT_EQ(r.exit_code, 0) << "deployment " << deployment << " node " << i << "\n" << r.err;
    }
  }
  // Compares each target with the source, then removes it (disk space).
  void ExpectIdenticalAndRemove(int deployment) {
    for (int i = 1; i <= kReceivers; ++i) {
      EXPECT_EQ(testing::ReadFileBytes(Target(deployment, i)), raw_)
          << "deployment " << deployment << " node " << i << " differs";
      std::remove(Target(deployment, i).c_str());
    }
  }

  testing::TempDir dir_;
  Bytes raw_;
  std::string img_ = dir_ / "disk.fcimg";
  std::unique_ptr<testing::NamespaceLan> lan_;
};

TEST_F(SoakTest, TenDeploymentsFromOneServerNeitherLeakNorGrow) {
  auto server = StartServer();
  std::vector<Sample> samples(kDeployments + 1);
  for (int d = 1; d <= kDeployments; ++d) {
    const std::string label = "deployment " + std::to_string(d);
    ASSERT_TRUE(server->WaitForText(label + ": serving", kTimeout)) << label;
    ASSERT_NO_FATAL_FAILURE(Deploy(d));
    ASSERT_TRUE(server->WaitForText(label + " finished: 8 nodes", kTimeout)) << label;
    samples[d] = {RssKib(server->pid()), OpenFds(server->pid())};
    ASSERT_GT(samples[d].rss_kib, 0);
    ASSERT_GT(samples[d].fds, 0);
    ExpectIdenticalAndRemove(d);
  }
  ASSERT_TRUE(server->WaitForText("deployment 11: serving", kTimeout));
  server->Signal(SIGTERM);
  ProgramResult s = server->Wait(kTimeout);
  EXPECT_EQ(s.exit_code, 0) << s.err;
  EXPECT_NE(s.err.find("10 deployments done"), std::string::npos) << s.err;

  std::printf("deployment  VmRSS KiB  open fds  server's line\n");
  for (int d = 1; d <= kDeployments; ++d) {
    const size_t at = s.err.find("deployment " + std::to_string(d) + " finished");
    const std::string line =
        at == std::string::npos ? "" : s.err.substr(at, s.err.find('\n', at) - at);
    std::printf("%10d  %9ld  %8d  %s\n", d, samples[d].rss_kib, samples[d].fds, line.c_str());
  }
  EXPECT_EQ(samples[kDeployments].fds, samples[1].fds);
  EXPECT_LT(samples[kDeployments].rss_kib - samples[2].rss_kib, kRssGrowthBoundKib);
}

}  // namespace
}  // namespace fleetcast::e2e
