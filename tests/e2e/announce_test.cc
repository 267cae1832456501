// Finding the server by its announce: real deployments with `receive
// --server auto`, on loopback and on a namespace LAN with every default, and
// `discover` on its own: what it prints, what it ignores, how it times out.
// Loopback tests name --interface lo and an announce port of their own, so
// nothing leaves this host and a serve run by someone else is not heard.
#include "core/announce.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <memory>

#include "platform/net.h"
#include "tests/e2e/e2e_common.h"
#include "tests/e2e/netns_lan.h"
#include "tests/test_util.h"

namespace fleetcast::e2e {
namespace {

constexpr uint16_t kControlPort = 7350;

// An announce group:port of this test process: 239.77.0.254, port 17000..24999.
std::string OwnAnnounce() {
  return std::string(announce::kDefaultGroup) + ":" + std::to_string(17000 + ::getpid() % 8000);
}

class AnnounceTest : public PackedDiskTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(PackSampleDisk(6, 4));
    ProgramResult info = testing::RunProgram({FLEETCAST_SERVER_BIN, "info", img_});
    const size_t at = info.out.find("xxh3-128:");
    ASSERT_NE(at, std::string::npos) << info.out;
    digest_ = info.out.substr(at, 9 + 32);
  }

  // The client's own verified digest, the server's record of it, and the
  // bytes on its disk all equal the source's.
  void ExpectDeployed(const ProgramResult& client, const ProgramResult& server, int i) {
    EXPECT_FALSE(client.timed_out) << client.err;
    EXPECT_EQ(client.exit_code, 0) << client.err;
    EXPECT_FALSE(server.timed_out) << server.err;
    EXPECT_EQ(server.exit_code, 0) << server.err;
    EXPECT_NE(client.err.find("disk verified, " + digest_), std::string::npos) << client.err;
    EXPECT_NE(server.out.find("verified  " + digest_), std::string::npos) << server.out;
    EXPECT_EQ(testing::ReadFileBytes(Target(i)), raw_) << "node " << i << " differs";
  }

  std::string digest_;  // "xxh3-128:" and 32 hex digits
};

TEST_F(AnnounceTest, ReceiveWithServerAutoOnLoopback) {
  ChildProcess server({FLEETCAST_SERVER_BIN, "serve", img_, "--interface", "lo", "--port",
                       std::to_string(kControlPort), "--announce", OwnAnnounce(), "--http",
                       "127.0.0.1:0", "--rate", "300m"});
  ProgramResult client = testing::RunProgram(
      {FLEETCAST_CLIENT_BIN, "receive", "--server", "auto", "--interface", "lo", "--announce",
       OwnAnnounce(), "--discover-timeout", "30", "--target", Target(1), "--node-id", "node1"},
      kTimeout);
  ProgramResult s = server.Wait(kTimeout);
  ExpectDeployed(client, s, 1);
  EXPECT_NE(s.err.find("announcing on " + OwnAnnounce()), std::string::npos) << s.err;
  EXPECT_NE(client.err.find("found server 127.0.0.1:7350 (image disk.fcimg) by announce"),
            std::string::npos)
      << client.err;
}

TEST_F(AnnounceTest, DiscoverPrintsTheServer) {
  ChildProcess server({FLEETCAST_SERVER_BIN, "serve", img_, "--interface", "lo", "--port",
                       std::to_string(kControlPort), "--announce", OwnAnnounce(), "--http",
                       "127.0.0.1:0"});
  ProgramResult r = testing::RunProgram({FLEETCAST_CLIENT_BIN, "discover", "--interface", "lo",
                                         "--announce", OwnAnnounce(), "--timeout", "30"},
                                        60);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "127.0.0.1:7350\n");
}

TEST_F(AnnounceTest, DiscoverWithoutAServerTimesOutWithOneLine) {
  ProgramResult r = testing::RunProgram({FLEETCAST_CLIENT_BIN, "discover", "--interface", "lo",
                                         "--announce", OwnAnnounce(), "--timeout", "1"},
                                        30);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  // What it waited for, then why it gave up.
  const size_t first_end = r.err.find('\n');
  ASSERT_NE(first_end, std::string::npos) << r.err;
  EXPECT_NE(r.err.substr(0, first_end)
                .find("info: listening for announces on " + OwnAnnounce() + " (up to 1 s)"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.substr(first_end + 1),
            "fleetcast-client: error: no fleetcast server announced itself on " + OwnAnnounce() +
                " within 1 s; is serve running on this LAN, or pass --server HOST\n");
}

TEST_F(AnnounceTest, ServeWithNoAnnounceStaysQuiet) {
  ProgramResult both = testing::RunProgram({FLEETCAST_SERVER_BIN, "serve", img_, "--interface",
                                            "lo", "--announce", OwnAnnounce(), "--no-announce"},
                                           30);
  EXPECT_EQ(both.exit_code, 2) << both.err;
  EXPECT_NE(both.err.find("--announce excludes --no-announce"), std::string::npos) << both.err;
  ChildProcess quiet({FLEETCAST_SERVER_BIN, "serve", img_, "--interface", "lo", "--port",
                      std::to_string(kControlPort), "--no-announce", "--http", "127.0.0.1:0"});
  ASSERT_TRUE(quiet.WaitForText("serving", 30));
  quiet.Signal(SIGTERM);
  EXPECT_EQ(quiet.Wait(30).err.find("announcing"), std::string::npos);
}

// Sends datagrams to the test's announce group on loopback.
class AnnounceSender {
 public:
  AnnounceSender() {
    const announce::Endpoint at = announce::ParseEndpoint(OwnAnnounce()).value();
    in_addr lo{}, group{};
    ParseAddress("127.0.0.1", &lo);
    ParseAddress(at.group, &group);
    Result<MulticastSender> s = MulticastSender::Open(lo, group, at.port, 1);
    if (s.ok()) socket_ = std::make_unique<MulticastSender>(std::move(*s));
  }
  bool ok() const { return socket_ != nullptr; }
  void Send(const Bytes& datagram) { ASSERT_TRUE(socket_->SendBatch({ByteView(datagram)}).ok()); }

 private:
  std::unique_ptr<MulticastSender> socket_;
};

TEST_F(AnnounceTest, DiscoverIgnoresWhatIsNotAnAnnounce) {
  AnnounceSender sender;
  ASSERT_TRUE(sender.ok());
  ChildProcess discover({"env", "SPDLOG_LEVEL=debug", FLEETCAST_CLIENT_BIN, "discover",
                         "--interface", "lo", "--announce", OwnAnnounce(), "--timeout", "30"});
  ASSERT_TRUE(discover.WaitForText("listening for announces", 30));
  announce::Announce a{.server = "10.1.2.3",
                       .port = 7999,
                       .image = "lab.fcimg",
                       .digest = "0123456789abcdef",
                       .group = "239.77.0.1",
                       .http_port = 8080};
  Bytes valid;
  a.EncodeTo(&valid);
  Bytes newer = valid;
  newer[4] = announce::kVersion + 1;
  Bytes data_plane = {'F', 'C', 1, 1};
  data_plane.resize(24, 0);
  sender.Send({'h', 'i'});
  sender.Send(data_plane);
  sender.Send(newer);
  // Loopback keeps their order; the valid one is repeated only as a guard.
  for (int i = 0; i < 20; ++i) {
    sender.Send(valid);
    if (discover.WaitForText("found server", 0.5)) break;
  }
  ProgramResult r = discover.Wait(30);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "10.1.2.3:7999\n");
  EXPECT_NE(r.err.find("ignored datagram 1 (announce: 2 bytes, shorter than a header)"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("ignored datagram 2 (announce: bad magic)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("ignoring an announce of another protocol (announce: version 2)"),
            std::string::npos)
      << r.err;
}

class LanAnnounceTest : public AnnounceTest {
 protected:
  void SetUp() override {
    AnnounceTest::SetUp();
    lan_ = std::make_unique<testing::NamespaceLan>(2);
    ASSERT_TRUE(lan_->ok()) << "cannot build the namespace LAN (needs root): " << lan_->error();
  }
  void TearDown() override { lan_.reset(); }

  std::unique_ptr<testing::NamespaceLan> lan_;
};

// Every default: announce group and port, control port, and clients that
// listen on every interface they have (lo and the LAN's).
TEST_F(LanAnnounceTest, TwoReceiversFindTheServerWithDefaults) {
  ChildProcess server(
      lan_->InServer({FLEETCAST_SERVER_BIN, "serve", img_, "--interface",
                      testing::NamespaceLan::kInterface, "--min-clients", "2", "--rate", "300m"}));
  std::vector<std::unique_ptr<ChildProcess>> clients;
  for (int i = 1; i <= 2; ++i) {
    clients.push_back(std::make_unique<ChildProcess>(
        lan_->InReceiver(i, {FLEETCAST_CLIENT_BIN, "receive", "--server", "auto", "--target",
                             Target(i), "--node-id", "node" + std::to_string(i)})));
  }
  std::vector<ProgramResult> results;
  results.reserve(clients.size());
  for (auto& c : clients) results.push_back(c->Wait(kTimeout));
  ProgramResult s = server.Wait(kTimeout);
  EXPECT_NE(s.err.find("announcing on 239.77.0.254:7009"), std::string::npos) << s.err;
  for (int i = 1; i <= 2; ++i) {
    ExpectDeployed(results[i - 1], s, i);
    EXPECT_NE(results[i - 1].err.find("found server 10.78.0.1:7010 (image disk.fcimg) by announce"),
              std::string::npos)
        << results[i - 1].err;
  }
}

}  // namespace
}  // namespace fleetcast::e2e
