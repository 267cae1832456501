// The multicast health checks of `fleetcast-server netcheck` on a namespace
// LAN, each finding asserted line for line in the JSON and on the terminal:
// the switch's querier off (none heard) and on (heard by every receiver);
// clients without CAP_NET_RAW (could not watch, said so); the switch dropping the test group (no
// receiver gets anything); one receiver with a smaller MTU than the others (named, with the
// command); and over IPv6, the MLD querier heard and not.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "tests/e2e/e2e_common.h"
#include "tests/e2e/netns_lan.h"
#include "tests/test_util.h"

namespace fleetcast::e2e {
namespace {

constexpr const char* kGroup = "239.77.0.1";  // netcheck's default group

class NetcheckHealthTest : public ::testing::Test {
 protected:
  // A LAN of two receivers; the querier asks every second unless it is off.
  void MakeLan(bool querier, bool ipv6 = false) {
    lan_ = std::make_unique<testing::NamespaceLan>(
        2, testing::LanOptions{
               .ipv6 = ipv6, .prefix = "fch", .querier = querier, .query_interval_cs = 100});
    ASSERT_TRUE(lan_->ok()) << "cannot build the namespace LAN (needs root): " << lan_->error();
  }
  void TearDown() override { lan_.reset(); }

  // Runs a check of two rates of a second each on `port` with both
  // receivers (to `group6` over IPv6 if given; the clients without
  // CAP_NET_RAW if asked); every program must succeed. The server's
  // terminal output.
  std::string RunCheck(uint16_t port, const std::string& group6 = "", bool no_net_raw = false) {
    std::vector<std::string> args = {FLEETCAST_SERVER_BIN,
                                     "netcheck",
                                     "--interface",
                                     testing::NamespaceLan::kInterface,
                                     "--rates",
                                     "10m,20m",
                                     "--duration",
                                     "1",
                                     "--min-clients",
                                     "2",
                                     "--port",
                                     std::to_string(port),
                                     "--json",
                                     dir_ / "nc.json"};
    if (!group6.empty()) args.insert(args.end(), {"--group", group6});
    const std::string server_host =
        group6.empty() ? lan_->server_address() : "[" + lan_->server_address6() + "]";
    ChildProcess server(lan_->InServer(args));
    std::vector<std::unique_ptr<ChildProcess>> clients;
    for (int i = 1; i <= 2; ++i) {
      std::vector<std::string> argv = {
          FLEETCAST_CLIENT_BIN, "receive",
          "--server",           server_host + ":" + std::to_string(port),
          "--target",           dir_ / ("unused" + std::to_string(i)),
          "--node-id",          "rcv" + std::to_string(i)};
      // Root, but the capability gone from the bounding set: exec drops it.
      if (no_net_raw) argv.insert(argv.begin(), {"setpriv", "--bounding-set", "-net_raw"});
      clients.push_back(std::make_unique<ChildProcess>(lan_->InReceiver(i, argv)));
    }
    for (auto& c : clients) {
      const ProgramResult r = c->Wait(kTimeout);
      EXPECT_EQ(r.exit_code, 0) << r.err;
    }
    const ProgramResult s = server.Wait(kTimeout);
    EXPECT_EQ(s.exit_code, 0) << s.err;
    const Bytes bytes = testing::ReadFileBytes(dir_ / "nc.json");
    json_ = nlohmann::json::parse(std::string(bytes.begin(), bytes.end()));
    return s.out;
  }

  // The findings must be exactly `lines`, in the JSON and on the terminal.
  void ExpectFindings(const std::string& out, const std::vector<std::string>& lines) {
    EXPECT_EQ(json_["findings"], nlohmann::json(lines)) << json_.dump(1);
    for (const std::string& line : lines) {
      EXPECT_NE(out.find("! " + line + "\n"), std::string::npos) << out;
    }
    size_t marks = 0;
    for (size_t at = out.find("\n! "); at != std::string::npos; at = out.find("\n! ", at + 1)) {
      ++marks;
    }
    EXPECT_EQ(marks, lines.size()) << out;
  }

  // How long the receivers listened for a query, as the finding says it.
  std::string Listened() {
    uint64_t ms = 0;
    for (const nlohmann::json& r : json_["receivers"]) {
      ms = std::max(ms, r["listened_ms"].get<uint64_t>());
    }
    char text[32];
    std::snprintf(text, sizeof(text), ms < 10'000 ? "%.1f s" : "%.0f s", ms / 1000.0);
    return text;
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::NamespaceLan> lan_;
  nlohmann::json json_;
};

TEST_F(NetcheckHealthTest, NoQuerierOnTheSwitchIsNamed) {
  ASSERT_NO_FATAL_FAILURE(MakeLan(/*querier=*/false));
  const std::string out = RunCheck(7660);
  ASSERT_EQ(json_["receivers"].size(), 2u) << json_.dump(1);
  for (const nlohmann::json& r : json_["receivers"]) {
    EXPECT_EQ(r["querier"], "not seen") << r.dump();
    EXPECT_GE(r["listened_ms"].get<uint64_t>(), 2000u) << r.dump();  // two 1 s steps at least
    // Without a querier the Linux bridge floods the group: it arrives.
    EXPECT_GT(r["steps"][0]["received"].get<uint64_t>(), 0u) << r.dump();
  }
  ExpectFindings(out, {"no IGMP querier heard on the segment: no receiver got a membership query "
                       "in the " +
                       Listened() +
                       " it listened (a querier asks every 125 s by default: a check this short "
                       "may miss it); snooping switches then age the group out after ~260 s and "
                       "the stream stalls; enable an IGMP querier on the switch (or on a router "
                       "for this VLAN), or turn IGMP snooping off"});
}

TEST_F(NetcheckHealthTest, QuerierOnTheSwitchIsHeardAndNothingIsNamed) {
  ASSERT_NO_FATAL_FAILURE(MakeLan(/*querier=*/true));
  const std::string out = RunCheck(7661);
  ASSERT_EQ(json_["receivers"].size(), 2u) << json_.dump(1);
  for (const nlohmann::json& r : json_["receivers"]) {
    EXPECT_EQ(r["querier"], "seen") << r.dump();
    // br0 has no address of its own: its queries come from 0.0.0.0.
    EXPECT_EQ(r["querier_address"], "0.0.0.0") << r.dump();
    EXPECT_EQ(r["interface"], testing::NamespaceLan::kInterface);
    EXPECT_EQ(r["interface_mtu"], 1500);
  }
  ExpectFindings(out, {});
}

// A client without CAP_NET_RAW cannot open the raw socket that hears
// queries: the check runs all the same, and the finding names the nodes and
// the fix instead of claiming there is no querier.
TEST_F(NetcheckHealthTest, ClientsWithoutCapNetRawSayTheyCouldNotWatch) {
  ASSERT_NO_FATAL_FAILURE(MakeLan(/*querier=*/true));
  const std::string out = RunCheck(7666, "", /*no_net_raw=*/true);
  for (const nlohmann::json& r : json_["receivers"]) {
    EXPECT_EQ(r["querier"], "no access") << r.dump();
    EXPECT_GT(r["steps"][0]["received"].get<uint64_t>(), 0u) << r.dump();  // the check ran
  }
  ExpectFindings(out, {"could not check for an IGMP querier: rcv1, rcv2 cannot open a raw socket; "
                       "run fleetcast-client as root or give it CAP_NET_RAW"});
}

TEST_F(NetcheckHealthTest, MldQuerierIsHeardForAnIpv6Group) {
  ASSERT_NO_FATAL_FAILURE(MakeLan(/*querier=*/true, /*ipv6=*/true));
  const std::string out = RunCheck(7664, "ff15::fc:2");
  ASSERT_EQ(json_["receivers"].size(), 2u) << json_.dump(1);
  for (const nlohmann::json& r : json_["receivers"]) {
    EXPECT_EQ(r["querier"], "seen") << r.dump();
    // The bridge's MLD querier sends from br0's link-local address.
    EXPECT_TRUE(r["querier_address"].get<std::string>().starts_with("fe80::")) << r.dump();
  }
  ExpectFindings(out, {});
}

TEST_F(NetcheckHealthTest, NoMldQuerierIsNamedForAnIpv6Group) {
  ASSERT_NO_FATAL_FAILURE(MakeLan(/*querier=*/false, /*ipv6=*/true));
  const std::string out = RunCheck(7665, "ff15::fc:2");
  ASSERT_EQ(json_["receivers"].size(), 2u) << json_.dump(1);
  for (const nlohmann::json& r : json_["receivers"]) EXPECT_EQ(r["querier"], "not seen");
  ExpectFindings(out, {"no MLD querier heard on the segment: no receiver got a membership query "
                       "in the " +
                       Listened() +
                       " it listened (a querier asks every 125 s by default: a check this short "
                       "may miss it); snooping switches then age the group out after ~260 s and "
                       "the stream stalls; enable an MLD querier on the switch (or on a router "
                       "for this VLAN), or turn MLD snooping off"});
}

TEST_F(NetcheckHealthTest, ASwitchDroppingTheGroupReachesNoReceiver) {
  ASSERT_NO_FATAL_FAILURE(MakeLan(/*querier=*/true));
  ASSERT_TRUE(lan_->DropGroup(kGroup)) << lan_->error();
  const std::string out = RunCheck(7662);
  ASSERT_EQ(json_["receivers"].size(), 2u) << json_.dump(1);
  for (const nlohmann::json& r : json_["receivers"]) {
    EXPECT_EQ(r["steps"][0]["received"], 0) << r.dump();
    EXPECT_EQ(r["steps"][1]["received"], 0) << r.dump();
    EXPECT_GT(r["steps"][0]["sent"].get<uint64_t>(), 0u) << r.dump();
    EXPECT_TRUE(r["outlier"].is_null()) << r.dump();  // the one line says it for all
  }
  ExpectFindings(out, {"no receiver got any test datagram on group 239.77.0.1:7662: the switch "
                       "drops the group (IGMP snooping without a querier, a multicast filter or "
                       "ACL) or a host firewall blocks UDP port 7662; check the switch's "
                       "multicast settings and the receivers' firewalls"});
}

TEST_F(NetcheckHealthTest, AReceiverWithASmallerMtuIsNamedWithTheCommand) {
  ASSERT_NO_FATAL_FAILURE(MakeLan(/*querier=*/true));
  ASSERT_TRUE(lan_->SetReceiverMtu(2, 1400)) << lan_->error();
  const std::string out = RunCheck(7663);
  ASSERT_EQ(json_["receivers"].size(), 2u) << json_.dump(1);
  EXPECT_EQ(json_["receivers"][0]["interface_mtu"], 1500);
  EXPECT_EQ(json_["receivers"][1]["interface_mtu"], 1400);
  // Its 1500-byte packets do not fit: nothing arrives at rcv2.
  EXPECT_EQ(json_["receivers"][1]["steps"][0]["received"], 0) << json_.dump(1);
  EXPECT_GT(json_["receivers"][0]["steps"][0]["received"].get<uint64_t>(), 0u);
  ExpectFindings(out, {"rcv2 has MTU 1400 on fcnet0, smaller than the check's 1500-byte packets, "
                       "which it cannot receive; raise it: ip link set fcnet0 mtu 1500 (and its "
                       "switch port to match)"});
}

}  // namespace
}  // namespace fleetcast::e2e
