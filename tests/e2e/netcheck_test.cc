// `fleetcast-server netcheck` with real `fleetcast-client receive`s: on
// loopback (every datagram arrives, no knee in range, nothing named), and on
// a namespace LAN whose switch ports pass 40 Mbit/s, one of them also
// dropping a quarter of the datagrams: the JSON shows each receiver's loss,
// the knee of every one, and names the lossy one with its likely cause; and
// on a LAN with MTU 9000 where one receiver kept 1500, jumbo datagrams reach
// all but that one, which is named.
#include <gtest/gtest.h>
#include <unistd.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "tests/e2e/e2e_common.h"
#include "tests/e2e/netns_lan.h"
#include "tests/test_util.h"

namespace fleetcast::e2e {
namespace {

class NetcheckTest : public ::testing::Test {
 protected:
  std::vector<std::string> ServerArgs(const std::string& interface, int clients, uint16_t port,
                                      const std::string& rates, const std::string& duration) {
    return {FLEETCAST_SERVER_BIN,
            "netcheck",
            "--interface",
            interface,
            "--rates",
            rates,
            "--duration",
            duration,
            "--min-clients",
            std::to_string(clients),
            "--port",
            std::to_string(port),
            "--json",
            dir_ / "nc.json",
            "--svg",
            dir_ / "nc.svg"};
  }
  // `receive` as for a deployment; its target is never opened.
  std::vector<std::string> ClientArgs(const std::string& server, int i) {
    return {FLEETCAST_CLIENT_BIN, "receive", "--server",  server,
            "--target",           Target(i), "--node-id", "rcv" + std::to_string(i)};
  }
  std::string Target(int i) { return dir_ / ("unused" + std::to_string(i) + ".raw"); }

  // Waits for the server and every client; all must succeed.
  ProgramResult WaitForAll(ChildProcess* server, std::vector<std::unique_ptr<ChildProcess>>* c) {
    for (size_t i = 0; i < c->size(); ++i) {
      ProgramResult r = (*c)[i]->Wait(kTimeout);
      EXPECT_EQ(r.exit_code, 0) << r.err;
      EXPECT_NE(r.err.find("node rcv" + std::to_string(i + 1) + ": netcheck done; released"),
                std::string::npos)
          << r.err;
      EXPECT_FALSE(testing::FileExists(Target(static_cast<int>(i) + 1)));
    }
    ProgramResult s = server->Wait(kTimeout);
    EXPECT_EQ(s.exit_code, 0) << s.err;
    return s;
  }

  nlohmann::json Json() {
    const Bytes bytes = testing::ReadFileBytes(dir_ / "nc.json");
    return nlohmann::json::parse(std::string(bytes.begin(), bytes.end()));
  }

  testing::TempDir dir_;
};

TEST_F(NetcheckTest, LoopbackEveryDatagramArrives) {
  ChildProcess server(ServerArgs("lo", 2, 7621, "10m,20m", "0.5"));
  std::vector<std::unique_ptr<ChildProcess>> clients;
  for (int i = 1; i <= 2; ++i) {
    clients.push_back(std::make_unique<ChildProcess>(ClientArgs("127.0.0.1:7621", i)));
  }
  const ProgramResult s = WaitForAll(&server, &clients);
  EXPECT_NE(s.out.find("netcheck: 2 receivers, 2 rate steps of 0.5 s, 1472-byte datagrams"),
            std::string::npos)
      << s.out;
  EXPECT_EQ(s.out.find("! "), std::string::npos) << s.out;  // nothing named
  const nlohmann::json j = Json();
  ASSERT_EQ(j["receivers"].size(), 2u) << j.dump();
  for (const nlohmann::json& r : j["receivers"]) {
    ASSERT_EQ(r["steps"].size(), 2u);
    // 10 Mbit/s for 0.5 s: 406 datagrams of 1472 + 66 bytes on the wire.
    EXPECT_EQ(r["steps"][0]["sent"], 406);
    EXPECT_EQ(r["steps"][0]["received"], 406) << r.dump();
    EXPECT_EQ(r["steps"][1]["received"], 812) << r.dump();
    EXPECT_EQ(r["knee"]["found"], false);
    EXPECT_EQ(r["knee"]["rate_bits"], 20'000'000);
    EXPECT_TRUE(r["outlier"].is_null());
    EXPECT_TRUE(r["jumbo_ok"].is_null());  // no jumbo step at --mtu 1500
  }
  EXPECT_EQ(j["receivers"][0]["node"], "rcv1");
  EXPECT_TRUE(j["findings"].empty());
}

TEST_F(NetcheckTest, BadRatesAreOneLine) {
  ProgramResult r = testing::RunProgram(
      {FLEETCAST_SERVER_BIN, "netcheck", "--interface", "lo", "--rates", "10m,fast"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "fleetcast-server: error: --rates 10m,fast: fast is not a rate; use e.g. "
            "100m,500m,1g\n");
  r = testing::RunProgram(
      {FLEETCAST_SERVER_BIN, "netcheck", "--interface", "lo", "--duration", "0"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "fleetcast-server: error: --duration 0: use 0.1..600 seconds per rate\n");
}

// serve --netcheck: the check first, then the deployment to the same clients.
class NetcheckServeTest : public PackedDiskTest {};

TEST_F(NetcheckServeTest, LoopbackCheckThenDeploy) {
  ASSERT_NO_FATAL_FAILURE(PackSampleDisk(6, 3));
  ChildProcess server({FLEETCAST_SERVER_BIN, "serve", img_, "--interface", "lo", "--min-clients",
                       "2", "--rate", "300m", "--port", "7624", "--http", "127.0.0.1:0",
                       "--no-announce", "--netcheck", "--netcheck-rates", "10m,20m",
                       "--netcheck-duration", "0.5"});
  std::vector<std::unique_ptr<ChildProcess>> clients;
  for (int i = 1; i <= 2; ++i) {
    clients.push_back(std::make_unique<ChildProcess>(
        std::vector<std::string>{FLEETCAST_CLIENT_BIN, "receive", "--server", "127.0.0.1:7624",
                                 "--target", Target(i), "--node-id", "node" + std::to_string(i)}));
  }
  for (int i = 1; i <= 2; ++i) {
    const ProgramResult r = clients[i - 1]->Wait(kTimeout);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("node node" + std::to_string(i) +
                         ": netcheck step 2 (20 Mbit/s, 1472-byte datagrams): 812 of 812 arrived"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(testing::ReadFileBytes(Target(i)), raw_) << "node " << i << " differs";
  }
  const ProgramResult s = server.Wait(kTimeout);
  EXPECT_EQ(s.exit_code, 0) << s.err;
  // The table comes first, then the deployment's summary.
  const size_t table = s.out.find("netcheck: 2 receivers, 2 rate steps of 0.5 s");
  const size_t summary = s.out.find("node1                verified");
  ASSERT_NE(table, std::string::npos) << s.out;
  ASSERT_NE(summary, std::string::npos) << s.out;
  EXPECT_LT(table, summary) << s.out;
}

class LanNetcheckTest : public NetcheckTest {
 protected:
  void SetUp() override {
    // A querier that asks every second: the check hears it (no finding).
    lan_ = std::make_unique<testing::NamespaceLan>(
        3, testing::LanOptions{.prefix = "fcnc", .query_interval_cs = 100});
    ASSERT_TRUE(lan_->ok()) << "cannot build the namespace LAN (needs root): " << lan_->error();
  }
  void TearDown() override { lan_.reset(); }

  // Sets `mtu` on an interface of a namespace of the LAN: "br" (the
  // switch), "s" (the server) or "r1".. (receivers).
  bool SetMtu(const std::string& ns, const std::string& interface, int mtu) {
    const std::string name = "fcnc" + std::to_string(::getpid()) + "-" + ns;
    return testing::RunProgram(
               {"ip", "-n", name, "link", "set", interface, "mtu", std::to_string(mtu)})
               .exit_code == 0;
  }

  std::unique_ptr<testing::NamespaceLan> lan_;
};

TEST_F(LanNetcheckTest, ThreeReceiversBehindFortyMegabitOneLosingAQuarter) {
  // A short queue: past 40 Mbit/s the port drops, as a slower link does.
  for (int i = 1; i <= 3; ++i) ASSERT_TRUE(lan_->LimitReceiver(i, "40mbit", "20ms"));
  ASSERT_TRUE(lan_->SetLoss(3, 0.25)) << lan_->error();
  ChildProcess server(lan_->InServer(
      ServerArgs(testing::NamespaceLan::kInterface, 3, 7622, "10m,20m,80m,160m", "1")));
  std::vector<std::unique_ptr<ChildProcess>> clients;
  for (int i = 1; i <= 3; ++i) {
    clients.push_back(std::make_unique<ChildProcess>(
        lan_->InReceiver(i, ClientArgs(lan_->server_address() + ":7622", i))));
  }
  const ProgramResult s = WaitForAll(&server, &clients);
  const nlohmann::json j = Json();
  ASSERT_EQ(j["receivers"].size(), 3u) << j.dump();
  for (int i = 0; i < 3; ++i) {
    const nlohmann::json& r = j["receivers"][i];
    EXPECT_EQ(r["node"], "rcv" + std::to_string(i + 1));
    // Below the ports' 40 Mbit/s: the clean ones lose nothing, rcv3 its
    // quarter (about 800 and 1600 datagrams: within 8 points).
    for (int step = 0; step < 2; ++step) {
      const double loss = r["steps"][step]["loss"].get<double>();
      if (i < 2) {
        EXPECT_LE(loss, 0.01) << r.dump();
      } else {
        EXPECT_NEAR(loss, 0.25, 0.08) << r.dump();
      }
    }
    // 80 Mbit/s into a 40 Mbit/s port: the knee is 20 Mbit/s for every one.
    EXPECT_EQ(r["knee"]["found"], true) << r.dump();
    EXPECT_EQ(r["knee"]["rate_bits"], 20'000'000) << r.dump();
  }
  EXPECT_TRUE(j["receivers"][0]["outlier"].is_null()) << j.dump();
  EXPECT_TRUE(j["receivers"][1]["outlier"].is_null()) << j.dump();
  const std::string named = j["receivers"][2]["outlier"].get<std::string>();
  EXPECT_TRUE(named.starts_with("rcv3 loses ")) << named;
  EXPECT_NE(named.find(": its port, cable or NIC; check its link's error counters"),
            std::string::npos)
      << named;
  ASSERT_EQ(j["findings"].size(), 1u) << j.dump();
  EXPECT_EQ(j["findings"][0], named);
  EXPECT_NE(s.out.find("! " + named + "\n"), std::string::npos) << s.out;
  const Bytes svg = testing::ReadFileBytes(dir_ / "nc.svg");
  const std::string text(svg.begin(), svg.end());
  EXPECT_EQ(testing::Occurrences(text, "<polyline"), 3u);
  EXPECT_NE(text.find(">rcv3 (20M)</text>"), std::string::npos);
}

TEST_F(LanNetcheckTest, JumboReachesEveryReceiverButTheOneWithMtu1500) {
  std::vector<std::string> args =
      ServerArgs(testing::NamespaceLan::kInterface, 3, 7623, "10m", "1");
  args.insert(args.end(), {"--mtu", "9000"});
  // The server's own link first: at 1500 a jumbo datagram would leave in fragments.
  ProgramResult refused = testing::RunProgram(lan_->InServer(args));
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_EQ(refused.err,
            "fleetcast-server: error: --mtu 9000: fcnet0 has MTU 1500; raise it (ip link set "
            "fcnet0 mtu 9000) or check with a smaller --mtu\n");
  // Every switch port, the server and rcv1, rcv3 at 9000; rcv2 keeps 1500.
  for (const char* port : {"s0", "r1", "r2", "r3"}) ASSERT_TRUE(SetMtu("br", port, 9000)) << port;
  for (const char* host : {"s", "r1", "r3"}) {
    ASSERT_TRUE(SetMtu(host, testing::NamespaceLan::kInterface, 9000)) << host;
  }
  ChildProcess server(lan_->InServer(args));
  std::vector<std::unique_ptr<ChildProcess>> clients;
  for (int i = 1; i <= 3; ++i) {
    clients.push_back(std::make_unique<ChildProcess>(
        lan_->InReceiver(i, ClientArgs(lan_->server_address() + ":7623", i))));
  }
  const ProgramResult s = WaitForAll(&server, &clients);
  const nlohmann::json j = Json();
  ASSERT_EQ(j["steps"].size(), 2u) << j.dump();
  EXPECT_EQ(j["steps"][1]["jumbo"], true);
  EXPECT_EQ(j["steps"][1]["datagram_bytes"], 8972);
  ASSERT_EQ(j["receivers"].size(), 3u) << j.dump();
  EXPECT_EQ(j["receivers"][0]["jumbo_ok"], true) << j.dump();
  EXPECT_EQ(j["receivers"][1]["jumbo_ok"], false) << j.dump();
  EXPECT_EQ(j["receivers"][2]["jumbo_ok"], true) << j.dump();
  EXPECT_EQ(j["receivers"][1]["steps"][1]["received"], 0);
  EXPECT_EQ(j["receivers"][0]["steps"][1]["received"], 200);
  // Standard datagrams reach rcv2 as well as the others.
  EXPECT_EQ(j["receivers"][1]["steps"][0]["lost"], 0) << j.dump();
  // rcv2 reports its interface's MTU: the line names the command.
  const std::string line =
      "rcv2 has MTU 1500 on fcnet0, smaller than the check's 9000-byte packets, which it cannot "
      "receive; raise it: ip link set fcnet0 mtu 9000 (and its switch port to match)";
  EXPECT_EQ(j["findings"], nlohmann::json::array({line})) << j.dump();
  EXPECT_NE(s.out.find("! " + line + "\n"), std::string::npos) << s.out;
}

}  // namespace
}  // namespace fleetcast::e2e
