// How clients meet a netcheck, on loopback: a client started with
// `--server auto` finds `fleetcast-server netcheck` by its announce, as boot
// media without fleetcast.server= do; a client that comes after serve
// --netcheck's test traffic began hears why at once and exits, rather than
// waiting until it times out; and once the check ran, serve's status page
// shows its plot (/netcheck.svg) and carries its result in /api/state.
// Ports 7670..7679 (TCP control, UDP data, announces, HTTP).
#include <gtest/gtest.h>
#include <signal.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "tests/e2e/e2e_common.h"
#include "tests/test_util.h"

namespace fleetcast::e2e {
namespace {

// An announce group and port of these tests only, so a serve or netcheck run
// by someone else is not heard.
constexpr const char* kAnnounce = "239.77.0.254:7671";

class NetcheckJoinTest : public PackedDiskTest {
 protected:
  std::vector<std::string> Client(const std::string& server, int i) {
    return {FLEETCAST_CLIENT_BIN, "receive", "--server",  server,
            "--target",           Target(i), "--node-id", "node" + std::to_string(i)};
  }
};

TEST_F(NetcheckJoinTest, ClientWithServerAutoFindsTheNetcheckByItsAnnounce) {
  ChildProcess server({FLEETCAST_SERVER_BIN, "netcheck", "--interface", "lo", "--port", "7670",
                       "--announce", kAnnounce, "--rates", "10m", "--duration", "0.5"});
  std::vector<std::string> client = Client("auto", 1);
  for (const char* arg :
       {"--interface", "lo", "--announce", kAnnounce, "--discover-timeout", "30"}) {
    client.emplace_back(arg);
  }
  const ProgramResult c = testing::RunProgram(client, kTimeout);
  EXPECT_EQ(c.exit_code, 0) << c.err;
  EXPECT_NE(c.err.find("found server 127.0.0.1:7670 (image netcheck) by announce"),
            std::string::npos)
      << c.err;
  EXPECT_NE(c.err.find("node node1: netcheck done; released"), std::string::npos) << c.err;
  const ProgramResult s = server.Wait(kTimeout);
  EXPECT_EQ(s.exit_code, 0) << s.err;
  EXPECT_NE(s.err.find(std::string("announcing on ") + kAnnounce), std::string::npos) << s.err;
  EXPECT_NE(s.out.find("netcheck: 1 receivers, 1 rate step of 0.5 s"), std::string::npos) << s.out;
}

TEST_F(NetcheckJoinTest, NetcheckWithNoAnnounceStaysQuiet) {
  const ProgramResult both = testing::RunProgram({FLEETCAST_SERVER_BIN, "netcheck", "--interface",
                                                  "lo", "--announce", kAnnounce, "--no-announce"},
                                                 30);
  EXPECT_EQ(both.exit_code, 2) << both.err;
  EXPECT_NE(both.err.find("--announce excludes --no-announce"), std::string::npos) << both.err;
  ChildProcess quiet(
      {FLEETCAST_SERVER_BIN, "netcheck", "--interface", "lo", "--port", "7675", "--no-announce"});
  ASSERT_TRUE(quiet.WaitForText("netcheck on lo", 30));
  quiet.Signal(SIGTERM);
  const ProgramResult r = quiet.Wait(30);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.err.find("announcing"), std::string::npos) << r.err;
}

TEST_F(NetcheckJoinTest, ClientLateForServeNetcheckIsToldAtOnceAndExits) {
  ASSERT_NO_FATAL_FAILURE(PackSampleDisk(6, 3));
  // A check far longer than a client waits for its session (30 s).
  ChildProcess server({FLEETCAST_SERVER_BIN, "serve", img_, "--interface", "lo", "--min-clients",
                       "1", "--port", "7672", "--no-announce", "--netcheck", "--netcheck-rates",
                       "2m", "--netcheck-duration", "120"});
  ChildProcess first(Client("127.0.0.1:7672", 1));
  ASSERT_TRUE(server.WaitForText("clients ready: sending the test traffic", 60));
  const ProgramResult late = testing::RunProgram(Client("127.0.0.1:7672", 2), 25);
  EXPECT_FALSE(late.timed_out) << late.err;
  EXPECT_EQ(late.exit_code, 1) << late.err;
  EXPECT_NE(late.err.find("a netcheck is running without this client; start the clients before "
                          "the check, or this one again once the check is over to join the "
                          "deployment"),
            std::string::npos)
      << late.err;
  server.Signal(SIGTERM);
  const ProgramResult s = server.Wait(kTimeout);
  EXPECT_FALSE(s.timed_out);
  EXPECT_NE(s.err.find("node2: joined after the netcheck's test traffic began; turned away"),
            std::string::npos)
      << s.err;
}

TEST_F(NetcheckJoinTest, StatusPageShowsTheChecksPlotAndResult) {
  ASSERT_NO_FATAL_FAILURE(PackSampleDisk(6, 3));
  // Two deployments: after the first, serve waits for the second's clients
  // and its status page stays up to be read.
  ChildProcess server({FLEETCAST_SERVER_BIN,
                       "serve",
                       img_,
                       "--interface",
                       "lo",
                       "--min-clients",
                       "1",
                       "--rate",
                       "300m",
                       "--port",
                       "7673",
                       "--http",
                       "127.0.0.1:7674",
                       "--no-announce",
                       "--deployments",
                       "2",
                       "--netcheck",
                       "--netcheck-rates",
                       "10m,20m",
                       "--netcheck-duration",
                       "0.5"});
  const ProgramResult c = testing::RunProgram(Client("127.0.0.1:7673", 1), kTimeout);
  ASSERT_EQ(c.exit_code, 0) << c.err;
  const ProgramResult svg =
      testing::RunProgram({"curl", "-sS", "-D", "-", "http://127.0.0.1:7674/netcheck.svg"}, 60);
  ASSERT_EQ(svg.exit_code, 0) << svg.err;
  EXPECT_NE(svg.out.find("HTTP/1.1 200 OK\r\n"), std::string::npos) << svg.out;
  EXPECT_NE(svg.out.find("Content-Type: image/svg+xml\r\n"), std::string::npos) << svg.out;
  EXPECT_NE(svg.out.find("\r\n\r\n<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg "),
            std::string::npos);
  EXPECT_NE(svg.out.find(">node1 (none up to 20M)</text>"), std::string::npos) << svg.out;
  const ProgramResult state =
      testing::RunProgram({"curl", "-fsS", "http://127.0.0.1:7674/api/state"}, 60);
  ASSERT_EQ(state.exit_code, 0) << state.err;
  const nlohmann::json j = nlohmann::json::parse(state.out);
  ASSERT_EQ(j["netcheck"]["receivers"].size(), 1u) << state.out;
  EXPECT_EQ(j["netcheck"]["receivers"][0]["node"], "node1");
  // 20 Mbit/s for 0.5 s: 812 datagrams, every one arrived on loopback.
  EXPECT_EQ(j["netcheck"]["receivers"][0]["steps"][1]["received"], 812);
  EXPECT_NE(j["netcheck_table"].get<std::string>().find("netcheck: 1 receivers"),
            std::string::npos);
  server.Signal(SIGTERM);
  EXPECT_FALSE(server.Wait(kTimeout).timed_out);
}

}  // namespace
}  // namespace fleetcast::e2e
