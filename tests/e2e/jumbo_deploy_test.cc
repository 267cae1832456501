// Jumbo frames end to end: `serve --mtu 9000` on a namespace LAN whose every
// link (the bridge, each veth, every host) has MTU 9000. Three receivers end
// byte-identical, and each one's nftables counters, read before IP
// reassembly, show that the stream arrived as whole 9000-byte datagrams and
// never as fragments. An --mtu the interface cannot carry is refused by
// serve, and a receiver whose interface takes no jumbo frames stops with one
// line before it writes anything, which serve logs.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/e2e/e2e_common.h"
#include "tests/e2e/netns_lan.h"
#include "tests/test_util.h"

namespace fleetcast::e2e {
namespace {

constexpr int kReceivers = 3;

// The numbers after each "packets " in `nft list` output, in rule order.
std::vector<long long> PacketCounts(const std::string& listing) {
  std::vector<long long> counts;
  for (size_t at = listing.find("packets "); at != std::string::npos;
       at = listing.find("packets ", at + 1)) {
    counts.push_back(std::stoll(listing.substr(at + 8)));
  }
  return counts;
}

class JumboDeployTest : public PackedDiskTest {
 protected:
  void SetUp() override {
    PackSampleDisk(12, 4, "jumbo");
    lan_ = std::make_unique<testing::NamespaceLan>(
        kReceivers, testing::LanOptions{.prefix = "fcj", .mtu = 9000});
    ASSERT_TRUE(lan_->ok()) << "cannot build the namespace LAN (needs root): " << lan_->error();
  }
  void TearDown() override { lan_.reset(); }

  std::unique_ptr<ChildProcess> StartServer(uint16_t port, const std::string& mtu,
                                            int clients) const {
    return std::make_unique<ChildProcess>(lan_->InServer(
        {FLEETCAST_SERVER_BIN, "serve", img_, "--interface", testing::NamespaceLan::kInterface,
         "--min-clients", std::to_string(clients), "--max-wait", "60", "--rate", "300m", "--port",
         std::to_string(port), "--mtu", mtu, "--no-announce"}));
  }
  std::unique_ptr<ChildProcess> StartClient(uint16_t port, int i) const {
    return std::make_unique<ChildProcess>(
        lan_->InReceiver(i, {FLEETCAST_CLIENT_BIN, "receive", "--server",
                             lan_->server_address() + ":" + std::to_string(port), "--target",
                             Target(i), "--node-id", "node" + std::to_string(i)}));
  }

  // On receiver i, before IP reassembly (prerouting, ahead of defrag at
  // -400): a counter of the stream's datagrams of exactly 9000 IP bytes, and
  // one of IP fragments of any kind.
  void CountDatagrams(int i, uint16_t port) {
    const std::vector<std::vector<std::string>> commands = {
        {"nft", "add", "table", "inet", "fcjumbo"},
        {"nft", "add", "chain", "inet", "fcjumbo", "pre",
         "{ type filter hook prerouting priority -450; policy accept; }"},
        {"nft", "add", "rule", "inet", "fcjumbo", "pre", "udp", "dport", std::to_string(port), "ip",
         "length", "9000", "counter"},
        {"nft", "add", "rule", "inet", "fcjumbo", "pre", "ip", "frag-off", "&", "0x3fff", "!=", "0",
         "counter"},
    };
    for (const auto& argv : commands) {
      ProgramResult r = testing::RunProgram(lan_->InReceiver(i, argv), 30);
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
  }
  // {jumbo datagrams, fragments} receiver i counted.
  std::vector<long long> Counted(int i) const {
    ProgramResult r =
        testing::RunProgram(lan_->InReceiver(i, {"nft", "list", "table", "inet", "fcjumbo"}), 30);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return PacketCounts(r.out);
  }

  static void ExpectOk(const ProgramResult& r, const std::string& who) {
    EXPECT_FALSE(r.timed_out) << who << " timed out\n" << r.err;
    EXPECT_EQ(r.exit_code, 0) << who << "\n" << r.err;
  }

  std::unique_ptr<testing::NamespaceLan> lan_;
};

TEST_F(JumboDeployTest, ThreeReceiversGetWhole9000ByteDatagramsAndIdenticalDisks) {
  for (int i = 1; i <= kReceivers; ++i) ASSERT_NO_FATAL_FAILURE(CountDatagrams(i, 7640));
  auto server = StartServer(7640, "9000", kReceivers);
  std::vector<std::unique_ptr<ChildProcess>> clients;
  for (int i = 1; i <= kReceivers; ++i) clients.push_back(StartClient(7640, i));
  for (auto& c : clients) ExpectOk(c->Wait(kTimeout), "client");
  ProgramResult s = server->Wait(kTimeout);
  ExpectOk(s, "server");
  EXPECT_NE(s.err.find("datagrams authenticated (9000 bytes)"), std::string::npos) << s.err;
  const long long sent = CountAfter(s.err, "info: sent ");
  ASSERT_GT(sent, 0) << s.err;
  for (int i = 1; i <= kReceivers; ++i) {
    EXPECT_EQ(testing::ReadFileBytes(Target(i)), raw_) << "node " << i << " differs";
    const std::vector<long long> counted = Counted(i);
    ASSERT_EQ(counted.size(), 2u);
    // Every shard but each chunk's last travels whole: most datagrams are jumbo.
    EXPECT_GT(counted[0], sent / 2) << "receiver " << i << ": jumbo datagrams of " << sent;
    EXPECT_EQ(counted[1], 0) << "receiver " << i << " got IP fragments";
  }
}

TEST_F(JumboDeployTest, ServeRefusesAnMtuItsInterfaceCannotCarry) {
  ProgramResult r = StartServer(7641, "9216", 1)->Wait(kTimeout);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "fleetcast-server: error: --mtu 9216: fcnet0 has MTU 9000, so every datagram would "
            "leave in fragments; raise it (ip link set fcnet0 mtu 9216, and on the switch and "
            "every receiver) or use --mtu 9000\n");
}

TEST_F(JumboDeployTest, ReceiverWithoutJumboFramesStopsBeforeWriting) {
  ASSERT_TRUE(lan_->SetReceiverMtu(3, 1500)) << lan_->error();
  auto server = StartServer(7642, "9000", 1);
  ProgramResult r = StartClient(7642, 3)->Wait(kTimeout);
  EXPECT_EQ(r.exit_code, 1);
  // Its last line (a warning that the server's key is not pinned comes first).
  const std::string last = r.err.substr(r.err.rfind('\n', r.err.size() - 2) + 1);
  EXPECT_EQ(last,
            "fleetcast-client: error: the server sends 9000-byte datagrams (serve --mtu 9000), "
            "but fcnet0 has MTU 1500 and would drop every one; raise it (ip link set fcnet0 mtu "
            "9000) or serve with --mtu 1500\n")
      << r.err;
  EXPECT_FALSE(testing::FileExists(Target(3)));
  EXPECT_TRUE(server->WaitForText("node3: the server sends 9000-byte datagrams", 10));
}

}  // namespace
}  // namespace fleetcast::e2e
