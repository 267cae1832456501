// InterfaceMtu: the MTU of a network interface, as the kernel has it, for
// the jumbo-frame checks of serve and receive (core/mtu_check.h).
#ifndef FLEETCAST_PLATFORM_INTERFACE_MTU_H_
#define FLEETCAST_PLATFORM_INTERFACE_MTU_H_

#include <cstdint>
#include <string>

#include "core/status.h"

namespace fleetcast {

/// The MTU of interface `name` (/sys/class/net/NAME/mtu); NotFound if there
/// is no such interface or sysfs is not mounted.
Result<uint32_t> InterfaceMtu(const std::string& name, const std::string& sysfs_root = "/sys");

}  // namespace fleetcast

#endif  // FLEETCAST_PLATFORM_INTERFACE_MTU_H_
