#include "core/cloud_init.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <utility>
#include <vector>

namespace fleetcast {

namespace {

// Characters a YAML double-quoted scalar must escape, and their escapes.
constexpr std::array<std::pair<char, std::string_view>, 5> kYamlEscapes = {{
    {'"', "\\\""},
    {'\\', "\\\\"},
    {'\n', "\\n"},
    {'\r', "\\r"},
    {'\t', "\\t"},
}};

/// A YAML double-quoted scalar: backslash, quote and control characters are
/// escaped; other bytes, UTF-8 included, pass through.
std::string YamlQuoted(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto* escape = std::find_if(kYamlEscapes.begin(), kYamlEscapes.end(),
                                      [c](const auto& e) { return e.first == c; });
    if (escape != kYamlEscapes.end()) {
      out += escape->second;
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      char hex[5];
      std::snprintf(hex, sizeof(hex), "\\x%02x", static_cast<unsigned char>(c));
      out += hex;
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

/// The text inside single quotes for sh: a quote becomes '\''.
std::string ShellQuoted(std::string_view text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += '\'';
  return out;
}

std::string MacHex(std::string_view mac) {
  std::string hex;
  for (const char c : mac) {
    if (c != ':') hex += c;
  }
  return hex;
}

bool UsesCallback(const GroupSpec* group, std::string_view callback_url) {
  return !callback_url.empty() && (group == nullptr || group->up == "callback");
}

/// The group's commands, the node's, then the callback when there is one.
std::vector<std::string> RunCommands(const NodeSpec& node, const GroupSpec* group,
                                     std::string_view callback_url) {
  std::vector<std::string> commands;
  if (group != nullptr) commands = group->commands;
  commands.insert(commands.end(), node.commands.begin(), node.commands.end());
  if (UsesCallback(group, callback_url)) {
    commands.push_back("curl -fsS -X POST " + ShellQuoted(callback_url));
  }
  return commands;
}

/// Lines "<indent>- <quoted item>".
std::string YamlList(std::string_view indent, const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    out += std::string(indent) + "- " + YamlQuoted(item) + "\n";
  }
  return out;
}

std::string MetaData(const NodeSpec& node) {
  // From name and MAC: unique in the lab, and the same each time the node's
  // seed is rendered, so rendering twice is not a new instance to cloud-init.
  return "instance-id: " + YamlQuoted("fleetcast-" + node.hostname + "-" + MacHex(node.mac)) +
         "\n" + "local-hostname: " + YamlQuoted(node.hostname) + "\n";
}

std::string NetworkConfig(const NodeSpec& node) {
  std::string out = "version: 2\nethernets:\n  id0:\n";
  out += "    match:\n      macaddress: " + YamlQuoted(node.mac) + "\n";
  out += "    addresses:\n" + YamlList("      ", {node.ip + "/" + std::to_string(node.prefix)});
  if (!node.gateway.empty()) {
    out += "    routes:\n      - to: default\n        via: " + YamlQuoted(node.gateway) + "\n";
  }
  if (!node.dns.empty() || !node.domain.empty()) {
    out += "    nameservers:\n";
    if (!node.dns.empty()) out += "      addresses:\n" + YamlList("        ", node.dns);
    if (!node.domain.empty()) out += "      search:\n" + YamlList("        ", {node.domain});
  }
  return out;
}

std::string ChpasswdRoot(std::string_view password) {
  return "chpasswd:\n  expire: false\n  users:\n    - name: root\n      password: " +
         YamlQuoted(password) + "\n      type: text\n";
}

std::string UserData(const NodeSpec& node, const GroupSpec* group, const NodeSecrets& secrets,
                     std::string_view callback_url) {
  std::string out = "#cloud-config\n";
  out += "hostname: " + YamlQuoted(node.hostname) + "\n";
  if (!node.domain.empty()) out += "fqdn: " + YamlQuoted(node.hostname + "." + node.domain) + "\n";
  out += "manage_etc_hosts: true\n";
  if (!node.timezone.empty()) out += "timezone: " + YamlQuoted(node.timezone) + "\n";
  if (!secrets.admin_password.empty()) out += ChpasswdRoot(secrets.admin_password);
  const std::vector<std::string> commands = RunCommands(node, group, callback_url);
  if (!commands.empty()) out += "runcmd:\n" + YamlList("  ", commands);
  return out;
}

}  // namespace

NoCloudSeed RenderNoCloud(const NodeSpec& node, const GroupSpec* group, const NodeSecrets& secrets,
                          std::string_view callback_url) {
  return {.meta_data = MetaData(node),
          .user_data = UserData(node, group, secrets, callback_url),
          .network_config = NetworkConfig(node)};
}

}  // namespace fleetcast
