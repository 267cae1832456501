// The PCI devices a client machine has, read from Linux sysfs, so the
// [SysprepMassStorage] section of its clone lists only drivers it can use
// (core/mass_storage.h).
#ifndef FLEETCAST_CLIENT_PCI_DEVICES_H_
#define FLEETCAST_CLIENT_PCI_DEVICES_H_

#include <string>
#include <vector>

#include "core/mass_storage.h"
#include "core/status.h"

namespace fleetcast {

/// Reads every <sysfs_root>/bus/pci/devices/<slot>/ (vendor, device,
/// subsystem_vendor, subsystem_device, class, revision: "0x..." text), sorted
/// by slot. sysfs_root is "/sys" on a real client; tests pass a fake tree.
/// Fails naming the path when the device folder is missing or a file cannot
/// be read or is not a hex number of the right width.
Result<std::vector<PciDevice>> ReadPciDevices(const std::string& sysfs_root);

}  // namespace fleetcast

#endif  // FLEETCAST_CLIENT_PCI_DEVICES_H_
