// Real deployments: the real fleetcast-server and fleetcast-client binaries
// over real multicast, on loopback and on a namespace LAN the test builds.
// Every client's disk must end byte-identical to the source.
#include <gtest/gtest.h>
#include <signal.h>

#include <memory>

#include "tests/e2e/e2e_common.h"
#include "tests/e2e/netns_lan.h"
#include "tests/test_util.h"

namespace fleetcast::e2e {
namespace {

class DeployTest : public PackedDiskTest {
 protected:
  void SetUp() override { PackSampleDisk(12, 4, "e2e"); }

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

  void ExpectIdentical(int i) {
    EXPECT_EQ(testing::ReadFileBytes(Target(i)), raw_) << "node " << i << " differs";
  }
  static void ExpectOk(const ProgramResult& r, const std::string& who) {
    EXPECT_FALSE(r.timed_out) << who << " timed out\n" << r.err;
    EXPECT_EQ(r.exit_code, 0) << who << "\n" << r.err;
  }
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

// The session id a serve logged for `label` ("deployment 1 of 2: serving ...,
// session 1a2b3c4d, ..."), or "" if it did not.
std::string SessionOf(const std::string& err, const std::string& label) {
  const size_t line = err.find(label + ": serving");
  const size_t at = line == std::string::npos ? line : err.find(", session ", line);
  return at == std::string::npos ? "" : err.substr(at + 10, 8);
}

TEST_F(DeployTest, TwoDeploymentsInARowFromOneServe) {
  std::vector<std::string> args = ServeArgs("lo", 2, "300m", 7541);
  args.insert(args.end(), {"--deployments", "2", "--http", "127.0.0.1:0", "--no-announce"});
  ChildProcess server(args);
  for (int d = 1; d <= 2; ++d) {
    ASSERT_TRUE(server.WaitForText("deployment " + std::to_string(d) + " of 2: serving", 30));
    std::vector<std::unique_ptr<ChildProcess>> clients;
    for (int i = 1; i <= 2; ++i) {
      std::vector<std::string> argv = ReceiveArgs("127.0.0.1:7541", i);
      argv[5] = dir_ / ("d" + std::to_string(d) + "-node" + std::to_string(i) + ".raw");
      clients.push_back(std::make_unique<ChildProcess>(argv));
    }
    for (auto& c : clients) ExpectOk(c->Wait(kTimeout), "client");
  }
  ProgramResult s = server.Wait(kTimeout);
  ExpectOk(s, "server");
  for (int d = 1; d <= 2; ++d) {
    EXPECT_NE(s.err.find("deployment " + std::to_string(d) + " of 2 finished: 2 nodes in "),
              std::string::npos)
        << s.err;
    for (int i = 1; i <= 2; ++i) {
      EXPECT_EQ(testing::ReadFileBytes(
                    dir_ / ("d" + std::to_string(d) + "-node" + std::to_string(i) + ".raw")),
                raw_)
          << "deployment " << d << " node " << i << " differs";
    }
  }
  EXPECT_NE(s.err.find("2 deployments done"), std::string::npos) << s.err;
  const std::string first = SessionOf(s.err, "deployment 1 of 2");
  EXPECT_EQ(first.size(), 8u) << s.err;
  EXPECT_NE(first, SessionOf(s.err, "deployment 2 of 2")) << s.err;
  // Each deployment prints its own summary.
  EXPECT_NE(s.out.find("deployment 1 of 2: deployed "), std::string::npos) << s.out;
  EXPECT_NE(s.out.find("deployment 2 of 2: deployed "), std::string::npos) << s.out;
}

TEST_F(DeployTest, InterruptBetweenCountedDeploymentsSaysHowFarItGot) {
  std::vector<std::string> args = ServeArgs("lo", 1, "300m", 7542);
  args.insert(args.end(), {"--deployments", "3", "--http", "127.0.0.1:0", "--no-announce"});
  ChildProcess server(args);
  ASSERT_TRUE(server.WaitForText("deployment 1 of 3: serving", 30));
  ExpectOk(testing::RunProgram(ReceiveArgs("127.0.0.1:7542", 1), kTimeout), "client");
  ASSERT_TRUE(server.WaitForText("deployment 2 of 3: serving", 30));
  server.Signal(SIGTERM);
  ProgramResult s = server.Wait(kTimeout);
  EXPECT_EQ(s.exit_code, 130) << s.err;  // interrupted by a signal
  EXPECT_NE(s.err.find("fleetcast-server: error: serve interrupted after 1 of 3 deployments\n"),
            std::string::npos)
      << s.err;
  ExpectIdentical(1);
}

TEST_F(DeployTest, DeploymentsWithAnInventoryAreRefused) {
  ProgramResult r = testing::RunProgram({FLEETCAST_SERVER_BIN, "serve", img_, "--interface", "lo",
                                         "--nodes", dir_ / "nodes.toml", "--deployments", "3"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "fleetcast-server: error: --deployments 3: not with --nodes (its state deploys each "
            "node once); use --deployments 1, or leave out --nodes\n");
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
}  // namespace fleetcast::e2e
