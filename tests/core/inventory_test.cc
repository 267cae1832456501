#include "core/inventory.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "core/inventory_check.h"
#include "core/inventory_parser.h"

namespace fleetcast {
namespace {

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

CheckEnvironment FakeEnvironment() {
  CheckEnvironment env;
  env.secret_problem = [](const std::string& name) -> std::optional<std::string> {
    if (name == "admin" || name == "join") return std::nullopt;
    return "secret '" + name + "' is not set";
  };
  env.catalog_problem = [](const std::string& path) -> std::optional<std::string> {
    if (path == "drivers/storage") return std::nullopt;
    return "'" + path + "' does not exist";
  };
  return env;
}

// The problems of a nodes.toml text, each as its probe line.
std::vector<std::string> Probe(const std::string& text) {
  auto parsed = ParseInventory(text, "nodes.toml");
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  if (!parsed.ok()) return {};
  std::vector<std::string> lines;
  for (const Problem& p : parsed->problems) lines.push_back(p.ToString("nodes.toml"));
  for (const Problem& p : CheckInventory(parsed->inventory, FakeEnvironment())) {
    lines.push_back(p.ToString("nodes.toml"));
  }
  return lines;
}

// A valid two-node workgroup inventory that tests below break one way each.
const char* const kBase = R"(
[defaults]
gateway = "10.0.0.1"
flavour = "sysprep-inf"
admin_password_secret = "admin"
[[nodes]]
hostname = "NODE01"
mac = "52:54:00:00:00:01"
ip = "10.0.0.11"
[[nodes]]
hostname = "NODE02"
mac = "52:54:00:00:00:02"
ip = "10.0.0.12"
)";

std::string Joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += line + "\n";
  return out;
}

TEST(InventoryTest, DocumentedExampleIsValid) {
  const std::string text = ReadText(FLEETCAST_SOURCE_DIR "/docs/nodes.example.toml");
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(Joined(Probe(text)), "");
  // docs/inventory.md shows the same example, word for word.
  EXPECT_NE(
      ReadText(FLEETCAST_SOURCE_DIR "/docs/inventory.md").find(text.substr(0, text.size() - 1)),
      std::string::npos);
  auto parsed = ParseInventory(text, "nodes.toml");
  ASSERT_TRUE(parsed.ok());
  const Inventory& inv = parsed->inventory;
  ASSERT_EQ(inv.nodes.size(), 4u);
  const NodeSpec& sql01 = inv.nodes[0];
  EXPECT_EQ(sql01.hostname, "SQL01");
  EXPECT_EQ(sql01.mac, "52:54:00:20:00:11");
  EXPECT_EQ(sql01.prefix, 24);
  EXPECT_EQ(sql01.dns, (std::vector<std::string>{"10.20.0.2", "10.20.0.3"}));
  EXPECT_EQ(sql01.domain_admin, "LAB\\joiner");
  EXPECT_EQ(sql01.timezone, "85");
  EXPECT_EQ(sql01.flavour, Flavour::kSysprepInf);
  EXPECT_EQ(inv.nodes[2].flavour, Flavour::kUnattendXml);
  EXPECT_EQ(inv.nodes[3].flavour, Flavour::kCloudInit);
  EXPECT_EQ(inv.nodes[3].ip, "10.20.0.31");
  EXPECT_EQ(inv.nodes[3].domain, "");
  const GroupSpec* sql = inv.GroupOf(sql01);
  ASSERT_NE(sql, nullptr);
  EXPECT_EQ(sql->up, "tcp:1433");
  EXPECT_EQ(sql->timeout_s, 900);
  EXPECT_EQ(sql->wave, 2);
  EXPECT_EQ(sql->commands, (std::vector<std::string>{"msdtc -install -a", "msdtc -resetlog"}));
  EXPECT_EQ(inv.FindByMac("52-54-00-20-00-12")->hostname, "SQL02");
}

TEST(InventoryTest, BaseIsValid) { EXPECT_EQ(Joined(Probe(kBase)), ""); }

TEST(InventoryTest, SyntaxErrorNamesLineAndColumn) {
  auto parsed = ParseInventory("[[nodes]]\nhostname = \"A\"\nmac = \n", "nodes.toml");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().message().rfind("nodes.toml:3:", 0), 0u) << parsed.status().message();
  EXPECT_NE(parsed.status().message().find("; fix the TOML syntax"), std::string::npos);
}

TEST(InventoryTest, UnknownKeySuggestsTheRightOne) {
  const auto lines = Probe(std::string(kBase) + "boot_ordr = 2\n");
  ASSERT_EQ(lines.size(), 1u) << Joined(lines);
  EXPECT_EQ(lines[0],
            "nodes.toml:14: node NODE02: boot_ordr: unknown key; did you mean "
            "'boot_order'?");
}

TEST(InventoryTest, WrongTypesAndPerNodeKeysInDefaults) {
  const auto lines = Probe(R"(
[defaults]
hostname = "X"
prefix = "24"
[[nodes]]
hostname = "A1"
mac = "52:54:00:00:00:01"
ip = "10.0.0.5"
flavour = "cloud-init"
dns = "10.0.0.2"
)");
  EXPECT_EQ(Joined(lines),
            "nodes.toml:3: defaults: hostname: differs per node; set it in each [[nodes]] table\n"
            "nodes.toml:4: defaults: prefix: expected a whole number\n"
            "nodes.toml:10: node A1: dns: expected a list of strings, e.g. [\"a\", \"b\"]\n");
}

TEST(InventoryTest, DuplicateMacHostnameAndIp) {
  const auto lines = Probe(std::string(kBase) + R"(
[[nodes]]
hostname = "node01"
mac = "52-54-00-00-00-02"
ip = "10.0.0.11"
)");
  EXPECT_EQ(Joined(lines),
            "nodes.toml:15: node node01: mac: '52:54:00:00:00:02' is also node NODE02's (line 10)\n"
            "nodes.toml:15: node node01: hostname: 'node01' is also node NODE01's (line 6)\n"
            "nodes.toml:15: node node01: ip: '10.0.0.11' is also node NODE01's (line 6)\n");
}

TEST(InventoryTest, AddressProblems) {
  const auto lines = Probe(R"(
[defaults]
flavour = "cloud-init"
gateway = "10.0.0.1"
[[nodes]]
hostname = "a"
mac = "52:54:00:00:00:01"
ip = "10.0.1.5"
[[nodes]]
hostname = "b"
mac = "52:54:00:00:00:02"
ip = "10.0.0.1"
[[nodes]]
hostname = "c"
mac = "52:54:00:00:00:0"
ip = "10.0.0.255/24"
dns = ["10.0.0.300"]
[[nodes]]
hostname = "d"
mac = "52:54:00:00:00:04"
ip = "10.0.0.9/33"
)");
  EXPECT_EQ(Joined(lines),
            "nodes.toml:5: node a: ip: 10.0.1.5/24 is outside the gateway 10.0.0.1's network; "
            "fix the address, its prefix or the gateway\n"
            "nodes.toml:9: node b: ip: 10.0.0.1 equals the gateway; give the node its own address\n"
            "nodes.toml:13: node c: mac: '52:54:00:00:00:0' is not a MAC like 52:54:00:12:34:56\n"
            "nodes.toml:13: node c: ip: 10.0.0.255 is the network or broadcast address of "
            "10.0.0.0/24\n"
            "nodes.toml:13: node c: dns: '10.0.0.300' is not an IPv4 address\n"
            "nodes.toml:18: node d: prefix: 33 is not a usable prefix (1..30)\n");
}

TEST(InventoryTest, HostnameRules) {
  const auto lines = Probe(R"(
[defaults]
flavour = "unattend-xml"
admin_password_secret = "admin"
[[nodes]]
hostname = "WEBSERVER-NUMBER1"
mac = "52:54:00:00:00:01"
ip = "10.0.0.5"
[[nodes]]
hostname = "web_02"
mac = "52:54:00:00:00:02"
ip = "10.0.0.6"
[[nodes]]
hostname = "-web3"
mac = "52:54:00:00:00:03"
ip = "10.0.0.7"
[[nodes]]
hostname = "linux-builder-number-one"
flavour = "cloud-init"
mac = "52:54:00:00:00:04"
ip = "10.0.0.8"
)");
  EXPECT_EQ(Joined(lines),
            "nodes.toml:5: node WEBSERVER-NUMBER1: hostname: 'WEBSERVER-NUMBER1' is 17 "
            "characters; a Windows (NetBIOS) name is at most 15\n"
            "nodes.toml:9: node web_02: hostname: 'web_02' holds '_', which NetBIOS and DNS "
            "names cannot; use letters, digits and '-'\n"
            "nodes.toml:13: node -web3: hostname: '-web3' starts or ends with '-'; DNS names "
            "cannot\n");
}

TEST(InventoryTest, DomainJoinNeedsCredentials) {
  const auto lines = Probe(R"(
[[nodes]]
hostname = "DC2"
flavour = "sysprep-inf"
mac = "52:54:00:00:00:01"
ip = "10.0.0.5"
domain = "lab.example.com"
admin_password_secret = "admin"
[[nodes]]
hostname = "DC3"
flavour = "unattend-xml"
mac = "52:54:00:00:00:02"
ip = "10.0.0.6"
domain = "lab.example.com"
workgroup = "LAB"
domain_admin = "LAB\\joiner"
domain_password_secret = "missing"
)");
  EXPECT_EQ(Joined(lines),
            "nodes.toml:2: node DC2: domain_admin: missing; joining lab.example.com needs an "
            "account (domain_admin) and its password (domain_password_secret)\n"
            "nodes.toml:2: node DC2: domain_password_secret: missing; joining lab.example.com "
            "needs the account's password as a secret\n"
            "nodes.toml:9: node DC3: workgroup: set together with domain lab.example.com; a node "
            "joins one of them\n"
            "nodes.toml:9: node DC3: admin_password_secret: missing; a Windows node needs an "
            "administrator password as a secret\n"
            "nodes.toml:9: node DC3: domain_password_secret: secret 'missing' is not set\n");
}

TEST(InventoryTest, BootOrderInGroups) {
  const auto lines = Probe(std::string(kBase) + R"(
group = "sql"
[[nodes]]
hostname = "NODE03"
mac = "52:54:00:00:00:03"
ip = "10.0.0.13"
group = "sql"
boot_order = 1
[[nodes]]
hostname = "NODE04"
mac = "52:54:00:00:00:04"
ip = "10.0.0.14"
group = "sql"
boot_order = 1
[[nodes]]
hostname = "NODE05"
mac = "52:54:00:00:00:05"
ip = "10.0.0.15"
group = "web"
boot_order = 1
[[nodes]]
hostname = "NODE06"
mac = "52:54:00:00:00:06"
ip = "10.0.0.16"
boot_order = 3
[groups.sql]
up = "tcp:99999"
wave = 0
[groups.empty]
up = "tcp:80"
)");
  EXPECT_EQ(Joined(lines),
            "nodes.toml:10: node NODE02: boot_order: missing; every node of cluster group sql "
            "needs one (1 boots first, alone)\n"
            "nodes.toml:28: node NODE05: group: 'web' has no [groups.web] table\n"
            "nodes.toml:34: node NODE06: boot_order: set, but the node is in no cluster group; "
            "set group or drop it\n"
            "nodes.toml:39: group sql: up: 'tcp:99999' is neither \"callback\" nor \"tcp:PORT\"\n"
            "nodes.toml:39: group sql: wave: must be 1 or more\n"
            "nodes.toml:39: group sql: boot_order: 2 nodes have boot_order 1 (NODE03, NODE04); "
            "exactly one boots first, alone\n"
            "nodes.toml:42: group empty: boot_order: no node has boot_order 1; the node that boots "
            "first, alone, needs it\n");
}

TEST(InventoryTest, CallbackGroupNeedsANodeThatCanCallBack) {
  const auto lines = Probe(std::string(kBase) + R"(
group = "web"
boot_order = 1
[groups.web]
)");
  EXPECT_EQ(Joined(lines),
            "nodes.toml:10: node NODE02: group: group web proves 'up' by callback, which a "
            "sysprep-inf node cannot make; use up = \"tcp:PORT\"\n");
}

TEST(InventoryTest, WindowsSettings) {
  const auto lines = Probe(R"(
[defaults]
admin_password_secret = "admin"
[[nodes]]
hostname = "OLD1"
flavour = "sysprep-inf"
mac = "52:54:00:00:00:01"
ip = "10.0.0.5"
timezone = "GMT"
license_mode = "PerServer"
auto_users = 2
drivers = "drivers/nowhere"
commands = [" "]
[[nodes]]
hostname = "NEW1"
flavour = "unattend-xml"
mac = "52:54:00:00:00:02"
ip = "10.0.0.6"
license_mode = "perseat"
drivers = "drivers/storage"
setup_commands = ["x"]
)");
  EXPECT_EQ(Joined(lines),
            "nodes.toml:4: node OLD1: timezone: 'GMT' is not a sysprep.inf time zone index like "
            "85\n"
            "nodes.toml:4: node OLD1: auto_users: PerServer licensing needs auto_users of 5 or "
            "more\n"
            "nodes.toml:4: node OLD1: drivers: 'drivers/nowhere' does not exist\n"
            "nodes.toml:4: node OLD1: commands: holds an empty command\n"
            "nodes.toml:14: node NEW1: license_mode: 'perseat' is not PerSeat or PerServer\n"
            "nodes.toml:14: node NEW1: drivers: only sysprep-inf nodes take a driver catalog "
            "([SysprepMassStorage])\n"
            "nodes.toml:14: node NEW1: setup_commands: only sysprep-inf nodes run setup commands "
            "(cmdlines.txt); use commands\n");
}

TEST(InventoryTest, DiskIsAKernelName) {
  const auto lines = Probe(R"(
[[nodes]]
hostname = "a1"
flavour = "cloud-init"
mac = "52:54:00:00:00:01"
ip = "10.0.0.5"
disk = "/dev/nvme0n1"
[[nodes]]
hostname = "a2"
flavour = "cloud-init"
mac = "52:54:00:00:00:02"
ip = "10.0.0.6"
disk = "sda fleetcast.server=evil"
)");
  EXPECT_EQ(Joined(lines),
            "nodes.toml:8: node a2: disk: 'sda fleetcast.server=evil' is not a kernel disk "
            "name; use e.g. \"sda\" or \"nvme0n1\"\n");
}

TEST(InventoryTest, ImageMustHoldEachFlavoursFilesystem) {
  auto parsed = ParseInventory(R"(
[[nodes]]
hostname = "W1"
flavour = "unattend-xml"
mac = "52:54:00:00:00:01"
ip = "10.0.0.5"
[[nodes]]
hostname = "l1"
flavour = "cloud-init"
mac = "52:54:00:00:00:02"
ip = "10.0.0.6"
)",
                               "nodes.toml");
  ASSERT_TRUE(parsed.ok());
  const Inventory& inv = parsed->inventory;
  EXPECT_TRUE(CheckImageVolumes(inv, {FsKind::kExt, FsKind::kNtfs}, "lab.fcimg").empty());
  std::vector<std::string> lines;
  for (const Problem& p : CheckImageVolumes(inv, {FsKind::kExt, FsKind::kUnknown}, "lab.fcimg")) {
    lines.push_back(p.ToString("nodes.toml"));
  }
  EXPECT_EQ(lines, std::vector<std::string>{
                       "nodes.toml:2: node W1: flavour: unattend-xml writes into NTFS, but "
                       "lab.fcimg holds ext2/3/4, unknown; give this node an image of its own "
                       "system"});
  EXPECT_EQ(CheckImageVolumes(inv, {}, "x.fcimg")[1].message,
            "cloud-init writes into ext2/3/4, but x.fcimg holds no partition with a filesystem "
            "fleetcast knows; give this node an image of its own system");
}

TEST(InventoryTest, Ipv4AndMacHelpers) {
  EXPECT_EQ(ParseIpv4("10.0.0.1"), 0x0a000001u);
  EXPECT_FALSE(ParseIpv4("10.0.0"));
  EXPECT_FALSE(ParseIpv4("10.0.0.01"));
  EXPECT_FALSE(ParseIpv4("10.0.0.1 "));
  EXPECT_EQ(FormatIpv4(0xc0a80101u), "192.168.1.1");
  EXPECT_EQ(PrefixToNetmask(24), "255.255.255.0");
  EXPECT_EQ(PrefixToNetmask(20), "255.255.240.0");
  EXPECT_EQ(NormalizeMac("52-54-00-AB-cd-01"), "52:54:00:ab:cd:01");
  EXPECT_EQ(NormalizeMac("525400abcd01"), "52:54:00:ab:cd:01");
  EXPECT_FALSE(NormalizeMac("52:54:00:ab:cd"));
  EXPECT_FALSE(NormalizeMac("52:54:00:ab:cd:0g"));
}

}  // namespace
}  // namespace fleetcast
