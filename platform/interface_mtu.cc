#include "platform/interface_mtu.h"

#include <fstream>

namespace fleetcast {

Result<uint32_t> InterfaceMtu(const std::string& name, const std::string& sysfs_root) {
  const std::string path = sysfs_root + "/class/net/" + name + "/mtu";
  std::ifstream f(path);
  uint32_t mtu = 0;
  if (!(f >> mtu) || mtu == 0) return Status::NotFound(path + ": no MTU to read");
  return mtu;
}

}  // namespace fleetcast
