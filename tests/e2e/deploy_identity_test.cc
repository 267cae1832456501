// A deployment with an inventory: `serve --nodes` probes nodes.toml, gives
// each client its own answers over its control connection, and each client
// writes them into its verified disk (NTFS and ext4 partitions), without
// mounting. Read back with ntfscat, debugfs and hivexget.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <memory>

#include "platform/ntfs_volume.h"
#include "tests/client/disk_builder.h"
#include "tests/client/hive_builder.h"
#include "tests/e2e/netns_lan.h"
#include "tests/test_util.h"

namespace fleetcast {
namespace {

namespace fs = std::filesystem;
using testing::ChildProcess;
using testing::ProgramResult;
using testing::RunTool;

constexpr double kTimeout = 180;

constexpr const char* kNodes = R"(
[defaults]
prefix = 24
gateway = "10.20.0.1"
dns = ["10.20.0.2"]
admin_password_secret = "admin"

[[nodes]]
hostname = "SQL01"
mac = "52:54:00:20:00:11"
ip = "10.20.0.11"
flavour = "sysprep-inf"
drivers = "drivers"
commands = ["msdtc -install -a", "msdtc -resetlog"]

[[nodes]]
hostname = "WEB01"
mac = "52:54:00:20:00:21"
ip = "10.20.0.21"
flavour = "unattend-xml"
workgroup = "LAB"

[[nodes]]
hostname = "bench01"
mac = "52:54:00:20:00:31"
ip = "10.20.0.31"
flavour = "cloud-init"
commands = ["echo imaged > /root/imaged"]
)";

void WriteText(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

class IdentityDeployTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // One master disk with both a Windows (NTFS + SYSTEM hive) and a Linux
    // (ext4 with /etc) volume, so every flavour has somewhere to land.
    WriteText(dir_ / "seed/etc/hostname", "template\n");
    disk_ = testing::BuildDisk(dir_, testing::TableKind::kGpt, dir_ / "seed");
    ASSERT_FALSE(disk_.empty());
    testing::WriteSystemHive(dir_ / "SYSTEM", {});
    auto volume = NtfsVolume::Open(disk_, testing::kNtfsOffset, testing::kNtfsSize, true);
    ASSERT_TRUE(volume.ok()) << volume.status().ToString();
    ASSERT_TRUE(
        (*volume)
            ->WriteFile("/Windows/System32/config/SYSTEM", testing::ReadFileBytes(dir_ / "SYSTEM"))
            .ok());
    ASSERT_TRUE((*volume)->Close().ok());
    ProgramResult r = testing::RunProgram({FLEETCAST_SERVER_BIN, "pack", disk_, img_});
    ASSERT_EQ(r.exit_code, 0) << r.err;

    WriteText(dir_ / "nodes.toml", kNodes);
    fs::copy(FLEETCAST_SOURCE_DIR "/tests/data/drivers", dir_ / "drivers",
             fs::copy_options::recursive);
    WriteText(dir_ / "secrets.toml", "admin = \"Adm1n-S3cret\"\n");
    ::chmod((dir_ / "secrets.toml").c_str(), 0600);
    // The SQL node's machine has an LSI 1030 controller.
    const char* names[] = {"vendor",           "device", "subsystem_vendor",
                           "subsystem_device", "class",  "revision"};
    const char* values[] = {"0x1000", "0x0030", "0x1000", "0x1040", "0x010000", "0x08"};
    for (int i = 0; i < 6; ++i) {
      WriteText(dir_ / ("sys/bus/pci/devices/0000:02:01.0/" + std::string(names[i])),
                std::string(values[i]) + "\n");
    }
  }

  std::string Target(const std::string& name) const { return dir_ / (name + ".img"); }

  std::string NtfsCat(const std::string& target, const std::string& path) {
    const std::string part = dir_ / "ntfs.part";
    EXPECT_TRUE(testing::ExtractPartition(target, testing::kNtfsOffset, testing::kNtfsSize, part));
    return RunTool({"ntfscat", part, path}).out;
  }
  std::string ExtCat(const std::string& target, const std::string& path) {
    const std::string part = dir_ / "ext.part";
    EXPECT_TRUE(testing::ExtractPartition(target, testing::kExtOffset, testing::kExtSize, part));
    return RunTool({"debugfs", "-R", "cat " + path, part}).out;
  }

  testing::TempDir dir_;
  std::string disk_;
  std::string img_ = dir_ / "master.fcimg";
};

TEST_F(IdentityDeployTest, EachNodeGetsItsOwnIdentityOnItsDisk) {
  testing::NamespaceLan lan(3);
  ASSERT_TRUE(lan.ok()) << "cannot build the namespace LAN (needs root): " << lan.error();
  ChildProcess server(lan.InServer(
      {FLEETCAST_SERVER_BIN, "serve", img_, "--interface", testing::NamespaceLan::kInterface,
       "--min-clients", "3", "--max-wait", "60", "--rate", "300m", "--port", "7330", "--nodes",
       dir_ / "nodes.toml", "--secrets", dir_ / "secrets.toml"}));
  const std::vector<std::pair<std::string, std::string>> nodes = {{"SQL01", "52:54:00:20:00:11"},
                                                                  {"WEB01", "52:54:00:20:00:21"},
                                                                  {"bench01", "52:54:00:20:00:31"}};
  std::vector<std::unique_ptr<ChildProcess>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::make_unique<ChildProcess>(lan.InReceiver(
        i + 1,
        {FLEETCAST_CLIENT_BIN, "receive", "--server", lan.server_address() + ":7330", "--target",
         Target(nodes[i].first), "--node-id", nodes[i].second, "--sysfs", dir_ / "sys"})));
  }
  for (auto& c : clients) {
    const ProgramResult r = c->Wait(kTimeout);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err.find("Adm1n-S3cret"), std::string::npos);
  }
  const ProgramResult s = server.Wait(kTimeout);
  EXPECT_EQ(s.exit_code, 0) << s.err;
  EXPECT_EQ(s.err.find("Adm1n-S3cret"), std::string::npos);
  EXPECT_EQ(s.out.find("Adm1n-S3cret"), std::string::npos);
  // Nor does the state file (or its journal) hold a secret.
  for (const auto& entry : fs::directory_iterator(dir_.path())) {
    if (entry.path().filename().string().rfind("nodes.state", 0) != 0) continue;
    const Bytes state = testing::ReadFileBytes(entry.path());
    EXPECT_EQ(std::string(state.begin(), state.end()).find("Adm1n-S3cret"), std::string::npos)
        << entry.path();
  }

  // SQL01: sysprep.inf with its name, the LSI driver listed, copied and registered.
  const std::string inf = NtfsCat(Target("SQL01"), "/Sysprep/sysprep.inf");
  EXPECT_NE(inf.find("ComputerName=SQL01\r\n"), std::string::npos) << inf;
  EXPECT_NE(inf.find("AdminPassword=\"Adm1n-S3cret\"\r\n"), std::string::npos);
  EXPECT_NE(inf.find("IPAddress=10.20.0.11\r\n"), std::string::npos);
  EXPECT_NE(inf.find("Command0=\"msdtc -install -a\"\r\n"), std::string::npos);
  EXPECT_NE(inf.find("pci\\ven_1000&dev_0030&subsys_10401000 = "
                     "\"C:\\Sysprep\\Drivers\\lsi\\symmpi.inf\""),
            std::string::npos);
  EXPECT_FALSE(NtfsCat(Target("SQL01"), "/Windows/System32/drivers/symmpi.sys").empty());
  WriteText(dir_ / "SYSTEM.sql01", NtfsCat(Target("SQL01"), "/Windows/System32/config/SYSTEM"));
  EXPECT_EQ(RunTool({"hivexget", dir_ / "SYSTEM.sql01",
                     "ControlSet001\\Control\\CriticalDeviceDatabase\\"
                     "pci#ven_1000&dev_0030&subsys_10401000",
                     "Service"})
                .out,
            "symmpi\n");
  // WEB01: unattend.xml with its own name and address; no sysprep.inf.
  const std::string xml = NtfsCat(Target("WEB01"), "/Windows/Panther/unattend.xml");
  EXPECT_NE(xml.find("<ComputerName>WEB01</ComputerName>"), std::string::npos) << xml;
  EXPECT_NE(xml.find("10.20.0.21/24"), std::string::npos);
  ASSERT_TRUE(testing::ExtractPartition(Target("WEB01"), testing::kNtfsOffset, testing::kNtfsSize,
                                        dir_ / "web.part"));
  EXPECT_NE(testing::RunProgram({"ntfscat", dir_ / "web.part", "/Sysprep/sysprep.inf"}).exit_code,
            0);
  // bench01: the NoCloud seed on its ext4 root, calling back to the server.
  EXPECT_NE(ExtCat(Target("bench01"), "/var/lib/cloud/seed/nocloud/meta-data")
                .find("local-hostname: \"bench01\""),
            std::string::npos);
  EXPECT_NE(ExtCat(Target("bench01"), "/var/lib/cloud/seed/nocloud/user-data")
                .find("http://" + lan.server_address() + ":8080/api/nodes/52:54:00:20:00:31/up"),
            std::string::npos);
  ASSERT_TRUE(testing::ExtractPartition(Target("SQL01"), testing::kExtOffset, testing::kExtSize,
                                        dir_ / "sql-ext.part"));
  // Windows answers stay off the Linux volume.
  EXPECT_EQ(RunTool({"debugfs", "-R", "ls -l /var/lib", dir_ / "sql-ext.part"}).out.find("cloud"),
            std::string::npos);
}

TEST_F(IdentityDeployTest, NodeMissingFromTheInventoryIsTurnedAway) {
  ChildProcess server({FLEETCAST_SERVER_BIN, "serve", img_, "--interface", "lo", "--min-clients",
                       "1", "--max-wait", "60", "--port", "7331", "--http", "127.0.0.1:18181",
                       "--nodes", dir_ / "nodes.toml", "--secrets", dir_ / "secrets.toml"});
  const ProgramResult r = testing::RunProgram(
      {FLEETCAST_CLIENT_BIN, "receive", "--server", "127.0.0.1:7331", "--target",
       Target("stranger"), "--node-id", "52:54:00:99:99:99", "--retries", "0"},
      kTimeout);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("node 52:54:00:99:99:99 is not in " + dir_ / "nodes.toml" +
                       "; add it there, or start the client with --node <its MAC>"),
            std::string::npos)
      << r.err;
  server.Signal(SIGINT);
  server.Wait(kTimeout);
}

// serve --tokens: a node's identity goes only to the client holding its
// one-time token, once; the token never shows in the server's log.
TEST_F(IdentityDeployTest, IdentityGoesOnlyToTheHolderOfTheNodesOneTimeToken) {
  ChildProcess server({FLEETCAST_SERVER_BIN,
                       "serve",
                       img_,
                       "--interface",
                       "lo",
                       "--min-clients",
                       "1",
                       "--max-wait",
                       "60",
                       "--rate",
                       "100m",
                       "--port",
                       "7560",
                       "--http",
                       "127.0.0.1:18190",
                       "--http-token",
                       "op-token",
                       "--nodes",
                       dir_ / "nodes.toml",
                       "--secrets",
                       dir_ / "secrets.toml",
                       "--tokens"});
  auto receive = [&](const std::string& name, const std::string& token) {
    std::vector<std::string> argv = {
        FLEETCAST_CLIENT_BIN, "receive",   "--server", "127.0.0.1:7560", "--target",
        Target(name),         "--node-id", "bench01",  "--retries",      "0"};
    if (!token.empty()) argv.insert(argv.end(), {"--token", token});
    return argv;
  };
  const std::string fix =
      "; boot it from this server's network boot, or give its client the token of "
      "`fleetcast-server ctl token bench01`";
  const ProgramResult none = testing::RunProgram(receive("none", ""), kTimeout);
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.err.find("node bench01 needs its one-time token (serve --tokens)" + fix),
            std::string::npos)
      << none.err;
  EXPECT_FALSE(testing::FileExists(Target("none")));

  const ProgramResult ctl =
      testing::RunProgram({FLEETCAST_SERVER_BIN, "ctl", "token", "bench01", "--http",
                           "127.0.0.1:18190", "--token", "op-token"});
  ASSERT_EQ(ctl.exit_code, 0) << ctl.err;
  ASSERT_EQ(ctl.out.size(), 33U) << ctl.out;
  const std::string token = ctl.out.substr(0, 32);

  ChildProcess owner(receive("bench01", token));
  ASSERT_TRUE(owner.WaitForText("chunks to receive into", 60));
  const ProgramResult thief = testing::RunProgram(receive("thief", token), kTimeout);
  EXPECT_EQ(thief.exit_code, 1);
  EXPECT_NE(thief.err.find("node bench01: its one-time token was already used, now again from "
                           "127.0.0.1 (is another machine claiming to be bench01?)" +
                           fix),
            std::string::npos)
      << thief.err;
  EXPECT_FALSE(testing::FileExists(Target("thief")));

  const ProgramResult r = owner.Wait(kTimeout);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(ExtCat(Target("bench01"), "/var/lib/cloud/seed/nocloud/meta-data")
                .find("local-hostname: \"bench01\""),
            std::string::npos);
  server.Signal(SIGINT);
  const ProgramResult s = server.Wait(kTimeout);
  EXPECT_NE(s.err.find("already used"), std::string::npos) << s.err;
  EXPECT_EQ(s.err.find(token), std::string::npos);
  EXPECT_EQ(s.out.find(token), std::string::npos);
}

}  // namespace
}  // namespace fleetcast
