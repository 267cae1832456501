#include "core/inventory_check.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <string_view>

namespace fleetcast {

namespace {

constexpr size_t kNetbiosLength = 15;
constexpr size_t kDnsLabelLength = 63;

bool IsWindows(const NodeSpec& node) { return node.flavour != Flavour::kCloudInit; }

// Collects the problems of one node with its line and name filled in.
class NodeProblems {
 public:
  NodeProblems(const NodeSpec& node, std::vector<Problem>* out)
      : node_(node),
        subject_("node " + (node.hostname.empty() ? std::string("?") : node.hostname)),
        out_(out) {}

  void Add(std::string field, std::string message) {
    out_->push_back({node_.source_line, subject_, std::move(field), std::move(message)});
  }

 private:
  const NodeSpec& node_;
  std::string subject_;
  std::vector<Problem>* out_;
};

void CheckHostname(const NodeSpec& node, NodeProblems& p) {
  const std::string& name = node.hostname;
  if (name.empty()) return p.Add("hostname", "missing; give every node a hostname");
  const auto bad = std::find_if(name.begin(), name.end(), [](char c) {
    return !std::isalnum(static_cast<unsigned char>(c)) && c != '-';
  });
  if (bad != name.end()) {
    return p.Add("hostname", "'" + name + "' holds '" + std::string(1, *bad) +
                                 "', which NetBIOS and DNS names cannot; use letters, digits "
                                 "and '-'");
  }
  if (name.front() == '-' || name.back() == '-') {
    p.Add("hostname", "'" + name + "' starts or ends with '-'; DNS names cannot");
  }
  if (std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    p.Add("hostname", "'" + name + "' is all digits; add a letter");
  }
  if (IsWindows(node) && name.size() > kNetbiosLength) {
    p.Add("hostname", "'" + name + "' is " + std::to_string(name.size()) +
                          " characters; a Windows (NetBIOS) name is at most 15");
  } else if (name.size() > kDnsLabelLength) {
    p.Add("hostname", "'" + name + "' is longer than a DNS label's 63 characters");
  }
}

void CheckAddress(const NodeSpec& node, NodeProblems& p) {
  if (!NormalizeMac(node.mac)) {
    p.Add("mac", node.mac.empty() ? "missing; give the MAC of the node's imaging NIC"
                                  : "'" + node.mac + "' is not a MAC like 52:54:00:12:34:56");
  }
  const auto ip = ParseIpv4(node.ip);
  if (!ip) {
    return p.Add("ip", node.ip.empty() ? "missing; give a static address like 10.0.0.5/24"
                                       : "'" + node.ip + "' is not an IPv4 address");
  }
  if (node.prefix < 1 || node.prefix > 30) {
    return p.Add("prefix", std::to_string(node.prefix) + " is not a usable prefix (1..30)");
  }
  const uint32_t mask = ~uint32_t{0} << (32 - node.prefix);
  const std::string network = FormatIpv4(*ip & mask) + "/" + std::to_string(node.prefix);
  if ((*ip & ~mask) == 0 || (*ip & ~mask) == ~mask) {
    p.Add("ip", node.ip + " is the network or broadcast address of " + network);
  }
  if (!node.gateway.empty()) {
    const auto gateway = ParseIpv4(node.gateway);
    if (!gateway) {
      p.Add("gateway", "'" + node.gateway + "' is not an IPv4 address");
    } else if (*gateway == *ip) {
      p.Add("ip", node.ip + " equals the gateway; give the node its own address");
    } else if ((*gateway & mask) != (*ip & mask)) {
      p.Add("ip", node.ip + "/" + std::to_string(node.prefix) + " is outside the gateway " +
                      node.gateway + "'s network; fix the address, its prefix or the gateway");
    }
  }
  for (const std::string& dns : node.dns) {
    if (!ParseIpv4(dns)) p.Add("dns", "'" + dns + "' is not an IPv4 address");
  }
}

void CheckSecret(const std::string& name, const std::string& field, const CheckEnvironment& env,
                 NodeProblems& p) {
  if (name.empty()) return;
  if (const auto problem = env.secret_problem(name)) p.Add(field, *problem);
}

void CheckMembership(const NodeSpec& node, const CheckEnvironment& env, NodeProblems& p) {
  if (!node.domain.empty() && node.workgroup != "WORKGROUP" && !node.workgroup.empty()) {
    p.Add("workgroup", "set together with domain " + node.domain + "; a node joins one of them");
  }
  if (IsWindows(node) && !node.domain.empty()) {
    if (node.domain_admin.empty()) {
      p.Add("domain_admin", "missing; joining " + node.domain +
                                " needs an account (domain_admin) and its password "
                                "(domain_password_secret)");
    }
    if (node.domain_password_secret.empty()) {
      p.Add("domain_password_secret",
            "missing; joining " + node.domain + " needs the account's password as a secret");
    }
  }
  if (IsWindows(node) && node.admin_password_secret.empty()) {
    p.Add("admin_password_secret",
          "missing; a Windows node needs an administrator password as a secret");
  }
  CheckSecret(node.admin_password_secret, "admin_password_secret", env, p);
  // A join password is only sent where a join happens.
  if (IsWindows(node) && !node.domain.empty()) {
    CheckSecret(node.domain_password_secret, "domain_password_secret", env, p);
  }
}

void CheckWindowsSettings(const NodeSpec& node, const CheckEnvironment& env, NodeProblems& p) {
  if (node.flavour == Flavour::kSysprepInf && !node.timezone.empty() &&
      !std::all_of(node.timezone.begin(), node.timezone.end(),
                   [](char c) { return c >= '0' && c <= '9'; })) {
    p.Add("timezone", "'" + node.timezone + "' is not a sysprep.inf time zone index like 85");
  }
  if (node.license_mode != "PerSeat" && node.license_mode != "PerServer") {
    p.Add("license_mode", "'" + node.license_mode + "' is not PerSeat or PerServer");
  } else if (node.license_mode == "PerServer" && node.auto_users < 5) {
    p.Add("auto_users", "PerServer licensing needs auto_users of 5 or more");
  }
  if (node.drivers.empty()) return;
  if (node.flavour != Flavour::kSysprepInf) {
    p.Add("drivers", "only sysprep-inf nodes take a driver catalog ([SysprepMassStorage])");
  } else if (const auto problem = env.catalog_problem(node.drivers)) {
    p.Add("drivers", *problem);
  }
}

void CheckCommands(const NodeSpec& node, NodeProblems& p) {
  for (const auto* list : {&node.commands, &node.setup_commands}) {
    const char* field = list == &node.commands ? "commands" : "setup_commands";
    for (const std::string& command : *list) {
      if (command.find_first_not_of(" \t") == std::string::npos) {
        p.Add(field, "holds an empty command");
      } else if (command.find_first_of("\r\n") != std::string::npos) {
        p.Add(field, "a command spans lines; answer files take one line per command");
      }
    }
  }
  for (const auto& [field, value] :
       {std::pair{"full_name", &node.full_name}, std::pair{"organization", &node.organization},
        std::pair{"domain_admin", &node.domain_admin}, std::pair{"timezone", &node.timezone}}) {
    if (value->find_first_of("\r\n") != std::string::npos) p.Add(field, "spans lines; use one");
  }
  if (!node.setup_commands.empty() && node.flavour != Flavour::kSysprepInf) {
    p.Add("setup_commands",
          "only sysprep-inf nodes run setup commands (cmdlines.txt); use "
          "commands");
  }
}

// The boot media puts the disk on the kernel command line: a kernel name only.
void CheckDisk(const NodeSpec& node, NodeProblems& p) {
  if (node.disk.empty()) return;
  std::string_view name = node.disk;
  if (name.substr(0, 5) == "/dev/") name.remove_prefix(5);
  const bool plain = !name.empty() && name.find_first_not_of(
                                          "abcdefghijklmnopqrstuvwxyz"
                                          "0123456789") == std::string::npos;
  if (!plain) {
    p.Add("disk", "'" + node.disk + "' is not a kernel disk name; use e.g. \"sda\" or \"nvme0n1\"");
  }
}

void CheckNode(const Inventory& inventory, const NodeSpec& node, const CheckEnvironment& env,
               std::vector<Problem>* out) {
  NodeProblems p(node, out);
  CheckHostname(node, p);
  CheckAddress(node, p);
  CheckMembership(node, env, p);
  if (IsWindows(node)) CheckWindowsSettings(node, env, p);
  CheckCommands(node, p);
  CheckDisk(node, p);
  if (node.boot_order < 0) p.Add("boot_order", "must be 1 or more");
  if (node.group.empty()) {
    if (node.boot_order != 0) {
      p.Add("boot_order", "set, but the node is in no cluster group; set group or drop it");
    }
    return;
  }
  const GroupSpec* group = inventory.GroupOf(node);
  if (group == nullptr) {
    return p.Add("group", "'" + node.group + "' has no [groups." + node.group + "] table");
  }
  if (node.boot_order == 0) {
    p.Add("boot_order", "missing; every node of cluster group " + node.group +
                            " needs one (1 boots first, alone)");
  }
  if (group->up == "callback" && node.flavour == Flavour::kSysprepInf) {
    p.Add("group", "group " + node.group +
                       " proves 'up' by callback, which a sysprep-inf node "
                       "cannot make; use up = \"tcp:PORT\"");
  }
}

void CheckDuplicates(const Inventory& inventory, std::vector<Problem>* out) {
  std::map<std::string, const NodeSpec*> macs, names, ips;
  // `key` is compared; `shown` is how the node wrote it.
  const auto check = [out](std::map<std::string, const NodeSpec*>& seen, const std::string& key,
                           const std::string& shown, const NodeSpec& node, const char* field) {
    if (key.empty()) return;
    const auto [it, fresh] = seen.emplace(key, &node);
    if (!fresh) {
      out->push_back({node.source_line, "node " + node.hostname, field,
                      "'" + shown + "' is also node " + it->second->hostname + "'s (line " +
                          std::to_string(it->second->source_line) + ")"});
    }
  };
  for (const NodeSpec& node : inventory.nodes) {
    check(macs, node.mac, node.mac, node, "mac");
    check(names, LowerAscii(node.hostname), node.hostname, node, "hostname");
    check(ips, node.ip, node.ip, node, "ip");
  }
}

void CheckGroup(const Inventory& inventory, const GroupSpec& group, std::vector<Problem>* out) {
  const auto add = [&](std::string field, std::string message) {
    out->push_back(
        {group.source_line, "group " + group.name, std::move(field), std::move(message)});
  };
  const std::string_view up = group.up;
  if (up != "callback") {
    const bool tcp =
        up.substr(0, 4) == "tcp:" && up.size() > 4 && up.size() <= 9 &&
        std::all_of(up.begin() + 4, up.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!tcp || std::stoi(std::string(up.substr(4))) < 1 ||
        std::stoi(std::string(up.substr(4))) > 65535) {
      add("up", "'" + group.up + "' is neither \"callback\" nor \"tcp:PORT\"");
    }
  }
  if (group.timeout_s < 1) add("timeout", "must be 1 second or more");
  if (group.wave < 1) add("wave", "must be 1 or more");
  std::vector<const NodeSpec*> first;
  for (const NodeSpec& node : inventory.nodes) {
    if (node.group == group.name && node.boot_order == 1) first.push_back(&node);
  }
  if (first.size() > 1) {
    std::string names;
    for (const NodeSpec* node : first) names += (names.empty() ? "" : ", ") + node->hostname;
    add("boot_order", std::to_string(first.size()) + " nodes have boot_order 1 (" + names +
                          "); exactly one boots first, alone");
  } else if (first.empty()) {
    add("boot_order", "no node has boot_order 1; the node that boots first, alone, needs it");
  }
  for (const std::string& command : group.commands) {
    if (command.find_first_not_of(" \t") == std::string::npos) {
      add("commands", "holds an empty command");
    }
  }
}

}  // namespace

std::vector<Problem> CheckInventory(const Inventory& inventory, const CheckEnvironment& env) {
  std::vector<Problem> out;
  for (const NodeSpec& node : inventory.nodes) CheckNode(inventory, node, env, &out);
  CheckDuplicates(inventory, &out);
  for (const auto& [name, group] : inventory.groups) CheckGroup(inventory, group, &out);
  std::stable_sort(out.begin(), out.end(),
                   [](const Problem& a, const Problem& b) { return a.line < b.line; });
  return out;
}

std::vector<Problem> CheckImageVolumes(const Inventory& inventory,
                                       const std::vector<FsKind>& volumes,
                                       const std::string& image) {
  std::string holds;
  for (const FsKind kind : volumes)
    holds += (holds.empty() ? "" : ", ") + std::string(FsKindName(kind));
  if (holds.empty()) holds = "no partition with a filesystem fleetcast knows";
  std::vector<Problem> out;
  for (const NodeSpec& node : inventory.nodes) {
    const FsKind needed = IsWindows(node) ? FsKind::kNtfs : FsKind::kExt;
    if (std::find(volumes.begin(), volumes.end(), needed) != volumes.end()) continue;
    std::string message(FlavourName(node.flavour));
    message += " writes into ";
    message += FsKindName(needed);
    message.append(", but ").append(image).append(" holds ").append(holds);
    message += "; give this node an image of its own system";
    out.push_back({node.source_line, "node " + node.hostname, "flavour", std::move(message)});
  }
  return out;
}

}  // namespace fleetcast
