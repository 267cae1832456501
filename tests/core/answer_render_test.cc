// Tests of the answer-file renderers (sysprep.inf, cmdlines.txt,
// unattend.xml, NoCloud seed): whole outputs against reviewed golden files in
// tests/core/golden/, plus targeted checks of ordering, escaping, line
// endings and the callback. FLEETCAST_UPDATE_GOLDEN=1 rewrites the goldens.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "core/inventory.h"
#include "core/sysprep_inf.h"

namespace fleetcast {
namespace {

// Each node's "I am up" URL, as the server hands it to the renderers.
constexpr std::string_view kCallback = "http://10.0.0.1:8080/api/nodes/00:1a:2b:3c:4d:6f/up";
constexpr std::string_view kWorkgroupCallback =
    "http://10.0.0.1:8080/api/nodes/00:1a:2b:3c:4d:5e/up";

// ---------------------------------------------------------------------------
// Golden files.

std::string GoldenPath(const std::string& name) {
  return std::string(FLEETCAST_GOLDEN_DIR) + "/" + name;
}

/// Compares `actual` with the golden file byte for byte, or rewrites the
/// golden when FLEETCAST_UPDATE_GOLDEN=1 (review the diff before committing).
void ExpectGolden(const std::string& name, const std::string& actual) {
  const char* update = std::getenv("FLEETCAST_UPDATE_GOLDEN");
  if (update != nullptr && std::string_view(update) == "1") {
    std::ofstream(GoldenPath(name), std::ios::binary) << actual;
    return;
  }
  std::ifstream in(GoldenPath(name), std::ios::binary);
  ASSERT_TRUE(in) << GoldenPath(name) << ": missing; run with FLEETCAST_UPDATE_GOLDEN=1";
  std::stringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(expected.str(), actual)
      << name << ": differs from the golden; if the change is intended, rerun with "
      << "FLEETCAST_UPDATE_GOLDEN=1 and review the diff";
}

// ---------------------------------------------------------------------------
// The lab: a standalone workstation, and a domain member of a cluster group.

NodeSpec WorkgroupNode() {
  NodeSpec node;
  node.hostname = "ws01";
  node.mac = "00:1a:2b:3c:4d:5e";
  node.ip = "192.168.10.21";
  node.prefix = 24;
  node.gateway = "192.168.10.1";
  node.dns = {"192.168.10.1"};
  return node;
}

NodeSecrets WorkgroupSecrets() { return {.admin_password = "Adm1n-pw", .domain_password = ""}; }

NodeSpec DomainNode() {
  NodeSpec node;
  node.hostname = "sql02";
  node.mac = "00:1a:2b:3c:4d:6f";
  node.ip = "10.20.0.12";
  node.prefix = 16;
  node.gateway = "10.20.0.1";
  node.dns = {"10.20.0.5", "10.20.0.6"};
  node.domain = "lab.example.com";
  node.domain_admin = "LAB\\joiner";
  node.group = "sqlclu";
  node.setup_commands = {"C:\\Setup\\drivers.cmd", "regedit /s \"C:\\Setup\\tweaks.reg\""};
  node.commands = {"net start msdtc", "cscript //nologo C:\\Setup\\postjoin.vbs"};
  node.timezone = "110";
  node.full_name = "Lab Admin";
  node.organization = "Example Lab";
  node.product_key = "ABCDE-FGHIJ-KLMNO-PQRST-UVWXY";
  node.license_mode = "PerServer";
  node.auto_users = 25;
  return node;
}

GroupSpec ClusterGroup() {
  GroupSpec group;
  group.name = "sqlclu";
  group.up = "callback";
  group.commands = {"msdtc -install -a", "msdtc -resetlog", "iisreset /restart"};
  return group;
}

NodeSecrets DomainSecrets() {
  return {.admin_password = "L0cal-Admin", .domain_password = "J0in-Secret"};
}

bool AllLinesEndCrlf(std::string_view text) {
  if (!text.ends_with("\r\n")) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) return false;
    if (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n')) return false;
  }
  return true;
}

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// ---------------------------------------------------------------------------
// sysprep.inf and cmdlines.txt

TEST(SysprepInf, WorkgroupNodeWithoutGroup) {
  ExpectGolden("sysprep_workgroup.inf",
               RenderSysprepInf(WorkgroupNode(), nullptr, WorkgroupSecrets()));
}

TEST(SysprepInf, DomainNodeInGroup) {
  const GroupSpec group = ClusterGroup();
  ExpectGolden("sysprep_domain.inf", RenderSysprepInf(DomainNode(), &group, DomainSecrets()));
}

TEST(SysprepInf, Cmdlines) { ExpectGolden("cmdlines_domain.txt", RenderCmdlines(DomainNode())); }

TEST(SysprepInf, UsesCrlfLineEndings) {
  const GroupSpec group = ClusterGroup();
  EXPECT_TRUE(AllLinesEndCrlf(RenderSysprepInf(DomainNode(), &group, DomainSecrets())));
  EXPECT_TRUE(AllLinesEndCrlf(RenderSysprepInf(WorkgroupNode(), nullptr, WorkgroupSecrets())));
  EXPECT_TRUE(AllLinesEndCrlf(RenderCmdlines(DomainNode())));
  EXPECT_EQ(RenderCmdlines(WorkgroupNode()), "[Commands]\r\n");
}

TEST(SysprepInf, BindsStaticAddressToTheNicByMac) {
  const std::string inf = RenderSysprepInf(DomainNode(), nullptr, DomainSecrets());
  EXPECT_TRUE(Contains(inf, "[params.Adapter1]\r\nNetCardAddress=0x001A2B3C4D6F\r\n"));
  EXPECT_TRUE(Contains(inf,
                       "[params.MS_TCPIP.Adapter1]\r\nSpecificTo=Adapter1\r\nDHCP=No\r\n"
                       "IPAddress=10.20.0.12\r\nSubnetMask=255.255.0.0\r\n"
                       "DefaultGateway=10.20.0.1\r\nDNSServerSearchOrder=10.20.0.5,10.20.0.6\r\n"
                       "DNSDomain=lab.example.com\r\n"));
  EXPECT_TRUE(Contains(inf, "JoinDomain=lab.example.com\r\nDomainAdmin=LAB\\joiner\r\n"));
}

TEST(SysprepInf, DoublesQuotesInsideQuotedValues) {
  NodeSpec node = DomainNode();
  node.commands = {"cmd /c \"echo hi\""};
  const std::string inf =
      RenderSysprepInf(node, nullptr, {.admin_password = "pa\"ss", .domain_password = "\"j\""});
  EXPECT_TRUE(Contains(inf, "AdminPassword=\"pa\"\"ss\"\r\n"));
  EXPECT_TRUE(Contains(inf, "DomainAdminPassword=\"\"\"j\"\"\"\r\n"));
  EXPECT_TRUE(Contains(inf, "Command0=\"cmd /c \"\"echo hi\"\"\"\r\n"));
}

TEST(SysprepInf, QuotesPlainValuesOnlyWhenNeeded) {
  NodeSpec node = WorkgroupNode();
  node.workgroup = "LAB;2";
  EXPECT_TRUE(
      Contains(RenderSysprepInf(node, nullptr, WorkgroupSecrets()), "JoinWorkgroup=\"LAB;2\"\r\n"));
  node.workgroup = "LAB2";
  EXPECT_TRUE(
      Contains(RenderSysprepInf(node, nullptr, WorkgroupSecrets()), "JoinWorkgroup=LAB2\r\n"));
}

TEST(SysprepInf, GroupCommandsRunFirstAndNeedAnAutoLogon) {
  const GroupSpec group = ClusterGroup();
  const std::string inf = RenderSysprepInf(DomainNode(), &group, DomainSecrets());
  EXPECT_TRUE(Contains(inf,
                       "[GuiRunOnce]\r\nCommand0=\"msdtc -install -a\"\r\n"
                       "Command1=\"msdtc -resetlog\"\r\nCommand2=\"iisreset /restart\"\r\n"
                       "Command3=\"net start msdtc\"\r\n"));
  EXPECT_TRUE(Contains(inf, "AutoLogon=Yes\r\nAutoLogonCount=1\r\n"));
}

TEST(SysprepInf, NoCommandsMeansNoRunOnceAndNoAutoLogon) {
  const std::string inf = RenderSysprepInf(WorkgroupNode(), nullptr, WorkgroupSecrets());
  EXPECT_FALSE(Contains(inf, "[GuiRunOnce]"));
  EXPECT_FALSE(Contains(inf, "AutoLogon"));
}

TEST(SysprepInf, DefaultsAndBlankPassword) {
  const std::string inf = RenderSysprepInf(WorkgroupNode(), nullptr, {});
  EXPECT_TRUE(Contains(inf, "AdminPassword=*\r\n"));
  EXPECT_TRUE(Contains(inf, "TimeZone=85\r\n"));
  EXPECT_TRUE(Contains(inf, "JoinWorkgroup=WORKGROUP\r\n"));
  EXPECT_TRUE(Contains(inf, "AutoMode=PerSeat\r\n"));
  EXPECT_FALSE(Contains(inf, "AutoUsers"));
  EXPECT_FALSE(Contains(inf, "ProductKey"));
  EXPECT_FALSE(Contains(inf, "DNSDomain"));
  // The client appends the mass-storage list after matching its own devices.
  EXPECT_FALSE(Contains(inf, "SysprepMassStorage"));
}

}  // namespace
}  // namespace fleetcast
