// MTU checks: whether a deployment's data datagrams fit in one frame of an
// interface, and the one line that says what to change when they do not.
// Jumbo frames must be on end to end: with `serve --mtu 9000` on an
// interface of MTU 1500 every datagram would leave in IP fragments (one lost
// fragment loses the datagram), and a receiver whose interface takes no
// jumbo frames drops every datagram of the stream and hears nothing.
#ifndef FLEETCAST_CORE_MTU_CHECK_H_
#define FLEETCAST_CORE_MTU_CHECK_H_

#include <cstdint>
#include <string>

#include "core/status.h"
#include "core/wire_format.h"

namespace fleetcast::mtu {

/// IP bytes of a full data datagram carrying `shard_size` payload bytes: the
/// --mtu that chose the shard size (wire::ShardSizeForMtu's inverse, with
/// the same `ip_udp_overhead`: wire::kIp6UdpOverhead over IPv6).
constexpr uint32_t DatagramBytes(uint32_t shard_size,
                                 uint32_t ip_udp_overhead = wire::kIpUdpOverhead) {
  return shard_size + ip_udp_overhead +
         static_cast<uint32_t>(wire::DatagramHeader::kEncodedLength) +
         static_cast<uint32_t>(wire::kTagLength);
}
static_assert(DatagramBytes(wire::ShardSizeForMtu(9000)) == 9000);
static_assert(DatagramBytes(wire::ShardSizeForMtu(9000, wire::kIp6UdpOverhead),
                            wire::kIp6UdpOverhead) == 9000);

/// serve: OK if datagrams of `mtu` bytes fit `interface` (MTU
/// `interface_mtu`); else the error line for --mtu.
Status CheckServe(uint32_t mtu, const std::string& interface, uint32_t interface_mtu);

/// receive: OK if the session's datagrams (`shard_size` payload bytes) fit
/// `interface` (MTU `interface_mtu`); else the error line for this node.
Status CheckReceive(uint32_t shard_size, const std::string& interface, uint32_t interface_mtu,
                    uint32_t ip_udp_overhead = wire::kIpUdpOverhead);

}  // namespace fleetcast::mtu

#endif  // FLEETCAST_CORE_MTU_CHECK_H_
