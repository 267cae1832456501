// iPXE scripts the server hands a network-booting machine: the chain script
// every machine fetches first (it names itself by MAC), then per node either
// "boot the fleetcast installer" or "boot from the local disk" (a deployed,
// released node must come up in its new system, not in the installer again).
#ifndef FLEETCAST_CORE_IPXE_SCRIPT_H_
#define FLEETCAST_CORE_IPXE_SCRIPT_H_

#include <string>
#include <string_view>

namespace fleetcast {

/// What the installer's kernel needs to find its server and its disk.
struct InstallerBoot {
  std::string http_base;   // "http://10.0.0.1:8080": kernel and initrd under /boot/files/
  std::string server;      // control address "10.0.0.1:7010", for fleetcast.server=
  std::string node;        // shown on the console ("web03")
  std::string disk;        // fleetcast.disk=, empty for the single disk
  std::string extra_args;  // more kernel arguments (consoles)
  std::string token = {};  // fleetcast.token=, the node's one-time token ("" for none)
};

/// /boot.ipxe: chains to the per-node script, named by the booting NIC's MAC.
std::string IpxeChainScript(std::string_view http_base);

/// Boots the fleetcast kernel and initramfs for `boot`.
std::string IpxeInstallScript(const InstallerBoot& boot);

/// Leaves network boot so the firmware boots the next device (the local
/// disk); `why` is shown on the console.
std::string IpxeLocalScript(std::string_view why);

}  // namespace fleetcast

#endif  // FLEETCAST_CORE_IPXE_SCRIPT_H_
