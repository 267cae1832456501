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

#include "core/cloud_init.h"
#include "core/inventory.h"
#include "core/sysprep_inf.h"
#include "core/unattend_xml.h"

namespace fleetcast {
namespace {

// Each node's "I am up" URL, as the server hands it to the renderers.
constexpr std::string_view kCallback = "http://10.0.0.1:8080/api/nodes/00:1a:2b:3c:4d:6f/up";
constexpr std::string_view kWorkgroupCallback =
    "http://10.0.0.1:8080/api/nodes/00:1a:2b:3c:4d:5e/up";
constexpr std::string_view kLinuxCallback = "http://10.0.0.1:8080/api/nodes/52:54:00:12:34:56/up";

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
// A minimal XML well-formedness check: one root, tags that nest and balance,
// quoted attributes, and '&' only as a known entity. Returns "" when fine.

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == ':' || c == '-' ||
         c == '.';
}

bool IsXmlName(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front())) != 0 ||
      name.front() == '-' || name.front() == '.') {
    return false;
  }
  for (const char c : name) {
    if (!IsNameChar(c)) return false;
  }
  return true;
}

/// Character data (text or attribute value) holds no '<' and no stray '&'.
std::string CharDataProblem(std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '<') return "raw '<' in character data";
    if (text[i] != '&') continue;
    const size_t semi = text.find(';', i);
    if (semi == std::string_view::npos) return "unterminated entity";
    const std::string_view entity = text.substr(i + 1, semi - i - 1);
    const bool known = entity == "amp" || entity == "lt" || entity == "gt" || entity == "quot" ||
                       entity == "apos" || (entity.size() > 1 && entity.front() == '#');
    if (!known) return "unknown entity &" + std::string(entity) + ";";
  }
  return "";
}

std::string AttributesProblem(std::string_view attrs) {
  while (true) {
    const size_t start = attrs.find_first_not_of(' ');
    if (start == std::string_view::npos) return "";
    attrs.remove_prefix(start);
    const size_t eq = attrs.find('=');
    if (eq == std::string_view::npos || !IsXmlName(attrs.substr(0, eq))) {
      return "bad attribute in '" + std::string(attrs) + "'";
    }
    const char quote = eq + 1 < attrs.size() ? attrs[eq + 1] : '\0';
    if (quote != '"' && quote != '\'') return "unquoted attribute value";
    const size_t close = attrs.find(quote, eq + 2);
    if (close == std::string_view::npos) return "unterminated attribute value";
    if (auto p = CharDataProblem(attrs.substr(eq + 2, close - eq - 2)); !p.empty()) return p;
    attrs.remove_prefix(close + 1);
    if (!attrs.empty() && attrs.front() != ' ') return "attributes not separated by a space";
  }
}

std::string XmlProblem(std::string_view xml) {
  size_t i = 0;
  if (xml.starts_with("<?xml")) {
    i = xml.find("?>");
    if (i == std::string_view::npos) return "unterminated XML declaration";
    i += 2;
  }
  std::vector<std::string> open;
  bool root_seen = false;
  while (i < xml.size()) {
    if (xml[i] != '<') {
      const size_t next = std::min(xml.find('<', i), xml.size());
      const std::string_view text = xml.substr(i, next - i);
      if (open.empty() && text.find_first_not_of(" \n") != std::string_view::npos) {
        return "text outside the root element";
      }
      if (auto p = CharDataProblem(text); !p.empty()) return p;
      i = next;
      continue;
    }
    const size_t end = xml.find('>', i);
    if (end == std::string_view::npos) return "unterminated tag";
    std::string_view tag = xml.substr(i + 1, end - i - 1);
    i = end + 1;
    if (tag.starts_with('/')) {
      if (open.empty() || open.back() != tag.substr(1)) {
        return "</" + std::string(tag.substr(1)) + "> closes nothing open";
      }
      open.pop_back();
      continue;
    }
    const bool self_closing = tag.ends_with('/');
    if (self_closing) tag.remove_suffix(1);
    const std::string_view name = tag.substr(0, tag.find(' '));
    if (!IsXmlName(name)) return "bad element name '" + std::string(name) + "'";
    if (open.empty() && root_seen) return "a second root element";
    if (auto p = AttributesProblem(tag.substr(name.size())); !p.empty()) return p;
    root_seen = true;
    if (!self_closing) open.emplace_back(name);
  }
  if (!open.empty()) return "<" + open.back() + "> is never closed";
  return root_seen ? "" : "no root element";
}

TEST(XmlCheck, AcceptsWellFormedAndRejectsEachFault) {
  EXPECT_EQ(XmlProblem("<?xml version=\"1.0\"?>\n<a x=\"1\"><b/>t&amp;&#65;</a>\n"), "");
  EXPECT_NE(XmlProblem("<a><b></a></b>"), "");
  EXPECT_NE(XmlProblem("<a>"), "");
  EXPECT_NE(XmlProblem("<a></a><b></b>"), "");
  EXPECT_NE(XmlProblem("<a>x & y</a>"), "");
  EXPECT_NE(XmlProblem("<a>&bogus;</a>"), "");
  EXPECT_NE(XmlProblem("<a x=1></a>"), "");
  EXPECT_NE(XmlProblem("<a x=\"<\"></a>"), "");
  EXPECT_NE(XmlProblem("<a>p\"<&</a>"), "");
  EXPECT_NE(XmlProblem("text<a></a>"), "");
  EXPECT_NE(XmlProblem(""), "");
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

// ---------------------------------------------------------------------------
// unattend.xml

TEST(UnattendXml, WorkgroupNodeWithoutGroup) {
  ExpectGolden("unattend_workgroup.xml",
               RenderUnattendXml(WorkgroupNode(), nullptr, WorkgroupSecrets(), kWorkgroupCallback));
}

TEST(UnattendXml, DomainNodeInGroup) {
  NodeSpec node = DomainNode();
  node.timezone = "W. Europe Standard Time";
  const GroupSpec group = ClusterGroup();
  ExpectGolden("unattend_domain.xml", RenderUnattendXml(node, &group, DomainSecrets(), kCallback));
}

TEST(UnattendXml, IsWellFormedWhateverTheInventorySays) {
  const std::string nasty = "a<b>&c\"d'e]]>";
  NodeSpec node = DomainNode();
  node.hostname = nasty;
  node.full_name = nasty;
  node.organization = nasty;
  node.domain = nasty;
  node.domain_admin = nasty + "\\" + nasty;
  node.commands = {nasty};
  GroupSpec group = ClusterGroup();
  group.commands = {nasty};
  const std::string xml = RenderUnattendXml(
      node, &group, {.admin_password = nasty, .domain_password = nasty}, "http://x/'&<>");
  EXPECT_EQ(XmlProblem(xml), "");
  EXPECT_EQ(XmlProblem(RenderUnattendXml(WorkgroupNode(), nullptr, {}, "")), "");
}

TEST(UnattendXml, EscapesPasswords) {
  const std::string xml = RenderUnattendXml(
      DomainNode(), nullptr, {.admin_password = "p<&\">", .domain_password = "'j&"}, kCallback);
  EXPECT_TRUE(Contains(xml, "<Value>p&lt;&amp;&quot;&gt;</Value>"));
  EXPECT_TRUE(Contains(xml, "<Password>&apos;j&amp;</Password>"));
  EXPECT_FALSE(Contains(xml, "p<&"));
}

TEST(UnattendXml, AddressIsConfiguredBeforeTheJoin) {
  const std::string xml = RenderUnattendXml(DomainNode(), nullptr, DomainSecrets(), kCallback);
  const size_t tcpip = xml.find("\"Microsoft-Windows-TCPIP\"");
  const size_t dns = xml.find("\"Microsoft-Windows-DNS-Client\"");
  const size_t join = xml.find("\"Microsoft-Windows-UnattendedJoin\"");
  ASSERT_NE(tcpip, std::string::npos);
  ASSERT_NE(dns, std::string::npos);
  ASSERT_NE(join, std::string::npos);
  EXPECT_LT(tcpip, join);
  EXPECT_LT(dns, join);
  EXPECT_TRUE(Contains(xml, "<Identifier>00-1A-2B-3C-4D-6F</Identifier>"));
  EXPECT_TRUE(Contains(xml, "<IpAddress wcm:action=\"add\" wcm:keyValue=\"1\">10.20.0.12/16<"));
}

TEST(UnattendXml, SplitsADomainQualifiedJoinAccount) {
  NodeSpec node = DomainNode();
  EXPECT_TRUE(Contains(RenderUnattendXml(node, nullptr, DomainSecrets(), ""),
                       "<Domain>LAB</Domain>\n          <Username>joiner</Username>"));
  node.domain_admin = "joiner";
  EXPECT_TRUE(Contains(RenderUnattendXml(node, nullptr, DomainSecrets(), ""),
                       "<Domain>lab.example.com</Domain>\n          <Username>joiner</Username>"));
}

TEST(UnattendXml, CallsBackOnlyWhenTheNodeProvesItselfUpThatWay) {
  const std::string call = "Invoke-WebRequest -UseBasicParsing -Method Post -Uri &apos;" +
                           std::string(kCallback) + "&apos;";
  GroupSpec group = ClusterGroup();
  const std::string with = RenderUnattendXml(DomainNode(), &group, DomainSecrets(), kCallback);
  EXPECT_TRUE(Contains(with,
                       "<Order>6</Order>\n          <CommandLine>powershell -NoProfile "
                       "-Command &quot;" +
                           call + "&quot;</CommandLine>"));
  EXPECT_TRUE(Contains(RenderUnattendXml(DomainNode(), nullptr, DomainSecrets(), kCallback), call));
  EXPECT_FALSE(Contains(RenderUnattendXml(DomainNode(), &group, DomainSecrets(), ""), "Invoke"));
  group.up = "tcp:3389";
  EXPECT_FALSE(
      Contains(RenderUnattendXml(DomainNode(), &group, DomainSecrets(), kCallback), "Invoke"));
}

TEST(UnattendXml, NoCommandsMeansNoAutoLogon) {
  GroupSpec group = ClusterGroup();
  group.up = "tcp:3389";
  group.commands.clear();
  const std::string xml =
      RenderUnattendXml(WorkgroupNode(), &group, WorkgroupSecrets(), kWorkgroupCallback);
  EXPECT_FALSE(Contains(xml, "AutoLogon"));
  EXPECT_FALSE(Contains(xml, "FirstLogonCommands"));
}

TEST(UnattendXml, UsesLfLineEndings) {
  const std::string xml = RenderUnattendXml(DomainNode(), nullptr, DomainSecrets(), kCallback);
  EXPECT_FALSE(Contains(xml, "\r"));
  EXPECT_TRUE(xml.ends_with("</unattend>\n"));
}

// ---------------------------------------------------------------------------
// NoCloud seed

void ExpectSeedGolden(const std::string& name, const NoCloudSeed& seed) {
  ExpectGolden(name + ".meta-data", seed.meta_data);
  ExpectGolden(name + ".user-data", seed.user_data);
  ExpectGolden(name + ".network-config", seed.network_config);
}

NodeSpec LinuxNode() {
  NodeSpec node;
  node.hostname = "web03";
  node.mac = "52:54:00:12:34:56";
  node.ip = "10.30.0.13";
  node.prefix = 24;
  node.gateway = "10.30.0.1";
  node.dns = {"10.30.0.2", "10.30.0.3"};
  node.domain = "lab.example.com";
  node.timezone = "Europe/Berlin";
  node.group = "web";
  node.commands = {"systemctl enable --now nginx", "echo \"ready\" > /etc/motd"};
  return node;
}

TEST(CloudInit, StandaloneNodeWithoutGroup) {
  NodeSpec node = WorkgroupNode();
  node.hostname = "db01";
  ExpectSeedGolden("cloud_standalone",
                   RenderNoCloud(node, nullptr, WorkgroupSecrets(), kWorkgroupCallback));
}

TEST(CloudInit, NodeWithDomainAndTwoDnsServersInGroup) {
  GroupSpec group;
  group.name = "web";
  group.commands = {"apt-get -y install nginx"};
  ExpectSeedGolden("cloud_domain",
                   RenderNoCloud(LinuxNode(), &group, WorkgroupSecrets(), kLinuxCallback));
}

TEST(CloudInit, QuotesEveryUserScalar) {
  NodeSpec node = LinuxNode();
  node.hostname = "h\"x\\y";
  node.commands = {"a: b # c\n- d"};
  const NoCloudSeed seed =
      RenderNoCloud(node, nullptr, {.admin_password = "p\"w\\", .domain_password = ""}, "");
  EXPECT_TRUE(Contains(seed.meta_data, "local-hostname: \"h\\\"x\\\\y\"\n"));
  EXPECT_TRUE(Contains(seed.user_data, "password: \"p\\\"w\\\\\"\n"));
  EXPECT_TRUE(Contains(seed.user_data, "runcmd:\n  - \"a: b # c\\n- d\"\n"));
}

TEST(CloudInit, CallsBackOnlyWhenTheNodeProvesItselfUpThatWay) {
  const std::string call = "  - \"curl -fsS -X POST '" + std::string(kLinuxCallback) + "'\"\n";
  GroupSpec group;
  EXPECT_TRUE(RenderNoCloud(LinuxNode(), &group, {}, kLinuxCallback).user_data.ends_with(call));
  EXPECT_TRUE(RenderNoCloud(LinuxNode(), nullptr, {}, kLinuxCallback).user_data.ends_with(call));
  EXPECT_FALSE(Contains(RenderNoCloud(LinuxNode(), nullptr, {}, "").user_data, "curl"));
  group.up = "tcp:22";
  EXPECT_FALSE(Contains(RenderNoCloud(LinuxNode(), &group, {}, kLinuxCallback).user_data, "curl"));
}

TEST(CloudInit, ShellQuotesTheCallbackUrl) {
  const NoCloudSeed seed = RenderNoCloud(WorkgroupNode(), nullptr, {}, "http://x/it's");
  EXPECT_TRUE(Contains(seed.user_data, "\"curl -fsS -X POST 'http://x/it'\\\\''s'\"\n"));
}

TEST(CloudInit, LeavesOutWhatIsNotSet) {
  NodeSpec node = WorkgroupNode();
  node.dns.clear();
  node.gateway.clear();
  const NoCloudSeed seed = RenderNoCloud(node, nullptr, {}, "");
  EXPECT_FALSE(Contains(seed.user_data, "chpasswd"));
  EXPECT_FALSE(Contains(seed.user_data, "fqdn"));
  EXPECT_FALSE(Contains(seed.user_data, "timezone"));
  EXPECT_FALSE(Contains(seed.user_data, "runcmd"));
  EXPECT_FALSE(Contains(seed.network_config, "routes"));
  EXPECT_FALSE(Contains(seed.network_config, "nameservers"));
}

}  // namespace
}  // namespace fleetcast
