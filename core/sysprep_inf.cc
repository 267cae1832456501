#include "core/sysprep_inf.h"

#include <cctype>
#include <string_view>
#include <vector>

namespace fleetcast {

namespace {

constexpr std::string_view kCrlf = "\r\n";
// Index 85 is "(GMT) Greenwich Mean Time: Dublin, Edinburgh, Lisbon, London".
constexpr std::string_view kDefaultTimeZone = "85";

/// A value in double quotes, with embedded quotes doubled as INF files expect.
std::string InfQuoted(std::string_view value) {
  std::string out = "\"";
  for (const char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

/// The value as is when Setup reads it back unchanged, else quoted: ';' starts
/// a comment, ',' separates fields, and edge spaces are trimmed.
std::string InfValue(std::string_view value) {
  const bool needs_quotes = value.empty() || value.front() == ' ' || value.back() == ' ' ||
                            value.find_first_of(";,=\"%[]\t") != std::string_view::npos;
  return needs_quotes ? InfQuoted(value) : std::string(value);
}

/// Builds an INF text section by section, one blank line between sections.
class InfWriter {
 public:
  void Section(std::string_view name) {
    if (!out_.empty()) out_ += kCrlf;
    out_ += "[";
    out_ += name;
    out_ += "]";
    out_ += kCrlf;
  }
  /// `value` is written verbatim: the caller quotes it.
  void Key(std::string_view key, std::string_view value) {
    out_ += key;
    out_ += "=";
    out_ += value;
    out_ += kCrlf;
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

std::string Upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string> FirstBootCommands(const NodeSpec& node, const GroupSpec* group) {
  std::vector<std::string> commands;
  if (group != nullptr) commands = group->commands;
  commands.insert(commands.end(), node.commands.begin(), node.commands.end());
  return commands;
}

std::string JoinComma(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += ',';
    out += item;
  }
  return out;
}

/// "0xAABBCCDDEEFF" from "aa:bb:cc:dd:ee:ff".
std::string NetCardAddress(std::string_view mac) {
  std::string hex;
  for (const char c : mac) {
    if (c != ':' && c != '-') hex += c;
  }
  return "0x" + Upper(hex);
}

void WriteUnattended(InfWriter& inf) {
  inf.Section("Unattended");
  inf.Key("UnattendMode", "FullUnattended");
  inf.Key("OemSkipEula", "Yes");
  // Without OemPreinstall Mini-Setup ignores $OEM$\cmdlines.txt.
  inf.Key("OemPreinstall", "Yes");
  inf.Key("TargetPath", "\\WINDOWS");
  inf.Key("UpdateInstalledDrivers", "Yes");
  inf.Key("DriverSigningPolicy", "Ignore");
}

void WriteGuiUnattended(InfWriter& inf, const NodeSpec& node, const NodeSecrets& secrets,
                        bool has_commands) {
  inf.Section("GuiUnattended");
  // "*" is Setup's spelling of a blank password.
  inf.Key("AdminPassword",
          secrets.admin_password.empty() ? "*" : InfQuoted(secrets.admin_password));
  inf.Key("EncryptedAdminPassword", "No");
  inf.Key("OEMSkipRegional", "1");
  inf.Key("TimeZone",
          node.timezone.empty() ? std::string(kDefaultTimeZone) : InfValue(node.timezone));
  inf.Key("OemSkipWelcome", "1");
  if (has_commands) {
    // GuiRunOnce runs only when someone logs on: log on once by ourselves.
    inf.Key("AutoLogon", "Yes");
    inf.Key("AutoLogonCount", "1");
  }
}

void WriteUserData(InfWriter& inf, const NodeSpec& node) {
  inf.Section("UserData");
  inf.Key("FullName", InfQuoted(node.full_name));
  inf.Key("OrgName", InfQuoted(node.organization));
  inf.Key("ComputerName", InfValue(Upper(node.hostname)));
  if (!node.product_key.empty()) inf.Key("ProductKey", InfQuoted(node.product_key));
}

void WriteLicense(InfWriter& inf, const NodeSpec& node) {
  const bool per_server = node.license_mode == "PerServer";
  inf.Section("LicenseFilePrintData");
  inf.Key("AutoMode", per_server ? "PerServer" : "PerSeat");
  if (per_server) inf.Key("AutoUsers", std::to_string(node.auto_users));
}

void WriteIdentification(InfWriter& inf, const NodeSpec& node, const NodeSecrets& secrets) {
  inf.Section("Identification");
  if (node.domain.empty()) {
    inf.Key("JoinWorkgroup", InfValue(node.workgroup.empty() ? "WORKGROUP" : node.workgroup));
    return;
  }
  inf.Key("JoinDomain", InfValue(node.domain));
  inf.Key("DomainAdmin", InfValue(node.domain_admin));
  inf.Key("DomainAdminPassword", InfQuoted(secrets.domain_password));
}

void WriteNetworkComponents(InfWriter& inf, const NodeSpec& node) {
  inf.Section("Networking");
  inf.Key("InstallDefaultComponents", "No");
  inf.Section("NetAdapters");
  inf.Key("Adapter1", "params.Adapter1");
  // The MAC ties Adapter1, and so the static address below, to the NIC the
  // node was inventoried by, whatever order Windows enumerates its NICs in.
  inf.Section("params.Adapter1");
  inf.Key("NetCardAddress", NetCardAddress(node.mac));
  inf.Section("NetClients");
  inf.Key("MS_MSClient", "params.MS_MSClient");
  inf.Section("NetServices");
  inf.Key("MS_SERVER", "params.MS_SERVER");
}

void WriteTcpip(InfWriter& inf, const NodeSpec& node) {
  inf.Section("NetProtocols");
  inf.Key("MS_TCPIP", "params.MS_TCPIP");
  inf.Section("params.MS_TCPIP");
  inf.Key("AdapterSections", "params.MS_TCPIP.Adapter1");
  // Mini-Setup installs networking before it joins the domain, so the join
  // already travels over this static address and finds the DCs by this DNS.
  inf.Section("params.MS_TCPIP.Adapter1");
  inf.Key("SpecificTo", "Adapter1");
  inf.Key("DHCP", "No");
  inf.Key("IPAddress", InfValue(node.ip));
  inf.Key("SubnetMask", PrefixToNetmask(node.prefix));
  if (!node.gateway.empty()) inf.Key("DefaultGateway", InfValue(node.gateway));
  if (!node.dns.empty()) inf.Key("DNSServerSearchOrder", JoinComma(node.dns));
  if (!node.domain.empty()) inf.Key("DNSDomain", InfValue(node.domain));
}

void WriteGuiRunOnce(InfWriter& inf, const std::vector<std::string>& commands) {
  if (commands.empty()) return;
  inf.Section("GuiRunOnce");
  for (size_t i = 0; i < commands.size(); ++i) {
    inf.Key("Command" + std::to_string(i), InfQuoted(commands[i]));
  }
}

}  // namespace

std::string RenderSysprepInf(const NodeSpec& node, const GroupSpec* group,
                             const NodeSecrets& secrets) {
  const std::vector<std::string> commands = FirstBootCommands(node, group);
  InfWriter inf;
  WriteUnattended(inf);
  WriteGuiUnattended(inf, node, secrets, !commands.empty());
  WriteUserData(inf, node);
  WriteLicense(inf, node);
  WriteIdentification(inf, node, secrets);
  WriteNetworkComponents(inf, node);
  WriteTcpip(inf, node);
  WriteGuiRunOnce(inf, commands);
  return inf.Take();
}

std::string RenderCmdlines(const NodeSpec& node) {
  std::string out = "[Commands]";
  out += kCrlf;
  for (const std::string& command : node.setup_commands) {
    out += InfQuoted(command);
    out += kCrlf;
  }
  return out;
}

}  // namespace fleetcast
