// Inventory: the lab's nodes and cluster groups, read from nodes.toml
// (docs/inventory.md), and the checks a probe runs before any disk is touched.
//
// Parsing and validation are pure: file existence (driver catalogs) and
// secrets are looked up through the small interfaces passed in, so tests use
// fakes and the server uses the real file system and environment.
#ifndef FLEETCAST_CORE_INVENTORY_H_
#define FLEETCAST_CORE_INVENTORY_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace fleetcast {

/// How a node's operating system takes its identity.
enum class Flavour : unsigned char {
  kSysprepInf,   // XP/2003-era Windows: C:\Sysprep\sysprep.inf (+ cmdlines.txt)
  kUnattendXml,  // Vista and later: C:\Windows\Panther\unattend.xml
  kCloudInit,    // Linux: NoCloud seed in /var/lib/cloud/seed/nocloud/
};

/// "sysprep-inf", "unattend-xml" or "cloud-init".
std::string_view FlavourName(Flavour flavour);
std::optional<Flavour> ParseFlavour(std::string_view name);

/// One machine of the lab: who it is on the network and how it boots.
struct NodeSpec {
  std::string hostname;  // NetBIOS-safe for Windows flavours
  std::string mac;       // lower case "aa:bb:cc:dd:ee:ff"
  std::string ip;        // dotted quad
  int prefix = 24;
  std::string gateway;
  std::vector<std::string> dns;
  std::string domain;                  // set: join this domain; empty: stay in workgroup
  std::string workgroup;               // used when domain is empty ("WORKGROUP" by default)
  std::string domain_admin;            // account that joins the domain, e.g. "LAB\\joiner"
  std::string admin_password_secret;   // name of the secret holding the admin password
  std::string domain_password_secret;  // name of the secret holding the join password
  std::string group;                   // cluster group, empty for none
  int boot_order = 0;                  // 1 boots first in its group; 0: not set
  Flavour flavour = Flavour::kCloudInit;
  std::string drivers;  // driver catalog directory on the server, empty for none
  std::string disk;     // the disk the boot media writes ("nvme0n1"); empty: the only one
  std::vector<std::string> setup_commands;  // during setup, as SYSTEM (cmdlines.txt)
  std::vector<std::string> commands;        // first boot, after the group's commands
  std::string timezone;           // flavour's own form: sysprep index, Windows name, or IANA name
  std::string full_name = "Lab";  // [UserData] FullName / RegisteredOwner
  std::string organization = "Lab";
  std::string product_key;               // empty: none written
  std::string license_mode = "PerSeat";  // or "PerServer" (needs auto_users)
  int auto_users = 0;
  int source_line = 0;  // where nodes.toml defines the node, for messages
};

/// A cluster group: how its nodes are proven up, and how they are released.
struct GroupSpec {
  std::string name;
  std::string up = "callback";        // "callback" or "tcp:PORT"
  int timeout_s = 600;                // how long a released node may take to come up
  int wave = 1;                       // nodes released together after the first
  std::vector<std::string> commands;  // post-clone commands, run before the node's own
  int source_line = 0;
};

/// Everything nodes.toml says.
struct Inventory {
  std::vector<NodeSpec> nodes;
  std::map<std::string, GroupSpec> groups;

  const NodeSpec* FindByMac(std::string_view mac) const;
  const GroupSpec* GroupOf(const NodeSpec& node) const;
};

/// One thing wrong with the inventory, for a line of the probe's report:
/// "nodes.toml:14: node SQL02: boot_order: ...; <fix>".
struct Problem {
  int line = 0;         // 0: no single line to point at
  std::string subject;  // "node SQL02", "group sql", "defaults"
  std::string field;    // the key at fault, empty for the whole subject
  std::string message;

  std::string ToString(std::string_view source) const;
};

/// The passwords a node's answer files carry. Never logged, never multicast.
struct NodeSecrets {
  std::string admin_password;
  std::string domain_password;
};

/// IPv4 helpers for validation and rendering. Addresses are host order.
std::optional<uint32_t> ParseIpv4(std::string_view text);
std::string FormatIpv4(uint32_t address);
/// "255.255.255.0" for 24.
std::string PrefixToNetmask(int prefix);
/// ASCII lower case: hostnames compare without case, as NetBIOS and DNS do.
std::string LowerAscii(std::string_view text);
/// "aa:bb:cc:dd:ee:ff" from any of aa:bb.., AA-BB-.., aabbccddeeff; nullopt if not a MAC.
std::optional<std::string> NormalizeMac(std::string_view text);

}  // namespace fleetcast

#endif  // FLEETCAST_CORE_INVENTORY_H_
