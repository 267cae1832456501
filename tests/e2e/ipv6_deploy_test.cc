// Deployments over IPv6: the real programs on a namespace LAN whose switch
// snoops MLDv2 (with a querier), a transient site-local group in ff15::/16,
// the control plane over IPv6 and discovery by an IPv6 announce. Every
// client's disk must end byte-identical to the source. And the mistakes an
// IPv6 setup invites, each refused with one line. netcheck over the same LAN.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>

#include "tests/e2e/e2e_common.h"
#include "tests/e2e/netns_lan.h"
#include "tests/test_util.h"

namespace fleetcast::e2e {
namespace {

constexpr const char* kGroup = "ff15::fc:1";
constexpr const char* kAnnounce = "[ff15::fc:7009]:7631";

std::vector<std::string> ServeArgs(const std::string& img, const std::string& interface,
                                   const std::string& group) {
  return {FLEETCAST_SERVER_BIN,
          "serve",
          img,
          "--interface",
          interface,
          "--group",
          group,
          "--port",
          "7630",
          "--min-clients",
          "3",
          "--max-wait",
          "60",
          "--rate",
          "300m",
          "--announce",
          kAnnounce,
          "--http",
          "127.0.0.1:7632"};
}

class Ipv6ErrorsTest : public PackedDiskTest {
 protected:
  void SetUp() override { PackSampleDisk(2, 0); }
};

TEST_F(Ipv6ErrorsTest, LinkLocalGroupIsOneLine) {
  ProgramResult r = testing::RunProgram(ServeArgs(img_, "lo", "ff02::1"), 30);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "fleetcast-server: error: --group ff02::1: not a transient IPv6 group of site scope (a "
            "permanent or link-local one is taken or needs a zone); use one in ff15::/16, e.g. "
            "ff15::fc:1\n");
}

TEST_F(Ipv6ErrorsTest, BadBracketedServerIsOneLine) {
  ProgramResult r = testing::RunProgram(
      {FLEETCAST_CLIENT_BIN, "receive", "--server", "[fd7c::1:7630", "--target", Target(1)}, 30);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "fleetcast-client: error: --server [fd7c::1:7630: use HOST, HOST:PORT or [IPV6]:PORT "
            "(e.g. [fd7c::1]:7010)\n");
}

class Ipv6LanDeployTest : public PackedDiskTest {
 protected:
  void SetUp() override {
    PackSampleDisk(12, 4, "v6");
    lan_ = std::make_unique<testing::NamespaceLan>(
        3, testing::LanOptions{.ipv6 = true, .prefix = "fc6", .query_interval_cs = 100});
    ASSERT_TRUE(lan_->ok()) << "cannot build the namespace LAN (needs root): " << lan_->error();
  }
  void TearDown() override { lan_.reset(); }

  std::unique_ptr<ChildProcess> StartClient(int i, const std::string& server) {
    std::vector<std::string> argv = {
        FLEETCAST_CLIENT_BIN, "receive", "--server",  server,
        "--target",           Target(i), "--node-id", "node" + std::to_string(i)};
    if (server == "auto") argv.insert(argv.end(), {"--announce", kAnnounce});
    return std::make_unique<ChildProcess>(lan_->InReceiver(i, argv));
  }
  static void ExpectOk(const ProgramResult& r, const std::string& who) {
    EXPECT_FALSE(r.timed_out) << who << " timed out\n" << r.err;
    EXPECT_EQ(r.exit_code, 0) << who << "\n" << r.err;
  }

  // The monitor is listening once it reports a change made after it
  // started; until then, a marker entry on the server's port is added and
  // removed in turn (an event before it subscribed is lost).
  bool WaitUntilListening(ChildProcess& monitor) {
    for (int i = 0; i < 60; ++i) {
      const char* verb = i % 2 == 0 ? "add" : "del";
      testing::RunProgram(lan_->InBridge(
          {"bridge", "mdb", verb, "dev", "br0", "port", "s0", "grp", "ff15::fc:99", "permanent"}));
      if (monitor.WaitForText("ff15::fc:99", 0.5)) return true;
    }
    return false;
  }

  std::unique_ptr<testing::NamespaceLan> lan_;
};

// Two clients are told the server's address, the third finds it by its
// announce; the switch learns each receiver's membership from its MLDv2
// report (its multicast database names the group on each receiver's port).
TEST_F(Ipv6LanDeployTest, ThreeReceiversOverASiteLocalGroup) {
  // Line-buffered: the monitor writes to a pipe.
  ChildProcess mdb(lan_->InBridge({"stdbuf", "-oL", "bridge", "monitor", "mdb"}));
  ASSERT_TRUE(WaitUntilListening(mdb));
  ChildProcess server(
      lan_->InServer(ServeArgs(img_, testing::NamespaceLan::kInterface, std::string(kGroup))));
  ASSERT_TRUE(server.WaitForText("waiting for", 30));
  std::vector<std::unique_ptr<ChildProcess>> clients;
  const std::string at = "[" + lan_->server_address6() + "]:7630";
  clients.push_back(StartClient(1, at));
  clients.push_back(StartClient(2, at));
  clients.push_back(StartClient(3, "auto"));
  std::vector<ProgramResult> results;
  for (auto& c : clients) {
    results.push_back(c->Wait(kTimeout));
    ExpectOk(results.back(), "client");
  }
  ProgramResult s = server.Wait(kTimeout);
  ExpectOk(s, "server");
  EXPECT_NE(s.err.find("(fd7c::1), group [ff15::fc:1]:7630"), std::string::npos) << s.err;
  EXPECT_NE(s.err.find("announcing on [ff15::fc:7009]:7631"), std::string::npos) << s.err;
  EXPECT_NE(results[2].err.find("found server [fd7c::1]:7630"), std::string::npos)
      << results[2].err;
  for (int i = 1; i <= 3; ++i) {
    EXPECT_NE(s.out.find("node" + std::to_string(i) + "                verified"),
              std::string::npos)
        << s.out;
    EXPECT_EQ(testing::ReadFileBytes(Target(i)), raw_) << "node " << i << " differs";
  }
  mdb.Signal(SIGTERM);
  const std::string snooped = mdb.Wait(30).out;
  for (const char* port : {"r1", "r2", "r3"}) {
    EXPECT_NE(snooped.find(std::string("port ") + port + " grp ff15::fc:1 "), std::string::npos)
        << snooped;
  }
}

// netcheck over the same LAN: every test datagram (1452 bytes, the IPv6
// header being 20 bytes longer) reaches every receiver at these low rates,
// and the bridge's MLD querier (every second here) is heard: nothing named.
TEST_F(Ipv6LanDeployTest, NetcheckOverASiteLocalGroup) {
  const std::string json = dir_ / "nc.json";
  ChildProcess server(lan_->InServer({FLEETCAST_SERVER_BIN, "netcheck", "--interface",
                                      testing::NamespaceLan::kInterface, "--group", "ff15::fc:2",
                                      "--port", "7633", "--rates", "10m,20m", "--duration", "1",
                                      "--min-clients", "3", "--json", json}));
  std::vector<std::unique_ptr<ChildProcess>> clients;
  for (int i = 1; i <= 3; ++i) {
    clients.push_back(StartClient(i, "[" + lan_->server_address6() + "]:7633"));
  }
  for (auto& c : clients) ExpectOk(c->Wait(kTimeout), "client");
  const ProgramResult s = server.Wait(kTimeout);
  ExpectOk(s, "server");
  EXPECT_NE(s.out.find("netcheck: 3 receivers, 2 rate steps of 1 s, 1452-byte datagrams"),
            std::string::npos)
      << s.out;
  const Bytes bytes = testing::ReadFileBytes(json);
  const nlohmann::json j = nlohmann::json::parse(std::string(bytes.begin(), bytes.end()));
  ASSERT_EQ(j["receivers"].size(), 3u) << j.dump();
  for (const nlohmann::json& r : j["receivers"]) {
    // 10 Mbit/s for 1 s: 812 datagrams of 1452 + 86 bytes on the wire.
    EXPECT_EQ(r["steps"][0]["sent"], 812) << r.dump();
    EXPECT_EQ(r["steps"][0]["received"], 812) << r.dump();
    EXPECT_EQ(r["steps"][1]["received"], r["steps"][1]["sent"]) << r.dump();
  }
  EXPECT_TRUE(j["findings"].empty()) << j.dump();
}

// Neither side names an announce endpoint: serve of an IPv6 group announces
// on the IPv6 default, and a client listens on both defaults.
TEST_F(Ipv6LanDeployTest, ClientFindsAnIpv6ServerByTheDefaultAnnounce) {
  std::vector<std::string> args = ServeArgs(img_, testing::NamespaceLan::kInterface, kGroup);
  const auto announce = std::find(args.begin(), args.end(), "--announce");
  args.erase(announce, announce + 2);
  args[std::find(args.begin(), args.end(), "--min-clients") - args.begin() + 1] = "1";
  ChildProcess server(lan_->InServer(args));
  ChildProcess client(lan_->InReceiver(1, {FLEETCAST_CLIENT_BIN, "receive", "--server", "auto",
                                           "--target", Target(1), "--node-id", "node1"}));
  const ProgramResult c = client.Wait(kTimeout);
  ExpectOk(c, "client");
  EXPECT_NE(c.err.find("listening for announces on 239.77.0.254:7009 and [ff15::fc:7009]:7009"),
            std::string::npos)
      << c.err;
  EXPECT_NE(c.err.find("found server [fd7c::1]:7630"), std::string::npos) << c.err;
  ExpectOk(server.Wait(kTimeout), "server");
  EXPECT_EQ(testing::ReadFileBytes(Target(1)), raw_);
}

// A booting node's NIC gets its IPv6 link-local address a moment after the
// link comes up: discovery joins the IPv6 announce group by the interface's
// index, with no address, so it listens there from the start.
TEST_F(Ipv6LanDeployTest, DiscoverListensOnIpv6BeforeTheInterfaceHasAnAddress) {
  ASSERT_EQ(testing::RunProgram(lan_->InReceiver(1, {"ip", "-6", "addr", "flush", "dev",
                                                     testing::NamespaceLan::kInterface}))
                .exit_code,
            0);
  const ProgramResult shown = testing::RunProgram(
      lan_->InReceiver(1, {"ip", "-6", "addr", "show", "dev", testing::NamespaceLan::kInterface}));
  ASSERT_EQ(shown.out.find("inet6"), std::string::npos) << shown.out;
  const ProgramResult r = testing::RunProgram(
      lan_->InReceiver(1, {FLEETCAST_CLIENT_BIN, "discover", "--interface",
                           testing::NamespaceLan::kInterface, "--timeout", "1"}),
      30);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("fleetcast-client: error: no fleetcast server announced itself on "
                       "239.77.0.254:7009 and [ff15::fc:7009]:7009 within 1 s"),
            std::string::npos)
      << r.err;
}

TEST_F(Ipv6LanDeployTest, GroupOnAnInterfaceWithoutIPv6IsOneLine) {
  ASSERT_EQ(
      testing::RunProgram(lan_->InServer({"sysctl", "-qw", "net.ipv6.conf.lo.disable_ipv6=1"}))
          .exit_code,
      0);
  ProgramResult r = testing::RunProgram(lan_->InServer(ServeArgs(img_, "lo", kGroup)), 30);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "fleetcast-server: error: --interface lo: no IPv6 address for --group ff15::fc:1; "
            "give the interface one (ip -6 addr add), or use an IPv4 --group\n");
}

}  // namespace
}  // namespace fleetcast::e2e
