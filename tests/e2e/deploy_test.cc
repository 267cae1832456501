// Real deployments: the real fleetcast-server and fleetcast-client binaries
// over real multicast, on loopback and on a namespace LAN the test builds.
// Every client's disk must end byte-identical to the source.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <memory>

#include "tests/core/image_builder.h"
#include "tests/e2e/netns_lan.h"
#include "tests/test_util.h"

namespace fleetcast {
namespace {

using testing::ChildProcess;
using testing::ProgramResult;

constexpr uint32_t kChunk = 1024 * 1024;
constexpr double kTimeout = 180;

// Blocks until the file `name` in `folder` has been modified `times` times
// (its creation's truncate counts as one), at most timeout_seconds (inotify).
bool WaitForWrites(const std::string& folder, const std::string& name, int times,
                   double timeout_seconds) {
  const int fd = ::inotify_init1(IN_CLOEXEC);
  ::inotify_add_watch(fd, folder.c_str(), IN_MODIFY);
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<long>(timeout_seconds * 1000));
  alignas(inotify_event) char buf[8192];
  while (times > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p = {fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) != 1) break;
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    for (ssize_t off = 0; off < n;) {
      const auto* e = reinterpret_cast<const inotify_event*>(buf + off);
      if (e->len > 0 && name == e->name) --times;
      off += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
    }
  }
  ::close(fd);
  return times <= 0;
}

class DeployTest : public ::testing::Test {
 protected:
  void SetUp() override {
    raw_ = testing::SampleDisk(12 * kChunk, kChunk, 4);
    testing::WriteFileBytes(dir_ / "disk.raw", raw_);
    ProgramResult r = testing::RunProgram(
        {FLEETCAST_SERVER_BIN, "pack", dir_ / "disk.raw", img_, "--label", "e2e"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  std::vector<std::string> ServeArgs(const std::string& interface, int clients,
                                     const std::string& rate, uint16_t port = 7310) const {
    return {FLEETCAST_SERVER_BIN,    "serve",      img_, "--interface", interface, "--min-clients",
            std::to_string(clients), "--max-wait", "60", "--rate",      rate,      "--port",
            std::to_string(port)};
  }
  std::vector<std::string> ReceiveArgs(const std::string& server, int i) const {
    return {FLEETCAST_CLIENT_BIN, "receive", "--server",  server,
            "--target",           Target(i), "--node-id", "node" + std::to_string(i)};
  }
  std::string Target(int i) const { return dir_ / ("node" + std::to_string(i) + ".raw"); }

  void ExpectIdentical(int i) {
    EXPECT_EQ(testing::ReadFileBytes(Target(i)), raw_) << "node " << i << " differs";
  }
  static void ExpectOk(const ProgramResult& r, const std::string& who) {
    EXPECT_FALSE(r.timed_out) << who << " timed out\n" << r.err;
    EXPECT_EQ(r.exit_code, 0) << who << "\n" << r.err;
  }

  testing::TempDir dir_;
  Bytes raw_;
  std::string img_ = dir_ / "disk.fcimg";
};

TEST_F(DeployTest, LoopbackNeedsNoRoot) {
  ChildProcess server(ServeArgs("lo", 3, "300m", 7321));
  std::vector<std::unique_ptr<ChildProcess>> clients;
  for (int i = 1; i <= 3; ++i) {
    clients.push_back(std::make_unique<ChildProcess>(ReceiveArgs("127.0.0.1:7321", i)));
  }
  for (auto& c : clients) ExpectOk(c->Wait(kTimeout), "client");
  ProgramResult s = server.Wait(kTimeout);
  ExpectOk(s, "server");
  EXPECT_NE(s.out.find("node1                verified"), std::string::npos) << s.out;
  for (int i = 1; i <= 3; ++i) ExpectIdentical(i);
}

// --encrypt: the payloads travel as ciphertext and still land byte-identical.
TEST_F(DeployTest, LoopbackEncryptedIsIdentical) {
  std::vector<std::string> serve = ServeArgs("lo", 2, "300m", 7502);
  serve.push_back("--encrypt");
  ChildProcess server(serve);
  std::vector<std::unique_ptr<ChildProcess>> clients;
  for (int i = 1; i <= 2; ++i) {
    clients.push_back(std::make_unique<ChildProcess>(ReceiveArgs("127.0.0.1:7502", i)));
  }
  std::vector<ProgramResult> results;
  for (auto& c : clients) results.push_back(c->Wait(kTimeout));
  for (const ProgramResult& r : results) {
    ExpectOk(r, "client");
    EXPECT_NE(r.err.find("; 0 forged datagrams dropped"), std::string::npos) << r.err;
  }
  ProgramResult s = server.Wait(kTimeout);
  ExpectOk(s, "server");
  EXPECT_NE(s.err.find("datagrams encrypted"), std::string::npos) << s.err;
  EXPECT_NE(s.out.find("node1                verified"), std::string::npos) << s.out;
  for (int i = 1; i <= 2; ++i) ExpectIdentical(i);
}

class LanDeployTest : public DeployTest {
 protected:
  void SetUp() override {
    DeployTest::SetUp();
    lan_ = std::make_unique<testing::NamespaceLan>(4);
    ASSERT_TRUE(lan_->ok()) << "cannot build the namespace LAN (needs root): " << lan_->error();
  }
  void TearDown() override { lan_.reset(); }

  std::unique_ptr<ChildProcess> StartClient(int i) {
    return std::make_unique<ChildProcess>(
        lan_->InReceiver(i, ReceiveArgs(lan_->server_address() + ":7310", i)));
  }
  std::unique_ptr<ChildProcess> StartServer(int clients, const std::string& rate) {
    return std::make_unique<ChildProcess>(
        lan_->InServer(ServeArgs(testing::NamespaceLan::kInterface, clients, rate)));
  }
  // Four clients at `loss` each, all byte-identical at the end.
  void DeployWithLoss(double loss) {
    for (int i = 1; i <= 4 && loss > 0; ++i) ASSERT_TRUE(lan_->SetLoss(i, loss)) << lan_->error();
    auto server = StartServer(4, "300m");
    std::vector<std::unique_ptr<ChildProcess>> clients;
    for (int i = 1; i <= 4; ++i) clients.push_back(StartClient(i));
    for (auto& c : clients) ExpectOk(c->Wait(kTimeout), "client");
    ExpectOk(server->Wait(kTimeout), "server");
    for (int i = 1; i <= 4; ++i) ExpectIdentical(i);
  }

  std::unique_ptr<testing::NamespaceLan> lan_;
};

TEST_F(LanDeployTest, FourReceiversNoLoss) { DeployWithLoss(0); }
TEST_F(LanDeployTest, FourReceiversOnePercentLoss) { DeployWithLoss(0.01); }
TEST_F(LanDeployTest, FourReceiversFivePercentLoss) { DeployWithLoss(0.05); }
TEST_F(LanDeployTest, FourReceiversTwentyPercentLoss) { DeployWithLoss(0.20); }

TEST_F(LanDeployTest, LateJoinerCompletes) {
  auto server = StartServer(3, "20m");  // slow enough that the stream is under way
  std::vector<std::unique_ptr<ChildProcess>> clients;
  for (int i = 1; i <= 3; ++i) clients.push_back(StartClient(i));
  ASSERT_TRUE(WaitForWrites(dir_.path(), "node1.raw", 3, 60));
  clients.push_back(StartClient(4));
  for (auto& c : clients) ExpectOk(c->Wait(kTimeout), "client");
  ExpectOk(server->Wait(kTimeout), "server");
  for (int i = 1; i <= 4; ++i) ExpectIdentical(i);
}

TEST_F(LanDeployTest, SlowReceiverCatchesUpAfterTheOthers) {
  ASSERT_TRUE(lan_->LimitReceiver(4, "20mbit")) << lan_->error();
  auto server = StartServer(4, "200m");
  std::vector<std::unique_ptr<ChildProcess>> clients;
  for (int i = 1; i <= 4; ++i) clients.push_back(StartClient(i));
  for (auto& c : clients) ExpectOk(c->Wait(kTimeout), "client");
  ProgramResult s = server->Wait(kTimeout);
  ExpectOk(s, "server");
  for (int i = 1; i <= 4; ++i) ExpectIdentical(i);
  EXPECT_NE(s.err.find("catch-up for slow clients"), std::string::npos) << s.err;
  // The slow node is done last.
  EXPECT_GT(s.err.find("node4 done"), s.err.find("node1 done")) << s.err;
  EXPECT_GT(s.err.find("node4 done"), s.err.find("node2 done")) << s.err;
  EXPECT_GT(s.err.find("node4 done"), s.err.find("node3 done")) << s.err;
}

TEST_F(LanDeployTest, KilledClientRestartsAndSkipsWhatItHas) {
  auto server = StartServer(2, "20m");
  auto first = StartClient(1);
  auto victim = StartClient(2);
  ASSERT_TRUE(WaitForWrites(dir_.path(), "node2.raw", 3, 60));
  victim->Signal(SIGKILL);
  victim->Wait(30);
  auto again = StartClient(2);
  ProgramResult r = again->Wait(kTimeout);
  ExpectOk(r, "restarted client");
  EXPECT_EQ(r.err.find("node node2: 9 of 9 chunks to receive"), std::string::npos) << r.err;
  ExpectOk(first->Wait(kTimeout), "client");
  ExpectOk(server->Wait(kTimeout), "server");
  ExpectIdentical(1);
  ExpectIdentical(2);
}

TEST_F(LanDeployTest, KilledServerRestartsAndClientsComplete) {
  auto server = StartServer(2, "20m");
  std::vector<std::unique_ptr<ChildProcess>> clients;
  for (int i = 1; i <= 2; ++i) clients.push_back(StartClient(i));
  ASSERT_TRUE(WaitForWrites(dir_.path(), "node1.raw", 3, 60));
  server->Signal(SIGKILL);
  server->Wait(30);
  server = StartServer(2, "100m");
  for (auto& c : clients) ExpectOk(c->Wait(kTimeout), "client");
  ExpectOk(server->Wait(kTimeout), "server");
  ExpectIdentical(1);
  ExpectIdentical(2);
}

}  // namespace
}  // namespace fleetcast
