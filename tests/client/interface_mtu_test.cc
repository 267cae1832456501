// InterfaceMtu reads the kernel's MTU from a sysfs tree: a fake one made in
// the test, and the real one's loopback.
#include "platform/interface_mtu.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/test_util.h"

namespace fleetcast {
namespace {

void WriteText(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  testing::WriteFileBytes(path, Bytes(text.begin(), text.end()));
}

TEST(InterfaceMtu, ReadsTheMtuOfEachInterface) {
  testing::TempDir sys;
  WriteText(sys / "class/net/eth0/mtu", "9000\n");
  WriteText(sys / "class/net/eth1/mtu", "1500\n");
  EXPECT_EQ(*InterfaceMtu("eth0", sys.path()), 9000u);
  EXPECT_EQ(*InterfaceMtu("eth1", sys.path()), 1500u);
}

TEST(InterfaceMtu, NoSuchInterfaceIsNotFound) {
  testing::TempDir sys;
  WriteText(sys / "class/net/eth0/mtu", "garbage\n");
  Result<uint32_t> missing = InterfaceMtu("eth9", sys.path());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), sys / "class/net/eth9/mtu" + ": no MTU to read");
  EXPECT_FALSE(InterfaceMtu("eth0", sys.path()).ok());
}

TEST(InterfaceMtu, LoopbackOfThisMachine) {
  Result<uint32_t> lo = InterfaceMtu("lo");
  ASSERT_TRUE(lo.ok()) << lo.status().message();
  EXPECT_GE(*lo, 1500u);
}

}  // namespace
}  // namespace fleetcast
