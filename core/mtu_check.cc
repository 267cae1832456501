#include "core/mtu_check.h"

namespace fleetcast::mtu {

Status CheckServe(uint32_t mtu, const std::string& interface, uint32_t interface_mtu) {
  if (mtu <= interface_mtu) return Status::OK();
  const std::string want = std::to_string(mtu);
  return Status::InvalidArgument(
      "--mtu " + want + ": " + interface + " has MTU " + std::to_string(interface_mtu) +
      ", so every datagram would leave in fragments; raise it (ip link set " + interface + " mtu " +
      want + ", and on the switch and every receiver) or use --mtu " +
      std::to_string(interface_mtu));
}

Status CheckReceive(uint32_t shard_size, const std::string& interface, uint32_t interface_mtu,
                    uint32_t ip_udp_overhead) {
  const uint32_t datagram = DatagramBytes(shard_size, ip_udp_overhead);
  if (datagram <= interface_mtu) return Status::OK();
  const std::string want = std::to_string(datagram);
  return Status::InvalidArgument(
      "the server sends " + want + "-byte datagrams (serve --mtu " + want + "), but " + interface +
      " has MTU " + std::to_string(interface_mtu) +
      " and would drop every one; raise it (ip link set " + interface + " mtu " + want +
      ") or serve with --mtu " + std::to_string(interface_mtu));
}

}  // namespace fleetcast::mtu
