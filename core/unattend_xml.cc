#include "core/unattend_xml.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>
#include <vector>

namespace fleetcast {

namespace {

constexpr std::string_view kComponentAttributes =
    R"( processorArchitecture="amd64" publicKeyToken="31bf3856ad364e35" language="neutral")"
    R"( versionScope="nonSxS" xmlns:wcm="http://schemas.microsoft.com/WMIConfig/2002/State")";
constexpr std::string_view kAdd = R"( wcm:action="add")";

// The five characters XML gives meaning to, and their entities.
constexpr std::array<std::pair<char, std::string_view>, 5> kXmlEntities = {{
    {'&', "&amp;"},
    {'<', "&lt;"},
    {'>', "&gt;"},
    {'"', "&quot;"},
    {'\'', "&apos;"},
}};

/// Text safe in element content and in double- or single-quoted attributes.
std::string XmlEscape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto* entity = std::find_if(kXmlEntities.begin(), kXmlEntities.end(),
                                      [c](const auto& e) { return e.first == c; });
    if (entity == kXmlEntities.end()) {
      out += c;
    } else {
      out += entity->second;
    }
  }
  return out;
}

/// Writes elements one per line, indented by depth; Close ends the innermost
/// open element, so tags balance by construction.
class XmlWriter {
 public:
  /// `attributes` is pre-rendered (` name="escaped"`...), empty for none.
  void Open(std::string_view tag, std::string_view attributes = {}) {
    Indent();
    out_ += "<" + std::string(tag) + std::string(attributes) + ">\n";
    open_.emplace_back(tag);
  }
  void Close() {
    const std::string tag = std::move(open_.back());
    open_.pop_back();
    Indent();
    out_ += "</" + tag + ">\n";
  }
  /// An element holding only `text`, escaped here.
  void Leaf(std::string_view tag, std::string_view text, std::string_view attributes = {}) {
    Indent();
    out_ += "<" + std::string(tag) + std::string(attributes) + ">" + XmlEscape(text) + "</" +
            std::string(tag) + ">\n";
  }
  void Raw(std::string_view line) { out_ += line; }
  std::string Take() { return std::move(out_); }

 private:
  void Indent() { out_.append(2 * open_.size(), ' '); }

  std::string out_;
  std::vector<std::string> open_;
};

void OpenComponent(XmlWriter& xml, std::string_view name) {
  xml.Open("component",
           R"( name=")" + std::string(name) + "\"" + std::string(kComponentAttributes));
}

/// ` wcm:action="add" wcm:keyValue="N"`: list entries Windows orders by key.
std::string AddWithKey(size_t key) {
  return std::string(kAdd) + R"( wcm:keyValue=")" + std::to_string(key) + "\"";
}

/// "AA-BB-CC-DD-EE-FF", the form in which Windows accepts a MAC as an
/// interface Identifier.
std::string WindowsMac(std::string_view mac) {
  std::string out;
  for (const char c : mac) {
    out += c == ':' ? '-' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string Upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool UsesCallback(const GroupSpec* group, std::string_view callback_url) {
  return !callback_url.empty() && (group == nullptr || group->up == "callback");
}

/// The group's commands, the node's, then the callback when there is one.
std::vector<std::string> FirstLogonCommands(const NodeSpec& node, const GroupSpec* group,
                                            std::string_view callback_url) {
  std::vector<std::string> commands;
  if (group != nullptr) commands = group->commands;
  commands.insert(commands.end(), node.commands.begin(), node.commands.end());
  if (UsesCallback(group, callback_url)) {
    // PowerShell single-quoted string: a quote is written twice.
    std::string url;
    for (const char c : callback_url) url += c == '\'' ? std::string("''") : std::string(1, c);
    commands.push_back(
        "powershell -NoProfile -Command \"Invoke-WebRequest -UseBasicParsing -Method Post -Uri '" +
        url + "'\"");
  }
  return commands;
}

void WriteShellSetupSpecialize(XmlWriter& xml, const NodeSpec& node) {
  OpenComponent(xml, "Microsoft-Windows-Shell-Setup");
  xml.Leaf("ComputerName", Upper(node.hostname));
  xml.Leaf("TimeZone", node.timezone.empty() ? "UTC" : node.timezone);
  xml.Leaf("RegisteredOwner", node.full_name);
  xml.Leaf("RegisteredOrganization", node.organization);
  if (!node.product_key.empty()) xml.Leaf("ProductKey", node.product_key);
  xml.Close();
}

void WriteTcpip(XmlWriter& xml, const NodeSpec& node) {
  OpenComponent(xml, "Microsoft-Windows-TCPIP");
  xml.Open("Interfaces");
  xml.Open("Interface", kAdd);
  xml.Open("Ipv4Settings");
  xml.Leaf("DhcpEnabled", "false");
  xml.Close();
  xml.Leaf("Identifier", WindowsMac(node.mac));
  xml.Open("UnicastIpAddresses");
  xml.Leaf("IpAddress", node.ip + "/" + std::to_string(node.prefix), AddWithKey(1));
  xml.Close();
  if (!node.gateway.empty()) {
    xml.Open("Routes");
    xml.Open("Route", kAdd);
    xml.Leaf("Identifier", "0");
    xml.Leaf("Prefix", "0.0.0.0/0");
    xml.Leaf("NextHopAddress", node.gateway);
    xml.Close();
    xml.Close();
  }
  xml.Close();
  xml.Close();
  xml.Close();
}

void WriteDnsClient(XmlWriter& xml, const NodeSpec& node) {
  if (node.dns.empty() && node.domain.empty()) return;
  OpenComponent(xml, "Microsoft-Windows-DNS-Client");
  xml.Open("Interfaces");
  xml.Open("Interface", kAdd);
  xml.Leaf("Identifier", WindowsMac(node.mac));
  if (!node.domain.empty()) xml.Leaf("DNSDomain", node.domain);
  if (!node.dns.empty()) {
    xml.Open("DNSServerSearchOrder");
    for (size_t i = 0; i < node.dns.size(); ++i) {
      xml.Leaf("IpAddress", node.dns[i], AddWithKey(i + 1));
    }
    xml.Close();
  }
  xml.Close();
  xml.Close();
  xml.Close();
}

void WriteUnattendedJoin(XmlWriter& xml, const NodeSpec& node, const NodeSecrets& secrets) {
  OpenComponent(xml, "Microsoft-Windows-UnattendedJoin");
  xml.Open("Identification");
  if (node.domain.empty()) {
    xml.Leaf("JoinWorkgroup", node.workgroup.empty() ? "WORKGROUP" : node.workgroup);
  } else {
    // "LAB\joiner" names its own domain; a bare account is one of the joined domain.
    const size_t slash = node.domain_admin.find('\\');
    const bool qualified = slash != std::string::npos;
    xml.Open("Credentials");
    xml.Leaf("Domain", qualified ? node.domain_admin.substr(0, slash) : node.domain);
    xml.Leaf("Username", qualified ? node.domain_admin.substr(slash + 1) : node.domain_admin);
    xml.Leaf("Password", secrets.domain_password);
    xml.Close();
    xml.Leaf("JoinDomain", node.domain);
  }
  xml.Close();
  xml.Close();
}

void WritePassword(XmlWriter& xml, std::string_view tag, std::string_view password) {
  xml.Open(tag);
  xml.Leaf("Value", password);
  xml.Leaf("PlainText", "true");
  xml.Close();
}

void WriteOobe(XmlWriter& xml) {
  xml.Open("OOBE");
  xml.Leaf("HideEULAPage", "true");
  xml.Leaf("ProtectYourPC", "3");
  xml.Leaf("SkipMachineOOBE", "true");
  xml.Leaf("SkipUserOOBE", "true");
  xml.Close();
}

void WriteFirstLogon(XmlWriter& xml, const std::vector<std::string>& commands,
                     std::string_view admin_password) {
  if (commands.empty()) return;
  // FirstLogonCommands run only at a logon: log on once by ourselves.
  xml.Open("AutoLogon");
  xml.Leaf("Enabled", "true");
  xml.Leaf("Username", "Administrator");
  WritePassword(xml, "Password", admin_password);
  xml.Leaf("LogonCount", "1");
  xml.Close();
  xml.Open("FirstLogonCommands");
  for (size_t i = 0; i < commands.size(); ++i) {
    xml.Open("SynchronousCommand", kAdd);
    xml.Leaf("Order", std::to_string(i + 1));
    xml.Leaf("CommandLine", commands[i]);
    xml.Close();
  }
  xml.Close();
}

void WriteSpecialize(XmlWriter& xml, const NodeSpec& node, const NodeSecrets& secrets) {
  xml.Open("settings", R"( pass="specialize")");
  WriteShellSetupSpecialize(xml, node);
  // Address and DNS are written before the join. Windows does not promise to
  // apply a pass's components in document order, but TCPIP and DNS-Client
  // configure the NIC during specialize, while UnattendedJoin joins at the
  // end of specialize, so the join goes out over this address and DNS.
  WriteTcpip(xml, node);
  WriteDnsClient(xml, node);
  WriteUnattendedJoin(xml, node, secrets);
  xml.Close();
}

void WriteOobeSystem(XmlWriter& xml, const std::vector<std::string>& commands,
                     const NodeSecrets& secrets) {
  xml.Open("settings", R"( pass="oobeSystem")");
  OpenComponent(xml, "Microsoft-Windows-Shell-Setup");
  xml.Open("UserAccounts");
  WritePassword(xml, "AdministratorPassword", secrets.admin_password);
  xml.Close();
  WriteOobe(xml);
  WriteFirstLogon(xml, commands, secrets.admin_password);
  xml.Close();
  xml.Close();
}

}  // namespace

std::string RenderUnattendXml(const NodeSpec& node, const GroupSpec* group,
                              const NodeSecrets& secrets, std::string_view callback_url) {
  XmlWriter xml;
  xml.Raw("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
  xml.Open("unattend", R"( xmlns="urn:schemas-microsoft-com:unattend")");
  WriteSpecialize(xml, node, secrets);
  WriteOobeSystem(xml, FirstLogonCommands(node, group, callback_url), secrets);
  xml.Close();
  return xml.Take();
}

}  // namespace fleetcast
