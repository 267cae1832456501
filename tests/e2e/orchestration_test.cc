// Staggered, health-gated first boot on a namespace LAN: a cluster group of
// three and two standalone nodes. Clients run with --on-release exit; when a
// client exits (its node was released), the test starts its "first boot", a
// stand-in that opens the group's health port on the node's address. The
// order is read back from the deployment report the server writes.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "tests/e2e/netns_lan.h"
#include "tests/test_util.h"

namespace fleetcast {
namespace {

using testing::ChildProcess;
using testing::ProgramResult;

constexpr double kTimeout = 180;
constexpr int kHealthPort = 7440;

// Group db: n1 (boot order 1), n2 and n3 in one wave of 2; s1 and s2 standalone.
std::string Nodes(const testing::NamespaceLan& lan, int timeout_s) {
  std::string text =
      "[defaults]\nprefix = 24\nflavour = \"cloud-init\"\n\n[groups.db]\nup = \"tcp:" +
      std::to_string(kHealthPort) + "\"\nwave = 2\ntimeout = " + std::to_string(timeout_s) + "\n";
  const char* names[] = {"n1", "n2", "n3", "s1", "s2"};
  for (int i = 1; i <= 5; ++i) {
    text += "\n[[nodes]]\nhostname = \"" + std::string(names[i - 1]) +
            "\"\nmac = \"52:54:00:44:00:0" + std::to_string(i) + "\"\nip = \"" +
            lan.receiver_address(i) + "\"\n";
    if (i <= 3) text += "group = \"db\"\nboot_order = " + std::to_string(i) + "\n";
  }
  return text;
}

// A node's first boot: listens on the health port until killed.
std::vector<std::string> FirstBoot() {
  return {"python3", "-c",
          "import socket\n"
          "s = socket.socket()\n"
          "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
          "s.bind(('0.0.0.0', " +
              std::to_string(kHealthPort) +
              "))\n"
              "s.listen(16)\n"
              "while True: s.accept()[0].close()\n"};
}

class OrchestrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lan_ = std::make_unique<testing::NamespaceLan>(5);
    ASSERT_TRUE(lan_->ok()) << "cannot build the namespace LAN (needs root): " << lan_->error();
    // A Linux disk (MBR + ext4): the cloud-init nodes' seed lands there.
    const std::string raw = dir_ / "disk.raw";
    ASSERT_EQ(testing::RunProgram({"truncate", "-s", "8M", raw}).exit_code, 0);
    ASSERT_EQ(testing::RunProgram({"sh", "-c",
                                   "printf 'label: dos\\nstart=2048, type=83\\n' | "
                                   "/usr/sbin/sfdisk -q " +
                                       raw})
                  .exit_code,
              0);
    ASSERT_EQ(testing::RunProgram(
                  {"/usr/sbin/mke2fs", "-q", "-F", "-t", "ext4", "-E", "offset=1048576", raw, "7M"})
                  .exit_code,
              0);
    ASSERT_EQ(
        testing::RunProgram({FLEETCAST_SERVER_BIN, "pack", dir_ / "disk.raw", img_}).exit_code, 0);
  }
  void TearDown() override {
    boots_.clear();
    clients_.clear();
    lan_.reset();
  }

  void WriteNodes(int timeout_s) { std::ofstream(dir_ / "nodes.toml") << Nodes(*lan_, timeout_s); }
  std::unique_ptr<ChildProcess> StartServer(const std::string& max_wait = "60") {
    return std::make_unique<ChildProcess>(
        lan_->InServer({FLEETCAST_SERVER_BIN, "serve", img_, "--interface",
                        testing::NamespaceLan::kInterface, "--max-wait", max_wait, "--rate", "300m",
                        "--port", "7340", "--nodes", dir_ / "nodes.toml"}));
  }
  void StartClients() {
    for (int i = 1; i <= 5; ++i) {
      clients_.push_back(std::make_unique<ChildProcess>(lan_->InReceiver(
          i, {FLEETCAST_CLIENT_BIN, "receive", "--server", lan_->server_address() + ":7340",
              "--target", dir_ / ("node" + std::to_string(i) + ".raw"), "--node-id",
              "52:54:00:44:00:0" + std::to_string(i)})));
    }
  }
  // Waits for client i to exit (released), then boots its node.
  // Starts node i's first boot as soon as its client is released, for every
  // i in [first, last] at once: a server may release them in any order (a
  // node whose client is still reconnecting is passed over for a later one).
  void BootWhenReleased(int first, int last) {
    std::vector<ProgramResult> results(static_cast<size_t>(last - first + 1));
    std::mutex mu;
    std::vector<std::thread> waiters;
    for (int i = first; i <= last; ++i) {
      waiters.emplace_back([&, i] {
        ProgramResult r = clients_[i - 1]->Wait(kTimeout);
        const bool released = r.exit_code == 0;
        results[static_cast<size_t>(i - first)] = std::move(r);
        if (!released) return;
        std::lock_guard lock(mu);
        boots_.push_back(std::make_unique<ChildProcess>(lan_->InReceiver(i, FirstBoot())));
      });
    }
    for (std::thread& t : waiters) t.join();
    for (int i = first; i <= last; ++i) {
      const ProgramResult& r = results[static_cast<size_t>(i - first)];
      EXPECT_EQ(r.exit_code, 0) << "client " << i << "\n" << r.err;
      EXPECT_NE(r.err.find("released (exit)"), std::string::npos) << r.err;
    }
  }
  nlohmann::json Report() {
    std::ifstream in(dir_ / "nodes.report.json");
    return nlohmann::json::parse(in, nullptr, false);
  }
  static const nlohmann::json& Node(const nlohmann::json& report, const std::string& name) {
    for (const auto& n : report["nodes"]) {
      if (n["hostname"] == name) return n;
    }
    static const nlohmann::json none;
    return none;
  }
  // The clients start on new disks: each reuses nothing and writes every
  // stored chunk, the same number for all five.
  static void ExpectEveryDiskWrittenWhole(const nlohmann::json& report) {
    const nlohmann::json& n1 = Node(report, "n1");
    ASSERT_TRUE(n1["chunks_written"].is_number()) << report.dump();
    EXPECT_GT(n1["chunks_written"].get<uint64_t>(), 0u) << report.dump();
    for (const char* name : {"n1", "n2", "n3", "s1", "s2"}) {
      EXPECT_EQ(Node(report, name)["chunks_reused"], 0) << name << " " << report.dump();
      EXPECT_EQ(Node(report, name)["chunks_written"], n1["chunks_written"]) << name;
    }
  }

  testing::TempDir dir_;
  std::string img_ = dir_ / "disk.fcimg";
  std::unique_ptr<testing::NamespaceLan> lan_;
  std::vector<std::unique_ptr<ChildProcess>> clients_;
  std::vector<std::unique_ptr<ChildProcess>> boots_;
};

TEST_F(OrchestrationTest, LeadBootsAloneThenTheGroupFollows) {
  WriteNodes(60);
  auto server = StartServer();
  StartClients();
  BootWhenReleased(1, 5);
  const ProgramResult s = server->Wait(kTimeout);
  EXPECT_EQ(s.exit_code, 0) << s.err;
  const nlohmann::json report = Report();
  ASSERT_TRUE(report.is_object()) << s.out;
  const auto& n1 = Node(report, "n1");
  EXPECT_EQ(n1["state"], "up");
  EXPECT_EQ(n1["up_how"], "tcp:7440");
  for (const char* name : {"n2", "n3"}) {
    const auto& n = Node(report, name);
    EXPECT_EQ(n["state"], "up") << name;
    // The group's others are released only once its lead is proven up.
    EXPECT_GE(n["released_at"].get<double>(), n1["up_at"].get<double>()) << name;
  }
  for (const char* name : {"s1", "s2"}) EXPECT_EQ(Node(report, name)["state"], "released");
  EXPECT_NE(s.out.find("group db: every member is up"), std::string::npos) << s.out << s.err;
  // New targets: every node wrote every stored chunk and reused none.
  const uint64_t written = n1["chunks_written"].get<uint64_t>();
  EXPECT_GT(written, 0u);
  for (const char* name : {"n1", "n2", "n3", "s1", "s2"}) {
    EXPECT_EQ(Node(report, name)["chunks_reused"], 0) << name;
    EXPECT_EQ(Node(report, name)["chunks_written"], written) << name;
  }
}

TEST_F(OrchestrationTest, LeadNeverUpHoldsTheGroupAndTheReportSaysWhy) {
  WriteNodes(2);
  auto server = StartServer();
  StartClients();
  // n1 is released but never boots; the standalone nodes go on regardless.
  const ProgramResult lead = clients_[0]->Wait(kTimeout);
  EXPECT_EQ(lead.exit_code, 0) << lead.err;
  const ProgramResult s = server->Wait(kTimeout);
  EXPECT_EQ(s.exit_code, 1);
  EXPECT_NE(s.err.find("fleetcast-server: error: deployment incomplete: group db: n1 not up "
                       "within 2 s (tcp:7440, released "),
            std::string::npos)
      << s.err;
  const nlohmann::json report = Report();
  ASSERT_TRUE(report.is_object());
  EXPECT_EQ(Node(report, "n1")["state"], "released");
  EXPECT_EQ(Node(report, "n2")["state"], "ready");
  EXPECT_EQ(Node(report, "n3")["state"], "ready");
  EXPECT_EQ(Node(report, "s1")["state"], "released");
  EXPECT_EQ(Node(report, "s2")["state"], "released");
}

TEST_F(OrchestrationTest, RestartedServerReleasesNobodyTwice) {
  WriteNodes(60);
  auto server = StartServer();
  StartClients();
  // Kill the server once the lead is released, before it is up.
  const ProgramResult lead = clients_[0]->Wait(kTimeout);
  ASSERT_EQ(lead.exit_code, 0) << lead.err;
  server->Signal(SIGKILL);
  server->Wait(kTimeout);
  auto again = StartServer("5");
  boots_.push_back(std::make_unique<ChildProcess>(lan_->InReceiver(1, FirstBoot())));
  BootWhenReleased(2, 5);
  const ProgramResult s = again->Wait(kTimeout);
  EXPECT_EQ(s.exit_code, 0) << s.err;
  EXPECT_NE(s.err.find("n1: resumed as released"), std::string::npos) << s.err;
  EXPECT_EQ(s.err.find("n1: released"), std::string::npos) << s.err;
  const nlohmann::json report = Report();
  ASSERT_TRUE(report.is_object());
  const auto& n1 = Node(report, "n1");
  EXPECT_EQ(n1["state"], "up");
  for (const char* name : {"n2", "n3"}) {
    EXPECT_GE(Node(report, name)["released_at"].get<double>(), n1["up_at"].get<double>());
  }
  // n1's client was gone before this server started: its counts and digest
  // come from the state store.
  ASSERT_NO_FATAL_FAILURE(ExpectEveryDiskWrittenWhole(report));
  EXPECT_EQ(n1["digest"], Node(report, "n2")["digest"]);
}

TEST_F(OrchestrationTest, NodeThatNeverAppearsBlocksNoOtherGroup) {
  // ghost leads a group of its own and never boots the imaging media.
  std::ofstream(dir_ / "nodes.toml")
      << Nodes(*lan_, 60)
      << "\n[groups.other]\nup = \"tcp:7440\"\n\n[[nodes]]\nhostname = \"ghost\"\n"
         "mac = \"52:54:00:44:00:09\"\nip = \"10.78.0.99\"\ngroup = \"other\"\nboot_order = 1\n";
  auto server = StartServer("3");
  StartClients();
  BootWhenReleased(1, 5);
  const ProgramResult s = server->Wait(kTimeout);
  EXPECT_EQ(s.exit_code, 1);
  EXPECT_NE(s.err.find("fleetcast-server: error: deployment incomplete: never joined: ghost; "
                       "check those machines booted the imaging media"),
            std::string::npos)
      << s.err;
  const nlohmann::json report = Report();
  ASSERT_TRUE(report.is_object());
  EXPECT_EQ(Node(report, "ghost")["state"], "waiting");
  EXPECT_EQ(Node(report, "ghost")["reason"], "never joined");
  for (const char* name : {"n1", "n2", "n3"}) EXPECT_EQ(Node(report, name)["state"], "up");
}

// Kill the server as soon as it logs a step, restart it on the same state, and
// finish: whatever the step, nobody is released twice and the group's order holds.
class KilledServerTest : public OrchestrationTest,
                         public ::testing::WithParamInterface<const char*> {};

TEST_P(KilledServerTest, ResumesWithoutReleasingTwice) {
  WriteNodes(60);
  auto server = StartServer();
  StartClients();
  // To see n1 up, its first boot must run under the first server.
  const bool lead_boots_first = std::string(GetParam()) == "n1: up";
  if (lead_boots_first) BootWhenReleased(1, 1);
  ASSERT_TRUE(server->WaitForText(GetParam(), kTimeout)) << GetParam();
  server->Signal(SIGKILL);
  const ProgramResult first = server->Wait(kTimeout);
  auto again = StartServer("5");
  BootWhenReleased(lead_boots_first ? 2 : 1, 5);
  const ProgramResult s = again->Wait(kTimeout);
  EXPECT_EQ(s.exit_code, 0) << s.err;
  // A node the first server released is never released by the second.
  for (const char* name : {"n1", "n2", "n3", "s1", "s2"}) {
    const std::string released = std::string(name) + ": released";
    if (first.err.find(released) != std::string::npos) {
      EXPECT_EQ(s.err.find(released), std::string::npos) << name << "\n" << s.err;
    }
  }
  const nlohmann::json report = Report();
  ASSERT_TRUE(report.is_object());
  const auto& n1 = Node(report, "n1");
  EXPECT_EQ(n1["state"], "up");
  for (const char* name : {"n2", "n3"}) {
    EXPECT_EQ(Node(report, name)["state"], "up") << name;
    EXPECT_GE(Node(report, name)["released_at"].get<double>(), n1["up_at"].get<double>());
  }
  ASSERT_NO_FATAL_FAILURE(ExpectEveryDiskWrittenWhole(report));
}

INSTANTIATE_TEST_SUITE_P(EachStep, KilledServerTest,
                         ::testing::Values("n1: receiving", "n1: ready", "n1: released", "n1: up"));

// The call back a node's first boot makes, as its cloud-init seed on its disk says.
std::string CallbackUrl(const std::string& disk) {
  const ProgramResult r =
      testing::RunProgram({"/usr/sbin/debugfs", "-R", "cat /var/lib/cloud/seed/nocloud/user-data",
                           disk + "?offset=1048576"});
  const size_t start = r.out.find("http://");
  if (start == std::string::npos) return "no URL in: " + r.out + r.err;
  return r.out.substr(start, r.out.find('\'', start) - start);
}

TEST_F(OrchestrationTest, CallbackGroupHeldAndUnheldByTheOperator) {
  const std::string token = "0123456789abcdef0123456789abcdef";
  std::string nodes = "[defaults]\nflavour = \"cloud-init\"\n[groups.web]\nup = \"callback\"\n";
  for (int i = 1; i <= 2; ++i) {
    nodes += "[[nodes]]\nhostname = \"w" + std::to_string(i) + "\"\nmac = \"52:54:00:44:00:0" +
             std::to_string(i) + "\"\nip = \"" + lan_->receiver_address(i) +
             "\"\ngroup = \"web\"\nboot_order = " + std::to_string(i) + "\n";
  }
  std::ofstream(dir_ / "nodes.toml") << nodes;
  ChildProcess server(
      lan_->InServer({FLEETCAST_SERVER_BIN, "serve", img_, "--interface",
                      testing::NamespaceLan::kInterface, "--max-wait", "60", "--rate", "300m",
                      "--port", "7340", "--nodes", dir_ / "nodes.toml", "--http-token", token}));
  ASSERT_TRUE(server.WaitForText("status page: http://127.0.0.1:8080/", 60));
  const auto ctl = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {FLEETCAST_SERVER_BIN, "ctl"});
    return testing::RunProgram(lan_->InServer(args), 60);
  };
  // Without the token an action is refused; with it the group is held.
  ProgramResult r = ctl({"hold", "web", "--token", "wrong"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("fleetcast-server: error: ctl hold: 401"), std::string::npos) << r.err;
  r = ctl({"hold", "web", "--token", token});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "hold web: done\n");

  for (int i = 1; i <= 2; ++i) {
    clients_.push_back(std::make_unique<ChildProcess>(lan_->InReceiver(
        i, {FLEETCAST_CLIENT_BIN, "receive", "--server", lan_->server_address() + ":7340",
            "--target", dir_ / ("node" + std::to_string(i) + ".raw"), "--node-id",
            "52:54:00:44:00:0" + std::to_string(i)})));
  }
  ASSERT_TRUE(server.WaitForText("w1: ready", kTimeout));
  ASSERT_TRUE(server.WaitForText("w2: ready", kTimeout));
  // The API and the metrics see the held group and the ready nodes.
  const auto get = [&](const std::string& path) {
    return testing::RunProgram(lan_->InServer({"curl", "-fsS", "http://127.0.0.1:8080" + path}), 60)
        .out;
  };
  const nlohmann::json state = nlohmann::json::parse(get("/api/state"), nullptr, false);
  ASSERT_TRUE(state.is_object());
  EXPECT_EQ(state["groups"][0]["name"], "web");
  EXPECT_EQ(state["groups"][0]["held"], true);
  // Both clients are done: their counts of chunks reused and written.
  ASSERT_EQ(state["nodes"].size(), 2u) << state.dump();
  for (const nlohmann::json& n : state["nodes"]) {
    EXPECT_EQ(n["chunks_reused"], 0) << n.dump();
    ASSERT_TRUE(n["chunks_written"].is_number()) << n.dump();
    EXPECT_GT(n["chunks_written"].get<uint64_t>(), 0u) << n.dump();
  }
  const std::string metrics = get("/metrics");
  EXPECT_NE(metrics.find("fleetcast_nodes{state=\"ready\"} 2\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("fleetcast_bytes_sent_total "), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("fleetcast_send_ratio "), std::string::npos) << metrics;
  ASSERT_EQ(ctl({"unhold", "web", "--token", token}).exit_code, 0);

  // w1 boots alone and calls back; a wrong token and a second call are refused.
  for (int i = 1; i <= 2; ++i) {
    const ProgramResult client = clients_[i - 1]->Wait(kTimeout);
    ASSERT_EQ(client.exit_code, 0) << client.err;
    const std::string url = CallbackUrl(dir_ / ("node" + std::to_string(i) + ".raw"));
    ASSERT_NE(url.find("?token="), std::string::npos) << url;
    const auto post = [&](const std::string& u) {
      return testing::RunProgram(lan_->InReceiver(i, {"curl", "-fsS", "-X", "POST", u}), 60)
          .exit_code;
    };
    EXPECT_EQ(post(url.substr(0, url.size() - 4) + "beef"), 22) << url;  // 403
    EXPECT_EQ(post(url), 0) << url;
    // Already up: a reused token is refused. Only while w2 keeps serve
    // running; once w2 is up, serve settles and exits.
    if (i == 1) {
      EXPECT_EQ(post(url), 22) << url;
    }
  }
  const ProgramResult s = server.Wait(kTimeout);
  EXPECT_EQ(s.exit_code, 0) << s.err;
  // Held, then released only after the operator let go, then w2 only after w1 was up.
  const size_t unheld = s.err.find("group web: no longer held by the operator");
  const size_t w1_released = s.err.find("w1: released");
  const size_t w1_up = s.err.find("w1: up");
  const size_t w2_released = s.err.find("w2: released");
  ASSERT_NE(unheld, std::string::npos) << s.err;
  EXPECT_LT(unheld, w1_released);
  EXPECT_LT(w1_up, w2_released);
  const nlohmann::json report = Report();
  EXPECT_EQ(Node(report, "w1")["up_how"], "callback");
  EXPECT_EQ(Node(report, "w2")["state"], "up");
}

}  // namespace
}  // namespace fleetcast
