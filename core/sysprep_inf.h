// Sysprep answer files for XP/2003-era Windows (Flavour::kSysprepInf): the
// C:\Sysprep\sysprep.inf that drives a fully unattended Mini-Setup on the
// cloned disk, and the $OEM$\cmdlines.txt of commands it runs as SYSTEM.
//
// Pure: values in, text out. Both files use CRLF line endings because Setup
// reads them as Windows text. Values must not hold line breaks (an INF value
// cannot span lines); inventory validation is where those are refused.
#ifndef FLEETCAST_CORE_SYSPREP_INF_H_
#define FLEETCAST_CORE_SYSPREP_INF_H_

#include <string>

#include "core/inventory.h"

namespace fleetcast {

/// sysprep.inf for `node`: identity, licence, domain or workgroup, the static
/// address bound to the node's NIC by MAC, and the first-logon commands (the
/// group's post-clone commands, then the node's). `group` may be nullptr.
/// [SysprepMassStorage] is left out: the client appends it once it has
/// matched the disk's drivers against its own PCI devices.
std::string RenderSysprepInf(const NodeSpec& node, const GroupSpec* group,
                             const NodeSecrets& secrets);

/// $OEM$\cmdlines.txt: "[Commands]" then each of node.setup_commands, quoted.
std::string RenderCmdlines(const NodeSpec& node);

}  // namespace fleetcast

#endif  // FLEETCAST_CORE_SYSPREP_INF_H_
