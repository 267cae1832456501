#include "platform/ip_address.h"

#include <gtest/gtest.h>
#include <net/if.h>

#include "platform/net.h"

namespace fleetcast {
namespace {

IpAddress Parsed(const std::string& text) { return IpAddress::Parse(text).value(); }

TEST(IpAddress, ParsesBothFamiliesAndPrintsThemBack) {
  const IpAddress v4 = Parsed("10.78.0.1");
  EXPECT_FALSE(v4.is_v6());
  EXPECT_EQ(v4.family(), AF_INET);
  EXPECT_EQ(v4.ToString(), "10.78.0.1");
  const IpAddress v6 = Parsed("fd7c:0::1");
  EXPECT_TRUE(v6.is_v6());
  EXPECT_EQ(v6.interface_index(), 0u);
  EXPECT_EQ(v6.ToString(), "fd7c::1");
  for (const char* bad : {"", "10.78.0", "fd7c::1::2", "[fd7c::1]", "host.lab", "fe80::1%"}) {
    EXPECT_FALSE(IpAddress::Parse(bad)) << bad;
  }
}

TEST(IpAddress, LinkLocalKeepsItsZone) {
  const uint32_t lo = ::if_nametoindex("lo");
  ASSERT_NE(lo, 0u);
  const IpAddress a = Parsed("fe80::1%lo");
  EXPECT_TRUE(a.is_link_local());
  EXPECT_EQ(a.interface_index(), lo);
  EXPECT_EQ(a.ToString(), "fe80::1%lo");
  EXPECT_EQ(a.ToString(false), "fe80::1");
  EXPECT_EQ(Parsed("fe80::1%" + std::to_string(lo)), a);  // a numeric zone is the index
  EXPECT_FALSE(IpAddress::Parse("fe80::1%nosuch0"));
  // A zone prints only where it matters.
  EXPECT_EQ(IpAddress(Parsed("fd7c::1").v6(), lo).ToString(), "fd7c::1");
}

TEST(IpAddress, SockaddrRoundTrip) {
  const uint32_t lo = ::if_nametoindex("lo");
  for (const IpAddress& a : {Parsed("239.77.0.1"), Parsed("ff15::fc:1"), Parsed("fe80::1%lo")}) {
    sockaddr_storage s{};
    const socklen_t length = a.ToSockaddr(7630, &s);
    EXPECT_EQ(length, a.is_v6() ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
    EXPECT_EQ(IpAddress::FromSockaddr(reinterpret_cast<const sockaddr*>(&s)), a) << a.ToString();
    const uint16_t port = a.is_v6() ? reinterpret_cast<const sockaddr_in6*>(&s)->sin6_port
                                    : reinterpret_cast<const sockaddr_in*>(&s)->sin_port;
    EXPECT_EQ(ntohs(port), 7630);
  }
  sockaddr_storage s{};
  Parsed("fe80::1%lo").ToSockaddr(1, &s);
  EXPECT_EQ(reinterpret_cast<const sockaddr_in6*>(&s)->sin6_scope_id, lo);
  // A global address goes out without a scope id, whatever interface it came from.
  IpAddress(Parsed("fd7c::1").v6(), lo).ToSockaddr(1, &s);
  EXPECT_EQ(reinterpret_cast<const sockaddr_in6*>(&s)->sin6_scope_id, 0u);
}

TEST(IpAddress, Kinds) {
  EXPECT_TRUE(Parsed("239.77.0.1").is_multicast());
  EXPECT_TRUE(Parsed("ff15::fc:1").is_multicast());
  EXPECT_FALSE(Parsed("10.0.0.1").is_multicast());
  EXPECT_FALSE(Parsed("fd7c::1").is_multicast());
  EXPECT_TRUE(Parsed("127.0.0.1").is_loopback());
  EXPECT_TRUE(Parsed("::1").is_loopback());
  EXPECT_TRUE(IpAddress::Any(AF_INET).is_unspecified());
  EXPECT_TRUE(IpAddress::Any(AF_INET6).is_unspecified());
  EXPECT_EQ(IpAddress::Any(AF_INET6).family(), AF_INET6);
  EXPECT_EQ(Parsed("ff15::fc:1").multicast_scope(), 5);
  EXPECT_TRUE(Parsed("ff15::fc:1").is_transient_multicast());
  EXPECT_EQ(Parsed("ff02::1").multicast_scope(), 2);
  EXPECT_FALSE(Parsed("ff02::1").is_transient_multicast());
  EXPECT_EQ(Parsed("239.77.0.1").multicast_scope(), 0);
  EXPECT_NE(Parsed("10.0.0.1"), Parsed("::ffff:10.0.0.1"));
}

TEST(MulticastGroup, AcceptsIPv4AndTransientIPv6OfSiteScope) {
  EXPECT_EQ(ParseMulticastGroup("--group", "239.77.0.1").value().ToString(), "239.77.0.1");
  EXPECT_EQ(ParseMulticastGroup("--group", "ff15::fc:1").value().ToString(), "ff15::fc:1");
  EXPECT_TRUE(ParseMulticastGroup("--group", "ff18::1").ok());
  EXPECT_TRUE(ParseMulticastGroup("--group", "ff14::1").ok());
}

TEST(MulticastGroup, RejectsOthersWithOneLine) {
  for (const char* text : {"10.0.0.1", "fd7c::1", "lan", ""}) {
    EXPECT_EQ(ParseMulticastGroup("--group", text).status().message(),
              std::string("--group ") + text +
                  ": not a multicast address; use one in 239.0.0.0/8, or an IPv6 group in "
                  "ff15::/16 (e.g. ff15::fc:1)");
  }
  for (const char* text : {"ff02::1", "ff12::1", "ff05::2", "ff11::1"}) {
    EXPECT_EQ(ParseMulticastGroup("--group", text).status().message(),
              std::string("--group ") + text +
                  ": not a transient IPv6 group of site scope (a permanent or link-local one is "
                  "taken or needs a zone); use one in ff15::/16, e.g. ff15::fc:1");
  }
}

TEST(InterfaceAddress, LoopbackAndAMissingOne) {
  EXPECT_EQ(InterfaceAddress("lo").value().ToString(), "127.0.0.1");
  EXPECT_EQ(InterfaceWithAddress(Parsed("127.0.0.1")), "lo");
  EXPECT_EQ(InterfaceAddress("nosuch0", AF_INET6).status().message(),
            "--interface nosuch0: no such interface with an IPv6 address; see `ip -6 addr`");
}

}  // namespace
}  // namespace fleetcast
