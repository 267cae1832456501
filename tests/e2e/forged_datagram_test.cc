// Forged datagrams on a shared LAN: a host that is not a client (the forger,
// tests/e2e/forger.cc) joins the group, captures the live session's
// datagrams and floods the group with well-formed headers of that session
// carrying random payloads, and with real datagrams replayed as another
// chunk. Every client must still end byte-identical to the source, and both
// the clients and the server must name how many forged datagrams the
// clients dropped. Once with authenticated datagrams, once with --encrypt.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdio>
#include <memory>
#include <string>

#include "tests/e2e/e2e_common.h"
#include "tests/e2e/netns_lan.h"
#include "tests/test_util.h"

namespace fleetcast::e2e {
namespace {

constexpr int kClients = 2;
constexpr int kForgerHost = kClients + 1;

class ForgedDatagramTest : public PackedDiskTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(PackSampleDisk(24, 6, "forged"));
    lan_ = std::make_unique<testing::NamespaceLan>(kForgerHost);
    ASSERT_TRUE(lan_->ok()) << "cannot build the namespace LAN (needs root): " << lan_->error();
  }
  void TearDown() override { lan_.reset(); }

  // Serves to kClients clients while the forger floods; checks every outcome.
  void DeployUnderFlood(uint16_t port, bool encrypt) {
    std::vector<std::string> serve = {FLEETCAST_SERVER_BIN,
                                      "serve",
                                      img_,
                                      "--interface",
                                      testing::NamespaceLan::kInterface,
                                      "--min-clients",
                                      "2",
                                      "--port",
                                      std::to_string(port),
                                      "--rate",
                                      "60m"};
    if (encrypt) serve.push_back("--encrypt");
    ChildProcess server(lan_->InServer(serve));
    ASSERT_TRUE(server.WaitForText("waiting for", 30));
    // The forger joins first, so it floods from the stream's first datagrams.
    ChildProcess forger(lan_->InReceiver(
        kForgerHost, {FLEETCAST_FORGER_BIN, "--address", lan_->receiver_address(kForgerHost),
                      "--port", std::to_string(port), "--rate", "20000", "--seconds", "170"}));
    ASSERT_TRUE(forger.WaitForText("forger: joined", 30));
    std::vector<std::unique_ptr<ChildProcess>> clients;
    for (int i = 1; i <= kClients; ++i) {
      clients.push_back(std::make_unique<ChildProcess>(
          lan_->InReceiver(i, {FLEETCAST_CLIENT_BIN, "receive", "--server",
                               lan_->server_address() + ":" + std::to_string(port), "--target",
                               Target(i), "--node-id", "node" + std::to_string(i)})));
    }
    ASSERT_TRUE(forger.WaitForText("forger: flooding", 60));
    std::vector<ProgramResult> results;
    for (auto& c : clients) results.push_back(c->Wait(kTimeout));
    const ProgramResult s = server.Wait(kTimeout);
    forger.Signal(SIGTERM);
    const ProgramResult f = forger.Wait(30);

    EXPECT_EQ(f.exit_code, 0) << f.err;
    EXPECT_GT(CountAfter(f.err, "forger: sent "), 0) << f.err;
    EXPECT_EQ(s.exit_code, 0) << s.err;
    EXPECT_NE(s.err.find(encrypt ? "datagrams encrypted" : "datagrams authenticated"),
              std::string::npos)
        << s.err;
    for (int i = 1; i <= kClients; ++i) {
      const ProgramResult& r = results[i - 1];
      const std::string node = "node" + std::to_string(i);
      EXPECT_EQ(r.exit_code, 0) << node << "\n" << r.err;
      EXPECT_EQ(testing::ReadFileBytes(Target(i)), raw_) << node << " differs";
      // The client's last line, and the server's summary line for it.
      const long long forged = CountBefore(r.err, " forged datagrams dropped");
      EXPECT_GT(forged, 0) << r.err;
      std::printf("%s: %lld forged datagrams dropped (forger sent %lld)\n", node.c_str(), forged,
                  CountAfter(f.err, "forger: sent "));
      const std::string summary = SummaryLine(s.out, node);
      ASSERT_FALSE(summary.empty()) << s.out;
      EXPECT_NE(summary.find("verified"), std::string::npos) << summary;
      EXPECT_GT(CountAfter(summary, "forged "), 0) << summary;
      EXPECT_NE(s.err.find(node + " dropped "), std::string::npos) << s.err;
    }
  }

  std::unique_ptr<testing::NamespaceLan> lan_;
};

TEST_F(ForgedDatagramTest, AuthenticatedClientsStayIdenticalUnderAFlood) {
  DeployUnderFlood(7500, /*encrypt=*/false);
}

TEST_F(ForgedDatagramTest, EncryptedClientsStayIdenticalUnderAFlood) {
  DeployUnderFlood(7501, /*encrypt=*/true);
}

}  // namespace
}  // namespace fleetcast::e2e
