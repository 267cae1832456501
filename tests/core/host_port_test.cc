#include "core/host_port.h"

#include <gtest/gtest.h>

namespace fleetcast {
namespace {

std::string Split(const std::string& text, std::optional<uint16_t> default_port = std::nullopt) {
  const std::optional<HostPort> at = SplitHostPort(text, default_port);
  return at ? at->host + " " + std::to_string(at->port) : "bad";
}

TEST(HostPort, SplitsIPv4AndNamesAtTheColon) {
  EXPECT_EQ(Split("10.0.0.1:7010"), "10.0.0.1 7010");
  EXPECT_EQ(Split("server.lab:1"), "server.lab 1");
  EXPECT_EQ(Split("10.0.0.1", 7010), "10.0.0.1 7010");
  EXPECT_EQ(Split("10.0.0.1:9000", 7010), "10.0.0.1 9000");
}

TEST(HostPort, SplitsBracketedIPv6) {
  EXPECT_EQ(Split("[fd7c::1]:7010"), "fd7c::1 7010");
  EXPECT_EQ(Split("[fe80::1%fcnet0]:65535"), "fe80::1%fcnet0 65535");
  EXPECT_EQ(Split("[fd7c::1]", 7010), "fd7c::1 7010");
}

TEST(HostPort, BareIPv6IsAllHost) {
  EXPECT_EQ(Split("fd7c::1", 7010), "fd7c::1 7010");
  EXPECT_EQ(Split("fe80::1%fcnet0", 7010), "fe80::1%fcnet0 7010");
  // Its last group is not a port: without a default, it has none.
  EXPECT_EQ(Split("fd7c::1:7010"), "bad");
}

TEST(HostPort, RejectsMalformedText) {
  for (const char* text :
       {"", ":7010", "10.0.0.1:", "10.0.0.1:0", "10.0.0.1:65536", "10.0.0.1:70x", "10.0.0.1:-1",
        "[fd7c::1", "fd7c::1]:7010", "[]:7010", "[fd7c::1]:", "[fd7c::1]7010", "[fd7c::1]:x"}) {
    EXPECT_EQ(Split(text, 7010), "bad") << text;
  }
  EXPECT_EQ(Split("10.0.0.1"), "bad");  // a port is required without a default
  EXPECT_EQ(Split("[fd7c::1]"), "bad");
}

TEST(HostPort, JoinBracketsIPv6Only) {
  EXPECT_EQ(JoinHostPort("10.0.0.1", 7010), "10.0.0.1:7010");
  EXPECT_EQ(JoinHostPort("fd7c::1", 7010), "[fd7c::1]:7010");
  EXPECT_EQ(JoinHostPort("server.lab", 80), "server.lab:80");
  EXPECT_EQ(UrlHost("fd7c::1"), "[fd7c::1]");
  EXPECT_EQ(UrlHost("10.0.0.1"), "10.0.0.1");
  for (const std::string text : {"10.0.0.1:7010", "[fd7c::1]:7010"}) {
    const HostPort at = SplitHostPort(text).value();
    EXPECT_EQ(JoinHostPort(at.host, at.port), text);
  }
}

TEST(HostPort, AnAddressWithANulInsideIsNone) {
  const std::string v4(
      "239.77.0.25\0"
      "4",
      13);
  EXPECT_FALSE(IsIpAddress(v4));
  EXPECT_FALSE(IsMulticastAddress(v4));
  EXPECT_FALSE(
      IsIPv6(std::string("ff15::1\0"
                         "2",
                         9)));
}

TEST(HostPort, AddressKinds) {
  EXPECT_TRUE(IsIPv6("fd7c::1"));
  EXPECT_TRUE(IsIPv6("::"));
  EXPECT_FALSE(IsIPv6("10.0.0.1"));
  EXPECT_FALSE(IsIPv6("[fd7c::1]"));
  EXPECT_FALSE(IsIPv6("fe80::1%eth0"));
  EXPECT_TRUE(IsIpAddress("10.0.0.1"));
  EXPECT_TRUE(IsIpAddress("fd7c::1"));
  EXPECT_FALSE(IsIpAddress("01.2.3.4"));
  EXPECT_FALSE(IsIpAddress("server.lab"));
  EXPECT_TRUE(IsMulticastAddress("239.77.0.1"));
  EXPECT_TRUE(IsMulticastAddress("224.0.0.1"));
  EXPECT_TRUE(IsMulticastAddress("ff15::fc:1"));
  EXPECT_TRUE(IsMulticastAddress("ff02::1"));
  EXPECT_FALSE(IsMulticastAddress("240.0.0.1"));
  EXPECT_FALSE(IsMulticastAddress("10.0.0.1"));
  EXPECT_FALSE(IsMulticastAddress("fd7c::1"));
  EXPECT_FALSE(IsMulticastAddress("fe80::1"));
}

}  // namespace
}  // namespace fleetcast
