// The jumbo-frame checks: which datagram sizes fit an interface, and the
// exact line each side prints when they do not.
#include "core/mtu_check.h"

#include <gtest/gtest.h>

namespace fleetcast::mtu {
namespace {

TEST(MtuCheck, DatagramBytesInvertsShardSizeForMtu) {
  for (uint32_t mtu : {576u, 1500u, 4000u, 9000u, 9216u}) {
    EXPECT_EQ(DatagramBytes(wire::ShardSizeForMtu(mtu)), mtu);
  }
  EXPECT_EQ(wire::ShardSizeForMtu(9000), 8932u);
}

TEST(MtuCheck, Ipv6DatagramsCarry20BytesLessPayload) {
  EXPECT_EQ(
      DatagramBytes(wire::ShardSizeForMtu(9000, wire::kIp6UdpOverhead), wire::kIp6UdpOverhead),
      9000u);
  EXPECT_TRUE(CheckReceive(wire::ShardSizeForMtu(1500, wire::kIp6UdpOverhead), "eth0", 1500,
                           wire::kIp6UdpOverhead)
                  .ok());
  // Taken for IPv4, the same shard size would look like 1480-byte datagrams.
  EXPECT_FALSE(CheckReceive(wire::ShardSizeForMtu(1500, wire::kIp6UdpOverhead), "eth0", 1499,
                            wire::kIp6UdpOverhead)
                   .ok());
}

TEST(MtuCheck, ServeFitsWhenTheInterfaceTakesTheDatagram) {
  EXPECT_TRUE(CheckServe(1500, "eth1", 1500).ok());
  EXPECT_TRUE(CheckServe(9000, "eth1", 9000).ok());
  EXPECT_TRUE(CheckServe(1500, "lo", 65536).ok());
}

TEST(MtuCheck, ServeRefusesJumboDatagramsOnAStandardInterface) {
  Status s = CheckServe(9000, "eth1", 1500);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "--mtu 9000: eth1 has MTU 1500, so every datagram would leave in fragments; raise it "
            "(ip link set eth1 mtu 9000, and on the switch and every receiver) or use --mtu 1500");
}

TEST(MtuCheck, ReceiveFitsWhenTheInterfaceTakesTheSessionsDatagrams) {
  EXPECT_TRUE(CheckReceive(wire::ShardSizeForMtu(9000), "eth0", 9000).ok());
  EXPECT_TRUE(CheckReceive(wire::ShardSizeForMtu(1500), "eth0", 9000).ok());
  EXPECT_TRUE(CheckReceive(wire::ShardSizeForMtu(1500), "eth0", 1500).ok());
}

TEST(MtuCheck, ReceiveNamesTheServersMtuAndTheFix) {
  Status s = CheckReceive(wire::ShardSizeForMtu(9000), "eth0", 1500);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "the server sends 9000-byte datagrams (serve --mtu 9000), but eth0 has MTU 1500 and "
            "would drop every one; raise it (ip link set eth0 mtu 9000) or serve with --mtu 1500");
}

}  // namespace
}  // namespace fleetcast::mtu
